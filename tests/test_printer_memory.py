"""A day of tickets does not pile up in memory: no image or raster kept per ticket, and
only the faces that draw what changes from ticket to ticket stay open."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from PIL import Image

from drivers.printer import fonts, raster, settings
from drivers.printer.job import Renderer
from drivers.printer.ticket import Ticket
from tests.printer_fakes import issued
from tests.support import make_config

CFG = make_config()


def tickets(first: int, n: int) -> list[Ticket]:
    """Tickets as a morning makes them: every number, queue length and minute differs."""
    from drivers.printer import ticket as tk

    return [tk.from_event(issued(f"{'ABC'[i % 3]}{i:03d}", "ABC"[i % 3], ahead=i % 40,
                                 wait=i % 40 * 4, ts=f"2026-11-23T09:{i % 60:02d}:00+08:00"),
                          CFG, "https://example.com/queue")
            for i in range(first, first + n)]


def live_images() -> int:
    gc.collect()
    return sum(isinstance(o, Image.Image) for o in gc.get_objects())


@pytest.mark.parametrize("with_image", [False, True], ids=["image-mode", "preview"])
def test_fifty_tickets_do_not_keep_fifty_images(with_image: bool) -> None:
    r = Renderer(settings.parse({"chinese_mode": "image"}))
    for t in tickets(1, 6):  # every service's fixed lines are drawn and kept once
        r.render(t, with_image=with_image)
    day = tickets(100, 50)
    images = live_images()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        # raster bands per ticket (the bytes themselves are not kept: they would count)
        jobs = [r.render(t, with_image=with_image).data.count(b"\x1dv0") for t in day]
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # they were real image-mode tickets: their Chinese lines went as raster
    assert len(jobs) == 50 and min(jobs) >= 10
    assert live_images() - images < 5  # was +50 or more: one number image per ticket
    # one ticket's raster was ~100 KB (now ~10 KB); keeping the varying lines' raster per
    # ticket grew this by ~1 MB over 50 tickets
    assert grown < 300_000


def test_only_the_faces_of_changing_lines_stay_open() -> None:
    fonts.close_all()
    r = Renderer(settings.parse({"chinese_mode": "image", "paper_width_mm": 80}))
    r.render(tickets(1, 1)[0])
    size = raster.sizes_for(r.width)
    pair = r.fonts
    kept = {(face, px) for face, px in fonts.loaded()}
    # queue and wait (m) and the time (xs); the number and the English lines are printer
    # text, drawn by no face; the branch name, service names and documents are drawn once
    # with faces closed afterwards
    assert kept == {(pair.regular, size["m"]), (pair.regular, size["xs"])}
