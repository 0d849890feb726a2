"""DLE EOT replies decoded to kiosk device statuses, and fonts found on this system."""

from __future__ import annotations

from typing import Any

import pytest
from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer import fonts, job, settings, status
from drivers.printer import ticket as tk
from kiosk import messages
from kiosk.core.decide import DEVICE_STATUSES
from tests.printer_fakes import REPLIES, issued
from tests.support import make_config

status_byte = st.integers(0, 255).map(lambda b: (b & ~0b1001_0011 & 0xFF) | 0b0001_0010)


@pytest.mark.parametrize("name", list(REPLIES))
def test_fake_printer_replies_decode_to_their_name(name: str) -> None:
    assert status.decode(REPLIES[name]).status == name


@pytest.mark.parametrize(("replies", "expected"), [
    ({3: 0x12 | 0x08}, "error"),  # cutter
    ({3: 0x12 | 0x20}, "error"),  # unrecoverable
    ({1: 0x12 | 0x08}, "offline"),  # offline with no cause given
    ({2: 0x12 | 0x20}, "paper_out"),  # stopped by paper end, sensor not yet read
    ({2: 0x16, 4: 0x72}, "cover_open"),  # an open cover is what staff must fix first
])
def test_causes(replies: dict[int, int], expected: str) -> None:
    assert status.decode(replies).status == expected


@given(st.tuples(status_byte, status_byte, status_byte, status_byte))
def test_every_status_byte_maps_to_a_kiosk_status(b: tuple[int, int, int, int]) -> None:
    reading = status.decode(dict(zip((1, 2, 3, 4), b, strict=True)))
    assert reading.status in DEVICE_STATUSES
    assert reading.printable == (reading.status in ("ok", "paper_low"))
    if b[3] & 0x60:  # paper end always stops printing
        assert not reading.printable


class ScriptedDummy(Dummy):
    """A Dummy whose printer answers DLE EOT from a table."""

    def __init__(self, replies: dict[int, int], **kw: Any) -> None:
        super().__init__(**kw)
        self.replies = replies

    def _read(self) -> bytes:
        return bytes([self.replies[self.output[-1]]])


class EchoDummy(Dummy):
    """python-escpos's newer Dummy._read: the last byte written, which is no status."""

    def _read(self) -> bytes:
        return self.output[-1:]


def test_query_reads_all_four_and_decodes() -> None:
    p = ScriptedDummy(REPLIES["paper_low"])
    assert status.query(p) == status.Reading("paper_low", "paper near end (DLE EOT 4 bits 2-3)")
    assert p.output == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"


def test_backends_that_cannot_answer_give_none() -> None:
    assert status.query(Dummy()) is None  # installed Dummy has no _read
    assert status.query(EchoDummy()) is None  # echo is not mistaken for "offline"


def test_silence_is_a_connection_error() -> None:
    class Silent(Dummy):
        def _read(self) -> bytes:
            return b""

    with pytest.raises(ConnectionError):
        status.query(Silent())


def test_a_chinese_font_is_found_without_a_hard_coded_path(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    found = fonts.find()
    face = fonts.load(found.regular, 24)
    assert face.getname()[0].endswith(" SC")
    assert face.getbbox("理赔")[2] > 30  # real glyphs, not empty boxes
    # without fontconfig, the Debian font directories are searched
    fonts.find.cache_clear()
    monkeypatch.setattr(fonts, "_fc", lambda *a: "")
    try:
        assert fonts.find().regular.path.exists()
    finally:
        fonts.find.cache_clear()


def test_missing_font_is_a_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts.find.cache_clear()
    monkeypatch.setattr(fonts, "_fc", lambda *a: "")
    monkeypatch.setattr(fonts, "_DIRS", ())
    try:
        with pytest.raises(fonts.FontNotFoundError, match="fonts-noto-cjk"):
            fonts.find()
    finally:
        fonts.find.cache_clear()


def test_ticket_has_no_personal_data_and_courteous_wording() -> None:
    event = issued(name="张三", phone="13800000000", id_number="110101199001011234")
    ticket = tk.from_event(event, make_config(), qr=None)
    text = " ".join(b.text for b in ticket.blocks() if isinstance(b, tk.Line))
    for secret in ("张三", "13800000000", "110101199001011234"):
        assert secret not in text
    data = job.Renderer(settings.PrinterSettings(chinese_mode="gb18030")).render(ticket).data
    assert "张三".encode("gb18030") not in data and b"13800000000" not in data
    for key in ("ticket_issued_at", "ticket_hotline", "ticket_qr", "ticket_reprint"):
        pair = messages.CATALOGUE[key]
        assert not any(bad in side for bad in messages.FORBIDDEN_PHRASES for side in pair)
