"""Colours, type sizes and the CJK font of every screen.

Sizes: the layouts are drawn for the official 7" display (800x480) and scaled by the
screen's short side over 480 and its long side over 800, whichever is smaller (1920x1080:
x2.25; 1080x1920 portrait: x2.25), so one layout serves every screen without filling
extra room with more content. :func:`px` scales a design pixel; the ``.kv`` files use
``app.s`` (the same factor as a Kivy property, so sizes follow a resize).

Type: Chinese sets the size; English beneath it is 58 % of it, never under 18 design
pixels (:func:`en_size`). The ``.kv`` files keep to a few sizes (Chinese 22, 24, 30, 36,
the number 140/110; English 18 and 21): each size of each weight is a FreeType face of
its own in the screen process, about 2.5 MB for a Noto CJK face.

Colours: a calm light base, dark text, one deep blue for the header and the cards,
amber for paused, grey for closed, red only for faults staff must act on. Every pair
that carries text is at least 7:1 (WCAG AAA); :data:`TEXT_PAIRS` lists them and a test
checks them with :func:`contrast`.

Font: Noto Sans CJK SC found as the printer finds it (``[ui] font`` overrides). Kivy's
SDL2 text provider opens face 0 of a ``.ttc`` collection, which in Noto's collections is
the Japanese face; so the Simplified Chinese face is copied once into a standalone
``.otf`` (:func:`drivers.printer.fonts` picks the face, :func:`_extract_face` copies it).
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path

log = logging.getLogger(__name__)

BASE_W, BASE_H = 800, 480
EN_RATIO = 0.58
EN_MIN = 18  # design px

Rgba = tuple[float, float, float, float]


def hex_rgba(h: str, alpha: float = 1.0) -> Rgba:
    h = h.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


# --- colours (hex, so the contrast test reads them as designers write them) ----------
BG = "#F4F6F9"  # calm near-white base
SURFACE = "#FFFFFF"  # panels on the base
TEXT = "#17202E"  # body text on BG / SURFACE
MUTED = "#3F4A5A"  # secondary text that still carries meaning (>= 7:1 on BG)
BRAND = "#0B3A82"  # deep blue: header, cards
ON_BRAND = "#FFFFFF"
BRAND_SOFT = "#DCE6F5"  # a pressed card, the footer band
AMBER = "#F2B134"  # paused: amber band with dark text
ON_AMBER = "#17202E"
GREY = "#4B5260"  # closed / not offered here
ON_GREY = "#FFFFFF"
RED = "#A3161A"  # faults staff must act on; never for an ordinary refusal
ON_RED = "#FFFFFF"
NOTICE = "#FFF4DA"  # a calm notice panel (printer did not print)
ON_NOTICE = "#3A2A00"

TEXT_PAIRS = {
    "text on base": (TEXT, BG),
    "muted on base": (MUTED, BG),
    "text on surface": (TEXT, SURFACE),
    "on brand": (ON_BRAND, BRAND),
    "text on brand soft": (TEXT, BRAND_SOFT),
    "on amber": (ON_AMBER, AMBER),
    "on grey": (ON_GREY, GREY),
    "on red": (ON_RED, RED),
    "on notice": (ON_NOTICE, NOTICE),
}


def _luminance(h: str) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = hex_rgba(h)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two colours (1..21)."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# --- sizes -----------------------------------------------------------------------------
_scale = 1.0


def scale_for(width: float, height: float) -> float:
    """The design-pixel factor of a window: 1.0 at 800x480, 2.25 at 1920x1080 and at
    1080x1920."""
    long_side, short_side = max(width, height), min(width, height)
    return max(0.5, min(long_side / BASE_W, short_side / BASE_H))


def set_scale(value: float) -> None:
    global _scale
    _scale = value


def px(n: float) -> float:
    """``n`` design pixels (drawn for 800x480) at the current window's scale."""
    return n * _scale


def en_size(zh_size: float, scale: float | None = None) -> float:
    """The English size beneath Chinese of ``zh_size`` (already scaled) pixels."""
    s = _scale if scale is None else scale
    return max(zh_size * EN_RATIO, EN_MIN * s)


# --- font ------------------------------------------------------------------------------
def _extract_face(ttc: Path, index: int, dest: Path) -> Path:
    """Copy face ``index`` of an OpenType collection into a standalone font file.

    The collection's header lists one table directory per face; the face's tables are
    copied after a new directory, each 4-byte aligned (checksums stay as they were:
    renderers do not check them).
    """
    data = ttc.read_bytes()
    if data[:4] != b"ttcf":
        return ttc
    count = struct.unpack_from(">I", data, 8)[0]
    if index >= count:
        return ttc
    off = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    sfnt, num = struct.unpack_from(">IH", data, off)
    records = [struct.unpack_from(">4sIII", data, off + 12 + 16 * i) for i in range(num)]
    head = struct.pack(">IHHHH", sfnt, num, *struct.unpack_from(">HHH", data, off + 6))
    pos = 12 + 16 * num
    directory, bodies = [], []
    for tag, checksum, t_off, length in records:
        directory.append(struct.pack(">4sIII", tag, checksum, pos, length))
        body = data[t_off:t_off + length]
        body += b"\0" * (-len(body) % 4)
        bodies.append(body)
        pos += len(body)
    tmp = dest.with_suffix(".part")
    tmp.write_bytes(head + b"".join(directory) + b"".join(bodies))
    tmp.replace(dest)
    return dest


def _standalone(path: Path, index: int, cache: Path) -> Path:
    if index == 0 and path.suffix.lower() != ".ttc":
        return path
    st = path.stat()
    dest = cache / f"{path.stem}-{index}-{st.st_size}-{int(st.st_mtime)}.otf"
    if dest.exists():
        return dest
    cache.mkdir(parents=True, exist_ok=True)
    try:
        return _extract_face(path, index, dest)
    except (OSError, struct.error) as exc:
        log.warning("could not copy face %d of %s (%s); using its first face", index, path,
                    exc)
        return path


def font_files(configured: Path | None, cache: Path) -> tuple[Path, Path]:
    """The regular and bold font files Kivy should open (Simplified Chinese faces)."""
    from drivers.printer import fonts

    pair = fonts.find(configured)
    regular = _standalone(pair.regular.path, pair.regular.index, cache)
    bold = _standalone(pair.bold.path, pair.bold.index, cache)
    return regular, bold


def register_fonts(configured: Path | None, cache: Path) -> tuple[Path, Path]:
    """Make the CJK font Kivy's default (every Label uses it, bold included)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular, bold = font_files(configured, cache)
    LabelBase.register(DEFAULT_FONT, str(regular), fn_bold=str(bold))
    log.info("screen font: %s, bold %s", regular, bold)
    return regular, bold
