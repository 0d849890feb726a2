"""Draw a ticket as a 1-bit image: the default Chinese mode, and the PNG preview.

Drawn straight into mode ``"1"`` so glyph edges are black or white: python-escpos
would otherwise dither anti-aliased grey into speckles on a thermal head.
"""

from __future__ import annotations

import functools

import qrcode
from PIL import Image, ImageDraw

from drivers.printer import fonts
from drivers.printer.ticket import Block, Qr, Rule
from drivers.printer.wrap import wrap

# font pixel sizes per paper width (dots; 8 dots/mm at 203 dpi)
SIZES: dict[int, dict[str, int]] = {
    384: {"xs": 18, "s": 22, "m": 26, "l": 36, "xl": 112},
    576: {"xs": 20, "s": 24, "m": 30, "l": 44, "xl": 150},
}
def sizes_for(width: int) -> dict[str, int]:
    """The size table for ``width`` dots: exact, or scaled from the 80 mm one."""
    if width in SIZES:
        return SIZES[width]
    return {k: max(16, round(v * width / 576)) for k, v in SIZES[576].items()}


@functools.lru_cache(maxsize=8)
def _qr_image(data: str, target: int) -> Image.Image:
    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    code.box_size = max(2, target // (code.modules_count + 2))
    return code.make_image().get_image().convert("1")


def _rule(width: int, margin: int) -> Image.Image:
    img = Image.new("1", (width, 22), 1)
    draw = ImageDraw.Draw(img)
    for x in range(margin, width - margin, 12):
        draw.rectangle((x, 8, min(x + 7, width - margin), 9), fill=0)
    return img


# Most of a ticket (branch, service names, documents, courtesy lines) is the same on every
# ticket, so each block is drawn once and then pasted: this keeps a ticket well inside the
# 30 ms render budget on a Pi. Only the number, queue and time lines are drawn afresh.
@functools.lru_cache(maxsize=256)
def block_image(block: Block, width: int, pair: fonts.FontPair) -> Image.Image:
    margin = max(6, width // 48)
    if isinstance(block, Rule):
        return _rule(width, margin)
    if isinstance(block, Qr):
        code = _qr_image(block.data, width * 2 // 5)
        img = Image.new("1", (width, code.height + 16), 1)
        img.paste(code, ((width - code.width) // 2, 6))
        return img
    size = sizes_for(width)[block.size]
    font = fonts.load(pair.bold if block.bold else pair.regular, size)
    ascent, descent = font.getmetrics()
    step = ascent + descent + (2 if block.size != "xl" else -size // 8)
    inner = width - 2 * margin - (16 if block.invert else 0)
    lines = wrap(block.text, inner, font.getlength)  # the same wrap as the text mode
    img = Image.new("1", (width, step * len(lines)), 1)
    draw = ImageDraw.Draw(img)
    if block.invert:
        draw.rectangle((margin, 0, width - margin, img.height), fill=0)
    for i, text in enumerate(lines):
        x = margin if block.align == "left" else (width - font.getlength(text)) / 2
        draw.text((x, i * step), text, font=font, fill=1 if block.invert else 0)
    return img


def render(blocks: list[Block], width: int, pair: fonts.FontPair) -> Image.Image:
    """Lay ``blocks`` out on a ``width``-dot wide white image."""
    margin = max(6, width // 48)
    parts = [block_image(b, width, pair) for b in blocks]
    img = Image.new("1", (width, sum(p.height for p in parts) + 2 * margin), 1)
    y = margin
    for part in parts:
        img.paste(part, (0, y))
        y += part.height
    return img
