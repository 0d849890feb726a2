"""The hall board's words from a status and the watch stream's events (no Kivy)."""

from __future__ import annotations

from typing import Any

from kiosk.messages import text
from ui.hall_model import AMBER, GREY, NORMAL, SERVING, CallBoard, counter_rows, courtesy


def status(*counters: dict[str, Any], day: str = "2026-11-23") -> dict[str, Any]:
    return {"day": day, "issued_today": 0, "devices": {},
            "services": [{"prefix": "A", "name_zh": "业务办理", "name_en": "Underwriting",
                          "waiting": 0, "wait_minutes": 0, "open_counters": [1],
                          "next_tickets": []},
                         {"prefix": "B", "name_zh": "理赔", "name_en": "Claims",
                          "waiting": 0, "wait_minutes": 0, "open_counters": [],
                          "next_tickets": []}],
            "counters": list(counters)}


def counter(cid: int, st: str = "open", current: str | None = None,
            redirect: int | None = None, services: tuple[str, ...] = ("A",)) -> dict[str, Any]:
    return {"id": cid, "status": st, "current": current, "services": list(services),
            "reason": None, "redirect": redirect}


def called(ticket: str, cid: int, seq: int, kind: str = "called") -> dict[str, Any]:
    return {"type": kind, "ticket": ticket, "counter": cid, "seq": seq, "day": "2026-11-23"}


def test_counter_rows_for_each_state() -> None:
    rows = counter_rows(status(counter(3, current="A011", services=("A", "B")),
                               counter(1, "paused", redirect=2), counter(2, "paused"),
                               counter(4, "closed"), counter(5)))
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    by = {r.id: r for r in rows}
    assert (by[1].state.zh, by[1].tone) == ("暂停服务 → 请到2号窗口", AMBER)
    assert by[1].state.en == "Paused: please use counter 2"
    assert (by[2].state.zh, by[2].tone) == ("暂停服务", AMBER)
    assert (by[3].state.zh, by[3].tone) == ("正在办理 A011", SERVING)
    assert (by[3].serves.zh, by[3].serves.en) == ("业务办理 · 理赔", "Underwriting · Claims")
    assert (by[4].state.zh, by[4].tone) == ("未开放", GREY)
    assert (by[5].state, by[5].tone) == (text("hall_open"), NORMAL)
    assert by[3].name.zh == "3号窗口" and by[3].name.en == "Counter 3"


def test_latest_calls_newest_first_recall_moves_to_the_top() -> None:
    board = CallBoard()
    for i, (t, c) in enumerate([("A001", 1), ("A002", 2), ("B001", 3)], start=1):
        assert board.on_event(called(t, c, i), now=10.0 * i)
    assert [c.ticket for c in board.calls] == ["B001", "A002", "A001"]
    assert board.on_event(called("A001", 1, 4, "recalled"), now=50.0)
    assert [c.ticket for c in board.calls] == ["A001", "B001", "A002"]  # once, on top
    assert board.latest is not None and board.latest.recall
    assert board.latest.words.zh == "A001 → 1号窗口"
    assert [c.ticket for c in board.previous] == ["B001", "A002"]


def test_highlight_window() -> None:
    board = CallBoard(highlight_s=6.0)
    assert not board.highlighted(0.0)
    board.on_event(called("A001", 1, 1), now=100.0)
    assert board.highlighted(100.0) and board.highlighted(105.9)
    assert not board.highlighted(106.0)
    board.on_event(called("A002", 2, 2), now=200.0)
    assert board.highlighted(201.0)


def test_keeps_five_and_ignores_repeats_and_other_events() -> None:
    board = CallBoard()
    for i in range(1, 10):
        board.on_event(called(f"A{i:03}", 1, i), now=float(i))
    assert [c.ticket for c in board.calls] == [f"A{i:03}" for i in range(9, 4, -1)]
    assert not board.on_event(called("A001", 1, 5), now=20.0)  # seq already seen
    assert not board.on_event({"type": "issued", "ticket": "A010", "seq": 10}, now=21.0)
    assert board.latest is not None and board.latest.ticket == "A009"


def test_seed_from_status_on_connect_and_reconnect() -> None:
    board = CallBoard()
    board.seed(status(counter(2, current="A007"), counter(1, current="A006"), counter(3)))
    assert [(c.ticket, c.counter) for c in board.calls] == [("A006", 1), ("A007", 2)]
    assert not board.highlighted(0.0)  # not seen as it happened: no highlight
    board.on_event(called("A008", 3, 30), now=5.0)
    # reconnect: history stays, a call made while away is added after it
    board.seed(status(counter(1, current="A009"), counter(2, current="A007"),
                      counter(3, current="A008")))
    assert [c.ticket for c in board.calls] == ["A008", "A006", "A007", "A009"]
    # a new business day starts an empty board
    board.seed(status(counter(1), day="2026-11-24"))
    assert board.calls == []


def test_day_started_clears_the_board() -> None:
    board = CallBoard()
    board.on_event(called("A001", 1, 7), now=1.0)
    assert board.on_event({"type": "day_started", "day": "2026-11-24", "seq": 8}, now=2.0)
    assert board.calls == [] and board.latest is None
    assert board.on_event(called("A001", 1, 9), now=3.0)  # numbers start again


def test_courtesy_line() -> None:
    assert courtesy(None, None) == text("hall_courtesy")
    own = courtesy("欢迎光临 城东支公司", None)
    assert (own.zh, own.en) == ("欢迎光临 城东支公司", "")


def test_every_colour_pair_the_hall_and_staff_screens_put_text_on_is_aaa() -> None:
    from ui import theme as t

    pairs = {  # text colour on background, as hall.kv, staff.kv and pinpad.kv use them
        "ticket on the highlight": (t.BRAND, t.BRAND_SOFT),
        "ticket while blinking": (t.ON_BRAND, t.BRAND),
        "English on the highlight and serving rows": (t.MUTED, t.BRAND_SOFT),
        "English on rows and buttons": (t.MUTED, t.SURFACE),
        "counter names": (t.BRAND, t.SURFACE),
        "headings": (t.BRAND, t.BG),
        "paused": (t.ON_AMBER, t.AMBER),
        "closed": (t.ON_GREY, t.GREY),
        "close buttons and faults": (t.ON_RED, t.RED),
        "buttons not usable yet": (t.MUTED, t.BG),
        "courtesy line": (t.TEXT, t.BRAND_SOFT),
    }
    low = {k: round(t.contrast(fg, bg), 2) for k, (fg, bg) in pairs.items()
           if t.contrast(fg, bg) < 7.0}
    assert low == {}
