"""Shared helpers for the benchmarks: temporary instances, gunicorn servers, a load generator.

Every benchmark measures the hub and a bare baseline in the same run, on the same machine, with
the same client, and prints their ratio: absolute numbers on a shared 2-core machine mean little.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 2, threads: int = 1):
    port = free_port()
    environ = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    cmd = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd + [app_spec], env=environ)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server {app_spec} did not start")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def load(
    port: int,
    method: str,
    path: str,
    seconds: float,
    concurrency: int,
    body_for=None,
    headers=None,
    observe=None,
) -> dict:
    """Send requests from ``concurrency`` threads for ``seconds``; return throughput and errors.

    ``body_for(index, n)`` gives each request's body and extra headers; ``observe(index,
    response, data)`` is called with every answer read (from the sending thread)."""
    stop = time.monotonic() + seconds
    counts = [0] * concurrency
    errors = [0] * concurrency
    latencies: list[float] = []
    exhausted = [False]
    lock = threading.Lock()

    def worker(index: int):
        local = []
        n = 0
        while time.monotonic() < stop:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                try:
                    body, extra = body_for(index, n) if body_for else (None, {})
                except IndexError:  # the caller's supply of bodies ran out: not a valid run
                    exhausted[0] = True
                    break
                started = time.perf_counter()
                conn.request(method, path, body=body, headers={**(headers or {}), **extra})
                response = conn.getresponse()
                data = response.read()
                local.append(time.perf_counter() - started)
                if observe is not None:
                    observe(index, response, data)
                if response.status >= 400:
                    errors[index] += 1
                else:
                    counts[index] += 1
            except OSError:
                errors[index] += 1
            finally:
                conn.close()
            n += 1
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if exhausted[0]:
        raise RuntimeError("the load ran out of request bodies (e.g. residents): raise the supply")
    latencies.sort()
    return {
        "rps": sum(counts) / elapsed,
        "ok": sum(counts),
        "errors": sum(errors),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0,
    }


def fetch(port: int, path: str) -> bytes:
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()
