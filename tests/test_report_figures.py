"""Service-quality figures against a day worked out by hand.

The day runs through the real service and store (FakeClock), so every event has its real
shape; the report then reads the store read-only while the service still holds it. Every
expected number is a literal with its arithmetic beside it.

Monday 2026-11-23, published hours 08:30-17:00, threshold 10 min, shifts 08:30-12:30 and
12:30-17:00. Counters: 1 serves A (open), 2 serves A and B (starts closed), 3 serves B.

    08:30 A001 issued            08:32 A002 issued (priority: elderly)   08:34 B001 issued
    08:35 c1 calls A002          08:40 c2 opened (10 min late), calls A001
    08:41 c3 calls B001          08:45 c1 finishes A002, 08:46 rated good
    08:50 c2 transfers A001 to B 08:52 c3 finishes B001    08:53 c3 calls A001
    09:00 c1 paused "break"      09:05 A003 issued         09:06 c2 calls A003
    09:08 c2 no-show A003        09:10 c3 finishes A001, 09:11 rated fair
    09:15 c1 resumed             09:20 c3 and c2 paused "meeting"
    09:25 B002 issued (no B counter open)      09:40 c3 resumed   09:41 c3 calls B002
    09:50 c3 finishes B002       09:52 A004 issued
    -- the clock steps back 10 min: reads 09:43 at 09:53 --
    09:43 c1 calls A004 (held at 09:52)        10:00 c1 finishes A004, c2 resumed
    -- 11:00 the clock jumps to 2030-06-03: A001 issued in that wrong day --
    11:02 clock right again: clock_corrected carries that A001; c1 calls it (c2 closed,
          as the wrong day had it)      11:03 c2 opened    11:12 c1 finishes it
    16:50 B003 issued (never called)    16:55 A005 issued  16:56 c1 calls A005
    17:10 c1 finishes A005 (after closing), 17:11 rated good      17:15 all closed
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiosk import commands as c
from kiosk import config as config_mod
from kiosk.clock import FakeClock
from kiosk.report import figures, load, periods
from kiosk.report.timeline import replay_day
from kiosk.service import Accepted, KioskService
from tests.support import OFFICE, at, make_config

DAY = date(2026, 11, 23)
SECTIONS: dict[str, Any] = {
    "hours": OFFICE,
    "services": copy.deepcopy(config_mod.DEFAULTS["services"][:2]),
    "counters": [{"id": 1, "services": ["A"]},
                 {"id": 2, "services": ["A", "B"], "start": "closed"},
                 {"id": 3, "services": ["B"]}],
    "report": {"wait_threshold_min": 10, "shifts": ["08:30-12:30", "12:30-17:00"]},
}


def run_day(svc: KioskService, clock: FakeClock) -> None:
    def do(h: int, m: int, *cmds: c.Command) -> None:
        clock.set(at(2026, 11, 23, h, m))
        for cmd in cmds:
            reply = svc.submit(cmd, "test").result(timeout=10)
            assert isinstance(reply, Accepted), (h, m, cmd, reply)

    do(8, 30, c.Issue("A"))
    do(8, 32, c.Issue("A", priority="elderly"))
    do(8, 34, c.Issue("B"))
    do(8, 35, c.CallNext(1))
    do(8, 40, c.Open(2), c.CallNext(2))
    do(8, 41, c.CallNext(3))
    do(8, 45, c.Finish(1))
    do(8, 46, c.Rate(1, "good"))
    do(8, 50, c.Transfer(2, to_service="B"))
    do(8, 52, c.Finish(3))
    do(8, 53, c.CallNext(3))
    do(9, 0, c.Pause(1, reason="break"))
    do(9, 5, c.Issue("A"))
    do(9, 6, c.CallNext(2))
    do(9, 8, c.NoShow(2))
    do(9, 10, c.Finish(3))
    do(9, 11, c.Rate(3, "fair"))
    do(9, 15, c.Resume(1))
    do(9, 20, c.Pause(3, reason="meeting"), c.Pause(2, reason="meeting"))
    do(9, 25, c.Issue("B"))
    do(9, 40, c.Resume(3))
    do(9, 41, c.CallNext(3))
    do(9, 50, c.Finish(3))
    do(9, 52, c.Issue("A"))
    do(9, 43, c.CallNext(1))  # the clock stepped back 10 minutes at 09:53
    do(10, 0, c.Finish(1), c.Resume(2))
    clock.set(at(2030, 6, 3, 11))  # a wrong clock: a Monday in 2030
    assert svc.submit(c.Issue("A"), "test").result(timeout=10).events[-1].day == "2030-06-03"
    do(11, 2, c.CallNext(1))  # right again: the correction, then the call
    do(11, 3, c.Open(2))
    do(11, 12, c.Finish(1))
    do(16, 50, c.Issue("B"))
    do(16, 55, c.Issue("A"))
    do(16, 56, c.CallNext(1))
    do(17, 10, c.Finish(1))
    do(17, 11, c.Rate(1, "good"))
    do(17, 15, c.Close(1), c.Close(2), c.Close(3))


@pytest.fixture
def worked(service_factory: Callable[..., KioskService], clock: FakeClock,
           tmp_path: Path) -> tuple[config_mod.Config, list[dict[str, Any]]]:
    """The day above, then its events as the report reads them: read-only, while the
    service still runs and holds the store's lock."""
    svc = service_factory(**SECTIONS)
    run_day(svc, clock)
    with closing(load.connect(svc.config.storage_path)) as conn:
        events = load.period_events(conn, periods.day(DAY))
        with pytest.raises(sqlite3.OperationalError):  # the connection cannot write
            conn.execute("DELETE FROM events")
    return svc.config, events


def test_the_events_are_what_the_day_says(worked: tuple[Any, list[dict[str, Any]]]) -> None:
    _, events = worked
    kinds = [e["type"] for e in events]
    assert kinds.count("clock_corrected") == 1
    assert {e["day"] for e in events} == {"2026-11-23", "2030-06-03"}  # the wrong day folded
    ts = [e["ts"] for e in events if e["day"] == "2026-11-23"]
    assert ts != sorted(ts)  # the step back really is in the log


def test_every_figure_of_the_day(worked: tuple[Any, list[dict[str, Any]]]) -> None:
    cfg, events = worked
    f = figures.summary(events, cfg, periods.day(DAY))
    t = f["totals"]
    # A001 A002 A003 A004 A005, B001 B002 B003, and A001 of the wrong-clock day
    assert (t["issued"], f["services"]["A"]["issued"], f["services"]["B"]["issued"]) == \
        (9, 6, 3)
    # served: A002 B001 A001(after its transfer) B002 A004 A001(wrong day) A005
    assert (t["served"], t["no_show"], t["unserved"]) == (7, 1, 1)  # no-show A003; B003
    assert t["served_after_closing"] == 1  # A005 at 17:10
    # waits, minutes: A002 3, A001 10, B001 7, A003 1, B002 16, A004 0 (09:52 -> call
    # held at 09:52, not -9), A005 1; the carried A001 was issued under a wrong clock
    w = t["wait"]
    assert w["n"] == 7 and w["untimed"] == 1
    assert w["mean_min"] == pytest.approx(38 / 7, abs=0.01)  # 0+1+1+3+7+10+16 = 38
    assert w["median_min"] == 3  # 0 1 1 [3] 7 10 16
    assert w["p90_min"] == 16  # nearest rank: ceil(0.9 * 7) = 7th
    assert w["max_min"] == 16
    # B002 waited 16; B003 was never called and waited 16:50 -> 17:15 = 25; A001 10 is not over
    assert t["waited_over_threshold"] == 2
    # service, last call -> finish: A002 10, B001 11, A001 17 (08:53 -> 09:10), B002 9,
    # A004 8 (09:52 held -> 10:00, not 17), A001' 10, A005 14
    s = t["service"]
    assert s["n"] == 7
    assert s["mean_min"] == pytest.approx(79 / 7, abs=0.01)  # 8+9+10+10+11+14+17 = 79
    assert s["median_min"] == 10 and s["p90_min"] == 17
    assert t["priority"] == {"count": 1, "reasons": {"elderly": 1}}
    # ratings: good A002, fair A001, good A005; 3 of 7 served rated
    r = t["ratings"]
    assert (r["count"], r["good"], r["fair"], r["poor"]) == (3, 2, 1, 0)
    assert r["share"] == {"good": pytest.approx(2 / 3, abs=1e-4),
                          "fair": pytest.approx(1 / 3, abs=1e-4), "poor": 0.0}
    assert r["response_rate"] == pytest.approx(3 / 7, abs=1e-4)
    assert t["peak_waiting"] == {"count": 3, "at": "2026-11-23T08:34:00+08:00"}
    assert f["transfers"]["count"] == 1 and f["transfers"]["routes"] == {"A->B": 1}
    assert f["transfers"]["rewait"]["mean_min"] == 3  # 08:50 -> 08:53


def test_service_figures(worked: tuple[Any, list[dict[str, Any]]]) -> None:
    cfg, events = worked
    a, b = (figures.summary(events, cfg, periods.day(DAY))["services"][k] for k in "AB")
    # A waits: 3 10 1 0 1 (+ the untimed one); B waits: 7 16
    assert (a["wait"]["n"], a["wait"]["untimed"], a["wait"]["mean_min"]) == (5, 1, 3.0)
    assert (a["wait"]["median_min"], a["wait"]["p90_min"], a["wait"]["max_min"]) == (1, 10, 10)
    assert (b["wait"]["mean_min"], b["wait"]["median_min"], b["wait"]["p90_min"]) == \
        (11.5, 11.5, 16)  # (7 + 16) / 2; nearest rank ceil(1.8) = 2nd
    # served by the service that finished them: A002 A004 A001' A005 | B001 A001 B002
    assert (a["served"], a["no_show"], b["served"], b["unserved"]) == (4, 1, 3, 1)
    assert a["service"]["mean_min"] == 10.5  # (10 + 8 + 10 + 14) / 4
    assert b["service"]["mean_min"] == pytest.approx(37 / 3, abs=0.01)  # 11 + 17 + 9
    assert (a["waited_over_threshold"], b["waited_over_threshold"]) == (0, 2)
    # B002 waited 09:25 -> 09:40 with counters 2 and 3 paused; A always had counter 1 or 2
    assert (a["no_open_counter_min"], b["no_open_counter_min"]) == (0, 15)
    assert (a["ratings"]["response_rate"], b["ratings"]["response_rate"]) == \
        (0.5, pytest.approx(1 / 3, abs=1e-4))  # 2 of 4; 1 of 3


def test_counter_figures(worked: tuple[Any, list[dict[str, Any]]]) -> None:
    cfg, events = worked
    f = figures.summary(events, cfg, periods.day(DAY))
    c1, c2, c3 = (f["counters"][k] for k in "123")
    assert (c1["served"], c2["served"], c3["served"]) == (4, 0, 3)
    assert c2["no_show"] == 1 and c2["transfers_out"] == 1
    assert c1["pauses"] == {"break": 15} and c2["pauses"] == {"meeting": 40}  # 09:20-10:00
    assert c3["pauses"] == {"meeting": 20}  # 09:20 -> 09:40
    assert f["totals"]["pause_min"] == 75  # 15 + 40 + 20
    assert c2["late"] == [{"day": "2026-11-23", "counter": 2,
                           "opening": "2026-11-23T08:30:00+08:00",
                           "opened": "2026-11-23T08:40:00+08:00", "minutes": 10}]
    assert c1["late"] == [] and c3["late"] == [] and f["totals"]["late_openings"] == 1
    # busy: c1 10 + 8 + 10 + 14 = 42; open in hours 30 + (17:00 - 09:15 = 465) = 495,
    # plus 10 busy after 17:00 -> 505
    assert (c1["busy_min"], c1["staffed_min"]) == (42, 505)
    assert c1["utilisation"] == pytest.approx(42 / 505, abs=1e-4)
    # c2: busy 10 + 2; open 08:40-09:20 (40) + 10:00-11:02 (62) + 11:03-17:00 (357)
    assert (c2["busy_min"], c2["staffed_min"]) == (12, 459)
    # c3: busy 11 + 17 + 9; open 08:30-09:20 (50) + 09:40-17:00 (440)
    assert (c3["busy_min"], c3["staffed_min"]) == (37, 490)
    assert c1["wait"]["mean_min"] == pytest.approx(4 / 3, abs=0.01)  # A002 3, A004 0, A005 1
    assert c1["service"]["mean_min"] == 10.5 and c3["service"]["mean_min"] == \
        pytest.approx(37 / 3, abs=0.01)
    assert (c1["ratings"]["good"], c3["ratings"]["fair"]) == (2, 1)


def test_shifts_split_the_day(worked: tuple[Any, list[dict[str, Any]]]) -> None:
    cfg, events = worked
    one, two = (figures.summary(events, cfg, periods.shift(cfg, DAY, n))["totals"]
                for n in (1, 2))
    # issued before 12:30: A001-A004, B001, B002 and the wrong-clock A001 (its own time
    # is unknown: it is placed at the correction, 11:02)
    assert (one["issued"], two["issued"]) == (7, 2)  # two: B003, A005
    # the last shift runs on past 17:00, so A005 (finished 17:10) is on its sheet
    assert (one["served"], two["served"]) == (6, 1)
    assert (one["pause_min"], two["pause_min"]) == (75, 0)
    assert (one["unserved"], two["unserved"]) == (0, 1)  # B003 at handover
    assert two["wait"]["n"] == 1 and two["wait"]["max_min"] == 1  # A005


def test_no_duration_is_negative_or_beyond_a_day(
        worked: tuple[Any, list[dict[str, Any]]]) -> None:
    cfg, events = worked
    life = replay_day("2026-11-23", [e for e in events], cfg)
    spans = [tk.wait_s for tk in life.tickets] + [tk.service_s for tk in life.tickets]
    timed = [s for s in spans if s is not None]
    assert timed and all(0 <= s <= 24 * 3600 for s in timed)
    assert all(b.end >= b.start for b in life.busy)
    assert all(x.end >= x.start for x in life.counters)


def test_a_wrong_clock_day_alone_is_not_reported_as_a_day(
        worked: tuple[Any, list[dict[str, Any]]], tmp_path: Path) -> None:
    cfg, _ = worked
    with closing(load.connect(cfg.storage_path)) as conn:
        assert load.period_events(conn, periods.day(date(2030, 6, 3))) == []


def test_reinstated_no_show_is_served_with_its_first_wait(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    svc = service_factory(**SECTIONS)

    def do(m: int, cmd: c.Command) -> None:
        clock.set(at(2026, 11, 23, 9, m))
        assert isinstance(svc.submit(cmd, "test").result(timeout=10), Accepted)

    do(0, c.Issue("A"))
    do(4, c.CallNext(1))  # first wait 4
    do(5, c.Recall(1))  # a recall does not extend it
    do(6, c.NoShow(1))
    do(10, c.Reinstate("A001"))
    do(12, c.CallNext(1))
    do(20, c.Finish(1))  # service: the last call -> finish = 8
    t = figures.summary(svc.store.events(), svc.config, periods.day(DAY))["totals"]
    assert (t["served"], t["no_show"], t["reinstated"]) == (1, 0, 1)
    assert (t["wait"]["mean_min"], t["service"]["mean_min"]) == (4, 8)


def test_summary_is_plain_json(worked: tuple[Any, list[dict[str, Any]]]) -> None:
    import json

    cfg, events = worked
    f = figures.summary(events, cfg, periods.day(DAY))
    assert json.loads(json.dumps(f)) == f
    # no personal data can appear: only the fields the events hold and the config's names
    assert "ticket" not in json.dumps(f["totals"])


def test_make_config_takes_the_report_section() -> None:
    cfg = make_config(**SECTIONS)
    assert cfg.report is not None and cfg.report.wait_threshold_min == 10
    assert [periods.shift(cfg, DAY, n).start for n in (1, 2)] == [at(2026, 11, 23, 8, 30),
                                                                   at(2026, 11, 23, 12, 30)]


def test_work_after_midnight_belongs_to_its_business_day(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    """With hours 08:30-17:00 the Monday business day runs until Tuesday 08:30: a ticket
    issued at 16:59 Monday and finished at 00:30 Tuesday is Monday's, and counts as
    served after closing; Tuesday's report does not see it."""
    svc = service_factory(**SECTIONS)

    def do(d: int, h: int, m: int, cmd: c.Command) -> None:
        clock.set(at(2026, 11, d, h, m))
        assert isinstance(svc.submit(cmd, "test").result(timeout=10), Accepted)

    do(23, 16, 59, c.Issue("A"))
    do(23, 23, 50, c.CallNext(1))  # waited 6 h 51 min
    do(24, 0, 30, c.Finish(1))  # 40 minutes, across midnight
    do(24, 8, 40, c.Issue("A"))  # Tuesday's first ticket
    events = [e.to_dict() for day in ("2026-11-23", "2026-11-24")
              for e in svc.store.events(day)]
    monday = figures.summary(events, svc.config, periods.day(DAY))["totals"]
    assert (monday["issued"], monday["served"], monday["served_after_closing"]) == (1, 1, 1)
    assert monday["wait"]["max_min"] == 411  # 16:59 -> 23:50 = 6 * 60 + 51
    assert monday["service"]["mean_min"] == 40  # 23:50 -> 00:30
    tuesday = figures.summary(events, svc.config, periods.day(date(2026, 11, 24)))["totals"]
    assert (tuesday["issued"], tuesday["served"], tuesday["unserved"]) == (1, 0, 1)
