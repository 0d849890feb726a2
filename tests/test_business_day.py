"""Business days, opening hours and an untrustworthy clock."""

from __future__ import annotations

from datetime import timedelta

from kiosk import commands as c
from kiosk.core import hours
from kiosk.messages import rejection
from kiosk.service import Accepted
from tests.support import OFFICE, TZ, Desk, at, make_config


def issued(d: Desk, service: str = "A") -> str:
    return d.ok(c.Issue(service))[-1].ticket  # type: ignore[return-value]


def test_round_the_clock_branch_rolls_over_at_midnight(desk: Desk) -> None:
    desk.now = at(2026, 11, 23, 23, 59)
    assert issued(desk) == "A001"
    issued(desk)
    desk.now = at(2026, 11, 24, 0, 1)
    events = desk.ok(c.Issue("A"))
    assert [(e.type, e.day) for e in events] == [("day_started", "2026-11-24"),
                                                 ("issued", "2026-11-24")]
    assert events[-1].ticket == "A001"  # numbering starts again
    # history is kept: yesterday's tickets are still in the log
    assert [e.ticket for e in desk.log if e.type == "issued"] == ["A001", "A002", "A001"]
    assert [e.day for e in desk.log if e.type == "issued"] == ["2026-11-23"] * 2 + ["2026-11-24"]


def test_office_day_runs_from_opening_to_next_opening(office_desk: Desk) -> None:
    d = office_desk
    d.now = at(2026, 11, 23, 16, 59)
    assert issued(d) == "A001"
    d.now = at(2026, 11, 23, 17, 0)
    assert d.rejected(c.Issue("A")) == "outside_hours"
    # the 16:59 customer is still called and served after closing time
    d.now = at(2026, 11, 23, 17, 25)
    assert d.called(c.CallNext(1)) == "A001"
    d.now = at(2026, 11, 23, 17, 40)
    assert d.ok(c.Finish(1))[0].day == "2026-11-23"
    # after midnight, before opening: still Monday's business day, no new day
    d.now = at(2026, 11, 24, 0, 30)
    assert d.rejected(c.Issue("A")) == "outside_hours"
    assert d.state.day == "2026-11-23"
    d.now = at(2026, 11, 24, 8, 29, 59)
    assert d.rejected(c.Issue("A")) == "outside_hours"
    d.now = at(2026, 11, 24, 8, 30)
    events = d.ok(c.Issue("A"))
    assert (events[0].type, events[0].day, events[-1].ticket) == ("day_started", "2026-11-24",
                                                                  "A001")


def test_leftover_customers_after_closing_still_get_called() -> None:
    d = Desk(make_config(hours=OFFICE), at(2026, 11, 27, 16, 50))  # Friday
    for _ in range(3):
        issued(d, "B")
    d.now = at(2026, 11, 27, 18, 30)
    assert [d.called(c.CallNext(3)) for _ in range(3)] == ["B001", "B002", "B003"]
    # Saturday still belongs to Friday's business day (the branch is closed all weekend)
    d.now = at(2026, 11, 28, 11, 0)
    assert d.rejected(c.Issue("B")) == "outside_hours"
    assert d.state.day == "2026-11-27"


def test_clock_stepping_back_an_hour_never_repeats_a_number(desk: Desk) -> None:
    desk.now = at(2026, 11, 23, 11, 0)
    first = [issued(desk) for _ in range(3)]
    desk.now -= timedelta(hours=1)  # NTP steps the clock back
    later = [issued(desk) for _ in range(3)]
    assert first + later == ["A001", "A002", "A003", "A004", "A005", "A006"]
    # order of service follows issue order, not the (now earlier) timestamps
    assert [desk.called(c.CallNext(1)) for _ in range(6)] == first + later


def test_clock_stepping_back_across_midnight_never_reopens_the_finished_day(desk: Desk) -> None:
    desk.now = at(2026, 11, 24, 9, 0)
    assert issued(desk) == "A001"
    desk.now = at(2026, 11, 23, 15, 0)  # back into yesterday
    events = desk.ok(c.Issue("A"))
    assert [e.type for e in events] == ["issued"]
    assert (events[0].day, events[0].ticket) == ("2026-11-24", "A002")


def test_no_new_day_from_an_unsynchronised_clock(desk: Desk) -> None:
    desk.synced = False
    code = desk(c.Issue("A"))
    assert code.code == "clock_unsynced"  # type: ignore[union-attr]
    words = rejection(code)  # type: ignore[arg-type]
    assert "校准时间" in words.zh and "Please wait" in words.en
    assert desk.rejected(c.CallNext(1)) == "queue_empty"  # staff commands still answer
    assert desk.state.day is None
    desk.synced = True
    assert issued(desk) == "A001"
    # synced today; tomorrow the clock is unsynced again (after a reboot): no new day
    desk.synced = False
    desk.now = at(2026, 11, 24, 9, 0)
    assert desk.rejected(c.Issue("A")) == "clock_unsynced"
    assert desk.state.day == "2026-11-23"
    # within the current day an unsynced clock may still issue: numbers come from events
    desk.now = at(2026, 11, 23, 12, 0)
    assert issued(desk) == "A002"


def test_business_day_helper_in_other_zones() -> None:
    cfg = make_config(hours=OFFICE)
    utc_evening = at(2026, 11, 23, 23, 0).astimezone(TZ)
    assert hours.business_day(cfg.hours, TZ, utc_evening).isoformat() == "2026-11-23"
    assert hours.next_opening(cfg.hours, TZ, at(2026, 11, 23, 7, 0)) == at(2026, 11, 23, 8, 30)
    assert hours.is_open(cfg.hours, TZ, at(2026, 11, 23, 8, 30))
    assert not hours.is_open(cfg.hours, TZ, at(2026, 11, 23, 17, 0))


def test_clock_step_back_through_the_durable_service(service_factory, clock) -> None:
    svc = service_factory()
    clock.set(at(2026, 11, 23, 11, 0))
    ids = [svc.submit(c.Issue("C")).result().events[-1].ticket for _ in range(2)]
    svc.stop()
    svc.store.close()
    clock.set(at(2026, 11, 23, 10, 0))  # reboot, and the clock came back an hour early
    svc2 = service_factory()
    reply = svc2.submit(c.Issue("C")).result()
    assert isinstance(reply, Accepted)
    assert [*ids, reply.events[-1].ticket] == ["C001", "C002", "C003"]
