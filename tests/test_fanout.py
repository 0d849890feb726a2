"""One bounded queue per subscriber: a deliberately slow subscriber never blocks the
worker, its overflow drops the oldest events and is reported as a device event (once per
episode, and again when it has caught up), and ``waited()`` tells a subscriber how long
an event queued for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.audio import clips
from drivers.audio.pack import ClipPack
from drivers.audio.sinks import WavDirSink
from drivers.audio.spec import AudioSpec
from drivers.audio.voice import Voice
from kiosk import commands as c
from kiosk import fanout
from kiosk.events import Event
from kiosk.service import KioskService
from kiosk.status import Status
from tests.hw_fakes import Recorder
from tests.support import TZ, wait_for

HANG = 30.0  # generous: only there to turn a hang into a failure


class Gated:
    """A subscriber that stops at its first event until the test opens the gate."""

    name = "slow"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.seen: list[Event] = []
        self.waits: list[float] = []
        self.closed = False

    def handle(self, event: Event, status: Status) -> None:
        self.waits.append(fanout.waited())
        self.entered.set()
        assert self.gate.wait(HANG), "the test never opened the gate"
        self.seen.append(event)

    def close(self) -> None:
        self.closed = True


def issued(n: int) -> Event:
    return Event("issued", "2026-11-23T10:00:00+08:00", "2026-11-23", ticket=f"A{n:03d}",
                 service="A", seq=n)


def offer_all(outlet: fanout.Outlet, events: list[Event]) -> None:
    """Offer from another thread, so an offer that blocks fails the test, not hangs it."""
    t = threading.Thread(target=lambda: [outlet.offer(e, None) for e in events],  # type: ignore[arg-type, func-returns-value]
                         daemon=True)
    t.start()
    t.join(HANG)
    assert not t.is_alive(), "offer() blocked the worker"


@pytest.fixture
def gated() -> Iterator[tuple[Gated, fanout.Outlet, Recorder, list[tuple[str, Exception]]]]:
    sub, reports, errors = Gated(), Recorder(), []
    outlet = fanout.Outlet(sub, lambda n, e: errors.append((n, e)), maxsize=3, submit=reports)
    outlet.start()
    yield sub, outlet, reports, errors
    sub.gate.set()
    outlet.stop(5)


def queue_reports(reports: Recorder) -> list[c.ReportDevice]:
    return reports.of(c.ReportDevice)


def test_an_overflow_drops_the_oldest_and_is_reported_once_then_cleared(
        gated: tuple[Gated, fanout.Outlet, Recorder, list[Any]]) -> None:
    sub, outlet, reports, errors = gated
    outlet.offer(issued(1), None)  # type: ignore[arg-type]
    assert sub.entered.wait(HANG)  # A001 is being handled: the queue holds 3 more
    offer_all(outlet, [issued(n) for n in range(2, 11)])  # 9 offers: 6 have no room
    assert outlet.dropped == 6
    [start] = queue_reports(reports)  # six drops, one report
    assert (start.device, start.status) == ("slow:queue", "error")
    assert "seq 2" in start.detail and "A002" in start.detail
    sub.gate.set()
    # the newest survive, in order: the hall as it is now, not a frozen past
    assert wait_for(lambda: [e.ticket for e in sub.seen] == ["A001", "A008", "A009", "A010"])
    assert wait_for(lambda: len(queue_reports(reports)) == 2)
    end = queue_reports(reports)[1]
    assert (end.device, end.status) == ("slow:queue", "ok")
    assert "6 events dropped (seq 2..7)" in end.detail
    assert "A002 A003 A004 A005 A006 A007" in end.detail
    assert errors == []

    # a second episode is reported again
    sub.gate.clear()
    sub.entered.clear()
    outlet.offer(issued(11), None)  # type: ignore[arg-type]
    assert sub.entered.wait(HANG)
    offer_all(outlet, [issued(n) for n in range(12, 17)])
    assert [r.status for r in queue_reports(reports)] == ["ok" if i % 2 else "error"
                                                        for i in range(3)]
    sub.gate.set()
    assert wait_for(lambda: [r.status for r in queue_reports(reports)][-1] == "ok")
    assert "2 events dropped (seq 12..13)" in queue_reports(reports)[-1].detail


def test_without_a_submit_an_overflow_reaches_on_error() -> None:
    sub, errors = Gated(), []
    outlet = fanout.Outlet(sub, lambda n, e: errors.append((n, e)), maxsize=1)
    outlet.start()
    try:
        outlet.offer(issued(1), None)  # type: ignore[arg-type]
        assert sub.entered.wait(HANG)
        offer_all(outlet, [issued(n) for n in range(2, 6)])
        [(name, exc)] = errors
        assert name == "slow:queue" and isinstance(exc, fanout.EventsDropped)
        assert "dropping the oldest" in str(exc)
    finally:
        sub.gate.set()
        outlet.stop(5)
    assert sub.closed


def test_waited_is_how_long_the_event_queued(
        gated: tuple[Gated, fanout.Outlet, Recorder, list[Any]]) -> None:
    sub, outlet, _, _ = gated
    assert fanout.waited() == 0.0  # not on a fan-out thread
    outlet.offer(issued(1), None)  # type: ignore[arg-type]
    assert sub.entered.wait(HANG)
    outlet.offer(issued(2), None)  # type: ignore[arg-type]
    time.sleep(0.3)  # A002 waits at least this long behind A001
    sub.gate.set()
    assert wait_for(lambda: len(sub.waits) == 2)
    assert sub.waits[1] >= 0.3


def test_a_slow_subscriber_behind_the_service_is_a_device_event(
        service_factory: Callable[..., KioskService]) -> None:
    sub = Gated()
    svc = service_factory([sub])
    outlet = svc._outlets[0]
    outlet.maxsize = outlet.queue.maxsize = 2  # a small queue: a few tickets overflow it
    svc.submit(c.Issue("A")).result(HANG)  # day_started: the subscriber is stuck on it
    assert sub.entered.wait(HANG)
    for _ in range(5):
        svc.submit(c.Issue("A")).result(HANG)  # never held up by the stuck subscriber
    assert svc.status.issued_today == 6  # every ticket exists
    assert wait_for(lambda: svc.status.devices.get("slow:queue", {}).get("status") == "error")
    faults = [e for e in svc.store.events() if e.type == "device_status"]
    assert [e.data["device"] for e in faults] == ["slow:queue"]  # once, not per drop
    sub.gate.set()


def test_the_voice_skips_calls_that_waited_too_long(tmp_path: Path) -> None:
    pack_dir = tmp_path / "clips"
    clips.generate(pack_dir)
    out = tmp_path / "spoken"
    voice = Voice(AudioSpec(clips=pack_dir, repeat=1, chime=False),
                  ClipPack.load(pack_dir), WavDirSink(out), Recorder(), TZ, max_late_s=1.0)
    gate, started = threading.Event(), threading.Event()

    def hold(item: tuple[str, int, str]) -> None:
        started.set()
        gate.wait(HANG)

    voice.on_start = hold
    outlet = fanout.Outlet(voice, lambda n, e: None, submit=Recorder())
    outlet.start()
    call = Event("called", "2026-11-23T10:00:00+08:00", "2026-11-23", counter=3)
    try:
        outlet.offer(call._replace(ticket="A001", seq=1), None)  # type: ignore[arg-type]
        assert started.wait(HANG)
        outlet.offer(call._replace(ticket="A002", seq=2), None)  # type: ignore[arg-type]
        outlet.offer(call._replace(ticket="A003", seq=3, type="recalled"), None)  # type: ignore[arg-type]
        time.sleep(1.1)  # both now waited longer than max_late_s
        hold_more = call._replace(ticket="A004", seq=4)
        gate.set()
        assert wait_for(lambda: outlet.queue.empty() and voice.idle(0))
        outlet.offer(hold_more, None)  # type: ignore[arg-type]  # on time: announced
        assert wait_for(lambda: len(list(out.glob("*.wav"))) == 2)
    finally:
        gate.set()
        outlet.stop(5)
    assert sorted(p.name for p in out.glob("*.wav")) == ["000001-A001-c3.wav",
                                                         "000002-A004-c3.wav"]
