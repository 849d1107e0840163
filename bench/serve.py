"""Load tests of `rag serve`.

    python -m bench.serve [--clients 8] [--requests 200]
    python -m bench.serve --mixed [--runs 4] [--seconds 60] [--readers 20] [--writers 1]

Both serve a copy of the bundled corpus' index with the real model.

The default asks every question of eval/questions once from one client (the expected
answers, and the sequential latency), then from N clients at once, R requests each (search
and ask alternating): every response must equal the sequential one, none may fail. Reports
p50/p95 of both runs, their ratio and the throughput. Writes results/serve.json.

--mixed (issue 31: the server grew 1228 -> 1441 -> 1527 -> 1643 MB over four such runs):
`--readers` clients search and ask while `--writers` upload a new document and delete it again,
over and over, with --allow-writes; after each of `--runs` runs of `--seconds` the server's
resident memory (VmRSS) is read. Flat over the runs means that a write generation leaves
nothing behind. Writes results/serve-mixed.json.
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
import uuid
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


def _call(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request(method, path, body, headers or {})
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    except (OSError, ValueError) as e:
        return 0, {"error": str(e)}
    finally:
        conn.close()


def _upload(port: int, name: str, text: str) -> tuple[int, dict]:
    """POST /documents with one file, as multipart/form-data."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n").encode("utf-8")
    return _call(port, "POST", "/documents", body, {"content-type": f"multipart/form-data; boundary={boundary}"})


def rss_mb(pid: int) -> float:
    """The resident memory of process `pid` now (Linux: /proc/PID/status VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


class Server:
    """`rag serve` on a copy of the bundled index, on a free port, until closed."""

    def __init__(self, tmp: str, allow_writes: bool = False):
        folder = Path(tmp) / "index"
        shutil.copytree(ROOT / "data" / "corpus-index", folder)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "RAG_UPLOAD_DIR": str(Path(tmp) / "uploads")}
        env.pop("RAG_API_TOKEN", None)
        cmd = [sys.executable, "-m", "rag.cli", "serve", "--index", str(folder), "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd + (["--allow-writes"] if allow_writes else []), cwd=ROOT, env=env,
                                     stderr=subprocess.PIPE, text=True)
        t0 = time.perf_counter()
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(self.proc.communicate()[1]) from None
                time.sleep(0.2)
        self.start_s = time.perf_counter() - t0

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def concurrency(a, calls: list[tuple[str, str]]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(tmp)
        port = server.port
        try:
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
            server.close()
    out = {
        "cpus": os.cpu_count(), "loadavg": os.getloadavg(), "server_start_s": round(server.start_s, 1),
        "sequential": latency_ms(seq),
        "concurrent": {"clients": a.clients, **latency_ms(lat), "requests_per_s": round(len(lat) / wall, 1),
                       "lost": len(lost), "different_from_sequential": len(differ)},
    }
    out["concurrent_p50_over_sequential_p50"] = ratio(out["concurrent"]["p50_ms"], out["sequential"]["p50_ms"])
    _write(a.out or str(ROOT / "results" / "serve.json"), out)
    return 0 if not lost and not differ else 1


def mixed(a, calls: list[tuple[str, str]], questions: list[str]) -> int:
    """Readers and writers at once, `a.runs` times; the server's RSS after each run."""
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(tmp, allow_writes=True)
        port = server.port
        runs, counts = [], {"reads": 0, "writes": 0, "errors": 0}
        lock = threading.Lock()
        errors: list = []
        try:
            before = rss_mb(server.proc.pid)
            for run in range(a.runs):
                stop = time.monotonic() + a.seconds
                done = {"reads": 0, "writes": 0}

                def reader(n: int) -> None:
                    i = n * 37
                    while time.monotonic() < stop:
                        path, q = calls[i % len(calls)]
                        status, body, _s = _post(port, path, {"query": q, "k": 10})
                        i += 1
                        with lock:
                            done["reads"] += 1
                            if status != 200:
                                errors.append((path, status, body))

                def writer(n: int) -> None:
                    i = 0
                    while time.monotonic() < stop:
                        name = f"bench-{run}-{n}-{i}.txt"  # a new name and text: a new generation each time
                        text = " ".join(questions[(run * 97 + n * 13 + i + j) % len(questions)] for j in range(40))
                        for status, body in (_upload(port, name, text), _call(port, "DELETE", f"/documents/{name}")):
                            with lock:
                                done["writes"] += 1
                                if status != 200:
                                    errors.append((name, status, body))
                        i += 1

                threads = [threading.Thread(target=reader, args=(n,)) for n in range(a.readers)]
                threads += [threading.Thread(target=writer, args=(n,)) for n in range(a.writers)]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                time.sleep(1.0)  # the last replies sent, the pool idle
                runs.append({"run": run + 1, "rss_mb": round(rss_mb(server.proc.pid), 1), **done})
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
                for key in done:
                    counts[key] += done[key]
        finally:
            server.close()
    rss = [r["rss_mb"] for r in runs]
    out = {"cpus": os.cpu_count(), "loadavg": os.getloadavg(), "server_start_s": round(server.start_s, 1),
           "readers": a.readers, "writers": a.writers, "seconds_per_run": a.seconds,
           "rss_mb_at_start": round(before, 1), "runs": runs,
           "growth_mb_first_to_last_run": round(rss[-1] - rss[0], 1) if rss else None,
           **counts, "errors": len(errors), "first_errors": [str(e)[:300] for e in errors[:5]]}
    _write(a.out or str(ROOT / "results" / "serve-mixed.json"), out)
    return 0 if not errors else 1


def _write(path: str, out: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))


def main(argv: list[str] | None = None) -> int:
    from eval.run import load_questions

    ap = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200, help="per client")
    ap.add_argument("--mixed", action="store_true", help="readers and upload/delete writers: RSS per run")
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60, help="per run (--mixed)")
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--writers", type=int, default=1)
    ap.add_argument("--out", default=None, help="default: results/serve.json, results/serve-mixed.json")
    a = ap.parse_args(argv)
    questions = [it.question for it in load_questions()]
    calls = [(path, q) for q in questions for path in ("/search", "/ask")]
    return mixed(a, calls, questions) if a.mixed else concurrency(a, calls)


if __name__ == "__main__":
    raise SystemExit(main())
