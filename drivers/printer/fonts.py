"""Find a CJK font on this system, and keep loaded sizes.

Order: the configured ``font`` path; fontconfig (``fc-match``, checked against
``fc-list :lang=zh-cn`` so a Latin fallback is never taken for a Chinese font); then the
directories Debian and Raspberry Pi OS install fonts-noto-cjk / fonts-wqy into. No path
is assumed to exist: the first one that does and has Chinese glyphs wins.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from kiosk.errors import DeviceError

log = logging.getLogger(__name__)

_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Droid Sans Fallback")
_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_GLOBS = ("**/NotoSansCJK*-{w}.tt[cf]", "**/NotoSansCJKsc-{w}.otf", "**/SourceHanSans*{w}*",
          "**/wqy-zenhei.ttc", "**/wqy-microhei.ttc", "**/DroidSansFallback*.ttf")


@dataclass(frozen=True, slots=True)
class Face:
    path: Path
    index: int = 0  # face inside a .ttc collection


@dataclass(frozen=True, slots=True)
class FontPair:
    regular: Face
    bold: Face


class FontNotFoundError(DeviceError, FileNotFoundError):
    """No font with Chinese glyphs is installed."""


def _fc(*args: str) -> str:
    exe = shutil.which(args[0])
    if exe is None:
        return ""
    try:
        return subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=10,
                              check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _zh_fonts() -> set[str]:
    return {line.strip() for line in _fc("fc-list", ":lang=zh-cn", "file").splitlines()
            if line.strip()}


def _simplified_face(path: Path) -> Face:
    """Pick the Simplified Chinese face of a collection (Noto's .ttc holds JP/KR/SC/TC/HK)."""
    for index in range(16):
        try:
            name = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:
            break
        if name.endswith(" SC") or "Zen Hei" in name:
            return Face(path, index)
    return Face(path, 0)


def _from_fontconfig(weight: str) -> Face | None:
    covered = _zh_fonts()
    for family in _FAMILIES:
        out = _fc("fc-match", "-f", "%{file}", f"{family}:style={weight}:lang=zh-cn").strip()
        if out and out.rstrip(":") in covered:
            return _simplified_face(Path(out))
    return None


def _from_dirs(weight: str) -> Face | None:
    for d in _DIRS:
        root = Path(d).expanduser()
        if not root.is_dir():
            continue
        for pattern in _GLOBS:
            for hit in sorted(root.glob(pattern.format(w=weight))):
                return _simplified_face(hit)
    return None


@functools.lru_cache(maxsize=8)
def find(configured: Path | None = None) -> FontPair:
    """The regular and bold CJK faces to draw tickets with. Cached: fc-match is slow."""
    if configured is not None:
        face = _simplified_face(configured)
        return FontPair(face, face)
    regular = _from_fontconfig("Regular") or _from_dirs("Regular")
    if regular is None:
        raise FontNotFoundError(
            "no Chinese font found; install fonts-noto-cjk or set printer.font")
    bold = _from_fontconfig("Bold") or _from_dirs("Bold") or regular
    log.info("ticket fonts: %s #%d, bold %s #%d", regular.path, regular.index, bold.path,
             bold.index)
    return FontPair(regular, bold)


# Every FreeTypeFont is a FreeType face of its own: ~1 MB of parsed CID tables for a
# Noto CJK face, plus its own mmap of the 20 MB .ttc whose touched pages stay resident
# (several MB once a ticket's glyphs are drawn). So only the faces that draw what changes
# from ticket to ticket (number, queue, time: a few sizes) are kept, shared by every
# ticket; the others are opened for one render (:class:`Scratch`) and closed after it.
_shared: dict[tuple[Face, int], ImageFont.FreeTypeFont] = {}
_shared_lock = threading.Lock()


def _open(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face.path), size, index=face.index)


def load(face: Face, size: int) -> ImageFont.FreeTypeFont:
    """``face`` at ``size`` pixels, opened once and kept for the life of the process."""
    key = (face, size)
    with _shared_lock:
        font = _shared.get(key)
        if font is None:
            font = _shared[key] = _open(face, size)
        return font


def close_all() -> None:
    """Close every kept face (they are opened again on next use)."""
    with _shared_lock:
        _shared.clear()
    trim_heap()


def loaded() -> set[tuple[Face, int]]:
    """The faces and sizes kept open (for tests and the warm-up's report)."""
    with _shared_lock:
        return set(_shared)


class Scratch:
    """Fonts for one render: a kept face if there is one, else one opened here and
    closed with this object (drop the reference when the render is done)."""

    def __init__(self) -> None:
        self._open: dict[tuple[Face, int], ImageFont.FreeTypeFont] = {}

    def __call__(self, face: Face, size: int) -> ImageFont.FreeTypeFont:
        key = (face, size)
        with _shared_lock:
            kept = _shared.get(key)
        if kept is not None:
            return kept
        font = self._open.get(key)
        if font is None:
            font = self._open[key] = _open(face, size)
        return font

    def close(self) -> None:
        """Close the faces opened here and hand their memory back to the system."""
        if self._open:
            self._open.clear()
            trim_heap()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # glibc only
        return trim
    except (OSError, AttributeError):
        return None


def trim_heap() -> None:
    """Return freed heap pages to the system (glibc; a no-op elsewhere).

    A face is ~1 MB of small FreeType allocations; once closed, glibc keeps those pages
    in its arenas (one per thread that drew) instead of returning them, ~5 MB after the
    first ticket's fixed lines.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
