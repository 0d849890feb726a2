"""Status bytes nobody asked for, and real-time commands inside raster data.

Epson's ESC/POS reference (DLE EOT, DLE DC4): the printer acts on a real-time command
wherever its bytes appear, even inside bit-image data. The fakes do exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from drivers.printer import PrinterSubscriber, backends, settings
from drivers.printer import ticket as tk
from drivers.printer.job import REALTIME_PULSE_OFF
from tests.printer_fakes import (
    FakeNetworkPrinter,
    FakeSerialPrinter,
    RasterCarrying,
    Reports,
    issued,
)
from tests.support import make_config, wait_for

DLE_EOT_1 = b"\x10\x04\x01"
PULSE = b"\x10\x14\x01\x00\x05"  # DLE DC4 fn=1: pulse drawer pin 2 for 500 ms


@contextmanager
def network(mode: str) -> Iterator[tuple[str, Callable[[], list[bytes]], Callable[[], int]]]:
    fake = FakeNetworkPrinter(mode, gap=0.02)  # one answer at a time, as a printer does
    try:
        yield fake.url, lambda: fake.jobs, lambda: sum(p.pulses for p in fake.printers)
    finally:
        fake.close()


@contextmanager
def serial(mode: str) -> Iterator[tuple[str, Callable[[], list[bytes]], Callable[[], int]]]:
    fake = FakeSerialPrinter(mode, gap=0.02)
    try:
        yield fake.url(), lambda: fake.jobs, lambda: fake.printer.pulses
    finally:
        fake.close()


LINKS = {"tcp": network, "serial": serial}


@contextmanager
def subscriber(url: str, data: bytes, **section: object) -> Iterator[tuple[PrinterSubscriber,
                                                                          Reports]]:
    s = settings.parse({"url": url, "timeout_s": 3, "retry_initial_s": 30, "retry_max_s": 30,
                        **section})
    reports = Reports()
    sub = PrinterSubscriber(make_config(), reports, s, backends.open_backend(s),
                            RasterCarrying(s, data))
    try:
        wait_for(lambda: reports.statuses == ["ok"])  # the start-up probe
        yield sub, reports
    finally:
        sub.close()


@pytest.mark.parametrize("link", list(LINKS))
def test_a_status_byte_answered_inside_raster_is_not_read_as_the_next_answer(link: str
                                                                              ) -> None:
    # n=1 "ok" is 0x16 on this printer (drawer pin high); read one query late, as the
    # n=2 answer, it would mean "cover open"
    with LINKS[link]("ok_drawer_high") as (url, jobs, _), subscriber(url, DLE_EOT_1) as (
            sub, reports):
        for number in ("A001", "A002"):
            event = issued(number, "A")
            sub.handle(event, None)  # type: ignore[arg-type]
            sent = sub.renderer.render(tk.from_event(event, sub.config)).data
            assert DLE_EOT_1 in sent.split(b"\x1dV")[0]  # the raster really carries it
            wait_for(lambda s=sent: s in jobs())  # type: ignore[misc]
        assert not [r for r in reports.commands if getattr(r, "ticket", None)], reports.commands
        assert reports.statuses == ["ok"]


@pytest.mark.parametrize("link", list(LINKS))
@pytest.mark.parametrize(("profile", "pulses"), [("TM-T88V", 0), (None, 1)])
def test_profiles_with_gs_paren_d_keep_raster_from_kicking_the_drawer(
        link: str, profile: str | None, pulses: int) -> None:
    extra = {"profile": profile} if profile else {}
    with LINKS[link]("ok") as (url, jobs, count), subscriber(url, PULSE, **extra) as (sub, _):
        event = issued("A001", "A")
        sub.handle(event, None)  # type: ignore[arg-type]
        sent = sub.renderer.render(tk.from_event(event, sub.config)).data
        wait_for(lambda: sent in jobs())
        assert PULSE in sent
        assert sent.startswith(b"\x1b@" + REALTIME_PULSE_OFF) == (pulses == 0)
        assert count() == pulses


def test_which_profiles_send_gs_paren_d() -> None:
    assert settings.parse({"profile": "TM-T20II"}).realtime_off is True
    assert settings.parse({"profile": "TM-T88III"}).realtime_off is False  # not in its list
    assert settings.parse({}).realtime_off is False  # generic: unknown commands may print
    assert settings.parse({"realtime_off": True}).realtime_off is True
    assert settings.parse({"profile": "TM-T88V", "realtime_off": False}).realtime_off is False
