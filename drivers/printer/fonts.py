"""Find a CJK font on this system, and keep loaded sizes.

Order: the configured ``font`` path; fontconfig (``fc-match``, checked against
``fc-list :lang=zh-cn`` so a Latin fallback is never taken for a Chinese font); then the
directories Debian and Raspberry Pi OS install fonts-noto-cjk / fonts-wqy into. No path
is assumed to exist: the first one that does and has Chinese glyphs wins.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
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


@functools.lru_cache(maxsize=64)
def load(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face.path), size, index=face.index)
