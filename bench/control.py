"""Control socket figures, against a real ``kiosk run --headless`` process.

* ``kiosk_issue_process_ms`` / ``kiosk_status_process_ms``: one ``kiosk --socket S issue
  A`` (``status``) process, as a user runs it (the ``kiosk`` script of this environment),
  exec to exit, p50 of 20, with its bytecode cached as an installed package has it (a
  private ``PYTHONPYCACHEPREFIX``). ``..._nopyc_ms``: the same with bytecode never
  written (``PYTHONDONTWRITEBYTECODE``, as in a development shell), every module
  compiled on each run. ``python_bare_ms``: ``python -c pass``, the floor under both.
  ``cli_status_ms`` is ``kiosk_status_process_ms`` under its earlier name, and
  ``cli_import_ms`` what importing the client path adds to a bare interpreter.
* ``issue_kept_p50_ms`` / ``p99``: issue over one kept connection
  (:class:`kiosk.control_client.Connection`), beside ``issue_p50_ms`` (a connection each).
* ``watch_event_p50_ms`` / ``p99``: from sending an issue until a watcher has its event.
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
import os
import queue
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
from kiosk.control_client import Connection, request, watch
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


def kiosk_command() -> list[str]:
    """The ``kiosk`` script installed beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "kiosk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.cli"]


def process_figures(sock: Path, n: int = 20) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kiosk-pyc-") as cached:
        return _process_figures(sock, n, cached)


def _process_figures(sock: Path, n: int, cached: str) -> dict[str, float]:
    env_pyc = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env_pyc["PYTHONPYCACHEPREFIX"] = cached  # compiled once, kept out of the work tree
    env_src = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env_src.pop("PYTHONPYCACHEPREFIX", None)
    kiosk = [*kiosk_command(), "--socket", str(sock)]

    def wall(args: list[str], env: dict[str, str]) -> float:
        def once() -> None:
            subprocess.run(args, check=True, capture_output=True, env=env)

        once()  # the first run writes the bytecode cache (with env_pyc)
        return round(statistics.median(_timed(once, n)), 1)

    out = {"python_bare_ms": wall([sys.executable, "-c", "pass"], env_pyc)}
    for name, args in (("issue", ["issue", "A"]), ("status", ["status"])):
        out[f"kiosk_{name}_process_ms"] = wall([*kiosk, *args], env_pyc)
        out[f"kiosk_{name}_process_nopyc_ms"] = wall([*kiosk, *args], env_src)
    out["cli_status_ms"] = out["kiosk_status_process_ms"]
    imports = wall([sys.executable, "-c", "import kiosk.cli, kiosk.control_client"], env_pyc)
    out["cli_import_ms"] = round(imports - out["python_bare_ms"], 1)
    return out


def kept_issue_latency(sock: Path, n: int = 200) -> list[float]:
    with Connection(sock) as conn:
        return _timed(lambda: conn.request({"cmd": "issue", "args": {"service": "B"}}), n)


def watch_latency(sock: Path, n: int = 100) -> list[float]:
    """Send an issue, and time until a watcher on another connection has its event."""
    got: queue.Queue[int] = queue.Queue()
    stream = watch(sock, wait=30)
    next(stream)  # the status

    def follow() -> None:
        for msg in stream:
            if "event" in msg and msg["event"]["type"] == "issued":
                got.put(msg["event"]["seq"])

    threading.Thread(target=follow, daemon=True).start()
    out = []
    with Connection(sock) as conn:
        for _ in range(n):
            t0 = time.perf_counter()
            seq = conn.request({"cmd": "issue", "args": {"service": "C"}})["events"][-1]["seq"]
            while got.get(timeout=30) != seq:
                pass
            out.append(_ms(t0))
    return out  # the follower ends with the kiosk


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


def run(quick: bool = False) -> dict[str, float]:
    n = 50 if quick else 200
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        cfg = write_config(tmp)
        big = day_of_events(config.load(), 3000 if quick else BIG_DAY)
        store = Store(tmp / "kiosk.db")
        store.append(big)
        store.close()
        day = big[0].day
        k = KioskProcess(cfg).start(timeout=120)
        try:
            out: dict[str, float] = {}
            out.update(process_figures(k.socket, 10 if quick else 20))
            status = _timed(lambda: request(k.socket, {"cmd": "status"}), n)
            out["status_p50_ms"] = round(pct(status, 0.5), 2)
            out["status_p99_ms"] = round(pct(status, 0.99), 2)
            out.update(burst(k.socket))
            idle = issue_latency(k.socket, n)
            out["issue_p50_ms"] = round(pct(idle, 0.5), 2)
            out["issue_p99_ms"] = round(pct(idle, 0.99), 2)
            kept = kept_issue_latency(k.socket, n)
            out["issue_kept_p50_ms"] = round(pct(kept, 0.5), 2)
            out["issue_kept_p99_ms"] = round(pct(kept, 0.99), 2)
            pushed = watch_latency(k.socket, n // 2)
            out["watch_event_p50_ms"] = round(pct(pushed, 0.5), 2)
            out["watch_event_p99_ms"] = round(pct(pushed, 0.99), 2)
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
                busy = issue_latency(k.socket, n)
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
    print(json.dumps(run("--quick" in sys.argv), indent=2))
