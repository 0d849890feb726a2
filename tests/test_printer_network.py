"""Against a fake network printer on loopback: faults, recovery, and a hung printer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import drivers.printer as printer
from drivers.printer import ticket as tk
from kiosk.clock import FakeClock
from kiosk.commands import CallNext, Issue
from kiosk.events import DEVICE_STATUS, Event
from kiosk.service import Accepted, KioskService
from kiosk.store import Store
from tests.printer_fakes import FakeNetworkPrinter, Reports, issued
from tests.support import driver_parts, make_config, wait_for


@pytest.fixture
def fake() -> Iterator[FakeNetworkPrinter]:
    f = FakeNetworkPrinter()
    yield f
    f.close()


@pytest.fixture
def running(tmp_path: Path, clock: FakeClock) -> Iterator[Any]:
    made: list[KioskService] = []

    def start(url: str, **options: Any) -> tuple[KioskService, printer.PrinterSubscriber]:
        cfg = make_config(tmp_path, printer={"url": url, "timeout_s": 1.0,
                                             "retry_initial_s": 0.02, "retry_max_s": 0.1,
                                             **options})
        svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
        sub = driver_parts(printer, cfg, svc.submit, "printer").subscribers[0]
        svc.add_subscriber(sub)
        svc.start()
        made.append(svc)
        return svc, sub

    yield start
    for svc in made:
        svc.stop()
        svc.store.close()


def device(svc: KioskService) -> dict[str, str]:
    return svc.status.devices.get("printer", {})


def issue(svc: KioskService) -> Event:
    reply = svc.submit(Issue("A"), "test").result(2)
    assert isinstance(reply, Accepted)
    return next(e for e in reply.events if e.type == "issued")


def printer_events(svc: KioskService) -> list[Event]:
    return [e for e in svc.store.events() if e.type == DEVICE_STATUS
            and e.data["device"] == "printer"]


def test_faults_are_reported_and_printing_resumes(fake: FakeNetworkPrinter,
                                                  running: Any) -> None:
    svc, sub = running(fake.url)
    wait_for(lambda: device(svc).get("status") == "ok")

    first = issue(svc)
    wait_for(lambda: len(fake.jobs) == 1)
    expected = sub.renderer.render(tk.from_event(first, svc.config)).data
    assert fake.jobs[0] == expected  # exactly the ticket's bytes crossed the wire
    assert fake.queries >= 8  # four DLE EOT queries before and four after the ticket

    fake.mode = "paper_low"  # still prints, and IT hears about it
    issue(svc)
    wait_for(lambda: len(fake.jobs) == 2)
    wait_for(lambda: device(svc).get("status") == "paper_low")
    assert sub.last_status == "paper_low"

    for fault in ("paper_out", "cover_open"):
        fake.mode = fault
        ticket = issue(svc).ticket
        wait_for(lambda t=ticket: any(e.ticket == t for e in printer_events(svc)))
        # the event is committed before the worker takes the new status snapshot
        wait_for(lambda f=fault: device(svc).get("status") == f)
        assert printer_events(svc)[-1].ticket == ticket  # a field: no detail to parse
        assert ticket not in device(svc)["detail"]
        assert len(fake.jobs) == 2  # nothing was sent to a printer that said it could not

    fake.mode = "drop"  # accepts, then hangs up
    lost = issue(svc).ticket
    wait_for(lambda: device(svc).get("status") == "offline")
    wait_for(lambda: any(e.ticket == lost for e in printer_events(svc)))

    fake.mode = "ok"  # the monitor's retries find it again, with no ticket needed
    wait_for(lambda: device(svc).get("status") == "ok")
    again = issue(svc)
    wait_for(lambda: len(fake.jobs) == 3)
    assert fake.jobs[2] == sub.renderer.render(tk.from_event(again, svc.config)).data

    seen = [e.data["status"] for e in printer_events(svc)]
    changes = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]
    assert changes == ["ok", "paper_low", "paper_out", "cover_open", "offline", "ok"]
    # the tickets that did not print still exist: they were committed first
    assert svc.status.issued_today == 6


def test_hung_printer_costs_at_most_its_timeout(fake: FakeNetworkPrinter) -> None:
    fake.mode = "hang"  # accepts the connection, never reads, never answers
    reports = Reports()
    cfg = make_config(printer={"url": fake.url, "timeout_s": 0.5, "retry_initial_s": 5,
                               "retry_max_s": 5})
    sub = driver_parts(printer, cfg, reports, "printer").subscribers[0]
    try:
        t0 = time.monotonic()
        sub.handle(issued("A001", "A"), None)  # type: ignore[arg-type]
        first = time.monotonic() - t0
        # waits for the start-up probe's lock (at most 0.5 s) or its own 0.5 s, not both
        # stacked beyond the limit
        assert first < 0.5 + 0.3
        assert "offline" in reports.statuses
        assert "A001" in [getattr(r, "ticket", None) for r in reports.commands]
        t0 = time.monotonic()
        sub.handle(issued("A002", "A"), None)  # type: ignore[arg-type]
        assert time.monotonic() - t0 < 0.1  # known to be hung: fail at once, no wait
        assert "A002" in [getattr(r, "ticket", None) for r in reports.commands]
        assert fake.connections >= 1
    finally:
        t0 = time.monotonic()
        sub.close()
        assert time.monotonic() - t0 < 0.5 + 1.5


def test_hung_printer_does_not_delay_call_next(fake: FakeNetworkPrinter,
                                               running: Any) -> None:
    fake.mode = "hang"
    svc, _ = running(fake.url, timeout_s=2.0)
    for _ in range(3):
        t0 = time.monotonic()
        issue(svc)
        assert time.monotonic() - t0 < 0.5
    t0 = time.monotonic()
    reply = svc.submit(CallNext(1), "test").result(2.0)
    took = time.monotonic() - t0
    assert isinstance(reply, Accepted)
    assert any(e.type == "called" and e.ticket == "A001" for e in reply.events)
    assert took < 0.5  # far below the printer's 2 s timeout: the worker never waits on it
    # and the printer really was wedged: it is reported offline once its timeout passes
    wait_for(lambda: device(svc).get("status") == "offline", timeout=6)
