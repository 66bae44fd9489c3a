"""The chat server's memory under oversized requests, and its answers to malformed calls.

    python benchmarks/http_limits.py --data-dir /tmp/h [--code /work/main] [--requests 40] [--mb 10]

Starts a real ``python -m ui`` (``--code``: whose code, e.g. main's to measure before a change),
sends ``--requests`` chat turns and ``/ask`` calls whose question is ``--mb`` MB, each from a
session of its own, and prints the server's resident memory before and after, the HTTP statuses,
and what raw calls with missing or wrong arguments get back (issue 18, item 6).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _post(url: str, payload: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError as error:  # the server may close the connection on a refused body
        return -1, f"{type(error).__name__}: {error}"


def _result(base: str, api: str, data: list) -> tuple[int, str]:
    """A raw two-step ``/gradio_api/call`` exchange: POST the data, GET the event stream."""
    status, body = _post(f"{base}/gradio_api/call/{api}", json.dumps({"data": data}).encode())
    if status != 200:
        return status, body[:300]
    event = json.loads(body)["event_id"]
    with urllib.request.urlopen(f"{base}/gradio_api/call/{api}/{event}", timeout=300) as response:
        return response.status, response.read().decode(errors="replace")[-400:]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--mb", type=float, default=10)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(args.data_dir), "ASSISTANT_MODEL_DIR": str(args.code / ".data" / "models"),
            "OPENBLAS_NUM_THREADS": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(args.code)}
    log = open(args.data_dir.with_suffix(".log"), "w")
    server = subprocess.Popen([sys.executable, "-m", "ui", "--port", str(port)], cwd=args.code, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(base, timeout=5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the UI did not start"
                time.sleep(1)
        config = json.loads(urllib.request.urlopen(f"{base}/config", timeout=30).read())
        accept = next(i for i, dep in enumerate(config["dependencies"]) if len(dep["outputs"]) == 4)
        warm = _result(base, "ask", ["What does the Counter ISIS Finance Group focus on?"])
        before = _rss_mb(server.pid)
        question = "x" * int(args.mb * 1_000_000)
        statuses: dict[str, dict[int, int]] = {"chat": {}, "ask": {}}
        for n in range(args.requests):
            session = uuid.uuid4().hex
            if n % 2 == 0:
                payload = {"data": [question, [], 0.0], "fn_index": accept, "session_hash": session, "event_data": None}
                status, _ = _post(f"{base}/gradio_api/queue/join", json.dumps(payload).encode())
                kind = "chat"
            else:
                status, _ = _post(f"{base}/gradio_api/call/ask", json.dumps({"data": [question]}).encode())
                kind = "ask"
            statuses[kind][status] = statuses[kind].get(status, 0) + 1
        time.sleep(5)  # queued chat turns run
        after = _rss_mb(server.pid)
        malformed = {
            "no arguments": _result(base, "ask", []),
            "a number": _result(base, "ask", [12345]),
            "top_k 'many'": _result(base, "ask", ["What does the Counter ISIS Finance Group focus on?", "many"]),
            "not JSON": _post(f"{base}/gradio_api/call/ask", b"{not json"),
            "no data key": _post(f"{base}/gradio_api/call/ask", b"{}"),
        }
        print(json.dumps({
            "code": str(args.code), "requests": args.requests, "question_mb": args.mb, "warm_answer_status": warm[0],
            "rss_mb_before": round(before), "rss_mb_after": round(after), "statuses": statuses,
            "malformed": {name: [status, body[-300:]] for name, (status, body) in malformed.items()},
        }, indent=2, ensure_ascii=False))
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    tracebacks = args.data_dir.with_suffix(".log").read_text(errors="replace").count("Traceback")
    print(f"tracebacks in the server log: {tracebacks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
