"""Foundation figures: core throughput, durable issue latency, restart and memory.

* ``core_commands_per_s``: decide + apply on a realistic mix, no I/O, median of 5 runs
  (target >= 50,000); ``..._one_100k_day`` puts 100,000 commands in one day (stress).
* ``durable_issue_p50_ms`` / ``p99``: ``submit(Issue)`` to reply through the real worker
  and a real SQLite file with WAL + synchronous=FULL, commit included (target p99 <= 20).
* ``replay_5000_ms``: rebuilding the state from 5,000 events of the day, in-process.
* ``restart_5000_ms``: a real ``kiosk run --headless`` process with those 5,000 events,
  from exec to answering ``status`` on its control socket (target <= 1,000).
* ``rss_after_replay_mb``: that process's resident memory once ready (target <= 60), and
  ``rss_settled_3s_later_mb`` once the drivers have loaded in the background.
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

from kiosk import commands as c
from kiosk import config
from kiosk.clock import FakeClock
from kiosk.core import Rejected, apply, decide, new_state, replay
from kiosk.events import Event
from kiosk.service import KioskService
from kiosk.store import Store
from tests.support import at


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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


def day_of_events(cfg: config.Config, n: int) -> list[Event]:
    """About ``n`` events of one busy day, produced by the real core."""
    s, now, out = new_state(cfg), at(2026, 11, 23, 9), []
    for cmd in command_mix(n * 2):
        result = decide(s, cmd, now)
        now += timedelta(seconds=5)
        if isinstance(result, Rejected):
            continue
        for e in result:
            s = apply(s, e)
        out.extend(result)
        if len(out) >= n:
            break
    return out[:n]


def core_throughput(cfg: config.Config, n: int = 100_000, per_day: int | None = 2000) -> float:
    """Commands per second through decide + apply.

    ``per_day`` commands share a business day (a busy branch issues a few hundred tickets
    a day; 2,000 commands is a generous day). ``per_day=None`` puts all ``n`` into one day,
    a stress figure for a queue tens of thousands long.
    """
    mix = command_mix(n)
    s, now = new_state(cfg), at(2026, 11, 23, 9)
    times = [now + timedelta(days=i // per_day) if per_day else now for i in range(n)]
    t0 = time.perf_counter()
    for cmd, when in zip(mix, times, strict=True):
        result = decide(s, cmd, when)
        if not isinstance(result, Rejected):
            for e in result:
                s = apply(s, e)
    return n / (time.perf_counter() - t0)


def median_of(runs: int, fn: Any, *args: Any, **kw: Any) -> float:
    return statistics.median(fn(*args, **kw) for _ in range(runs))


def durable_issue(tmp: Path, n: int = 500) -> tuple[float, float]:
    cfg = config.load()
    store = Store(tmp / "latency.db")
    svc = KioskService(cfg, store, clock=FakeClock(at(2026, 11, 23, 9)))
    svc.start()
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        svc.submit(c.Issue("ABC"[i % 3])).result()
        times.append((time.perf_counter() - t0) * 1000)
        if i % 3 == 2:
            svc.submit(c.CallNext(1 + i % 4)).result()
    svc.stop()
    store.close()
    return statistics.median(times), pct(times, 0.99)


def restart(tmp: Path, n: int = 5000) -> dict[str, float]:
    cfg = config.load()
    events = day_of_events(cfg, n)
    db = tmp / "restart.db"
    store = Store(db)
    store.append(events)
    store.close()
    t0 = time.perf_counter()
    reopened = Store(db)
    replay(cfg, reopened.events())
    replay_ms = (time.perf_counter() - t0) * 1000
    reopened.close()  # releases the store lock before the real kiosk below takes it
    toml = tmp / "restart.toml"
    toml.write_text(f'[storage]\npath = "{db}"\n[control]\nsocket = "{tmp}/r.sock"\n'
                    f'[printer]\nurl = "dummy://"\n[audio]\nsink = "wav://{tmp}/wav"\n'
                    f'clips = "{tmp}/clips"\ngenerate_missing = false\n')
    from kiosk.control import request

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                             "--config", str(toml)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if request(tmp / "r.sock", {"cmd": "status"}, timeout=5).get("ok"):
                    break
            except Exception:
                time.sleep(0.005)
            if time.perf_counter() - t0 > 30:
                raise TimeoutError("kiosk did not start")
        ready_ms = (time.perf_counter() - t0) * 1000
        rss_kb = _rss_kb(proc.pid)
        # drivers finish loading on their own threads (python-escpos, fonts): measure again
        time.sleep(3)
        settled_kb = _rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
    return {"events_replayed": len(events), "replay_5000_ms": round(replay_ms, 1),
            "restart_5000_ms": round(ready_ms, 1), "rss_after_replay_mb": round(rss_kb / 1024, 1),
            "rss_settled_3s_later_mb": round(settled_kb / 1024, 1)}


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(ln for ln in status.splitlines() if ln.startswith("VmRSS")).split()[1])


def run() -> dict[str, float]:
    cfg = config.load()
    with tempfile.TemporaryDirectory(dir=Path.home()) as d:
        tmp = Path(d)
        p50, p99 = durable_issue(tmp)
        out: dict[str, float] = {
            "core_commands_per_s": round(median_of(5, core_throughput, cfg)),
            "core_commands_per_s_one_100k_day": round(
                median_of(3, core_throughput, cfg, per_day=None)),
            "durable_issue_p50_ms": round(p50, 2),
            "durable_issue_p99_ms": round(p99, 2),
        }
        out.update(restart(tmp))
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
