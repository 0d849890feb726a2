"""CoreLink against a real core process: status on connect, events as they commit,
commands that never block the caller, offline/online across a restart. No window:
``post`` stands in for Kivy's clock and records which thread each callback came from."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk_proc import KioskProcess, write_config
from ui.link import CoreLink

Item = tuple[str, Any]


class Recorder:
    def __init__(self) -> None:
        self.items: queue.Queue[Item] = queue.Queue()
        self.callers: set[str] = set()

    def post(self, fn: Callable[[], None]) -> None:
        self.callers.add(threading.current_thread().name)
        fn()

    def next(self, kind: str, timeout: float = 20.0) -> Any:
        """The next item of ``kind`` (others before it are dropped)."""
        while True:
            got, value = self.items.get(timeout=timeout)
            if got == kind:
                return value


@pytest.fixture
def core(tmp_path: Path) -> Iterator[KioskProcess]:
    k = KioskProcess(write_config(tmp_path)).start()
    try:
        yield k
    finally:
        k.ensure_stopped()


@pytest.fixture
def link(core: KioskProcess) -> Iterator[tuple[CoreLink, Recorder]]:
    rec = Recorder()
    link = CoreLink(core.socket, lambda s: rec.items.put(("online", s)),
                    lambda e, s: rec.items.put(("event", (e, s))),
                    lambda: rec.items.put(("offline", None)), post=rec.post).start()
    try:
        yield link, rec
    finally:
        link.stop()


def test_status_on_connect_then_each_event_with_its_status(
        link: tuple[CoreLink, Recorder]) -> None:
    lk, rec = link
    status = rec.next("online")
    assert {s["prefix"] for s in status["services"]} == {"A", "B", "C"}
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    lk.send("issue", {"service": "B"}, replies.put)
    reply = replies.get(timeout=10)
    assert reply["ok"] and reply["events"][0]["ticket"] == "B001"
    event, after = rec.next("event")
    while event["type"] != "issued":
        event, after = rec.next("event")
    assert event["ticket"] == "B001"
    assert next(s for s in after["services"] if s["prefix"] == "B")["waiting"] == 1
    # callbacks come from the link's threads, handed to post: never from the caller
    assert rec.callers <= {"ui-watch", "ui-commands"}


def test_a_refusal_is_a_reply_not_an_exception(link: tuple[CoreLink, Recorder]) -> None:
    lk, rec = link
    rec.next("online")
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    lk.send("call-next", {"counter": 9}, replies.put)
    reply = replies.get(timeout=10)
    assert reply["ok"] is False and reply["code"] == "no_such_counter"
    assert reply["message_zh"] and reply["message_en"]


def test_offline_while_the_core_is_away_and_online_again_after_a_restart(
        core: KioskProcess, link: tuple[CoreLink, Recorder]) -> None:
    lk, rec = link
    rec.next("online")
    assert core.terminate() == 0
    assert rec.next("offline") is None
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    lk.send("issue", {"service": "A"}, replies.put)  # returns at once; the reply says why
    reply = replies.get(timeout=15)
    assert reply["ok"] is False and reply["code"] == "service_unavailable"
    core.start()
    status = rec.next("online")
    assert status["issued_today"] == 0  # the refused ticket was never taken
    lk.send("issue", {"service": "A"}, replies.put)
    assert replies.get(timeout=10)["ok"]  # the command connection came back by itself
    assert lk.connects == 2


def test_a_link_started_before_the_core_waits_for_it(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    core = KioskProcess(cfg)
    rec = Recorder()
    lk = CoreLink(core.socket, lambda s: rec.items.put(("online", s)),
                  lambda e, s: rec.items.put(("event", (e, s))),
                  lambda: rec.items.put(("offline", None)), post=rec.post).start()
    try:
        assert rec.next("offline") is None  # said once, calmly, then it keeps trying
        core.start()
        assert rec.next("online")["day"]
    finally:
        lk.stop()
        core.ensure_stopped()
