"""Find, or install, the Chromium that the browser tests (tests/test_ui.py) drive.

`make test` runs this before pytest, so README's test command works on a fresh machine by itself:
a browser already there (``$ASSISTANT_TEST_BROWSER``, Debian's, or Playwright's own) is used; else
Playwright downloads its own where it can; else Debian's package is installed where this user may
(root, or password-less sudo); else it stops with one line saying what to install. The browser
tests never skip for want of a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BROWSER_ENV = "ASSISTANT_TEST_BROWSER"
SYSTEM_BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
MISSING = (f"no Chromium for the browser tests: install one (Debian: apt-get install chromium; or "
           f"python -m playwright install chromium), or name it in {BROWSER_ENV}")


def _executable(path: str | Path) -> Path | None:
    path = Path(path)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _playwright_browser() -> Path | None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return _executable(playwright.chromium.executable_path)


def find_browser() -> Path | None:
    """The browser to drive: the one ``$ASSISTANT_TEST_BROWSER`` names (and only it, when set),
    else the system's, else Playwright's own download; None when there is none."""
    named = os.environ.get(BROWSER_ENV)
    if named:
        return _executable(named)
    for candidate in SYSTEM_BROWSERS:
        if found := _executable(candidate):
            return found
    return _playwright_browser()


def _may_use_apt() -> list[str] | None:
    """The prefix that runs apt-get as root here (none, or sudo -n), or None if this user may not."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def _run(command: list[str], env: dict[str, str] | None = None) -> bool:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, env=env).returncode == 0


def install_browser() -> Path | None:
    """Try each way of getting a browser, in order; the first that yields one wins."""
    if _run([sys.executable, "-m", "playwright", "install", "chromium"]) and (found := find_browser()):
        return found
    prefix = _may_use_apt()
    if prefix is not None:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if _run([*prefix, "apt-get", "update", "-qq"], env) and \
                _run([*prefix, "apt-get", "install", "-y", "-qq", "chromium"], env):
            return find_browser()
    return None


def main() -> int:
    found = find_browser()
    if found is None and not os.environ.get(BROWSER_ENV):
        found = install_browser()
    if found is None:
        named = os.environ.get(BROWSER_ENV)
        print(f"error: {BROWSER_ENV}={named} is not an executable file" if named else f"error: {MISSING}",
              file=sys.stderr)
        return 1
    print(f"browser for the UI tests: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
