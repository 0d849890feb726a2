"""Hypothesis properties over random command sequences, checked after every step.

The oracle for "who is next" is written independently of kiosk.core.queue, from the
rules as the branch states them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import commands as c
from kiosk.core import Rejected, State, queue, replay
from kiosk.core.state import OPEN, WAITING
from kiosk.messages import rejection
from tests.support import OFFICE, Desk, at, make_config

COUNTERS = [1, 2, 3, 4, 5]
SERVICES = ["A", "B", "C", "Z"]  # Z does not exist: bad input must be rejected cleanly

counter = st.sampled_from([1, 1, 2, 2, 3, 4, 4, 5])  # 5 does not exist
issue = st.builds(c.Issue, st.sampled_from("ABC"),
                  st.one_of(st.none(), st.none(), st.sampled_from(["elderly", "urgent"])))
call = st.builds(c.CallNext, counter)
# sampled_from picks uniformly, so repeating a strategy weights it: mostly issue and call
commands = st.sampled_from([
    issue, issue, issue, issue, call, call, call, call,
    st.builds(c.Issue, st.sampled_from(SERVICES), st.sampled_from([None, "vip", ""])),
    st.builds(c.Recall, counter),
    st.builds(c.NoShow, counter),
    st.builds(c.Finish, counter),
    st.builds(c.Reinstate, st.sampled_from(["A001", "A002", "B001", "C001", "C002"])),
    st.builds(c.Transfer, counter, st.one_of(st.none(), st.sampled_from(SERVICES))),
    st.builds(lambda k, n: c.Transfer(k, to_counter=n), counter, counter),
    st.builds(lambda k, n: c.Transfer(k, to_counter=n), counter, counter),
    st.builds(c.Pause, counter, st.none(), st.one_of(st.none(), counter)),
    st.builds(c.Resume, counter),
    st.builds(c.Open, counter),
    st.builds(c.Close, counter),
]).flatmap(lambda strategy: strategy)
# time moves: minutes forward, hours forward (crosses closing, midnight, opening), or back
moves = st.sampled_from([
    st.just(timedelta(0)), st.just(timedelta(0)), st.just(timedelta(0)), st.just(timedelta(0)),
    st.integers(0, 30).map(lambda m: timedelta(minutes=m)),
    st.integers(0, 30).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 20).map(lambda h: timedelta(hours=h)),
    st.integers(1, 90).map(lambda m: timedelta(minutes=-m)),
]).flatmap(lambda strategy: strategy)
steps = st.lists(st.tuples(commands, moves), min_size=20, max_size=150)
CONFIGS = {
    "round_the_clock": make_config(),
    "office": make_config(hours=OFFICE, queue={"priority_streak_limit": 1}, counters=[
        {"id": 1, "services": ["A", "C"], "policy": "preference"},
        {"id": 2, "services": ["A", "B", "C"]},
        {"id": 3, "services": ["B"]},
        {"id": 4, "services": ["C", "A"], "policy": "preference"},
    ]),
}


def canon(s: State) -> dict[str, Any]:
    return {
        "day": s.day,
        "tickets": {k: asdict(t) for k, t in s.tickets.items()},
        "waiting": {k: sorted(q) for k, q in s.waiting.items()},
        "last_number": s.last_number, "issued": s.issued, "reinstated": s.reinstated,
        "counters": {k: asdict(v) for k, v in s.counters.items()},
        "devices": s.devices, "rated": sorted(s.rated),
    }


def oracle_next(s: State, cid: int) -> str | None:
    """Who the branch's rules say counter ``cid`` should call next."""
    cfg = s.config.counters[cid]
    waiting = [t for t in s.tickets.values() if t.status == WAITING]
    mine = [t for t in waiting
            if t.pinned == cid or (t.pinned is None and t.service in cfg.services)]
    if not mine:
        return None

    def rank(t: Any) -> tuple[int, int]:
        if t.head is not None:
            return (0, t.head)  # reinstated: head of the queue, in reinstatement order
        return (1, t.order) if t.priority else (2, t.order)

    if s.counters[cid].priority_streak >= s.config.rules.priority_streak_limit:
        ordinary = [t for t in mine if t.head is not None or not t.priority]
        mine = ordinary or mine
    if cfg.policy == "preference":
        pinned = [t for t in mine if t.pinned == cid]
        for group in [pinned] + [[t for t in mine if t.service == sv] for sv in cfg.services]:
            if group:
                return min(group, key=rank).id
    return min(mine, key=rank).id


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(sorted(CONFIGS)), plan=steps)
def test_invariants_hold_for_any_sequence(which: str, plan: list[tuple[Any, timedelta]]) -> None:
    cfg = CONFIGS[which]
    desk = Desk(cfg, at(2026, 11, 23, 9, 0))
    seen: set[tuple[str, str]] = set()
    last_number: dict[tuple[str, str], int] = {}
    highest_day = ""
    for cmd, move in plan:
        before = desk.state
        expected = oracle_next(before, cmd.counter) if (
            isinstance(cmd, c.CallNext) and cmd.counter in before.counters
            ) else None
        orders_before = {k: (t.order, t.issued_at) for k, t in before.tickets.items()}
        counter_status = {k: v.status for k, v in before.counters.items()}
        result = desk(cmd)
        desk.now += move
        if isinstance(result, Rejected):
            assert rejection(result).zh and rejection(result).en
            continue
        for e in result:
            if e.type == "day_started":
                # a new day never goes backwards, whatever the clock did
                assert e.day > highest_day
                highest_day = e.day
                counter_status = {k: v.start for k, v in cfg.counters.items()}
                expected = None
            elif e.type == "issued":
                key = (e.day, e.ticket)
                assert key not in seen, f"number {e.ticket} repeated on {e.day}"
                seen.add(key)
                n = e.data["number"]
                assert n == last_number.get((e.day, e.service), 0) + 1
                last_number[(e.day, e.service)] = n
            elif e.type == "called":
                assert counter_status[e.counter] == OPEN, "a paused/closed counter got a ticket"
                if expected is not None and isinstance(cmd, c.CallNext):
                    assert e.ticket == expected, "call-next skipped the oldest eligible ticket"
            elif e.type == "transferred":
                t = desk.state.tickets[e.ticket]
                assert (t.order, t.issued_at) == orders_before[e.ticket], "transfer lost place"
                assert t.status == WAITING
        # the selection rule agrees with the oracle for every counter, in every state reached
        for cid in desk.state.counters:
            got = queue.pick_next(desk.state, cid)
            assert (got.id if got else None) == oracle_next(desk.state, cid)
        if len(desk.log) % 7 == 0:
            assert canon(replay(cfg, desk.log)) == canon(desk.state)
    # replaying everything logged reproduces the live state exactly
    assert canon(replay(cfg, desk.log)) == canon(desk.state)
    # nobody is lost: every ticket of the current day is in exactly one place
    s = desk.state
    for t in s.tickets.values():
        in_queue = t.id in s.waiting[t.service]
        at_counter = any(cs.current == t.id for cs in s.counters.values())
        assert in_queue == (t.status == WAITING)
        assert at_counter == (t.status == "called")
