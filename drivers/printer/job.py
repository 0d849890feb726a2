"""Turn a :class:`~drivers.printer.ticket.Ticket` into ESC/POS bytes with python-escpos.

The bytes are built on python-escpos's own ``Dummy`` printer (its documented use: "generating
print jobs for later use") and then sent whole to the real printer, so no command is
encoded here and the real connection is held only for the time it takes to send.

Two Chinese modes:

* ``image`` (default): what any printer prints as text goes as text: Latin lines and the
  big number in the printer's own fonts (``GS !`` sizes, Font A/B, bold), rules as dashes,
  the QR code as a native ``GS ( k`` symbol where the profile has one. Only lines with
  Chinese (which a printer without a resident GB font cannot print) are drawn with a CJK
  font (:mod:`.raster`) and sent as raster, each cropped to its ink: a ticket is ~10 KB
  on the wire instead of ~60-100 KB of full-width raster, seconds less on a serial link.
  Works on every printer, whatever fonts it has.
* ``gb18030``: text goes to the printer's resident Chinese font. python-escpos's
  ``text()`` is NOT used for it: it sends a string as GB18030 only if it finds a character
  in U+4E00..U+9FA5, and otherwise falls back to code pages, so a line of only full-width
  punctuation or a rarer character prints as ``?`` (python-escpos issues #678, #190). We
  switch the printer into its Chinese mode (``FS &``) and send GB18030 bytes raw. A line
  that is not two-byte GBK (most resident fonts stop there) is drawn as an image instead.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from drivers.printer import escpos_cache, fonts, raster
from drivers.printer.settings import PrinterSettings
from drivers.printer.ticket import Block, Line, Qr, Rule, Ticket
from drivers.printer.wrap import columns, wrap

CHINESE_MODE_ON = b"\x1c\x26"  # FS &: select Kanji/Chinese character mode
# GS ( D, m=20, a=1, b=0: do not process DLE DC4 fn=1 (real-time pulse) until the next
# ESC @. Epson's reference recommends it when bit-image data may hold real-time command
# bytes. a=2 (DLE DC4 fn=2, power off) is disabled by default already. It does NOT stop
# DLE EOT answers: those are handled on the status side (drivers.printer.status).
REALTIME_PULSE_OFF = b"\x1d(D\x03\x00\x14\x01\x00"
DOTS = {58: 384, 80: 576}  # printable dots at 203 dpi
# Many 58 mm printers have small receive buffers: send images in bands, not one block.
FRAGMENT_HEIGHT = 240
FIXED_KEEP = 256  # converted fixed blocks kept (a branch has ~30 per service)
FONT_A_DOTS = 12  # Font A is 12x24; a Chinese character is 24x24 (two columns)
FONT_B_DOTS = 9  # Font B is 9x17
# image mode, text the printer prints itself: (font, GS ! multiplier) per ticket size. Font
# B for the small English lines under each Chinese one, so the Chinese reads first.
NATIVE: dict[str, tuple[str, int]] = {"xs": ("b", 1), "s": ("a", 1), "m": ("a", 1),
                                      "l": ("a", 2)}
# dots fed after a cropped raster band: the line gap the crop took away
BAND_GAP = 6


def printable(text: str) -> bool:
    """True if every printer prints ``text`` with its own font: printable ASCII only (the
    code page above 0x7F differs from printer to printer, and so does Chinese mode)."""
    return all(" " <= ch <= "~" for ch in text)


@dataclass(frozen=True, slots=True)
class Job:
    ticket: str
    data: bytes  # the ESC/POS bytes, cut included
    image: Image.Image | None = None  # the ticket as drawn, for the preview backend


@functools.lru_cache(maxsize=8)
def _profile_data(name: str | None, width: int) -> dict[str, Any]:
    from escpos.capabilities import get_profile

    data = copy.deepcopy(get_profile(name).profile_data)
    # Set the paper width, so python-escpos can check and centre images (and does not
    # print() a warning about an unknown width).
    data.setdefault("media", {})["width"] = {"mm": width * 8 // 64, "pixels": width}
    return data


def _profile_dots(name: str | None) -> int | None:
    """A named profile's dot width, when the printer database knows it."""
    if name is None:
        return None
    from escpos.capabilities import get_profile

    pixels = get_profile(name).profile_data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


def _gbk(text: str) -> bytes | None:
    """GB18030 bytes if every character is a one- or two-byte (GBK) code, else None."""
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return None
    return text.encode("gb18030")


def drawn(block: Block) -> bool:
    """Image mode: True for a block sent as raster (Chinese, or white on black)."""
    return isinstance(block, Line) and (block.invert or not printable(block.text))


class Renderer:
    """Builds jobs for one printer's settings. Fonts are looked up on first use."""

    def __init__(self, settings: PrinterSettings) -> None:
        escpos_cache.use_pickle_cache()  # before anything here imports python-escpos
        self.settings = settings
        self.mode = settings.chinese_mode
        self.width = _profile_dots(settings.profile) or DOTS[settings.paper_width_mm]
        self._profile_name = settings.profile
        self._fixed: dict[Block, bytes] = {}  # insertion order: the oldest goes first
        self._lock = threading.Lock()
        self._idle = threading.Event()  # cleared while a real ticket waits or renders
        self._idle.set()
        self._warm_scratch: fonts.Scratch | None = None  # set while warm_up() runs

    @functools.cached_property
    def fonts(self) -> fonts.FontPair:
        return fonts.find(self.settings.font)

    def _dummy(self) -> Any:
        from escpos.printer import Dummy

        p = Dummy(profile=self._profile_name)
        p.profile.profile_data = _profile_data(self._profile_name, self.width)
        return p

    def _image_impl(self, p: Any) -> str:
        for impl in ("bitImageRaster", "graphics", "bitImageColumn"):
            if p.profile.supports(impl):
                return impl
        return "bitImageRaster"

    # One raster command per fixed block, kept: python-escpos's image conversion costs
    # milliseconds per band, and most blocks are the same on every ticket. Lines that vary
    # (number, queue, time) are converted afresh and not kept. Consecutive raster images
    # print edge to edge, as python-escpos's own fragments do.
    def _raster(self, block: Block, scratch: raster.FontFor) -> bytes:
        fixed = not raster.varies(block)
        if fixed and (kept := self._fixed.get(block)) is not None:
            return kept
        p = self._dummy()
        drawn = raster.draw(block, self.width, self.fonts, scratch if fixed else fonts.load)
        centred = not isinstance(block, Line) or block.align == "center"
        # a QR code keeps the white rows of its quiet zone, or a scanner may not find it
        band = raster.crop_to_ink(drawn, centred, keep_rows=isinstance(block, Qr))
        if band is not None:
            # a cropped centred band is centred by the printer (ESC a 1 applies to GS v 0)
            p.set(align="center" if centred else "left")
            p.image(band, impl=self._image_impl(p), fragment_height=FRAGMENT_HEIGHT)
            p._raw(b"\x1bJ" + bytes([BAND_GAP]))  # ESC J n: feed n dots
        data = bytes(p.output)
        if fixed:
            self._fixed[block] = data
            while len(self._fixed) > FIXED_KEEP:
                del self._fixed[next(iter(self._fixed))]
        return data

    def image(self, ticket: Ticket) -> Image.Image:
        return raster.render(ticket.blocks(), self.width, self.fonts)

    def render(self, ticket: Ticket, *, with_image: bool = False) -> Job:
        # one render at a time: the warm-up and the printer thread share FreeType faces,
        # which are not safe to use from two threads at once
        self._idle.clear()  # a customer's ticket goes before the next warm-up step
        try:
            with self._lock:
                return self._render(ticket, with_image)
        finally:
            self._idle.set()

    def warm_up(self, samples: list[Ticket], *, with_image: bool = False,
                stop: Callable[[], bool] = lambda: False) -> None:
        """Do for ``samples`` what a render does, minus the jobs, one block at a time and
        never while a real ticket is waiting: so a ticket that comes during the warm-up
        waits for one block at most, and uses the faces the warm-up has opened."""
        scratch = fonts.Scratch()
        self._warm_scratch = scratch
        try:
            for sample in samples:
                for block in sample.blocks():
                    self._idle.wait()
                    if stop():
                        return
                    with self._lock:
                        if with_image:
                            raster.block_image(block, self.width, self.fonts, scratch)
                        if self.mode == "image" and self._drawn(block):
                            self._raster(block, scratch)
                if self.mode != "image":  # text mode is cheap: a whole sample at once
                    self._idle.wait()
                    with self._lock:
                        self._render(sample, False)
        finally:
            self._idle.wait()
            with self._lock:
                self._warm_scratch = None
                scratch.close()

    def _render(self, ticket: Ticket, with_image: bool) -> Job:
        p = self._dummy()
        p.hw("INIT")
        if self.settings.realtime_off:  # a printer setting, from its profile or the config
            p._raw(REALTIME_PULSE_OFF)
        img = self.image(ticket) if with_image else None
        if self.mode == "image":
            # faces for fixed blocks not yet kept: the warm-up's while it runs, else
            # opened for this ticket and closed after it
            scratch = self._warm_scratch or fonts.Scratch()
            for block in ticket.blocks():
                if not self._native(p, block):
                    p._raw(self._raster(block, scratch))
            p.set(align="left", font="a", bold=False, custom_size=True, width=1, height=1)
            if scratch is not self._warm_scratch:
                scratch.close()
        else:
            self._text(p, ticket)
        p.cut()
        return Job(ticket.number, bytes(p.output), img)

    def _big(self) -> int:
        return 5 if self.width <= 384 else 6  # the number: 60x120 / 72x144 dot characters

    @functools.cached_property
    def _native_qr(self) -> bool:
        return bool(self._dummy().profile.supports("qrCode"))

    def _drawn(self, block: Block) -> bool:
        """Image mode: True for a block sent as raster."""
        return drawn(block) or (isinstance(block, Qr) and not self._native_qr)

    def _qr(self, p: Any, block: Qr) -> None:
        p.set(align="center", custom_size=True, width=1, height=1)
        native = bool(p.profile.supports("qrCode"))
        p.qr(block.data, native=native, size=6 if self.width > 384 else 4,
             center=not native, image_arguments={"impl": self._image_impl(p)})

    def _native(self, p: Any, block: Block) -> bool:
        """Image mode: send ``block`` as printer text if the printer can print it; False
        if it must be drawn (Chinese, white on black)."""
        if isinstance(block, Rule):
            p.set(align="left", font="a", bold=False, custom_size=True, width=1, height=1)
            p._raw(b"-" * (self.width // FONT_A_DOTS) + b"\n")
            return True
        if self._drawn(block):
            return False
        if isinstance(block, Qr):  # GS ( k: a few dozen bytes for the printer to draw
            self._qr(p, block)
            return True
        font, m = ("a", self._big()) if block.size == "xl" else NATIVE[block.size]
        cols = self.width // (FONT_B_DOTS if font == "b" else FONT_A_DOTS) // m
        p.set(align=block.align, font=font, bold=block.bold, custom_size=True, width=m,
              height=m)
        for text in wrap(block.text, cols, columns):
            p._raw(text.encode("ascii") + b"\n")
        return True

    def _text(self, p: Any, ticket: Ticket) -> None:
        mult = {"xs": 1, "s": 1, "m": 1, "l": 2, "xl": self._big()}
        cols = self.width // FONT_A_DOTS
        scratch = fonts.Scratch()
        p._raw(CHINESE_MODE_ON)
        for block in ticket.blocks():
            if isinstance(block, Rule):
                p.set(align="left", bold=False, custom_size=True, width=1, height=1)
                p._raw(b"-" * cols + b"\n")
            elif isinstance(block, Qr):
                self._qr(p, block)
            else:
                m = mult[block.size]
                # GS ! (custom size) scales Chinese characters too; ESC ! does not on
                # many printers, so every size goes through custom_size.
                p.set(align=block.align, bold=block.bold, custom_size=True, width=m,
                      height=m, invert=block.invert)
                for text in wrap(block.text, cols // m, columns):
                    data = _gbk(text)
                    if data is not None:
                        p._raw(data + b"\n")
                    else:
                        drawn = raster.block_image(replace(block, text=text), self.width,
                                                   self.fonts, scratch)
                        p.image(drawn, impl=self._image_impl(p),
                                fragment_height=FRAGMENT_HEIGHT)
                if block.invert:
                    p.set(invert=False)
        p.set(align="left", bold=False, custom_size=True, width=1, height=1)
        scratch.close()
