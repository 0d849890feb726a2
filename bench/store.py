"""Store figures: what the high-water mark costs per ticket, and what the checks at open cost.

* ``append_issue_p50_ms`` / ``p99``: ``Store.append`` of one ``issued`` event (commit with
  WAL + synchronous=FULL, then the mark: pwrite + fdatasync); ``..._no_mark`` is the same
  store with the mark switched off. Appends alternate between the two stores, so both see
  the same disk weather.
* ``append_other_p50_ms``: an event with no number (a call): the mark gets a pwrite only.
* ``open_100k_ms``: ``Store(path)`` on a 100,000-event database (50 days of 2,000; with
  ``--quick`` 20 days, ``open_40k_ms``):
  lock, ``quick_check``, migrations, write probe and the comparison with the mark.
* ``quick_check_100k_ms`` / ``integrity_check_100k_ms``: the two checks alone (the store
  runs ``quick_check``; ``integrity_check`` also compares indexes with their tables).

    python -m bench.store [--quick]          # prints JSON
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.util import quick_mode
from kiosk.events import Event
from kiosk.store import Store


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def issued(day: str, prefix: str, n: int) -> Event:
    return Event("issued", f"{day}T10:00:00+08:00", day, f"{prefix}{n:03d}", prefix, None,
                 "touch", {"number": n, "priority": None, "ahead": 3, "wait_minutes": 12,
                           "service_zh": "业务办理", "service_en": "Underwriting"})


def called(day: str, ticket: str) -> Event:
    return Event("called", f"{day}T10:05:00+08:00", day, ticket, ticket[0], 1, "button",
                 {"redirected_from": None, "priority": None})


def append_latency(tmp: Path, n: int = 400) -> dict[str, float]:
    marked, bare = Store(tmp / "marked.db"), Store(tmp / "bare.db")
    bare._mark = None  # the same store without its mark: the baseline
    day = "2026-11-23"
    with_mark: list[float] = []
    without: list[float] = []
    other: list[float] = []
    for i in range(1, n + 1):
        for store, times in ((marked, with_mark), (bare, without)):
            t0 = time.perf_counter()
            store.append([issued(day, "A", i)])
            times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        marked.append([called(day, f"A{i:03d}")])
        other.append((time.perf_counter() - t0) * 1000)
    marked.close()
    bare.close()
    return {
        "append_issue_p50_ms": round(statistics.median(with_mark), 3),
        "append_issue_p99_ms": round(pct(with_mark, 0.99), 3),
        "append_issue_no_mark_p50_ms": round(statistics.median(without), 3),
        "append_issue_no_mark_p99_ms": round(pct(without, 0.99), 3),
        "append_other_p50_ms": round(statistics.median(other), 3),
    }


def big_store(path: Path, days: int = 50, per_day: int = 2000) -> None:
    s = Store(path)
    first = date(2026, 9, 1)
    for d in range(days):
        day = (first + timedelta(days=d)).isoformat()
        batch: list[Event] = []
        for i in range(1, per_day // 2 + 1):
            batch += [issued(day, "ABC"[i % 3], i), called(day, f"{'ABC'[i % 3]}{i:03d}")]
        s.append(batch)
    s.close()


def open_checks(tmp: Path, days: int = 50) -> dict[str, float]:
    path = tmp / "big.db"
    big_store(path, days)
    size = f"{days * 2}k"
    t0 = time.perf_counter()
    s = Store(path)
    open_ms = (time.perf_counter() - t0) * 1000
    assert s.recovery is None
    figures = {f"open_{size}_ms": round(open_ms, 1),
               f"db_{size}_mb": round(path.stat().st_size / 1e6, 1)}
    for pragma in ("quick_check", "integrity_check"):
        t0 = time.perf_counter()
        result = s.db.execute(f"PRAGMA {pragma}").fetchone()[0]
        figures[f"{pragma}_{size}_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        assert result == "ok", result
    s.close()
    return figures


def run(quick: bool | None = None) -> dict[str, float]:
    quick = quick_mode() if quick is None else quick
    logging.getLogger("kiosk").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(dir=Path.home()) as d:
        tmp = Path(d)
        return (append_latency(tmp, 100 if quick else 400)
                | open_checks(tmp, 20 if quick else 50))


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), indent=2))
