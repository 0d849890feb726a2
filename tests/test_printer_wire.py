"""Choose by link speed (issue 11): check-config and the start-up log warn when one ticket
takes more than ~1.5 s on the link, with the seconds and the fix.

No byte count is written down here: every size comes from the real renderer at test
time, so these tests follow any change to how tickets are drawn.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.printer import settings, wire
from kiosk.clock import FakeClock
from tests.kiosk_proc import CONFIG, KioskProcess, write_config
from tests.printer_fakes import FakeSerialPrinter, device_status, issue, kiosk
from tests.support import make_config, wait_for

CUT = b"\x1dV"  # GS V: the ticket is on the paper once this has crossed the line
SERIAL_9600 = "serial:///dev/ttyS0?baudrate=9600"
SERIAL_115200 = "serial:///dev/ttyS0?baudrate=115200"


@pytest.fixture
def pty_printer() -> Iterator[FakeSerialPrinter]:
    fake = FakeSerialPrinter()
    yield fake
    fake.close()


def check_config(tmp_path: Path, printer: str) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "kiosk.toml"
    f.write_text(f'[storage]\npath = "{tmp_path}/kiosk.db"\n[control]\n'
                 f'socket = "{tmp_path}/c.sock"\n[printer]\n{printer}\n', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config", str(f)],
                          capture_output=True, text=True, timeout=120)


def test_check_config_warns_of_image_mode_at_9600_baud(tmp_path: Path) -> None:
    r = check_config(tmp_path, f'url = "{SERIAL_9600}"\nchinese_mode = "image"')
    assert r.returncode == 0, r.stderr  # a warning: the config is still valid
    assert "Configuration OK" in r.stdout
    # the seconds the renderer's bytes give at 9600 baud, as the warning must state them
    est = wire.estimate(settings.parse({"url": SERIAL_9600}), make_config())
    assert est is not None and est.seconds > wire.LIMIT_S
    seconds = wire.fmt_seconds(est.seconds)
    assert f"传输约需 {seconds} 秒" in r.stdout
    assert f"takes about {seconds} s on the wire" in r.stdout
    assert 'chinese_mode = "gb18030"' in r.stdout  # the fix, in both languages
    assert "self-test page" in r.stdout and "自检页" in r.stdout
    assert "Traceback" not in r.stderr


def test_check_config_is_quiet_for_gb18030_at_115200_baud(tmp_path: Path) -> None:
    r = check_config(tmp_path, f'url = "{SERIAL_115200}"\nchinese_mode = "gb18030"')
    assert r.returncode == 0, r.stderr
    assert "Configuration OK" in r.stdout
    assert "on the wire" not in r.stdout and "传输" not in r.stdout


@pytest.mark.parametrize("url", ["tcp://192.0.2.5:9100", "dummy://", "file:///dev/usb/lp0",
                                 "preview:///tmp/tickets"])
def test_fast_links_render_nothing_and_never_warn(url: str, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    def no_render(*_: object) -> int:
        raise AssertionError("a fast link must not render a ticket")

    monkeypatch.setattr(wire, "ticket_bytes", no_render)
    s = settings.parse({"url": url, "chinese_mode": "image"})
    assert wire.link_of(s).baud is None
    assert wire.estimate(s, None) is None
    assert wire.advice(s, None) is None


def test_the_estimate_is_the_rendered_ticket_at_ten_bits_a_byte() -> None:
    cfg = make_config()
    for url, baud in ((SERIAL_9600, 9600), ("serial:///dev/ttyS0", 9600),
                      (SERIAL_115200, 115200)):
        s = settings.parse({"url": url, "chinese_mode": "gb18030", "paper_width_mm": 58})
        est = wire.estimate(s, cfg)
        assert est is not None and est.link.baud == baud
        assert est.bytes == wire.ticket_bytes(s, cfg) > 0
        assert est.seconds == pytest.approx(est.bytes * 10 / baud)


def test_a_slow_line_for_text_mode_is_told_the_baud_rate_that_fits() -> None:
    s = settings.parse({"url": "serial:///dev/ttyS0?baudrate=2400", "chinese_mode": "gb18030"})
    est = wire.estimate(s, None)
    assert est is not None and est.seconds > wire.LIMIT_S  # a text ticket is > 450 bytes
    advice = wire.advice(s, None, est)
    assert advice is not None
    rate = next(b for b in wire.STANDARD_BAUDS if est.bytes * 10 / b <= wire.LIMIT_S)
    assert f"raise the baud rate to {rate}" in advice.en and f"波特率提高到 {rate}" in advice.zh
    assert "chinese_mode" not in advice.en  # already in text mode


def test_image_mode_is_offered_text_mode_with_its_own_measured_seconds() -> None:
    cfg = make_config()
    s = settings.parse({"url": SERIAL_9600, "paper_width_mm": 58})
    advice = wire.advice(s, cfg)
    assert advice is not None
    text = settings.parse({"url": SERIAL_9600, "paper_width_mm": 58, "chinese_mode": "gb18030"})
    seconds = wire.fmt_seconds(wire.ticket_bytes(text, cfg) * 10 / 9600)
    assert f'chinese_mode = "gb18030" (about {seconds} s)' in advice.en


def test_kiosk_run_logs_the_warning_once_at_start(tmp_path: Path,
                                                  pty_printer: FakeSerialPrinter) -> None:
    text = CONFIG.format(tmp=tmp_path).replace('url = "dummy://"',
                                               f'url = "{pty_printer.url(baudrate=9600)}"')
    (tmp_path / "kiosk.toml").write_text(text, encoding="utf-8")
    k = KioskProcess(tmp_path / "kiosk.toml")
    try:
        k.start()
        assert k.ask("issue", service="A")["ok"]  # a ticket later: no second warning
        assert k.terminate() == 0
    finally:
        k.ensure_stopped()
    log = k.log.read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if "on the wire" in line]
    assert len(lines) == 1, log[-3000:]
    assert "WARNING" in lines[0] and "serial 9600 baud" in lines[0]
    assert 'chinese_mode = "gb18030"' in lines[0] and "传输约需" in lines[0]


def test_kiosk_run_on_a_fast_link_logs_no_warning(tmp_path: Path) -> None:
    k = KioskProcess(write_config(tmp_path))  # dummy:// printer
    try:
        k.start()
        assert k.terminate() == 0
    finally:
        k.ensure_stopped()
    assert "on the wire" not in k.log.read_text(encoding="utf-8")


# ------------------------------------------- a pty printer at 19200 baud (issue 11)


def _wire_time_of_one_ticket(fake: FakeSerialPrinter, tmp_path: Path, clock: FakeClock,
                             mode: str) -> tuple[int, float]:
    """Issue one ticket on a kiosk whose printer is the pty at 19200 baud; the bytes that
    crossed the line from the ``issued`` event until the cut (status queries included),
    and their wire time at 19200 baud 8N1. The pty itself moves bytes at memory speed,
    so the wire time is computed from the count, not timed."""
    with kiosk(tmp_path, clock, fake.url(baudrate=19200), chinese_mode=mode) as (svc, _sub):
        wait_for(lambda: device_status(svc).get("status") == "ok", timeout=10)
        start = len(fake.printer.received)
        issue(svc)
        wait_for(lambda: CUT in bytes(fake.printer.received[start:]), timeout=30)
        stream = bytes(fake.printer.received[start:])
    sent = stream.index(CUT) + 3  # GS V m
    return sent, sent * 10 / 19200


def test_a_gb18030_ticket_is_on_the_paper_within_1_5_s_at_19200_baud(
        pty_printer: FakeSerialPrinter, tmp_path: Path, clock: FakeClock) -> None:
    sent, seconds = _wire_time_of_one_ticket(pty_printer, tmp_path, clock, "gb18030")
    assert sent > 100  # a whole ticket crossed the line, not only a status query
    assert seconds <= wire.LIMIT_S, f"{sent} bytes take {seconds:.2f} s at 19200 baud"
    s = settings.parse({"url": pty_printer.url(baudrate=19200), "chinese_mode": "gb18030"})
    assert wire.advice(s, make_config()) is None  # and check-config agrees: no warning


def test_an_image_ticket_at_19200_baud_is_too_slow_and_the_warning_says_so(
        pty_printer: FakeSerialPrinter, tmp_path: Path, clock: FakeClock) -> None:
    _sent, seconds = _wire_time_of_one_ticket(pty_printer, tmp_path, clock, "image")
    assert seconds > wire.LIMIT_S
    s = settings.parse({"url": pty_printer.url(baudrate=19200), "chinese_mode": "image"})
    advice = wire.advice(s, make_config())
    assert advice is not None and 'chinese_mode = "gb18030"' in advice.en
