"""Fresh `python -c` children: cold start and peak memory are only honest in a new process."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Peak RSS of the child alone. Not ru_maxrss: Linux carries it over fork+exec,
# so a child of this (large) process would report at least our own peak.
# VmHWM belongs to the new address space and starts from zero at exec.
PEAK_RSS = r"""
def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) // 1024 for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
"""


def run_child(code: str, args: list[str], timeout: float = 3600) -> dict:
    """Run `python -c code args...` from the repo root; its last stdout line is JSON.

    Adds wall_s, the parent's view (interpreter start-up included)."""
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"child failed ({p.returncode}): {p.stderr[-2000:]}")
    return {**json.loads(p.stdout.strip().splitlines()[-1]), "wall_s": wall}
