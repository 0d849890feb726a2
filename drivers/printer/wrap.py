"""One greedy line wrap for both Chinese modes; only the measure differs.

The text path measures in printer columns (:func:`columns`: one per single-byte code, two
per GB18030 double-byte code), the image path in pixels (``font.getlength``). Keeping one
function means a fix to the wrapping rule reaches both modes at once.

>>> wrap("理赔业务 claims desk", 8, columns)
['理赔业务', 'claims', 'desk']
>>> wrap(" aaaa", 4, columns)   # leading blanks give way, never push a line over
['aaaa']
"""

from __future__ import annotations

import re
from collections.abc import Callable

# a CJK character, or a run of anything else up to and including its trailing spaces
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+")
INDENTED = ("· ", "  ")  # a bullet or indented line keeps an indent when it wraps


def columns(text: str) -> int:
    """Printer columns ``text`` takes: one per single-byte, two per double-byte code."""
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy wrap of ``text`` to ``width`` as measured by ``measure``.

    Chinese breaks between characters, other text at spaces. A single token wider than
    ``width`` (a long URL) is kept whole on its own line rather than cut mid-word.
    Always returns at least one line.
    """
    if measure(text) <= width:
        return [text]
    indent = "  " if text.startswith(INDENTED) else ""
    lines: list[str] = []
    current = ""
    for token in TOKEN.findall(text):
        if measure((current + token).rstrip()) <= width:
            current += token
        elif current.strip():
            lines.append(current.rstrip())
            token = token.lstrip()
            # the indent, too, gives way rather than push the line over
            fits = measure((indent + token).rstrip()) <= width
            current = indent + token if fits else token
        else:
            # only blanks so far (leading blanks or an indent): they give way rather
            # than push the line past the paper width
            current = token.lstrip()
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]
