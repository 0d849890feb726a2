"""Core and restart figures: throughput with the status snapshot, issue latency at a long
queue, durable issue in-process, and restart-to-ready with 5,000 and 50,000 events.

* ``core_commands_per_s``: decide + apply + ``kiosk.status.snapshot`` on a realistic mix,
  no I/O, median of runs (target >= 50,000). The worker builds the snapshot after every
  command that commits events, so the bench does too; ``..._no_snapshot`` leaves it out
  (what the figure used to count).
* ``core_commands_per_s_100k_day``: the same with 100,000 commands in one business day,
  so the queue grows to tens of thousands (target >= 20,000).
* ``core_issue_at_100_waiting_p50_us`` / ``p99`` and ``..._at_10000_...``: one ``Issue``
  (decide + apply + snapshot) with 100 or 10,000 tickets waiting; a call-next between
  issues keeps the queue at that length. Target: the same at both, within noise.
* ``durable_issue_inprocess_p50_ms`` / ``p99``: ``submit(Issue)`` to reply through the real
  worker and a real SQLite file (WAL + synchronous=FULL), no drivers, no socket. The
  figure a user sees is ``live.socket_issue_*`` (target p99 <= 20 there).
* ``replay_5000_ms`` / ``replay_50000_ms``: rebuilding the state from that many events of
  the day, in-process.
* ``restart_5000_ms`` / ``restart_50000_ms``: a real ``kiosk run --headless`` process with
  those events in its store, from exec to answering ``status`` on its control socket
  (target <= 1,000 for 5,000), and ``rss_ready_50000_mb``, its RSS at that moment.

    python -m bench.core [--quick]          # prints JSON
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.util import ROOT, ms_since, quick_mode, stop_process
from bench.util import pct as pct  # re-exported: other bench modules import it from here
from kiosk import commands as c
from kiosk import config
from kiosk.clock import FakeClock
from kiosk.core import Rejected, State, apply, decide, new_state, replay
from kiosk.events import Event
from kiosk.service import KioskService
from kiosk.status import snapshot
from kiosk.store import Store
from tests.support import at


def command_mix(n: int, seed: int = 7) -> list[Any]:
    rng = random.Random(seed)
    mix: list[Any] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            mix.append(c.Issue(rng.choice("ABC"), "elderly" if rng.random() < 0.05 else None))
        elif r < 0.85:
            mix.append(c.CallNext(rng.choice([1, 2, 3, 4])))
        elif r < 0.92:
            mix.append(c.Recall(rng.choice([1, 2, 3, 4])))
        elif r < 0.97:
            mix.append(c.Finish(rng.choice([1, 2, 3, 4])))
        else:
            mix.append(c.Transfer(rng.choice([1, 2, 3, 4]), to_service=rng.choice("ABC")))
    return mix


def day_of_events(cfg: config.Config, n: int, step_s: float = 5.0) -> list[Event]:
    """About ``n`` events produced by the real core, one command every ``step_s`` from
    09:00: with the default step, more than about 5,000 events run past midnight into the
    next business day; pass a smaller step to keep them all in one."""
    s, now, out = new_state(cfg), at(2026, 11, 23, 9), []
    for cmd in command_mix(n * 2):
        result = decide(s, cmd, now)
        now += timedelta(seconds=step_s)
        if isinstance(result, Rejected):
            continue
        for e in result:
            s = apply(s, e)
        out.extend(result)
        if len(out) >= n:
            break
    return out[:n]


def core_throughput(cfg: config.Config, n: int = 100_000, per_day: int | None = 2000,
                    with_snapshot: bool = True, timed_from: int = 0) -> float:
    """Commands per second through decide + apply (+ the snapshot, as the worker does).

    ``per_day`` commands share a business day (a busy branch issues a few hundred tickets
    a day; 2,000 commands is a generous day). ``per_day=None`` puts all ``n`` into one day,
    a stress figure for a queue tens of thousands long. Only commands from ``timed_from``
    on are timed; the ones before build the day up without a snapshot (the snapshot only
    reads the state, so leaving it out there changes nothing that follows).
    """
    mix = command_mix(n)
    s, now = new_state(cfg), at(2026, 11, 23, 9)
    times = [now + timedelta(days=i // per_day) if per_day else now for i in range(n)]
    for cmd, when in zip(mix[:timed_from], times[:timed_from], strict=True):
        result = decide(s, cmd, when)
        if not isinstance(result, Rejected):
            for e in result:
                s = apply(s, e)
    status = snapshot(s)
    t0 = time.perf_counter()
    for cmd, when in zip(mix[timed_from:], times[timed_from:], strict=True):
        result = decide(s, cmd, when)
        if not isinstance(result, Rejected) and result:
            for e in result:
                s = apply(s, e)
            if with_snapshot:  # KioskService._commit, after every commit
                status = snapshot(s, prev=status, events=result)
    return (n - timed_from) / (time.perf_counter() - t0)


def median_of(runs: int, fn: Any, *args: Any, **kw: Any) -> float:
    return statistics.median(fn(*args, **kw) for _ in range(runs))


def _step(s: State, cmd: Any, now: Any) -> State:
    result = decide(s, cmd, now)
    if isinstance(result, Rejected):
        raise RuntimeError(f"{cmd} refused: {result.code}")
    for e in result:
        s = apply(s, e)
    return s


def issue_at_queue(cfg: config.Config, waiting: int, n: int) -> tuple[float, float]:
    """p50/p99 in microseconds of one issue (decide + apply + snapshot) with ``waiting``
    tickets in the queue; a call-next after each keeps the length where it is."""
    s, now = new_state(cfg), at(2026, 11, 23, 9)
    for i in range(waiting):
        s = _step(s, c.Issue("ABC"[i % 3]), now)
    times: list[float] = []
    status = snapshot(s)
    for i in range(n):
        cmd = c.Issue("ABC"[i % 3])
        t0 = time.perf_counter()
        result = decide(s, cmd, now)
        if isinstance(result, Rejected):
            raise RuntimeError(f"issue refused at {waiting} waiting: {result.code}")
        for e in result:
            s = apply(s, e)
        status = snapshot(s, prev=status, events=result)
        times.append(ms_since(t0) * 1000)
        # counter 3 serves B, 4 serves C, 1 prefers A: round-robin keeps every service level
        s = _step(s, c.CallNext((1, 3, 4)[i % 3]), now)
        status = snapshot(s)  # untimed: keeps ``prev`` true for the next timed issue
    return statistics.median(times), pct(times, 0.99)


def durable_issue(tmp: Path, n: int = 500) -> tuple[float, float]:
    cfg = config.load()
    store = Store(tmp / "latency.db")
    svc = KioskService(cfg, store, clock=FakeClock(at(2026, 11, 23, 9)))
    svc.start()
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        svc.submit(c.Issue("ABC"[i % 3])).result()
        times.append(ms_since(t0))
        if i % 3 == 2:
            svc.submit(c.CallNext(1 + i % 4)).result()
    svc.stop()
    store.close()
    return statistics.median(times), pct(times, 0.99)


def restart(tmp: Path, n: int = 5000) -> dict[str, float]:
    """Replay ``n`` events in-process, then time a real kiosk from exec to ready."""
    from kiosk.control_client import request

    cfg = config.load()
    events = day_of_events(cfg, n, step_s=0.2)  # all of them in one business day
    if events[0].day != events[-1].day:
        raise RuntimeError(f"the {n} events span more than one business day")
    work = tmp / f"restart{n}"
    work.mkdir()
    db = work / "restart.db"
    store = Store(db)
    store.append(events)
    store.close()
    t0 = time.perf_counter()
    reopened = Store(db)
    replay(cfg, reopened.events())
    replay_ms = ms_since(t0)
    reopened.close()  # releases the store lock before the real kiosk below takes it
    toml = work / "restart.toml"
    toml.write_text(f'[storage]\npath = "{db}"\n[control]\nsocket = "{work}/r.sock"\n'
                    f'[printer]\nurl = "dummy://"\n[audio]\nsink = "wav://{work}/wav"\n'
                    f'clips = "{work}/clips"\ngenerate_missing = false\n')
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                             "--config", str(toml)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while True:
            try:
                if request(work / "r.sock", {"cmd": "status"}, timeout=5).get("ok"):
                    break
            except Exception:
                time.sleep(0.005)
            if proc.poll() is not None:
                raise RuntimeError(f"kiosk exited with {proc.returncode}")
            if time.perf_counter() - t0 > 60:
                raise TimeoutError("kiosk did not start")
        ready_ms = ms_since(t0)
        rss_kb = _rss_kb(proc.pid)
    finally:
        stop_process(proc)
    out = {f"replay_{n}_ms": round(replay_ms, 1), f"restart_{n}_ms": round(ready_ms, 1)}
    if len(events) != n:
        out[f"restart_{n}_events_replayed"] = len(events)
    if n >= 50_000:
        out[f"rss_ready_{n}_mb"] = round(rss_kb / 1024, 1)
    return out


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(ln for ln in status.splitlines() if ln.startswith("VmRSS")).split()[1])


def run(quick: bool | None = None) -> dict[str, float]:
    quick = quick_mode() if quick is None else quick
    cfg = config.load()
    n, runs = (30_000, 1) if quick else (100_000, 5)
    # Always a real 100k-command day, since the queue length is the point; quick times
    # only its last 20,000 commands, where the queue is longest.
    day_runs, day_from = (1, 80_000) if quick else (3, 0)
    out: dict[str, float] = {
        "core_commands_per_s": round(median_of(runs, core_throughput, cfg, n)),
        "core_commands_per_s_100k_day": round(median_of(
            day_runs, core_throughput, cfg, 100_000, per_day=None, timed_from=day_from)),
    }
    if not quick:  # what the figures were before they counted the snapshot
        out["core_commands_per_s_no_snapshot"] = round(
            median_of(runs, core_throughput, cfg, n, with_snapshot=False))
        out["core_commands_per_s_100k_day_no_snapshot"] = round(median_of(
            day_runs, core_throughput, cfg, 100_000, per_day=None, with_snapshot=False))
    for waiting in (100, 10_000):
        p50, p99 = issue_at_queue(cfg, waiting, 500 if quick else 3000)
        out[f"core_issue_at_{waiting}_waiting_p50_us"] = round(p50, 1)
        out[f"core_issue_at_{waiting}_waiting_p99_us"] = round(p99, 1)
    with tempfile.TemporaryDirectory(dir=Path.home()) as d:
        tmp = Path(d)
        p50, p99 = durable_issue(tmp, 150 if quick else 500)
        out["durable_issue_inprocess_p50_ms"] = round(p50, 2)
        out["durable_issue_inprocess_p99_ms"] = round(p99, 2)
        out.update(restart(tmp, 5000))
        out.update(restart(tmp, 50_000))
    return out


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), indent=2))
