"""Golden tests on the ESC/POS bytes of a ticket, built on python-escpos's Dummy."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageChops

from drivers.printer import job, raster, settings
from drivers.printer import ticket as tk
from tests import printer_view
from tests.printer_fakes import issued
from tests.support import make_config

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
FEED_AND_CUT = ESC + b"d\x06" + GS + b"V\x00"  # print_and_feed(6), then full cut
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
RASTER = re.compile(rb"\x1dv0(.)(..)(..)", re.S)


def make_ticket(qr: str | None = None, **event: object) -> tk.Ticket:
    return tk.from_event(issued(**event), make_config(), qr=qr)  # type: ignore[arg-type]


def renderer(mode: str, width: int, **extra: object) -> job.Renderer:
    return job.Renderer(settings.parse({"chinese_mode": mode, "paper_width_mm": width,
                                        **extra}))


def raster_bands(data: bytes) -> list[Image.Image]:
    """Decode every GS v 0 image in ``data`` back into a picture (black = 0)."""
    bands, pos = [], 0
    while (m := RASTER.search(data, pos)) is not None:
        width_bytes = int.from_bytes(m[2], "little")
        height = int.from_bytes(m[3], "little")
        start = m.end()
        payload = data[start:start + width_bytes * height]
        assert len(payload) == width_bytes * height, "raster payload is cut short"
        band = Image.frombytes("1", (width_bytes * 8, height), payload)
        bands.append(ImageChops.invert(band.convert("L")).convert("1"))  # ESC/POS 1 = dot
        pos = start + len(payload)
    return bands


def test_gb18030_ticket_exact_bytes() -> None:
    data = renderer("gb18030", 58).render(make_ticket()).data
    assert data.startswith(ESC + b"@" + FS + b"&")  # init, then the printer's Chinese mode
    assert data.endswith(FEED_AND_CUT)
    # the number: 5x5 characters (GS ! 0x44), bold, centred, not inverted
    assert GS + b"!\x44" + ESC + b"E\x01" + ESC + b"a\x01" + GS + b"B\x00B012\n" in data
    # the service in GB18030 at double size (GS ! 0x11); English at normal size
    assert GS + b"!\x11" + ESC + b"E\x01" + ESC + b"a\x01" + GS + b"B\x00" + \
        "理赔".encode("gb18030") + b"\n" in data
    assert GS + b"!\x00" + ESC + b"E\x00" + ESC + b"a\x01" + GS + b"B\x00Claims\n" in data
    assert "请留意叫号，谢谢您的耐心等候".encode("gb18030") in data
    assert "您前面还有 3 位".encode("gb18030") in data
    assert b"?" not in data  # GBK second bytes are >= 0x40: no '?' unless one was lost
    assert GS + b"v0" not in data  # everything went as text: no image fallback
    # the whole ticket, byte for byte; update deliberately when the layout changes
    assert data.count(b"09:41") == 1  # the issue time once, on one bilingual line
    assert len(data) == 1056
    assert hashlib.sha256(data).hexdigest() == (
        "dda522a5c2506b797c50ee4f994cd98ff6997133d0e059ed1abb441c5824a900")


def test_gb18030_mode_keeps_punctuation_python_escpos_text_loses() -> None:
    # python-escpos sends GB18030 only when a character is in U+4E00..U+9FA5; a line of
    # full-width punctuation alone falls back to code pages and prints '?'
    plain = Dummy()
    plain.text("（）！")
    assert b"???" in plain.output
    ticket = dataclasses.replace(make_ticket(), service_zh="（）！")
    data = renderer("gb18030", 80).render(ticket).data
    assert "（）！".encode("gb18030") + b"\n" in data
    assert b"???" not in data


def test_gb18030_mode_draws_characters_outside_gbk() -> None:
    rare = "\U00020000"  # CJK Ext. B: a four-byte GB18030 code no resident font has
    with pytest.raises(UnicodeEncodeError):
        rare.encode("gbk")
    ticket = dataclasses.replace(make_ticket(), service_zh=f"理赔{rare}")
    data = renderer("gb18030", 80).render(ticket).data
    assert rare.encode("gb18030") not in data
    bands = raster_bands(data)
    assert len(bands) == 1 and bands[0].width == 576  # that one line, as an image


def skeleton(data: bytes) -> bytes:
    """``data`` with every raster payload replaced by its size: the layout, byte for byte,
    without the glyph shapes of the installed CJK font."""
    out, pos = bytearray(), 0
    while (m := RASTER.search(data, pos)) is not None:
        size = int.from_bytes(m[2], "little") * int.from_bytes(m[3], "little")
        out += data[pos:m.end()] + b"<raster>"
        pos = m.end() + size
    return bytes(out + data[pos:])


def full_ticket() -> tk.Ticket:
    """The most a ticket holds: priority banner, four documents, hotline, QR code."""
    return make_ticket(qr="https://example.com/queue", priority="elderly")


def test_the_issue_time_is_one_bilingual_line() -> None:
    ticket = make_ticket()
    lines = [b.text for b in ticket.blocks() if isinstance(b, tk.Line)]
    timed = [text for text in lines if ticket.issued_at in text]
    assert timed == [f"取号时间 Issued {ticket.issued_at}"]


@pytest.mark.parametrize(("width_mm", "dots", "big"), [(58, 384, 0x44), (80, 576, 0x55)])
def test_image_mode_sends_latin_as_text_and_only_chinese_as_raster(
        width_mm: int, dots: int, big: int) -> None:
    r = renderer("image", width_mm)
    ticket = full_ticket()
    data = r.render(ticket).data
    assert data.startswith(ESC + b"@")
    assert data.endswith(FEED_AND_CUT)
    assert FS + b"&" not in data  # never the printer's Chinese mode: it may have no GB font
    # the number in the printer's Font A at 5x5 / 6x6, bold, centred
    assert GS + b"!" + bytes([big]) + ESC + b"E\x01" + ESC + b"M\x00" + ESC + b"a\x01" + \
        b"B012\n" in data
    assert ESC + b"M\x00" + ESC + b"a\x01Claims\n" in data  # the English service name
    assert ESC + b"M\x01" + ESC + b"a\x013 ahead of you\n" in data  # Font B under Chinese
    assert b"-" * (dots // 12) + b"\n" in data  # rules are dashes
    assert GS + b"(k" in data and b"https://example.com/queue" in data  # native QR
    # what is drawn is Chinese (or the white-on-black banner), each line cropped to ink
    drawn = [b for b in ticket.blocks() if job.drawn(b)]
    bands = raster_bands(data)
    assert len(bands) == len(drawn)
    assert all(not job.printable(b.text) or b.invert for b in drawn)
    for block, band in zip(drawn, bands, strict=True):
        image = raster.draw(block, dots, r.fonts)
        want = raster.crop_to_ink(image, block.align == "center")
        assert want is not None and band.size == want.size
        assert ImageChops.difference(band.convert("L"), want.convert("L")).getbbox() is None
        ink = ImageChops.invert(band.convert("L")).getbbox()
        assert ink is not None and ink[1] == 0 and ink[3] == band.height  # no white rows
        assert band.width < dots or block.invert  # no full-width band but the banner
    assert max(b.height for b in bands) <= job.FRAGMENT_HEIGHT


@pytest.mark.parametrize(("width_mm", "dots"), [(58, 384), (80, 576)])
def test_image_ticket_is_small_on_the_wire(width_mm: int, dots: int) -> None:
    # was 57,270 bytes at 58 mm and 98,958 at 80 mm: 30 s and 52 s at 19200 baud. 20 KB
    # is 1.7 s at 115200 baud (10 bits a byte), the issue's target for both widths
    data = renderer("image", width_mm).render(full_ticket()).data
    assert len(data) <= 20_000


def test_without_native_qr_the_code_is_one_cropped_band() -> None:
    # POS-5890 (a common 58 mm printer) has no GS ( k in its python-escpos profile:
    # python-escpos's own qr() would send a full-width image padded to the centre
    r = renderer("image", 58, profile="POS-5890")
    ticket = full_ticket()
    data = r.render(ticket).data
    assert GS + b"(k" not in data
    code = next(b for b in ticket.blocks() if isinstance(b, tk.Qr))
    drawn = raster.draw(code, 384, r.fonts)
    want = raster.crop_to_ink(drawn, True, keep_rows=True)
    assert want is not None and want.width < 384 // 2 and want.height == drawn.height
    bands = raster_bands(data)
    assert any(b.size == want.size and ImageChops.difference(
        b.convert("L"), want.convert("L")).getbbox() is None for b in bands)
    assert len(data) <= 20_000
    paper = printer_view.render(data, 384)
    assert paper.cuts == 0  # no cutter in its profile: python-escpos feeds and sends no cut
    ARTIFACTS.mkdir(exist_ok=True)
    paper.image().save(ARTIFACTS / "ticket-58mm-pos5890-printed.png")


@pytest.mark.parametrize(("width_mm", "dots", "digest"), [
    (58, 384, "58"), (80, 576, "80")])
def test_image_mode_layout_exact_bytes(width_mm: int, dots: int, digest: str) -> None:
    """The image-mode ticket byte for byte, raster payloads aside (their shapes come
    from the installed font; their sizes and places are part of the layout)."""
    data = renderer("image", width_mm).render(full_ticket()).data
    assert hashlib.sha256(skeleton(data)).hexdigest() == IMAGE_SKELETON[digest]


def test_an_independent_interpreter_prints_the_ticket() -> None:
    """Every byte is a known command with whole parameters, and the paper holds the
    number, the QR code and one cut. The paper is saved for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width_mm, dots in ((58, 384), (80, 576)):
        data = renderer("image", width_mm).render(full_ticket()).data
        paper = printer_view.render(data, dots)
        assert paper.cuts == 1 and paper.commands[0] == "init"
        assert "qr https://example.com/queue" in paper.commands
        image = paper.image()
        image.save(ARTIFACTS / f"ticket-{width_mm}mm-printed.png")
        assert 900 < image.height < 2000
        # the number's rows are mostly ink: 5x / 6x Font A, bold
        grey = image.convert("L")
        ink = [grey.crop((0, y, dots, y + 1)).histogram()[0] for y in range(image.height)]
        assert max(ink) > dots // 4


IMAGE_SKELETON = {
    "58": "fc232cc5910452d5eb2824701c367d15613e8a9cfb8ca04788bd1667d4d5c43a",
    "80": "92035d29862270ae1438bf512466470a8233447a1740c487aace96f29f810c84",
}


def test_profile_sets_dot_width() -> None:
    r = renderer("image", 80, profile="TM-T88V")  # an 80 mm printer with 512 dots
    data = r.render(full_ticket()).data
    widths = {b.width for b in raster_bands(data)}
    assert 480 < max(widths) <= 512  # the priority banner spans the 512 dots, less margins
    assert b"-" * (512 // 12) + b"\n" in data


@pytest.mark.parametrize("width_mm", [58, 80])
def test_png_ticket_artifact(width_mm: int) -> None:
    """Saved for a human to look at: artifacts/ticket-58mm.png and ticket-80mm.png."""
    r = renderer("image", width_mm, qr="https://example.com/queue")
    ticket = make_ticket(qr="https://example.com/queue", priority="elderly")
    img = r.render(ticket, with_image=True).image
    assert img is not None
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ticket-{width_mm}mm.png"
    img.save(path)
    assert Image.open(path).size == (job.DOTS[width_mm], img.height)
    assert 700 < img.height < 2000
    # the big number is drawn: its band is mostly ink compared with a document line
    grey = img.convert("L")
    ink = [grey.crop((0, y, img.width, y + 1)).histogram()[0] for y in range(img.height)]
    assert max(ink) > img.width // 3
