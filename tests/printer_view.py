"""Paper from an ESC/POS byte stream: a small interpreter written from Epson's command
reference, not from the kiosk's renderer, to look at what a printer would print.

The ESC/POS packages on PyPI build commands; none we found draws a byte stream, so
this one is written apart from :mod:`drivers.printer` and shares nothing with it: it
knows only the commands and their parameters. An unknown command raises, so a stream it
draws is a stream of known commands with whole parameters. Text is drawn with a
monospace face in the printer's cells (Font A 12x24, Font B 9x17 dots, times ``GS !``);
``GS ( k`` QR symbols are drawn with the qrcode package from the stored data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont

MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
MONO_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
CELLS = {0: (12, 24), 1: (9, 17)}  # Font A, Font B (dots)
LINE_SPACING = 30  # ESC 2 default line pitch for Font A, in dots


class UnknownCommand(ValueError):
    pass


@dataclass
class Paper:
    width: int
    rows: list[Image.Image] = field(default_factory=list)  # printed bands, top to bottom
    commands: list[str] = field(default_factory=list)  # what was understood, in order
    cuts: int = 0

    def image(self) -> Image.Image:
        out = Image.new("1", (self.width, max(1, sum(r.height for r in self.rows))), 1)
        y = 0
        for row in self.rows:
            out.paste(row, (0, y))
            y += row.height
        return out


def render(data: bytes, width: int) -> Paper:
    """Interpret ``data`` on a ``width``-dot printer; every command must be known."""
    paper = Paper(width)
    align = 0
    bold = False
    font = 0
    mul = (1, 1)
    invert = False
    line = bytearray()
    qr_data = b""
    qr_size = 3

    def flush_line(force: bool) -> None:
        nonlocal line
        cw, ch = CELLS[font]
        cw, ch = cw * mul[0], ch * mul[1]
        height = max(ch, LINE_SPACING if mul[1] == 1 else ch + 6)
        row = Image.new("1", (width, height), 1)
        if line:
            text = line.decode("ascii")
            face = ImageFont.truetype(MONO_BOLD if bold else MONO, ch)
            glyphs = Image.new("1", (cw * len(text), ch), 1)
            draw = ImageDraw.Draw(glyphs)
            for i, c in enumerate(text):  # one glyph per printer cell
                draw.text((i * cw + cw / 2, ch / 2), c, font=face, fill=0, anchor="mm")
            if invert:
                glyphs = ImageChops.invert(glyphs.convert("L")).convert("1")
            x = {0: 0, 1: (width - glyphs.width) // 2, 2: width - glyphs.width}[align]
            row.paste(glyphs, (max(0, x), 0))
        if line or force:
            paper.rows.append(row)
        line = bytearray()

    i = 0
    while i < len(data):
        b = data[i]
        two = data[i:i + 2]
        if b == 0x0A:
            flush_line(True)
            i += 1
        elif 0x20 <= b < 0x7F:
            line.append(b)
            i += 1
        elif two == b"\x1b@":
            align, bold, font, mul, invert = 0, False, 0, (1, 1), False
            paper.commands.append("init")
            i += 2
        elif two == b"\x1ba":
            align = data[i + 2] % 48
            i += 3
        elif two == b"\x1bE":
            bold = bool(data[i + 2] & 1)
            i += 3
        elif two == b"\x1bM":
            font = data[i + 2] % 48
            i += 3
        elif two == b"\x1bJ":  # feed n dots
            flush_line(False)
            paper.rows.append(Image.new("1", (width, data[i + 2]), 1))
            i += 3
        elif two == b"\x1bd":  # print and feed n lines
            flush_line(False)
            paper.rows.append(Image.new("1", (width, LINE_SPACING * data[i + 2]), 1))
            i += 3
        elif two == b"\x1d!":
            n = data[i + 2]
            mul = ((n >> 4) + 1, (n & 0x0F) + 1)
            i += 3
        elif two == b"\x1dB":
            invert = bool(data[i + 2] & 1)
            i += 3
        elif two == b"\x1dV":
            flush_line(False)
            paper.cuts += 1
            paper.commands.append("cut")
            i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
        elif data[i:i + 3] == b"\x1dv0":
            flush_line(False)
            wb = data[i + 4] + 256 * data[i + 5]
            h = data[i + 6] + 256 * data[i + 7]
            payload = data[i + 8:i + 8 + wb * h]
            if len(payload) != wb * h:
                raise UnknownCommand("raster payload cut short")
            band = ImageChops.invert(
                Image.frombytes("1", (wb * 8, h), payload).convert("L")).convert("1")
            row = Image.new("1", (width, h), 1)
            x = {0: 0, 1: (width - band.width) // 2, 2: width - band.width}[align]
            row.paste(band, (max(0, x), 0))
            paper.rows.append(row)
            paper.commands.append(f"raster {wb * 8}x{h}")
            i += 8 + wb * h
        elif data[i:i + 3] in (b"\x1d(k", b"\x1d(D"):
            n = data[i + 3] + 256 * data[i + 4]
            body = data[i + 5:i + 5 + n]
            if data[i + 2] == ord("k") and body[:1] == b"1":  # model 2 QR, cn = 49
                fn = body[1]
                if fn == 0x43:
                    qr_size = body[2]
                elif fn == 0x50:
                    qr_data = body[3:]
                elif fn == 0x51:
                    flush_line(False)
                    code = qrcode.QRCode(border=0, box_size=qr_size)
                    code.add_data(qr_data)
                    code.make(fit=True)
                    sym = code.make_image().get_image().convert("1")
                    row = Image.new("1", (width, sym.height + 8), 1)
                    x = {0: 0, 1: (width - sym.width) // 2, 2: width - sym.width}[align]
                    row.paste(sym, (max(0, x), 4))
                    paper.rows.append(row)
                    paper.commands.append(f"qr {qr_data.decode()}")
            i += 5 + n
        else:
            raise UnknownCommand(f"unknown byte(s) {data[i:i + 4]!r} at {i}")
    flush_line(False)
    return paper
