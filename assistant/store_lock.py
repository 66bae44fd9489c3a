"""One embedded store, several processes: a lock file beside the store says who may write.

Chroma's embedded ``PersistentClient`` is not process-safe: a process that has the store open
keeps its vector index in memory and never sees another process's writes (chroma-core/chroma
#3792, #3769; its docs: "use a single client at a time", the server mode is for many clients).
Measured here: a process asking questions while another ingested failed with "Error finding id"
on the new documents until restarted. A process that opens the store *after* a write sees it all.

So every process that opens the store holds a shared (read) lock on ``<store>.lock`` for as long
as it runs, and a write needs the lock exclusive: it happens only when no other process has the
store open, so nobody is left with a stale index. A write that finds another process refuses at
once with a one-line message naming it (pid and command) and pointing to the Chroma server.
POSIX record locks (``lockf``) are per process (so every ``SentenceStore`` of one process shares
the lock), are released by the kernel when the process dies (SIGKILL included), and turn from
shared to exclusive and back atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

SERVER_HINT = ('use a Chroma server for several processes (README, "Embedded store or Chroma server": '
               "ASSISTANT_CHROMA_URL)")


class StoreBusyError(RuntimeError):
    """Another process has the embedded store open; the message names it."""


class StoreLock:
    """The lock of one embedded store, shared by everything in this process that opens it."""

    _held: dict[Path, StoreLock] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._writers = 0  # nested exclusive sections in this process
        self._mutex = threading.RLock()

    @classmethod
    def for_store(cls, store_dir: Path) -> StoreLock:
        """This process's lock of ``store_dir``, taken shared (StoreBusyError if a process is writing)."""
        path = store_dir.with_name(store_dir.name + ".lock").resolve()
        with cls._guard:
            lock = cls._held.get(path)
            if lock is None:
                lock = cls(path)
                lock._take(fcntl.LOCK_SH, "read")
                cls._held[path] = lock
            return lock

    @contextlib.contextmanager
    def exclusive(self, what: str, wait: float = 0.0) -> Iterator[None]:
        """Hold the lock exclusive while writing (``what`` names the write in the refusal), waiting
        up to ``wait`` seconds for the other processes to close the store."""
        with self._mutex:
            if self._writers == 0:
                self._take_within(fcntl.LOCK_EX, what, wait)
            self._writers += 1
            try:
                yield
            finally:
                self._writers -= 1
                if self._writers == 0:
                    fcntl.lockf(self._fd, fcntl.LOCK_SH)  # a downgrade never waits

    def _take_within(self, mode: int, what: str, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                self._take(mode, what)
                return
            except StoreBusyError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def _take(self, mode: int, what: str) -> None:
        try:
            fcntl.lockf(self._fd, mode | fcntl.LOCK_NB)
        except OSError:
            raise StoreBusyError(self._refusal(mode, what)) from None

    def _refusal(self, mode: int, what: str) -> str:
        holder = _holder(self._fd, fcntl.F_WRLCK if mode == fcntl.LOCK_EX else fcntl.F_RDLCK)
        store = self.path.with_suffix("")
        if mode == fcntl.LOCK_EX:
            return (f"cannot {what}: the index in {store} is open in another process ({holder}), and the "
                    f"embedded store cannot be written while another process reads it; stop that process and "
                    f"run this again, or {SERVER_HINT}")
        return (f"the index in {store} is being written by another process ({holder}); run this again when it "
                f"is done, or {SERVER_HINT}")


def _holder(fd: int, wanted: int) -> str:
    """'pid N: command' of one process whose lock conflicts with ``wanted`` (Linux struct flock)."""
    request = struct.pack("hhqqi4x", wanted, os.SEEK_SET, 0, 0, 0)
    try:
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, request))
    except OSError:
        return "a process that has it open"
    if kind == fcntl.F_UNLCK:
        return "a process that has just closed it"
    try:
        command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split())
    except OSError:
        command = "command unknown"
    return f"pid {pid}: {command[:200]}"
