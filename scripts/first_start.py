"""A newcomer's first start, timed: `bash scripts/app.sh` in a checkout, then one question in Chromium.

    python scripts/first_start.py [CHECKOUT] [--fresh-index] [--corpus DIR [--question Q]]
                                  [-- STREAMLIT OPTIONS...]

Times from the command to the server answering, to the chat being ready (on a first
start: after the index of the bundled corpus is built) and to the first answer on screen,
in Debian's Chromium (tests/helpers/app_server.py). --fresh-index removes CHECKOUT/index's data
first, so the start builds it. Streamlit options go to `streamlit run`, e.g.
`-- --server.fileWatcherType auto` to time the start with Streamlit's file watcher on
(.streamlit/config.toml turns it off). The server's log goes to CHECKOUT/first_start.log;
its count of "Inotify queue overflowed" lines is printed.

--corpus DIR: a first start on other documents (RAG_CORPUS_DIR=DIR, a new index in
CHECKOUT/index-first-start), where no shipped index applies: the app indexes them in the
background, smallest file first, and the chat opens with the first one. Then "chat ready"
is the first document done, --question should be about the smallest file, and "all
indexed" is when the progress goes.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.app_server import CHAT_INPUT, ask, chromium, free_port

QUESTION = "Who proposed holding alternative elections under the new constitution?"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("checkout", nargs="?", default=str(ROOT))
    p.add_argument("--fresh-index", action="store_true")
    p.add_argument("--corpus", default=None)
    p.add_argument("--question", default=QUESTION)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    a = p.parse_args(argv[:cut])
    extra = argv[cut + 1 :]  # for streamlit run
    root = Path(a.checkout)
    if a.fresh_index:
        for f in (root / "index").iterdir():
            if f.name != "README.md":
                shutil.rmtree(f) if f.is_dir() else f.unlink()
    env = dict(os.environ)
    if a.corpus:
        index = root / "index-first-start"
        shutil.rmtree(index, ignore_errors=True)
        env |= {"RAG_CORPUS_DIR": str(Path(a.corpus).resolve()), "RAG_INDEX_DIR": str(index),
                "RAG_UPLOAD_DIR": str(root / "uploads-first-start")}
    port = free_port()
    log = root / "first_start.log"
    t0 = time.monotonic()
    proc = subprocess.Popen(["bash", "scripts/app.sh", "--server.port", str(port), *extra], cwd=root, env=env,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://localhost:{port}/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"the app exited: see {log}") from None
                time.sleep(1)
        print(f"server up      {time.monotonic() - t0:6.0f} s", flush=True)
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"http://localhost:{port}/")
            page.wait_for_selector(f"{CHAT_INPUT}:not([disabled])", timeout=1_800_000)
            print(f"chat ready     {time.monotonic() - t0:6.0f} s", flush=True)
            ask(page, a.question)
            # a quote shown: its visible "chars s–e" line (a decline's nearest passages stay folded)
            page.wait_for_selector("text=/chars \\d+–\\d+/", timeout=300_000)
            print(f"first answer   {time.monotonic() - t0:6.0f} s", flush=True)
            if a.corpus:
                page.get_by_text("Indexing the documents", exact=False).first.wait_for(state="detached",
                                                                                      timeout=3_600_000)
                print(f"all indexed    {time.monotonic() - t0:6.0f} s", flush=True)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    overflows = log.read_text(encoding="utf-8", errors="replace").count("Inotify queue overflowed")
    print(f"inotify overflow lines: {overflows}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
