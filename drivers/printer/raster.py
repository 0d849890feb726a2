"""Draw a ticket as a 1-bit image: the default Chinese mode, and the PNG preview.

Drawn straight into mode ``"1"`` so glyph edges are black or white: python-escpos
would otherwise dither anti-aliased grey into speckles on a thermal head.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont

from drivers.printer import fonts
from drivers.printer.ticket import Block, Line, Qr, Rule
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


FontFor = Callable[[fonts.Face, int], ImageFont.FreeTypeFont]
FIXED_KEEP = 128  # block images kept for the preview (a branch's fixed lines: ~30 a service)
_fixed: OrderedDict[tuple[Block, int, fonts.FontPair], Image.Image] = OrderedDict()
_fixed_lock = threading.Lock()


def varies(block: Block) -> bool:
    """True for a line that changes from ticket to ticket (see ``Line.varies``)."""
    return isinstance(block, Line) and block.varies


def draw(block: Block, width: int, pair: fonts.FontPair, font_for: FontFor = fonts.load
         ) -> Image.Image:
    """Draw one block, with no caching: ``font_for`` gives the faces (kept or scratch)."""
    margin = max(6, width // 48)
    if isinstance(block, Rule):
        return _rule(width, margin)
    if isinstance(block, Qr):
        code = _qr_image(block.data, width * 2 // 5)
        img = Image.new("1", (width, code.height + 16), 1)
        img.paste(code, ((width - code.width) // 2, 6))
        return img
    size = sizes_for(width)[block.size]
    font = font_for(pair.bold if block.bold else pair.regular, size)
    ascent, descent = font.getmetrics()
    step = ascent + descent + (2 if block.size != "xl" else -size // 8)
    inner = width - 2 * margin - (16 if block.invert else 0)
    lines = wrap(block.text, inner, font.getlength)  # the same wrap as the text mode
    img = Image.new("1", (width, step * len(lines)), 1)
    canvas = ImageDraw.Draw(img)
    if block.invert:
        canvas.rectangle((margin, 0, width - margin, img.height), fill=0)
    for i, text in enumerate(lines):
        x = margin if block.align == "left" else (width - font.getlength(text)) / 2
        canvas.text((x, i * step), text, font=font, fill=1 if block.invert else 0)
    return img


def crop_to_ink(img: Image.Image, centred: bool, keep_rows: bool = False
                ) -> Image.Image | None:
    """``img`` without its white rows and white columns; None if it has no ink. The
    printer places the band again: centred (``ESC a 1``) or at the left edge, where the
    printer's own text starts too. Widths are padded to whole bytes, as the raster is
    sent: evenly for a centred band, so it does not drift sideways, else on the right.
    ``keep_rows`` keeps the white rows above and below (a QR code's quiet zone)."""
    box = ImageChops.invert(img.convert("L")).getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    if keep_rows:
        top, bottom = 0, img.height
    ink = right - left
    pad = -ink % 8
    if centred:
        left = max(0, left - pad // 2)
    right = min(img.width, left + ink + pad)
    return img.crop((left, top, right, bottom))


# Most of a ticket (branch, service names, documents, courtesy lines) is the same on every
# ticket, so each fixed block is drawn once and then pasted: this keeps a ticket well inside
# the 30 ms render budget on a Pi. Lines that vary (number, queue, time) are drawn afresh
# and not kept: caching them kept one image per ticket number, ~10 MB by mid-morning.
def block_image(block: Block, width: int, pair: fonts.FontPair,
                font_for: FontFor | None = None) -> Image.Image:
    """One block as an image; fixed blocks come from a bounded cache."""
    if varies(block):
        return draw(block, width, pair, fonts.load)
    key = (block, width, pair)
    with _fixed_lock:
        img = _fixed.get(key)
        if img is not None:
            _fixed.move_to_end(key)
            return img
    img = draw(block, width, pair, font_for or fonts.Scratch())
    with _fixed_lock:
        _fixed[key] = img
        while len(_fixed) > FIXED_KEEP:
            _fixed.popitem(last=False)
    return img


def render(blocks: list[Block], width: int, pair: fonts.FontPair) -> Image.Image:
    """Lay ``blocks`` out on a ``width``-dot wide white image."""
    margin = max(6, width // 48)
    scratch = fonts.Scratch()  # faces for this ticket's uncached fixed blocks, then closed
    parts = [block_image(b, width, pair, scratch) for b in blocks]
    scratch.close()
    img = Image.new("1", (width, sum(p.height for p in parts) + 2 * margin), 1)
    y = margin
    for part in parts:
        img.paste(part, (0, y))
        y += part.height
    return img
