"""The status snapshot is built after every command, so it must not sort the queue; it
must still show exactly who is next, in calling order, whatever happened before."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import commands as c
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
