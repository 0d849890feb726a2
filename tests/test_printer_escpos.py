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
    assert len(data) == 1085
    assert hashlib.sha256(data).hexdigest() == (
        "b12bbc6c4e79980b2cd0e33907fdd5a91b44b1b00c875781589eec27098b2b47")


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


@pytest.mark.parametrize(("width_mm", "dots"), [(58, 384), (80, 576)])
def test_image_mode_sends_the_drawn_ticket_as_raster(width_mm: int, dots: int) -> None:
    r = renderer("image", width_mm)
    ticket = make_ticket(qr="https://example.com/queue", priority="elderly")
    data = r.render(ticket).data
    assert data.startswith(ESC + b"@")
    assert data.endswith(FEED_AND_CUT)
    assert FS + b"&" not in data and GS + b"!" not in data  # no text, no Chinese mode
    bands = raster_bands(data)
    assert bands and all(b.width == dots for b in bands)
    sent = Image.new("1", (dots, sum(b.height for b in bands)), 1)
    y = 0
    for band in bands:
        sent.paste(band, (0, y))
        y += band.height
    drawn = raster.render(ticket.blocks(), dots, r.fonts)
    margin = max(6, dots // 48)
    drawn = drawn.crop((0, margin, dots, drawn.height - margin))
    assert sent.size == drawn.size
    assert ImageChops.difference(sent.convert("L"), drawn.convert("L")).getbbox() is None
    assert max(b.height for b in bands) <= job.FRAGMENT_HEIGHT


def test_profile_sets_dot_width() -> None:
    r = renderer("image", 80, profile="TM-T88V")  # an 80 mm printer with 512 dots
    bands = raster_bands(r.render(make_ticket()).data)
    assert {b.width for b in bands} == {512}


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
