"""The queue rules, one at a time, through the pure core (decide + apply)."""

from __future__ import annotations

from kiosk import commands as c
from kiosk.core.state import CLOSED, NO_SHOW, PAUSED, WAITING
from kiosk.messages import rejection
from tests.support import Desk, at, make_config


def test_numbers_are_per_service_and_zero_padded(desk: Desk) -> None:
    ids = [desk.ok(c.Issue(s))[-1].ticket for s in "AABCA"]
    assert ids == ["A001", "A002", "B001", "C001", "A003"]


def test_number_width_is_configurable() -> None:
    d = Desk(make_config(queue={"number_digits": 4}), at(2026, 11, 23))
    assert d.ok(c.Issue("B"))[-1].ticket == "B0001"


def test_first_command_of_the_day_starts_it(desk: Desk) -> None:
    events = desk.ok(c.Issue("A"))
    assert [e.type for e in events] == ["day_started", "issued"]
    assert events[0].day == "2026-11-23"
    assert [e.type for e in desk.ok(c.Issue("A"))] == ["issued"]


def test_call_next_is_fifo_across_the_services_of_a_fifo_counter() -> None:
    d = Desk(make_config(counters=[{"id": 1, "services": ["A", "B", "C"]}]), at(2026, 11, 23))
    for s in "CBAC":
        d.ok(c.Issue(s))
    assert [d.called(c.CallNext(1)) for _ in range(4)] == ["C001", "B001", "A001", "C002"]


def test_preference_counter_takes_its_first_service_while_anyone_waits(desk: Desk) -> None:
    # counter 1 serves A first, then C
    desk.ok(c.Issue("C"))
    desk.ok(c.Issue("A"))
    desk.ok(c.Issue("A"))
    assert desk.called(c.CallNext(1)) == "A001"
    assert desk.called(c.CallNext(1)) == "A002"
    assert desk.called(c.CallNext(1)) == "C001"


def test_call_next_finishes_the_current_customer(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    desk.ok(c.Issue("B"))
    desk.ok(c.CallNext(3))
    events = desk.ok(c.CallNext(3))
    assert [(e.type, e.ticket) for e in events] == [("finished", "B001"), ("called", "B002")]
    # nobody left: the current one is finished and the counter becomes free
    assert [e.type for e in desk.ok(c.CallNext(3))] == ["finished"]
    assert desk.state.counters[3].current is None
    assert desk.rejected(c.CallNext(3)) == "queue_empty"


def test_priority_goes_first_and_is_limited_in_a_row() -> None:
    d = Desk(make_config(queue={"priority_streak_limit": 2}), at(2026, 11, 23))
    d.ok(c.Issue("B"))
    for reason in ("elderly", "disabled", "urgent"):
        d.ok(c.Issue("B", priority=reason))
    issued = d.log[-1]
    assert issued.data["priority"] == "urgent"
    # two priority tickets, then the ordinary one gets its turn, then priority again
    assert [d.called(c.CallNext(3)) for _ in range(4)] == ["B002", "B003", "B001", "B004"]


def test_priority_needs_a_known_reason(desk: Desk) -> None:
    assert desk.rejected(c.Issue("A", priority="vip")) == "priority_reason_invalid"
    assert desk.rejected(c.Issue("A", priority="")) == "priority_reason_invalid"


def test_recall_counts_then_becomes_no_show(desk: Desk) -> None:
    desk.ok(c.Issue("A"))
    desk.ok(c.CallNext(1))
    assert desk.ok(c.Recall(1))[0].data == {"recalls": 1}
    assert desk.ok(c.Recall(1))[0].data == {"recalls": 2}
    last = desk.ok(c.Recall(1))[0]
    assert (last.type, last.data["why"]) == ("no_show", "recall_limit")
    assert desk.state.tickets["A001"].status == NO_SHOW
    assert desk.state.counters[1].current is None


def test_clerk_can_mark_no_show_and_customer_is_reinstated_at_the_head(desk: Desk) -> None:
    for _ in range(3):
        desk.ok(c.Issue("A"))
    desk.ok(c.CallNext(1))
    assert desk.ok(c.NoShow(1))[0].data["why"] == "clerk"
    desk.ok(c.Reinstate("a001"))
    t = desk.state.tickets["A001"]
    assert (t.status, t.recalls) == (WAITING, 0)
    assert desk.called(c.CallNext(2)) == "A001"  # ahead of A002 and A003
    assert desk.called(c.CallNext(2)) == "A002"


def test_reinstate_only_no_show_tickets(desk: Desk) -> None:
    desk.ok(c.Issue("A"))
    assert desk.rejected(c.Reinstate("A001")) == "not_no_show"
    assert desk.rejected(c.Reinstate("A999")) == "no_such_ticket"


def test_transfer_to_service_keeps_the_original_place(desk: Desk) -> None:
    desk.ok(c.Issue("A"))  # A001, issued first
    desk.ok(c.Issue("B"))
    desk.ok(c.Issue("B"))
    desk.ok(c.CallNext(1))
    ev = desk.ok(c.Transfer(1, to_service="B"))[0]
    assert ev.data == {"from_service": "A", "to_service": "B", "from_counter": 1,
                       "to_counter": None}
    assert desk.state.counters[1].current is None
    assert desk.called(c.CallNext(3)) == "A001"  # ahead of B001: it was issued first


def test_transfer_to_counter_pins_the_ticket_to_that_counter(desk: Desk) -> None:
    desk.ok(c.Issue("A"))
    desk.ok(c.Issue("C"))
    desk.ok(c.CallNext(1))
    desk.ok(c.Transfer(1, to_counter=4))  # counter 4 serves only C, but was asked to help
    desk.ok(c.Issue("C"))
    # A001 is older than C001, but it now belongs to counter 4 only
    assert desk.called(c.CallNext(2)) == "C001"
    assert desk.called(c.CallNext(4)) == "A001"
    assert desk.called(c.CallNext(4)) == "C002"


def test_transfer_needs_exactly_one_target_that_is_valid(desk: Desk) -> None:
    desk.ok(c.Issue("A"))
    assert desk.rejected(c.Transfer(1, to_service="B")) == "no_current_ticket"
    desk.ok(c.CallNext(1))
    assert desk.rejected(c.Transfer(1)) == "transfer_target_missing"
    assert desk.rejected(c.Transfer(1, to_service="B", to_counter=3)) == "transfer_target_missing"
    assert desk.rejected(c.Transfer(1, to_service="A")) == "transfer_same"
    assert desk.rejected(c.Transfer(1, to_service="Z")) == "no_such_service"
    assert desk.rejected(c.Transfer(1, to_counter=1)) == "transfer_same"
    assert desk.rejected(c.Transfer(1, to_counter=42)) == "no_such_counter"
    desk.ok(c.Pause(4))
    assert desk.rejected(c.Transfer(1, to_counter=4)) == "transfer_target_not_open"


def test_a_paused_or_closed_counter_takes_no_calls(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    desk.ok(c.Pause(3, reason="午休", redirect=None))
    assert desk.rejected(c.CallNext(3)) == "counter_paused"
    desk.ok(c.Resume(3))
    desk.ok(c.Close(3))
    assert desk.rejected(c.CallNext(3)) == "counter_closed"
    assert desk.rejected(c.Resume(3)) == "not_paused"
    desk.ok(c.Open(3))
    assert desk.called(c.CallNext(3)) == "B001"


def test_pause_is_refused_while_serving(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    desk.ok(c.CallNext(3))
    assert desk.rejected(c.Pause(3)) == "counter_busy"
    assert desk.rejected(c.Close(3)) == "counter_busy"
    desk.ok(c.Finish(3))
    assert desk.ok(c.Pause(3))[0].type == "paused"


def test_pause_that_strands_a_service_is_allowed_but_says_so(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    ev = desk.ok(c.Pause(3, reason="临时离开", redirect=1))[0]
    assert ev.data["stranded"] == ["B"]
    assert (ev.data["reason"], ev.data["redirect"]) == ("临时离开", 1)
    assert desk.state.counters[3].status == PAUSED
    # counter 1 serves A and C: nothing stranded for A while 2 is open
    desk.ok(c.Issue("A"))
    assert desk.ok(c.Pause(1))[0].data["stranded"] == []


def test_pause_redirect_must_be_another_open_counter(desk: Desk) -> None:
    assert desk.rejected(c.Pause(1, redirect=1)) == "redirect_invalid"
    assert desk.rejected(c.Pause(1, redirect=99)) == "redirect_invalid"
    desk.ok(c.Close(2))
    assert desk.rejected(c.Pause(1, redirect=2)) == "redirect_invalid"
    assert desk.state.counters[2].status == CLOSED


def test_pausing_a_counter_hands_its_pinned_customers_on(desk: Desk) -> None:
    desk.ok(c.Issue("A"))
    desk.ok(c.CallNext(1))
    desk.ok(c.Transfer(1, to_counter=4))
    ev = desk.ok(c.Pause(4, redirect=2))[0]
    assert ev.data["repinned"] == ["A001"]
    assert desk.called(c.CallNext(2)) == "A001"


def test_closing_unpins_so_nobody_is_stranded(desk: Desk) -> None:
    desk.ok(c.Issue("A"))
    desk.ok(c.CallNext(1))
    desk.ok(c.Transfer(1, to_counter=4))
    desk.ok(c.Close(4))
    assert desk.called(c.CallNext(1)) == "A001"


def test_service_closed_when_every_counter_serving_it_is_closed(desk: Desk) -> None:
    desk.ok(c.Close(3))
    assert desk.rejected(c.Issue("B")) == "service_closed"
    desk.ok(c.Open(3))
    desk.ok(c.Pause(3))
    assert desk.ok(c.Issue("B"))[-1].ticket == "B001"  # paused is temporary: still issue


def test_unknown_service_and_counter(desk: Desk) -> None:
    assert desk.rejected(c.Issue("Z")) == "no_such_service"
    assert desk.rejected(c.CallNext(9)) == "no_such_counter"
    assert desk.rejected(c.Recall(9)) == "no_such_counter"
    assert desk.rejected(c.Finish(1)) == "no_current_ticket"


def test_issue_reports_people_ahead_and_a_wait_estimate(desk: Desk) -> None:
    for _ in range(3):
        desk.ok(c.Issue("B"))
    ev = desk.ok(c.Issue("B"))[-1]
    # 3 ahead x 12 minutes, one open counter (3) serving B
    assert (ev.data["ahead"], ev.data["wait_minutes"]) == (3, 36)
    pri = desk.ok(c.Issue("B", priority="elderly"))[-1]
    assert pri.data["ahead"] == 0


def test_outside_hours_rejection_names_the_next_opening(office_desk: Desk) -> None:
    office_desk.now = at(2026, 11, 27, 17, 0)  # Friday, 17:00 sharp: closed
    result = office_desk(c.Issue("A"))
    assert result.code == "outside_hours"  # type: ignore[union-attr]
    msg = rejection(result)  # type: ignore[arg-type]
    assert "11月30日（周一）08:30" in msg.zh and "Mon 30 Nov at 08:30" in msg.en
    office_desk.now = at(2026, 11, 24, 7, 0)
    assert "今天 08:30" in rejection(office_desk(c.Issue("A"))).zh  # type: ignore[arg-type]
    office_desk.now = at(2026, 11, 24, 16, 59, 59)
    assert office_desk.ok(c.Issue("A"))[-1].ticket == "A001"


def test_holidays_and_special_days(tmp_path) -> None:
    cfg = make_config(hours={"holidays": ["2026-11-25"], "special": {"2026-11-29": ["09:00-12:00"]},
                             **{d: ["08:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                             "sat": [], "sun": []})
    d = Desk(cfg, at(2026, 11, 25, 10))  # Wednesday, a holiday
    assert d.rejected(c.Issue("A")) == "outside_hours"
    d.now = at(2026, 11, 29, 10)  # Sunday, a special working day
    assert d.ok(c.Issue("A"))[-1].day == "2026-11-29"


def test_device_status_changes_only(desk: Desk) -> None:
    assert desk.ok(c.ReportDevice("printer", "paper_low"))[-1].data["status"] == "paper_low"
    assert desk.ok(c.ReportDevice("printer", "paper_low")) == []
    assert desk.rejected(c.ReportDevice("printer", "on_fire")) == "bad_device_status"
    assert desk.state.devices["printer"]["status"] == "paper_low"


def test_rating_attaches_once_to_the_ticket_just_finished(desk: Desk) -> None:
    assert desk.rejected(c.Rate(3, "good")) == "no_recent_ticket"
    desk.ok(c.Issue("B"))
    desk.ok(c.CallNext(3))
    desk.ok(c.Finish(3))
    assert desk.rejected(c.Rate(3, "excellent")) == "bad_score"
    ev = desk.ok(c.Rate(3, "good"))[0]
    assert (ev.type, ev.ticket, ev.data["score"]) == ("rated", "B001", "good")
    assert desk.rejected(c.Rate(3, "poor")) == "already_rated"


def test_rating_window_expires(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    desk.ok(c.CallNext(3))
    desk.ok(c.Finish(3))
    desk.now = at(2026, 11, 23, 10, 2, 1)  # 121 s later, window is 120 s
    assert desk.rejected(c.Rate(3, "good")) == "no_recent_ticket"


def test_rejections_leave_the_state_untouched(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    desk.ok(c.CallNext(3))
    before = repr(desk.state)
    for cmd in (c.Pause(3), c.Issue("Z"), c.Transfer(3, to_service="B"), c.Reinstate("B001")):
        desk.rejected(cmd)
    assert repr(desk.state) == before
