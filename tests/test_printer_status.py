"""DLE EOT replies decoded to kiosk device statuses, and fonts found on this system."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer import fonts, job, settings, status
from drivers.printer import ticket as tk
from kiosk import messages
from kiosk.core.decide import DEVICE_STATUSES
from tests.printer_fakes import REPLIES, ManualPrinter, issued
from tests.support import make_config

status_byte = st.integers(0, 255).map(lambda b: (b & ~0b1001_0011 & 0xFF) | 0b0001_0010)


@pytest.mark.parametrize("name", list(REPLIES))
def test_fake_printer_replies_decode_to_their_name(name: str) -> None:
    # the drawer pin (n=1 bit 2) says nothing about printing
    assert status.decode(REPLIES[name]).status == name.removesuffix("_drawer_high")


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


class LoopChannel:
    """A status channel wired straight to a :class:`ManualPrinter`, in memory."""

    def __init__(self, printer: ManualPrinter, echo: bool = False) -> None:
        self.printer = printer
        self.echo = echo  # a link that echoes what it is sent (python-escpos's Dummy)
        self.pending = bytearray()
        self.written = bytearray()

    def write(self, data: bytes) -> None:
        self.written += data
        self.pending += data[-1:] if self.echo else self.printer.feed(data)

    def discard(self) -> None:
        self.pending.clear()

    def read_byte(self, timeout: float) -> int | None:
        return self.pending.pop(0) if self.pending else None


def test_query_reads_all_four_and_decodes() -> None:
    ch = LoopChannel(ManualPrinter("paper_low"))
    assert status.query(ch) == status.Reading("paper_low", "paper near end (DLE EOT 4 bits 2-3)")
    assert ch.written == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"


def test_an_echo_is_not_mistaken_for_offline() -> None:
    assert status.query(LoopChannel(ManualPrinter(), echo=True)) is None


def test_silence_is_a_timeout() -> None:
    class Silent(LoopChannel):
        def read_byte(self, timeout: float) -> int | None:
            return None

    with pytest.raises(TimeoutError, match="DLE EOT 1"):
        status.query(Silent(ManualPrinter()), 0.01)


def test_a_stray_answer_waiting_on_the_line_is_not_taken_for_the_next() -> None:
    printer = ManualPrinter("ok_drawer_high")
    ch = LoopChannel(printer)
    ch.write(b"\x1dv0\x00\x03\x00\x01\x00\x10\x04\x01")  # raster data holding 10 04 01
    assert ch.pending == b"\x16"  # the printer answered it, as the manual says
    assert status.query(ch) == status.Reading("ok")


def test_embedded_sequences_are_counted_and_their_answers_absorbed() -> None:
    assert status.embedded_queries(b"\x10\x04\x10\x04\x01..\x10\x04\x04\x10\x04\x05") == 2
    printer = ManualPrinter("ok_drawer_high")
    ch = LoopChannel(printer)
    ch.write(b"\x1dv0\x00\x03\x00\x02\x00\x10\x04\x01\x10\x04\x02")
    assert status.absorb(ch, 2, 0.01) == 2 and not ch.pending
    assert status.absorb(ch, 1, 0.01) == 0  # a printer that did not answer costs a timeout


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


# every bit decode() acts on, as (query n, bit): the FIELD-NOTES / ESC/POS reference table
DECODED_BITS = [(1, 3), (2, 2), (2, 5), (2, 6), (3, 3), (3, 5), (3, 6), (4, 2), (4, 3),
                (4, 5), (4, 6)]


@pytest.mark.parametrize(("n", "bit"), DECODED_BITS)
def test_each_label_names_the_query_and_bit_it_came_from(n: int, bit: int) -> None:
    reading = status.decode({n: 0x12 | 1 << bit})
    assert reading.status != "ok"
    assert f"(DLE EOT {n} bit" in reading.detail
    label = reading.detail.split(f"(DLE EOT {n} ", 1)[1]
    bits = label.split(")")[0]  # "bit 5" or "bits 5-6"
    if bits.startswith("bits "):
        lo, hi = (int(b) for b in bits[5:].split("-"))
        assert lo <= bit <= hi
    else:
        assert bits == f"bit {bit}"
