"""The subscriber with in-process backends: Dummy bytes, PNG preview, reprint, faults."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

import drivers.printer as printer
from drivers.printer import backends, settings, status
from drivers.printer import ticket as tk
from drivers.printer.job import Job
from kiosk.events import REPRINTED, Event
from kiosk.ports import Subscriber
from tests.printer_fakes import Reports, issued
from tests.support import driver_parts, make_config, wait_for


@contextlib.contextmanager
def built(**section: object) -> Iterator[tuple[printer.PrinterSubscriber, Reports]]:
    reports = Reports()
    sub = driver_parts(printer, make_config(printer=section), reports, "printer").subscribers[0]
    try:
        yield sub, reports
    finally:
        sub.close()


def test_dummy_gets_the_ticket_bytes_and_reprint_is_marked() -> None:
    with built(url="dummy://", chinese_mode="gb18030") as (sub, reports):
        assert isinstance(sub, Subscriber) and sub.name == "printer"
        event = issued()
        sub.handle(event, None)  # type: ignore[arg-type]
        backend = sub.backend
        assert isinstance(backend, backends.DummyBackend)
        ticket = tk.from_event(event, sub.config)
        assert backend.output == sub.renderer.render(ticket).data
        sub.handle(reprinted(event), None)  # type: ignore[arg-type]
        assert backend.output == sub.renderer.render(replace(ticket, reprint=True)).data
        assert "补打凭条".encode("gb18030") in backend.output
        assert "补打凭条".encode("gb18030") not in sub.renderer.render(ticket).data
        wait_for(lambda: reports.statuses == ["ok"])  # the start-up probe, once
        assert sub.last_status == "ok"


def test_other_events_print_nothing() -> None:
    with built(url="dummy://") as (sub, _):
        sub.handle(Event("called", "2026-11-23T10:00:00+08:00", "2026-11-23", ticket="A001",
                         counter=1), None)  # type: ignore[arg-type]
        assert sub.backend.output == b""  # type: ignore[attr-defined]


def test_a_bad_event_is_reported_not_raised() -> None:
    with built(url="dummy://") as (sub, reports):
        sub.handle(Event("issued", "not a time", "2026-11-23", ticket="A001", service="A"),
                   None)  # type: ignore[arg-type]
        wait_for(lambda: "error" in reports.statuses)
        [failed] = [r for r in reports.commands if r.ticket]  # type: ignore[union-attr]
        assert (failed.status, failed.ticket) == ("error", "A001")  # type: ignore[union-attr]


def test_preview_writes_png_and_latest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_config()  # no [printer] table at all
    monkeypatch.setenv("HOME", str(tmp_path))  # the default lives under ~/.local/state
    reports = Reports()
    sub = driver_parts(printer, cfg, reports, "printer").subscribers[0]
    try:
        sub.handle(issued("C007", "C"), None)  # type: ignore[arg-type]
        folder = tmp_path / ".local/state/counter-kiosk/tickets"
        pngs = list(folder.glob("C007-*.png"))
        assert len(pngs) == 1
        latest = Image.open(folder / "latest.png")
        assert latest.size == Image.open(pngs[0]).size and latest.width == 576
        assert sub.last_status == "ok"
    finally:
        sub.close()


class FaultyBackend:
    """Answers status from a list, then records jobs; raises what it is told to."""

    url = "faulty://"
    wants_image = False

    def __init__(self) -> None:
        self.readings: list[status.Reading | None] = []
        self.sent: list[Job] = []
        self.error: Exception | None = None
        self.last = status.Reading("ok")

    @contextlib.contextmanager
    def session(self) -> Iterator[FaultyBackend]:
        if self.error is not None:
            raise self.error
        yield self

    def status(self) -> status.Reading | None:
        # a state lasts until the test changes it, as paper that ran out stays out: the
        # monitor thread may look again at any moment (it does, after a failed ticket)
        if self.readings:
            self.last = self.readings.pop(0)
        return self.last

    def send(self, job: Job) -> None:
        self.sent.append(job)


def test_paper_running_out_mid_ticket_counts_as_not_printed() -> None:
    backend = FaultyBackend()
    reports = Reports()
    s = settings.parse({"url": "dummy://", "retry_initial_s": 30, "retry_max_s": 30})
    sub = printer.PrinterSubscriber(make_config(), reports, s, backend)  # type: ignore[arg-type]
    try:
        wait_for(lambda: reports.statuses == ["ok"])
        backend.readings = [status.Reading("ok"), status.Reading("paper_out", "paper end")]
        sub.handle(issued("B001"), None)  # type: ignore[arg-type]
        assert len(backend.sent) == 1  # it was sent...
        assert reports.statuses[-1] == "paper_out"  # ...but may be cut short: say so
        assert reports.details[-1] == "paper end, ticket may be incomplete"
        assert reports.commands[-1].ticket == "B001"  # type: ignore[union-attr]
        backend.error = OSError("USB cable unplugged")
        sub.handle(reprinted(issued("B001")), None)  # type: ignore[arg-type]
        assert reports.statuses[-1] == "offline" and "unplugged" in reports.details[-1]
        assert reports.commands[-1].ticket == "B001"  # type: ignore[union-attr]
        backend.error = None  # plugged back in, paper loaded: the next ticket prints,
        backend.readings = [status.Reading("ok")]  # and the status clears
        sub.handle(issued("B002"), None)  # type: ignore[arg-type]
        assert [j.ticket for j in backend.sent] == ["B001", "B002"]
        assert reports.statuses[-1] == "ok"
    finally:
        sub.close()


def reprinted(event: Event) -> Event:
    """The ``reprinted`` event the core makes for ``event``'s ticket, an hour later."""
    return event._replace(type=REPRINTED, ts="2026-11-23T10:41:05+08:00",
                          data={**event.data, "issued_at": event.ts, "status": "waiting"})
