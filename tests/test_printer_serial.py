"""A serial printer on a pty pair that answers each DLE EOT with ONE byte, as Epson's
ESC/POS reference says; and what reaches a write-only /dev/usb/lp0 (the File backend)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import drivers.printer as printer
from drivers.printer import backends, settings, status
from drivers.printer import ticket as tk
from drivers.printer.job import Job
from kiosk.clock import FakeClock
from tests.printer_fakes import FakeSerialPrinter, Reports, device_status, issue, issued, kiosk
from tests.support import driver_parts, make_config, wait_for


@pytest.fixture
def pty_printer() -> Iterator[FakeSerialPrinter]:
    fake = FakeSerialPrinter()
    yield fake
    fake.close()


def test_serial_printer_comes_online_and_prints(pty_printer: FakeSerialPrinter, tmp_path: Path,
                                                clock: FakeClock) -> None:
    # python-escpos's own Serial._read() is read(16): pyserial then waits for 16 bytes or
    # the timeout, so every probe of a one-byte-per-query printer timed out
    with kiosk(tmp_path, clock, pty_printer.url(baudrate=19200)) as (svc, sub):
        wait_for(lambda: device_status(svc).get("status") == "ok", timeout=10)
        event = issue(svc)
        expected = sub.renderer.render(tk.from_event(event, svc.config)).data
        # exactly the ticket's bytes, once they have all crossed the line
        wait_for(lambda: pty_printer.jobs == [expected], timeout=10)
        wait_for(lambda: sub.last_status == "ok")
        assert device_status(svc)["status"] == "ok"
        assert not [e for e in svc.store.events() if e.type == "device_status" and e.ticket]
        # four queries before the ticket and four after, each answered by one byte
        assert len(pty_printer.printer.answered) >= 8


def test_serial_faults_are_read_from_the_right_query(pty_printer: FakeSerialPrinter) -> None:
    pty_printer.mode = "cover_open"
    backend = backends.open_backend(settings.parse({"url": pty_printer.url(), "timeout_s": 2}))
    with backend.session() as session:
        reading = session.status()
    assert reading is not None and reading.status == "cover_open"
    assert "DLE EOT 2 bit 2" in reading.detail


def test_serial_link_has_a_write_timeout(pty_printer: FakeSerialPrinter) -> None:
    # python-escpos opens Serial with dsrdtr=True and no write timeout: a printer that
    # holds off flow control would block a write forever
    backend = backends.open_backend(settings.parse({"url": pty_printer.url(timeout=1.5)}))
    assert isinstance(backend, backends.EscposBackend)
    with backend.session() as session:
        assert isinstance(session, backends.EscposSession)
        assert session.printer.device.write_timeout == 1.5


def test_network_link_has_its_timeout() -> None:
    backend = backends.open_backend(settings.parse({"url": "tcp://127.0.0.1:9?timeout=2.5"}))
    assert isinstance(backend, backends.EscposBackend)
    assert backend.factory().timeout == 2.5  # python-escpos's default would be 60 s


def test_file_backend_gets_exactly_the_job_and_no_status_query(tmp_path: Path) -> None:
    lp0 = tmp_path / "lp0"
    lp0.touch()
    reports = Reports()
    cfg = make_config(printer={"url": f"file://{lp0}"})
    sub = driver_parts(printer, cfg, reports, "printer").subscribers[0]
    try:
        event = issued("A001", "A")
        sub.handle(event, None)  # type: ignore[arg-type]
        expected = sub.renderer.render(tk.from_event(event, sub.config)).data
        assert lp0.read_bytes() == expected  # no 10 04 n before or after
        assert reports.statuses[-1] == "ok"  # judged by the write, not by an answer
        assert not [r for r in reports.commands if getattr(r, "ticket", None)]
    finally:
        sub.close()


def test_a_big_job_gets_its_time_on_the_wire(pty_printer: FakeSerialPrinter) -> None:
    # ~100 KB of raster takes ~9 s at 115200 baud: a 5 s write timeout would cut
    # every image ticket on a real serial line (a pty moves it at memory speed)
    backend = backends.open_backend(settings.parse({"url": pty_printer.url(baudrate=9600,
                                                                           timeout=1.5)}))
    assert isinstance(backend, backends.EscposBackend) and backend.bytes_per_s == 960
    data = b"\x1b@" + b"x" * 9600
    with backend.session() as session:
        assert isinstance(session, backends.EscposSession)
        session.send(Job("A001", data))
        assert session.printer.device.write_timeout == pytest.approx(1.5 + len(data) * 10 / 9600)
    wait_for(lambda: pty_printer.jobs == [data])


class SlowWire:
    """A backend whose line moves 1,000 bytes a second; a send takes 0.5 s."""

    url = "slow://"
    wants_image = False
    bytes_per_s = 1000.0

    def __init__(self) -> None:
        self.sent: list[Job] = []

    @contextlib.contextmanager
    def session(self) -> Iterator[SlowWire]:
        yield self

    def status(self) -> status.Reading | None:
        return status.Reading("ok")

    def send(self, job: Job) -> None:
        time.sleep(0.5)
        self.sent.append(job)


def test_the_session_deadline_includes_the_jobs_wire_time() -> None:
    backend = SlowWire()
    reports = Reports()
    s = settings.parse({"url": "dummy://", "timeout_s": 0.2, "retry_initial_s": 30,
                        "retry_max_s": 30, "chinese_mode": "gb18030"})
    sub = printer.PrinterSubscriber(make_config(), reports, s, backend)  # type: ignore[arg-type]
    try:
        wait_for(lambda: reports.statuses == ["ok"])
        sub.handle(issued("A001", "A"), None)  # type: ignore[arg-type]
        # ~1.2 KB at 1,000 bytes/s: the limit is 0.2 s + ~1.2 s, well above the 0.5 s send
        assert [j.ticket for j in backend.sent] == ["A001"]
        assert not [r for r in reports.commands if getattr(r, "ticket", None)]
    finally:
        sub.close()
