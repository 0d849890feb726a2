"""UI scenarios for the service-quality figures on the kiosk (issue 15): the staff
panel's 今日统计 / Today tab and the hall board's public summary (公示).

Registered in :data:`tests.ui_harness.SCENARIOS`; each runs in the harness's scenario
process and prints what the screen shows, one ``key json`` line, for the test to check.
Nothing here imports the harness (it runs as ``__main__`` there).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from typing import Any

Step = Generator[None, None, None]
STAFF_PIN = "2468"  # tests.ui_harness.STAFF_PIN: its hash is in the tests' config


def _staff_unlocked(d: Any) -> Step:
    app = d.app
    yield from d.until(lambda: app.sm.current == "staff" and app.status is not None
                       and not app.sm.transition.is_active, "the staff panel", 30)
    staff = d.screen("staff")
    yield from d.until(lambda: staff.pad.enabled and not staff.busy, "the PIN pad ready")
    for ch in STAFF_PIN:
        yield from d.tap(staff.pad.keys[ch])
    yield from d.tap(staff.pad.keys["enter"])
    yield from d.until(lambda: staff.unlocked, "the panel unlocked")


def _cells(row: Any) -> list[str]:
    # children are in reverse order of addition in Kivy
    return [c.zh for c in reversed(row.children)]


def staff_today(d: Any) -> Step:
    """Open the panel with the PIN, tap 今日统计 / Today, read the table as drawn."""
    yield from _staff_unlocked(d)
    staff = d.screen("staff")
    yield from d.frame(3)
    tab = next(b for b in staff.ids.tabs.children if b.zh == d.app.zh("staff_tab_today"))
    yield from d.tap(tab)
    yield from d.until(lambda: staff.tab == "today" and staff.today is not None,
                       "today's figures")
    yield from d.frame(3)
    rows = [w for w in staff.ids.content.children if type(w).__name__ == "StaffFigureRow"]
    table = {r.row + ":" + _cells(r)[0]: _cells(r)[1:] for r in rows if r.row != "head"}
    lines = [w.zh for w in staff.ids.content.children if type(w).__name__ == "StaffLine"]
    print("today-table " + json.dumps(table, ensure_ascii=False), flush=True)
    print("today-lines " + json.dumps(lines[::-1], ensure_ascii=False), flush=True)
    yield from d.shot("staff-today")
    staff.ids.content.parent.scroll_y = 0  # the rest of the table, the notes
    yield from d.shot("staff-today-end")


def hall_public(d: Any) -> Step:
    """The hall board with ``[ui] hall_public_summary``: today's line, as drawn."""
    app = d.app
    yield from d.until(lambda: app.sm.current == "hall" and app.status is not None
                       and not app.sm.transition.is_active, "the hall board", 30)
    hall = d.screen("hall")
    yield from d.until(lambda: bool(hall.public_zh), "the public summary", 30)
    yield from d.frame(3)
    print("hall-public " + json.dumps([hall.public_zh, hall.public_en], ensure_ascii=False),
          flush=True)
    yield from d.ask_test("more-work")  # the test serves and rates one more customer
    before = hall.public_zh
    yield from d.until(lambda: hall.public_zh != before, "the summary updated", 30)
    yield from d.frame(3)
    print("hall-public-after " + json.dumps([hall.public_zh, hall.public_en],
                                            ensure_ascii=False), flush=True)
    yield from d.shot("hall-public")


SCENARIOS: dict[str, Callable[[Any], Step]] = {
    "staff_today": staff_today, "hall_public": hall_public,
}
