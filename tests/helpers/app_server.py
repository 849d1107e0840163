"""The app as a real Streamlit server, driven by Chromium through Playwright.

Shared by tests/test_browser_slow.py, tests/test_server.py (free_port) and scripts/screenshot.py,
scripts/screenshot_page.py and scripts/first_start.py. Chromium is Debian's (/usr/bin/chromium):
Playwright's own browser download is not available offline.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHAT_INPUT = '[data-testid="stChatInput"] textarea'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not open port {port} within {timeout:.0f} s")


@contextmanager
def serve(env: dict[str, str], log: Path, timeout: float = 120) -> Iterator[str]:
    """Run `streamlit run app.py` on a free local port; yields its URL; always stops it."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]  # no inotify watch over the whole project tree
    with open(log, "wb") as out:
        # its own process group: the server and anything it starts are stopped together
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            wait_for_port(port, proc, timeout)
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextmanager
def chromium() -> Iterator:
    """A headless Debian Chromium under Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def ask(page, question: str) -> None:
    """Type a question into the chat input and send it with Enter."""
    box = page.locator(CHAT_INPUT)
    box.click()
    box.fill(question)
    box.press("Enter")
