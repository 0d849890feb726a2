"""The status snapshot is built after every command, so it must not sort the queue; it
must still show exactly who is next, in calling order, whatever happened before."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import commands as c
from kiosk.core import Rejected
from kiosk.core.state import State
from kiosk.status import first_waiting, snapshot
from tests.support import Desk, at, make_config
from tests.test_core_properties import CONFIGS, steps


def naive_first(s: State, prefix: str, k: int) -> tuple[str, ...]:
    """Everyone waiting for ``prefix``, sorted: the obvious, slow answer."""
    return tuple(t.id for t in sorted(s.waiting[prefix].values(), key=lambda t: t.key())[:k])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(CONFIGS)), steps, st.integers(1, 8))
def test_the_preview_matches_a_full_sort_after_any_history(
        config_name: str, history: list, k: int) -> None:
    d = Desk(CONFIGS[config_name], at(2026, 11, 23, 9))
    when: datetime = d.now
    for cmd, move in history:
        when += move
        d.now = when
        d(cmd)
        for prefix in d.state.config.services:
            assert first_waiting(d.state, prefix, k) == naive_first(d.state, prefix, k), \
                (prefix, cmd)


def test_a_long_queue_shows_its_head() -> None:
    d = Desk(make_config(), at(2026, 11, 23, 9))
    for _ in range(3000):
        d.ok(c.Issue("A"))
    for _ in range(1000):
        d.called(c.CallNext(1))
    view = snapshot(d.state).service("A")
    assert view is not None
    assert view.waiting == 2000
    assert view.next_tickets == ("A1001", "A1002", "A1003", "A1004", "A1005")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(CONFIGS)), steps)
def test_the_incremental_snapshot_equals_a_full_one_after_any_history(
        config_name: str, history: list) -> None:
    d = Desk(CONFIGS[config_name], at(2026, 11, 23, 9))
    status = snapshot(d.state)
    when: datetime = d.now
    for cmd, move in history:
        when += move
        d.now = when
        result = d(cmd)
        events = [] if isinstance(result, Rejected) else result
        status = snapshot(d.state, prev=status, events=events)
        assert status == snapshot(d.state), (cmd, [e.type for e in events])
    # device reports, which the strategies above do not make
    result = d(c.ReportDevice("printer", "paper_low", "near end"))
    status = snapshot(d.state, prev=status, events=[] if isinstance(result, Rejected)
                      else result)
    assert status == snapshot(d.state)


def test_each_kind_of_event_updates_what_it_touches() -> None:
    d = Desk(make_config(), at(2026, 11, 23, 9))
    status = snapshot(d.state)
    script = [
        c.Issue("A"), c.Issue("A"), c.Issue("B"), c.Issue("C", "elderly"),
        c.CallNext(1), c.Recall(1), c.NoShow(1), c.Reinstate("A001"), c.CallNext(2),
        c.Transfer(2, to_service="C"), c.CallNext(4), c.Transfer(4, to_counter=1),
        c.Pause(3, reason="break", redirect=None), c.Resume(3), c.Close(3), c.Open(3),
        c.CallNext(3), c.Finish(3), c.ReportDevice("printer", "paper_out", "end"),
        c.CallNext(1), c.CallNext(1),
    ]
    for cmd in script:
        result = d(cmd)
        assert not isinstance(result, Rejected), (cmd, result)
        status = snapshot(d.state, prev=status, events=result)
        assert status == snapshot(d.state), cmd
