"""The worker, the queue and the fan-out, with a real store and a settable clock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiosk import commands as c
from kiosk.core import Rejected
from kiosk.errors import KioskError
from kiosk.events import Event
from kiosk.service import Accepted
from kiosk.status import Status
from tests.support import make_config, wait_for


class Recorder:
    name = "recorder"

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.seen: list[tuple[Event, Status]] = []
        self.delay, self.fail_on = delay, fail_on
        self.closed = False
        self.got = threading.Event()

    def handle(self, event: Event, status: Status) -> None:
        time.sleep(self.delay)
        if event.type == self.fail_on:
            raise OSError("device unplugged")
        self.seen.append((event, status))
        self.got.set()

    def close(self) -> None:
        self.closed = True


def test_subscribers_get_committed_events_in_order(service_factory) -> None:
    rec = Recorder()
    svc = service_factory([rec])
    svc.submit(c.Issue("A"))
    svc.submit(c.Issue("B"))
    last = svc.submit(c.CallNext(1)).result()
    assert isinstance(last, Accepted)
    assert wait_for(lambda: len(rec.seen) == 4)
    assert [e.type for e, _ in rec.seen] == ["day_started", "issued", "issued", "called"]
    assert [e.seq for e, _ in rec.seen] == [1, 2, 3, 4]
    assert rec.seen[-1][1].counter(1).current == "A001"
    svc.stop()
    assert rec.closed


def test_a_slow_subscriber_never_delays_commands(service_factory) -> None:
    slow = Recorder(delay=1.0)
    svc = service_factory([slow])
    t0 = time.monotonic()
    for _ in range(5):
        assert isinstance(svc.submit(c.Issue("A")).result(timeout=2), Accepted)
    assert time.monotonic() - t0 < 0.9  # far less than one subscriber delay


def test_a_failing_subscriber_becomes_a_device_fault(service_factory) -> None:
    bad = Recorder(fail_on="issued")
    svc = service_factory([bad])
    svc.submit(c.Issue("A")).result()
    assert wait_for(lambda: svc.status.devices.get("recorder", {}).get("status") == "error")
    assert "device unplugged" in svc.status.devices["recorder"]["detail"]
    # the worker is fine and keeps taking commands
    assert svc.submit(c.Issue("A")).result().events[-1].ticket == "A002"


def test_a_store_failure_fails_one_command_and_loses_nothing(service_factory, monkeypatch) -> None:
    svc = service_factory()
    svc.submit(c.Issue("A")).result()
    real = svc.store.append

    def broken(events: list[Event]) -> list[Event]:
        raise OSError("disk full")

    monkeypatch.setattr(svc.store, "append", broken)
    with pytest.raises(KioskError, match="disk full"):
        svc.submit(c.Issue("A")).result(timeout=5)
    monkeypatch.setattr(svc.store, "append", real)
    # the failed issue consumed no number: the next customer gets A002
    assert svc.submit(c.Issue("A")).result().events[-1].ticket == "A002"
    assert svc.healthy()


def test_state_is_rebuilt_from_the_store_at_start(service_factory) -> None:
    svc = service_factory()
    for s in "ABBC":
        svc.submit(c.Issue(s))
    svc.submit(c.CallNext(3)).result()
    svc.submit(c.Pause(4, reason="培训")).result()
    before = svc.status
    svc.stop()
    svc.store.close()
    again = service_factory()
    assert again.replayed == 7
    assert again.status == before
    assert again.submit(c.CallNext(3)).result().events[-1].ticket == "B002"


def test_queries_and_rejections(service_factory) -> None:
    svc = service_factory()
    svc.submit(c.Issue("C"))
    status = svc.submit(c.GetStatus()).result()
    assert status.status.service("C").waiting == 1
    evs = svc.submit(c.GetEvents()).result().data
    assert [e.type for e in evs] == ["day_started", "issued"]
    r = svc.submit(c.CallNext(3)).result()
    assert isinstance(r, Rejected) and r.code == "queue_empty"
    svc.stop()
    late = svc.submit(c.Issue("A")).result(timeout=1)
    assert isinstance(late, Rejected) and late.code == "stopping"


def test_many_threads_submitting_at_once_never_share_a_number(service_factory) -> None:
    svc = service_factory()
    tickets: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            t = svc.submit(c.Issue("A"), "button").result().events[-1].ticket
            with lock:
                tickets.append(t)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tickets) == 200 and len(set(tickets)) == 200
    assert sorted(tickets) == [f"A{n:03d}" for n in range(1, 201)]


def test_a_kiosk_that_never_started_stops_cleanly(tmp_path: Path) -> None:
    # start() can fail part-way (a store check, a driver): stop() must still clean up
    from kiosk import bootstrap

    kiosk = bootstrap.build(make_config(tmp_path), control=False)
    kiosk.stop()
    assert kiosk.stopped.is_set()


def test_reading_events_never_waits_for_the_worker(service_factory) -> None:
    svc = service_factory()
    assert isinstance(svc.submit(c.Issue("A")).result(timeout=10), Accepted)
    gate = threading.Event()
    real_now = svc.clock.now

    def stuck_now():  # the worker is busy with a long command
        gate.wait(10)
        return real_now()

    svc.clock.now = stuck_now
    try:
        pending = svc.submit(c.Issue("B"))
        time.sleep(0.05)
        evs = svc.submit(c.GetEvents()).result(timeout=5).data  # answered regardless
        assert [e.ticket for e in evs if e.type == "issued"] == ["A001"]
        assert not pending.done()
    finally:
        gate.set()
    assert pending.result(timeout=10).events[-1].ticket == "B001"
