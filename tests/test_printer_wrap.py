"""Line wrap: one function, measured in columns (text mode) or pixels (image mode)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import ImageFont

from drivers.printer import fonts, job, raster, settings
from drivers.printer import ticket as tk
from drivers.printer.wrap import TOKEN, columns, wrap


def _font() -> ImageFont.FreeTypeFont:
    return fonts.load(fonts.find().regular, 24)


MEASURES: dict[str, Callable[[], Callable[[str], float]]] = {
    "columns": lambda: columns,
    "pixels": lambda: _font().getlength,
}


@pytest.mark.parametrize("kind", list(MEASURES))
@hsettings(deadline=None)  # the first font load takes a moment on a busy machine
@given(text=st.text(alphabet="理赔业务办理材料，。 abcdefghij", max_size=80),
       width=st.integers(4, 40))
def test_wrap_keeps_text_and_width(kind: str, text: str, width: int) -> None:
    measure = MEASURES[kind]()
    limit = width if kind == "columns" else width * 12  # about a column's pixels
    lines = wrap(text, limit, measure)
    assert lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert measure(line) <= limit or len(TOKEN.findall(line)) == 1


@pytest.mark.parametrize("kind", list(MEASURES))
def test_leading_blank_gives_way(kind: str) -> None:
    measure = MEASURES[kind]()
    limit = measure("aaaa")
    assert measure(" aaaa") > limit
    assert wrap(" aaaa", limit, measure) == ["aaaa"]


@pytest.mark.parametrize("kind", list(MEASURES))
def test_a_continuation_indent_gives_way_too(kind: str) -> None:
    measure = MEASURES[kind]()
    limit = max(measure("  。"), measure("aaa"))
    assert measure("  aaa") > limit
    assert wrap("  。aaa", limit, measure) == ["  。", "aaa"]


def _leading_blank_line(fits: Callable[[str], bool]) -> str:
    """'  aaa…a': as many a's as fit in the width, behind leading blanks that do not."""
    n = 1
    while fits("a" * (n + 1)):
        n += 1
    blanks = 1
    while fits(" " * blanks + "a" * n):
        blanks += 1
    return " " * blanks + "a" * n


def test_image_mode_draws_no_ink_past_the_margin() -> None:
    width = 576
    margin = max(6, width // 48)
    pair = fonts.find()
    font = fonts.load(pair.regular, raster.sizes_for(width)["s"])
    text = _leading_blank_line(lambda t: font.getlength(t) <= width - 2 * margin)
    img = raster.block_image(tk.Line(text, "s", align="left"), width, pair)
    ink = img.convert("L").point(lambda v: 255 - v).getbbox()
    assert ink is not None and ink[2] <= width - margin


def test_text_mode_sends_no_line_wider_than_the_paper() -> None:
    r = job.Renderer(settings.parse({"chinese_mode": "gb18030", "paper_width_mm": 58}))
    cols = r.width // job.FONT_A_DOTS
    text = _leading_blank_line(lambda t: columns(t) <= cols)
    ticket = tk.Ticket("A001", "分行", "Branch", "理赔", "Claims", False, 0, 0,
                       "2026-11-23 09:41", documents=(("材料", "x"),))
    data = r.render(dataclasses.replace(ticket, documents=(("材料", text),))).data
    sent = [line for line in data.split(b"\n") if line.endswith(b"aaaa")]
    assert sent and all(len(line.split(b"\x1dB\x00")[-1]) <= cols for line in sent)
