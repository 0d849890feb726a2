"""Report figures: a month of a busy branch, read by ``kiosk report`` in its own process,
and the running core's memory before and after.

The month (22 business days of October 2026, ~600 tickets a day, ~4,000 events a day)
is made by the real core (``decide`` + ``apply`` on a simulated clock: arrivals through
the day, four counters calling and finishing, pauses, recalls, no-shows, transfers,
priority tickets, ratings) and written through the real store (``Store.append``, one
transaction per day), on the demo branch with office hours Mon-Fri 08:30-17:00.

* ``report_month_chart_s``: ``python -m kiosk.cli report --month 2026-10 --chart F.pdf``
  as a process, wall time from exec to exit: read-only store read, every figure, the
  table and the one-page PDF (median of 3; quick: 1). Target <= 2 s.
* ``..._cpu_s``: the same process's CPU time (user + system), which a busy machine
  (``load_average_1min``) stretches less than the wall time.
* ``report_month_table_s``: the same without ``--chart`` (no matplotlib at all).
* ``report_month_load_ms``, ``..._figures_ms``, ``..._chart_ms``: the parts, in-process.
* ``core_rss_before_report_mb`` / ``..._after_report_mb``: ``VmRSS`` of a running
  ``kiosk run --headless`` on that store, before and after a ``kiosk report --chart``
  against it (the report is its own process, so the two should be equal).

    python -m bench.report [--quick]      # prints JSON
"""

from __future__ import annotations

import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.memory import DemoKiosk, rss_mb
from bench.util import ROOT, demo_config, quick_mode, wait_until
from kiosk import commands as c
from kiosk import config as config_mod
from kiosk.core import Rejected, apply, decide, new_state
from kiosk.events import Event
from kiosk.store import Store

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"
HOURS = "".join(f'{d} = ["08:30-17:00"]\n' for d in ("mon", "tue", "wed", "thu", "fri")) \
    + 'sat = []\nsun = []\n'


def config_path(tmp: Path) -> Path:
    """demo.toml with its state in ``tmp`` and office hours instead of round the clock."""
    path = demo_config(tmp, "")
    text = path.read_text(encoding="utf-8")
    start, end = text.index("[hours]"), text.index("[storage]")
    path.write_text(text[:start] + "[hours]\n" + HOURS + "\n" + text[end:], encoding="utf-8")
    return path


def business_days(month: str) -> list[date]:
    first = date.fromisoformat(f"{month}-01")
    days = [first + timedelta(days=i) for i in range(31)]
    return [d for d in days if d.month == first.month and d.weekday() < 5]


class _Sim:
    """One business day on the real core, minute by minute."""

    def __init__(self, cfg: config_mod.Config, day: date, rng: random.Random) -> None:
        self.cfg, self.rng = cfg, rng
        self.state = new_state(cfg)
        self.events: list[Event] = []
        self.now = datetime.combine(day, dtime(8, 30), tzinfo=TZ)
        self.busy_until: dict[int, datetime] = {}

    def do(self, cmd: c.Command) -> bool:
        out = decide(self.state, cmd, self.now, source="bench")
        if isinstance(out, Rejected):
            return False
        for e in out:
            self.state = apply(self.state, e)
        self.events.extend(out)
        return True

    def counter_step(self, cid: int) -> None:
        cs = self.state.counters[cid]
        r = self.rng.random()
        if cs.status != "open":
            if r < 0.1:
                self.do(c.Resume(cid))
            return
        if cs.current is not None:
            if self.now < self.busy_until.get(cid, self.now):
                return
            if r < 0.02:
                self.do(c.NoShow(cid))
            elif r < 0.04:
                self.do(c.Transfer(cid, to_service="C" if cs.current[0] != "C" else "A"))
            elif r < 0.05:
                self.do(c.Recall(cid))
                return
            else:
                self.do(c.Finish(cid))
                if r < 0.5:
                    self.do(c.Rate(cid, self.rng.choice(("good", "good", "good", "fair",
                                                        "poor"))))
        elif r < 0.004:
            self.do(c.Pause(cid, reason=self.rng.choice(("break", "lunch", "meeting"))))
            return
        if self.do(c.CallNext(cid)):
            self.busy_until[cid] = self.now + timedelta(minutes=self.rng.uniform(1.0, 4.5))

    def run(self, tickets: int) -> list[Event]:
        minutes = 510
        per_minute = tickets / (minutes - 20)
        for _ in range(minutes + 20):
            n = int(per_minute) + (self.rng.random() < per_minute % 1)
            for _ in range(n if self.now.time() < dtime(16, 50) else 0):
                prio = "elderly" if self.rng.random() < 0.03 else None
                service = self.rng.choices("ABC", weights=(45, 25, 30))[0]
                self.do(c.Issue(service, priority=prio))
            for cid in self.cfg.counters:
                self.counter_step(cid)
            self.now += timedelta(minutes=1)
        return self.events


def make_month(cfg: config_mod.Config, tickets: int = 600) -> tuple[int, float]:
    """The month's store at ``cfg.storage_path``; returns (events, seconds)."""
    t0 = time.perf_counter()
    rng = random.Random(15)
    store = Store(cfg.storage_path)
    count = 0
    try:
        for d in business_days(MONTH):
            count += len(store.append(_Sim(cfg, d, rng).run(tickets)))
    finally:
        store.close()
    return count, time.perf_counter() - t0


def _report(cfg_file: Path, *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one ``kiosk report`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "report", "--config",
                           str(cfg_file), "--month", MONTH, *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"kiosk report failed: {done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def _timed(cfg_file: Path, repeats: int, *extra: str) -> tuple[float, float]:
    runs = [_report(cfg_file, *extra) for _ in range(repeats)]
    return (round(statistics.median(w for w, _ in runs), 2),
            round(statistics.median(c for _, c in runs), 2))


def parts(cfg: config_mod.Config, out: Path) -> dict[str, float]:
    from kiosk.report import figures, load, periods

    period = periods.month(MONTH)
    t0 = time.perf_counter()
    with closing(load.connect(cfg.storage_path)) as conn:
        events = load.period_events(conn, period)
    t1 = time.perf_counter()
    report = figures.compute(events, cfg, period)
    t2 = time.perf_counter()
    from kiosk.report import charts

    t3 = time.perf_counter()
    charts.write(report, cfg, out)
    t4 = time.perf_counter()
    totals = report.summary["totals"]
    return {"report_month_events": len(events), "report_month_issued": totals["issued"],
            "report_month_load_ms": round((t1 - t0) * 1000),
            "report_month_figures_ms": round((t2 - t1) * 1000),
            "report_month_chart_import_ms": round((t3 - t2) * 1000),
            "report_month_chart_ms": round((t4 - t3) * 1000)}


def run(quick: bool | None = None) -> dict[str, float]:
    quick = quick_mode() if quick is None else quick
    repeats = 1 if quick else 3
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-report-") as name:
        tmp = Path(name)
        cfg_file = config_path(tmp)
        cfg = config_mod.load(cfg_file)
        events, secs = make_month(cfg)
        out["month_days"] = len(business_days(MONTH))
        out["month_events"] = events
        out["month_generate_s"] = round(secs, 1)
        out |= parts(cfg, tmp / "inproc.pdf")
        out["report_month_table_s"], out["report_month_table_cpu_s"] = _timed(cfg_file, repeats)
        out["report_month_chart_s"], out["report_month_chart_cpu_s"] = _timed(
            cfg_file, repeats, "--chart", str(tmp / "month.pdf"))
        out["load_average_1min"] = round(os.getloadavg()[0], 1)
        kiosk = DemoKiosk(cfg_file, tmp / "kiosk.log")
        try:
            wait_until(kiosk.ready, "the kiosk to answer", 60, 0.05)
            time.sleep(1.0)  # let start-up garbage settle before the first reading
            out["core_rss_before_report_mb"] = round(rss_mb(kiosk.proc.pid), 1)
            _report(cfg_file, "--chart", str(tmp / "during.pdf"))
            time.sleep(1.0)
            out["core_rss_after_report_mb"] = round(rss_mb(kiosk.proc.pid), 1)
            out["core_rss_report_delta_mb"] = round(
                out["core_rss_after_report_mb"] - out["core_rss_before_report_mb"], 1)
        finally:
            kiosk.stop()
    return out


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run("--quick" in sys.argv[1:]), indent=2))
