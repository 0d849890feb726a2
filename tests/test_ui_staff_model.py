"""The staff panel's words and choices from a status, events and replies (no Kivy)."""

from __future__ import annotations

from typing import Any

from kiosk.messages import text
from tests.test_ui_hall_model import counter, status
from ui.staff_model import (
    DESTRUCTIVE,
    NoShows,
    confirm_close,
    confirm_reinstate,
    confirm_transfer,
    counter_actions,
    counter_lines,
    device_lines,
    priority_label,
    queue_lines,
    redirect_choices,
    reply_words,
    transfer_targets,
)


def test_actions_follow_the_counter_state() -> None:
    assert counter_actions(counter(1)) == ["pause", "close"]
    assert counter_actions(counter(1, current="A001")) == ["pause", "transfer", "close"]
    assert counter_actions(counter(1, "paused")) == ["resume", "close"]
    assert counter_actions(counter(1, "closed")) == ["open"]
    assert {"close", "transfer", "reinstate"} == DESTRUCTIVE
    lines = counter_lines(status(counter(2, "paused", redirect=1), counter(1, current="A3")))
    assert [(ln.id, ln.actions, ln.state.zh) for ln in lines] == [
        (1, ("pause", "transfer", "close"), "正在办理 A3"),
        (2, ("resume", "close"), "暂停服务 → 请到1号窗口")]


def test_redirect_and_transfer_choices_are_other_open_counters() -> None:
    st = status(counter(1, current="A001"), counter(2), counter(3, "paused"),
                counter(4, "closed"), counter(5))
    assert redirect_choices(st, 1) == [2, 5]
    targets = transfer_targets(st, 1)
    assert [(k, v) for k, v, _ in targets] == [("service", "A"), ("service", "B"),
                                               ("counter", 2), ("counter", 5)]
    assert targets[1][2].zh == "理赔业务" and targets[3][2].en == "counter 5"


def test_confirmations_say_what_will_happen() -> None:
    st = status(counter(1), counter(2))  # service A's only open counter is 1
    close1 = confirm_close(st, 1)
    assert "关闭1号窗口" in close1.zh and "业务办理" in close1.zh
    assert "Underwriting will then have no open counter" in close1.en
    assert "no open counter" not in confirm_close(st, 2).en
    assert "队首" in confirm_reinstate("A005").zh and "A005" in confirm_reinstate("A005").en
    t = confirm_transfer(1, "A001", text("staff_target_counter", counter=2))
    assert "2号窗口" in t.zh and "A001" in t.zh and "counter 2" in t.en


def test_queue_lines() -> None:
    st = status()
    st["services"][0].update(waiting=3, wait_minutes=15, next_tickets=["A004", "A005"])
    a, b = queue_lines(st)
    assert a.head.zh == "业务办理：等候 3 人，约 15 分钟" and a.next.zh == "下一位：A004 A005"
    assert b.next == text("staff_queue_empty")


def test_no_shows_from_events() -> None:
    ns = NoShows()
    day = "2026-11-23"
    ns.load([{"type": "no_show", "ticket": "A001", "day": day},
             {"type": "no_show", "ticket": "A002", "day": day},
             {"type": "reinstated", "ticket": "A001", "day": day},
             {"type": "no_show", "ticket": "B001", "day": day}])
    assert ns.tickets == ["A002", "B001"]
    assert ns.words().zh == "今日过号：A002 B001"
    assert ns.on_event({"type": "called", "ticket": "A002", "day": day})
    assert ns.on_event({"type": "day_started", "day": "2026-11-24"})
    assert ns.tickets == [] and ns.words() == text("staff_no_shows_none")


def test_device_lines() -> None:
    st: dict[str, Any] = status()
    st["devices"] = {"printer": {"status": "paper_out", "detail": "paper end"},
                     "display-2": {"status": "ok", "detail": ""},
                     "voice": {"status": "paper_low", "detail": ""},
                     "mystery": {"status": "weird", "detail": "x"}}
    st["outbox"] = {"backlog": 12, "alarm": False}
    lines = {ln.name.en: ln for ln in device_lines(st)}
    assert lines["Ticket printer"].state.zh == "缺纸，请更换票纸"
    assert lines["Ticket printer"].tone == "fault" and lines["Ticket printer"].detail == "paper end"
    assert lines["Display 2"].tone == "ok"
    assert lines["mystery"].state.en == "weird"
    assert (lines["Outbox backlog"].state.en, lines["Outbox backlog"].tone) == ("12", "warn")


def test_reply_words() -> None:
    refused = {"ok": False, "code": "counter_busy", "message_zh": "请先办结", "message_en": "x"}
    assert reply_words("pause", {}, refused).zh == "请先办结"
    assert reply_words("pause", {}, {"ok": False}) == text("staff_offline")
    issued = {"ok": True, "events": [{"type": "issued", "ticket": "A101"}]}
    words = reply_words("issue", {"service": "A", "priority": "elderly"}, issued)
    assert words.zh == "优先号 A101 已发放（老年客户）"
    assert words.en == "Priority ticket A101 issued (Elderly customer)"
    reprinted = {"ok": True, "events": [{"type": "reprinted", "ticket": "B002"}]}
    assert "B002" in reply_words("reprint", {}, reprinted).zh
    assert reply_words("open", {"counter": 1}, {"ok": True, "events": []}) == text("staff_done")
    assert priority_label("pregnant").en == "pregnant"
