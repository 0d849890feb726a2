"""A clock that jumped forward and was corrected: back to the right day, no number twice.

Before this was fixed, one ticket issued while the clock read 2030-06-01 kept the kiosk in
that day for good: every later ticket went under 2030-06-01, numbering never restarted,
and the real day's events stayed empty, across restarts too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.core import Rejected
from kiosk.core.correction import CORRECTION_GRACE
from kiosk.service import Accepted, KioskService
from kiosk.store import Store
from tests.support import at, make_config

REAL_DAY, WRONG_DAY = "2026-11-23", "2030-06-01"


def ok(svc: KioskService, cmd: c.Command) -> Accepted:
    reply = svc.submit(cmd, "test").result(timeout=10)
    assert isinstance(reply, Accepted), reply
    return reply


def issue(svc: KioskService, service: str = "A") -> str:
    return ok(svc, c.Issue(service)).events[-1].ticket  # type: ignore[return-value]


def issued_numbers(svc: KioskService, day: str) -> list[str]:
    return [e.ticket for e in svc.store.events(day) if e.type == "issued"]  # type: ignore[misc]


def test_forward_jump_is_undone_once_the_clock_is_right(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    svc = service_factory()
    assert [issue(svc) for _ in range(3)] == ["A001", "A002", "A003"]
    for _ in range(3):
        ok(svc, c.CallNext(1))
    ok(svc, c.Finish(1))
    clock.set(at(2030, 6, 1, 10))  # someone typed the wrong year
    assert [issue(svc) for _ in range(2)] == ["A001", "A002"]  # a new (wrong) day
    assert svc.status.day == WRONG_DAY

    clock.set(at(2026, 11, 23, 10, 30))  # time server back, or the typo fixed
    reply = ok(svc, c.Issue("A"))
    corrected = reply.events[0]
    assert corrected.type == "clock_corrected"
    assert (corrected.day, corrected.data["from_day"]) == (REAL_DAY, WRONG_DAY)
    # numbering goes on after every number handed out that day, wrong clock or not
    assert corrected.data["floor"]["A"] == 3
    assert reply.events[-1].ticket == "A004"
    assert svc.status.day == REAL_DAY
    # the two customers who took a number under the wrong clock are still in the queue
    assert [t["id"] for t in corrected.data["carried"]] == ["A001", "A002"]
    assert issued_numbers(svc, REAL_DAY) == ["A001", "A002", "A003", "A004"]
    assert [e.type for e in svc.store.events(REAL_DAY)][-2:] == ["clock_corrected", "issued"]
    # the queue: the carried customers first (they took their numbers earlier), then A004
    assert [ok(svc, c.CallNext(2)).events[-1].ticket for _ in range(3)] == \
        ["A001", "A002", "A004"]


def test_the_correction_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    cfg = make_config(tmp_path)

    def started() -> KioskService:
        svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
        svc.start()
        return svc

    svc = started()
    issue(svc)
    clock.set(at(2030, 6, 1, 10))
    issue(svc)
    clock.set(at(2026, 11, 23, 11))
    assert issue(svc) == "A002"
    svc.stop()
    svc.store.close()

    svc = started()
    try:
        assert svc.status.day == REAL_DAY  # not the far-future day with the highest date
        assert issue(svc) == "A003"
        assert issued_numbers(svc, REAL_DAY) == ["A001", "A002", "A003"]
        clock.set(at(2026, 11, 24, 9))  # and the next real day starts as usual
        assert issue(svc) == "A001"
    finally:
        svc.stop()
        svc.store.close()


def test_small_step_back_keeps_the_current_day(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    svc = service_factory()  # open round the clock: the day starts at midnight
    clock.set(at(2026, 11, 24, 0, 0, 30))
    assert issue(svc) == "A001"
    step = CORRECTION_GRACE / 2
    clock.set(at(2026, 11, 24, 0, 0, 30) - step)  # NTP steps back across midnight
    reply = ok(svc, c.Issue("A"))
    assert [e.type for e in reply.events] == ["issued"]
    assert (reply.events[0].day, reply.events[0].ticket) == ("2026-11-24", "A002")


def test_an_unsynchronised_clock_never_moves_the_day(tmp_path: Path) -> None:
    clock = FakeClock(at(2030, 6, 1, 10))
    cfg = make_config(tmp_path)
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    svc.start()
    try:
        assert issue(svc) == "A001"
        clock.set(at(2026, 11, 23, 10), synced=False)
        reply = svc.submit(c.Issue("A"), "test").result(timeout=10)
        assert isinstance(reply, Accepted)
        assert [e.type for e in reply.events] == ["issued"]
        assert reply.events[0].day == WRONG_DAY  # wait for a clock we can trust
        clock.set(at(2026, 11, 23, 10, 5), synced=True)
        assert ok(svc, c.GetStatus()).status.day == WRONG_DAY  # queries change nothing
        assert ok(svc, c.Issue("A")).events[0].type == "clock_corrected"
    finally:
        svc.stop()
        svc.store.close()


def test_counters_and_customers_are_carried_as_they_stand(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    svc = service_factory()
    issue(svc, "B")  # B001 of the real day, still waiting when the clock jumps
    clock.set(at(2030, 6, 1, 10))
    issue(svc, "A")
    issue(svc, "A")
    assert ok(svc, c.CallNext(1)).events[-1].ticket == "A001"  # being served
    ok(svc, c.Pause(4, reason="break"))
    clock.set(at(2026, 11, 23, 12))
    status = ok(svc, c.Issue("C")).status
    counters = {x.id: x for x in status.counters}
    assert counters[1].current == "A001"  # the customer at counter 1 is still there
    assert counters[4].status == "paused"
    # B001 was waiting before the jump: nobody could call it in the wrong day, so it is
    # back in its queue. A002 is carried. Their A001 does not clash: the real day had none.
    waiting = {s.prefix: s.next_tickets for s in status.services}
    assert waiting["A"][:1] == ("A002",)
    assert waiting["B"][:1] == ("B001",)
    assert ok(svc, c.CallNext(1)).events[-1].ticket == "A002"  # finishes A001, calls A002


def test_a_clashing_number_is_reported_not_merged(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    svc = service_factory()
    issue(svc)  # A001 of the real day, still waiting
    clock.set(at(2030, 6, 1, 10))
    issue(svc)  # A001 again, in the wrong day
    clock.set(at(2026, 11, 23, 11))
    corrected = ok(svc, c.Issue("A")).events[0]
    assert corrected.data["not_carried"] == ["A001"]
    assert corrected.data["carried"] == []
    assert [s.waiting for s in svc.status.services if s.prefix == "A"] == [2]


def test_rejected_commands_still_correct_the_day(
        service_factory: Callable[..., KioskService], clock: FakeClock) -> None:
    svc = service_factory()
    clock.set(at(2030, 6, 1, 10))
    issue(svc)
    clock.set(at(2026, 11, 23, 10))
    assert isinstance(svc.submit(c.Finish(1), "test").result(timeout=10), Rejected)
    assert svc.status.day == REAL_DAY  # the correction was recorded before the rejection
