"""Load test of `rag serve`: python -m bench.serve [--clients 8] [--requests 200]

Serves a copy of the bundled corpus' index with the real model, asks every question
of eval/questions once from one client (the expected answers, and the sequential
latency), then from N clients at once, R requests each (search and ask alternating):
every response must equal the sequential one, none may fail. Reports p50/p95 of both
runs, their ratio and the throughput. Writes results/serve.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .children import ROOT
from .stats import latency_ms, ratio


def _post(port: int, path: str, body: dict) -> tuple[int, dict, float]:
    """One request on its own connection, as independent clients make them."""
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read()), time.perf_counter() - t
    except (OSError, ValueError) as e:  # refused, reset, not JSON: counted as lost
        return 0, {"error": str(e)}, time.perf_counter() - t
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    from eval.run import load_questions

    ap = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200, help="per client")
    ap.add_argument("--out", default=str(ROOT / "results" / "serve.json"))
    a = ap.parse_args(argv)
    questions = [it.question for it in load_questions()]
    calls = [(path, q) for q in questions for path in ("/search", "/ask")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "index"
        shutil.copytree(ROOT / "data" / "corpus-index", folder)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--index", str(folder), "--port", str(port)],
                                cwd=ROOT, stderr=subprocess.PIPE, text=True)
        try:
            t0 = time.perf_counter()
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise SystemExit(proc.communicate()[1]) from None
                    time.sleep(0.2)
            start_s = time.perf_counter() - t0
            expected, seq = {}, []
            for path, q in calls:
                status, body, s = _post(port, path, {"query": q, "k": 10})
                if status != 200:
                    raise SystemExit(f"{path} {q!r}: {status} {body}")
                expected[(path, q)] = body
                seq.append(s)
            lat, lost, differ = [], [], []
            lock = threading.Lock()

            def client(n: int) -> None:
                for i in range(a.requests):
                    path, q = calls[(n * 37 + i) % len(calls)]
                    status, body, s = _post(port, path, {"query": q, "k": 10})
                    with lock:
                        lat.append(s)
                        if status != 200:
                            lost.append((path, q, status, body))
                        elif body != expected[(path, q)]:
                            differ.append((path, q))

            threads = [threading.Thread(target=client, args=(n,)) for n in range(a.clients)]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - t
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    out = {
        "cpus": os.cpu_count(), "loadavg": os.getloadavg(), "server_start_s": round(start_s, 1),
        "sequential": latency_ms(seq),
        "concurrent": {"clients": a.clients, **latency_ms(lat), "requests_per_s": round(len(lat) / wall, 1),
                       "lost": len(lost), "different_from_sequential": len(differ)},
    }
    out["concurrent_p50_over_sequential_p50"] = ratio(out["concurrent"]["p50_ms"], out["sequential"]["p50_ms"])
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if not lost and not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
