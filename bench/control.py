"""Control socket figures, against a real ``kiosk run --headless`` process.

* ``cli_status_ms``: one ``kiosk --socket S status`` process, exec to exit (median of 10),
  and ``cli_import_ms``: what importing the client path adds to a bare interpreter.
* ``status_p50_ms`` / ``p99``: sequential ``status`` requests through the client library.
* ``burst_200_total_ms``: 200 clients released at once (a quarter issue tickets) until the
  last has its answer, and ``burst_200_p99_ms`` per client (retries on ``busy`` included).
* ``issue_p50_ms`` / ``p99`` idle, and ``issue_during_events_p50_ms`` / ``p99`` while three
  clients keep reading the events of a busy day (served off the worker; ~14,000 of the
  30,000 generated events fall on the day that is read).
* ``events_big_day_ms``: one such events query, JSON reply included (``..._count``).

    python -m bench.control
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.core import day_of_events, pct
from kiosk import config
from kiosk.control_client import request
from kiosk.store import Store
from tests.kiosk_proc import KioskProcess, write_config

BIG_DAY = 30_000  # events over about two days; the busier one is queried


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def _timed(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(_ms(t0))
    return out


def cli_figures(sock: Path) -> dict[str, float]:
    def status_process() -> None:
        subprocess.run([sys.executable, "-m", "kiosk.cli", "--socket", str(sock), "status"],
                       check=True, capture_output=True)

    def bare() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    def imports() -> None:
        subprocess.run([sys.executable, "-c", "import kiosk.cli, kiosk.control_client"],
                       check=True)

    base = statistics.median(_timed(bare, 10))
    return {"cli_status_ms": round(statistics.median(_timed(status_process, 10)), 1),
            "cli_import_ms": round(statistics.median(_timed(imports, 10)) - base, 1)}


def burst(sock: Path, n: int = 200) -> dict[str, float]:
    gate = threading.Barrier(n + 1)
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        msg = {"cmd": "issue", "args": {"service": "A"}} if i % 4 == 0 else {"cmd": "status"}
        gate.wait()
        t0 = time.perf_counter()
        try:
            ok = request(sock, msg, timeout=30).get("ok")
        except Exception as exc:
            with lock:
                failures.append(repr(exc))
            return
        with lock:
            times.append(_ms(t0)) if ok else failures.append("not ok")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return {"burst_200_total_ms": round(_ms(t0), 1),
            "burst_200_p99_ms": round(pct(times, 0.99), 1) if times else -1,
            "burst_200_failed": len(failures)}


def issue_latency(sock: Path, n: int = 200) -> list[float]:
    return _timed(lambda: request(sock, {"cmd": "issue", "args": {"service": "B"}}), n)


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        cfg = write_config(tmp)
        big = day_of_events(config.load(), BIG_DAY)
        store = Store(tmp / "kiosk.db")
        store.append(big)
        store.close()
        day = big[0].day
        k = KioskProcess(cfg).start(timeout=120)
        try:
            out: dict[str, float] = {}
            out.update(cli_figures(k.socket))
            status = _timed(lambda: request(k.socket, {"cmd": "status"}), 300)
            out["status_p50_ms"] = round(pct(status, 0.5), 2)
            out["status_p99_ms"] = round(pct(status, 0.99), 2)
            out.update(burst(k.socket))
            idle = issue_latency(k.socket)
            out["issue_p50_ms"] = round(pct(idle, 0.5), 2)
            out["issue_p99_ms"] = round(pct(idle, 0.99), 2)
            t0 = time.perf_counter()
            reply = request(k.socket, {"cmd": "events", "args": {"day": day}}, timeout=60)
            out["events_big_day_ms"] = round(_ms(t0), 1)
            out["events_big_day_count"] = len(reply.get("data", []))
            stop = threading.Event()

            def reader() -> None:
                while not stop.is_set():
                    request(k.socket, {"cmd": "events", "args": {"day": day}}, timeout=60)

            readers = [threading.Thread(target=reader) for _ in range(3)]
            for t in readers:
                t.start()
            try:
                busy = issue_latency(k.socket)
            finally:
                stop.set()
                for t in readers:
                    t.join()
            out["issue_during_events_p50_ms"] = round(pct(busy, 0.5), 2)
            out["issue_during_events_p99_ms"] = round(pct(busy, 0.99), 2)
            return out
        finally:
            k.terminate(60)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
