"""cmd/{action} over MQTT: what reaches the command queue, and the one reply per message.

The unit part drives :class:`CommandHandler` with a recording ``submit``; hostile and
random payloads (Hypothesis) must each get exactly one error reply and never be queued.
"""

from __future__ import annotations

import json
import queue
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from kiosk import bootstrap
from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.core import Rejected
from kiosk.events import Event
from kiosk.mqtt.commands import ACTIONS, MAX_PAYLOAD, CommandHandler
from kiosk.service import Accepted
from tests.mosquitto import Broker
from tests.support import OFFICE, at, make_config, wait_for

ISSUED = Event(type="issued", ts="2026-11-25T09:00:00+08:00", day="2026-11-25", ticket="A001",
               service="A", counter=None, source="mqtt", data={"ahead": 0}, seq=7)


class Recorder:
    """A fake command queue: records what is queued, answers with ``answer``."""

    def __init__(self, answer: Any = None, *, resolve: bool = True) -> None:
        self.submitted: list[tuple[c.Command, str]] = []
        self.replies: list[dict[str, Any]] = []
        self.futures: list[Future[Any]] = []
        self.answer = answer if answer is not None else Accepted([ISSUED], None)  # type: ignore[arg-type]
        self.resolve = resolve
        self.handler = CommandHandler(self.submit, self.reply)

    def submit(self, cmd: c.Command, source: str) -> Future[Any]:
        self.submitted.append((cmd, source))
        fut: Future[Any] = Future()
        self.futures.append(fut)
        if self.resolve:
            fut.set_result(self.answer)
        return fut

    def reply(self, data: bytes) -> None:
        self.replies.append(json.loads(data))  # every reply is one UTF-8 JSON object


# --- valid commands ------------------------------------------------------------------------

VALID = [
    ("issue", {"service": "A"}, c.Issue("A")),
    ("issue", {"service": "b", "priority": "elderly"}, c.Issue("B", "elderly")),
    ("call-next", {"counter": 3}, c.CallNext(3)),
    ("recall", {"counter": 1}, c.Recall(1)),
    ("no-show", {"counter": 2}, c.NoShow(2)),
    ("reinstate", {"ticket": "a012"}, c.Reinstate("A012")),
    ("finish", {"counter": 999}, c.Finish(999)),
    ("transfer", {"counter": 1, "to_service": "c"}, c.Transfer(1, to_service="C")),
    ("transfer", {"counter": 1, "to_counter": 4}, c.Transfer(1, to_counter=4)),
    ("pause", {"counter": 2, "reason": "break", "redirect": 3}, c.Pause(2, "break", 3)),
    ("resume", {"counter": 2}, c.Resume(2)),
    ("open", {"counter": 5}, c.Open(5)),
    ("close", {"counter": 5}, c.Close(5)),
    ("reprint", {}, c.Reprint()),
    ("reprint", {"ticket": "A001", "request_id": "x"}, c.Reprint("A001")),
]


@pytest.mark.parametrize(("action", "body", "expected"), VALID)
def test_a_valid_command_is_queued_as_the_cli_would(action: str, body: dict[str, Any],
                                                   expected: c.Command) -> None:
    rec = Recorder()
    rec.handler.handle(action, json.dumps(body).encode())
    assert rec.submitted == [(expected, "mqtt")]
    assert rec.replies == [{"request_id": body.get("request_id"), "ok": True, "code": "ok",
                            "message": None, "events": [ISSUED.to_dict()]}]


def test_every_action_is_a_cli_subcommand_and_nothing_else() -> None:
    from kiosk.cli import COMMANDS

    assert set(ACTIONS) <= set(COMMANDS)
    assert {"status", "events", "rate", "report-device", "run", "watch"}.isdisjoint(ACTIONS)


def test_a_refusal_comes_back_in_both_languages_with_its_request_id() -> None:
    rec = Recorder(Rejected("queue_empty", {"counter": 3}))
    rec.handler.handle("call-next", b'{"counter": 3, "request_id": 42}')
    (r,) = rec.replies
    assert (r["request_id"], r["ok"], r["code"], r["events"]) == (42, False, "queue_empty", [])
    assert r["message"]["zh"].startswith("3号窗口") and "counter 3" in r["message"]["en"]


def test_a_service_failure_is_one_service_unavailable_reply() -> None:
    rec = Recorder(resolve=False)
    rec.handler.handle("finish", b'{"counter": 1, "request_id": "f1"}')
    assert rec.replies == []  # not before the command is done: handle never waits
    rec.futures[0].set_exception(RuntimeError("store gone"))
    assert [(r["request_id"], r["code"]) for r in rec.replies] == [("f1", "service_unavailable")]


def test_a_repeated_request_id_is_answered_again_not_done_twice() -> None:
    rec = Recorder(resolve=False)
    body = b'{"counter": 2, "request_id": "pc7-1"}'
    rec.handler.handle("call-next", body)
    rec.handler.handle("call-next", body)  # QoS 1 redelivery while the first is queued
    assert len(rec.submitted) == 1 and rec.replies == []
    rec.futures[0].set_result(Accepted([ISSUED], None))  # type: ignore[arg-type]
    assert len(rec.replies) == 2 and rec.replies[0] == rec.replies[1]
    rec.handler.handle("call-next", body)  # and once more, after the reply went out
    assert len(rec.submitted) == 1 and len(rec.replies) == 3
    rec.handler.handle("call-next", b'{"counter": 2, "request_id": "pc7-2"}')
    assert len(rec.submitted) == 2


def test_a_retained_command_is_refused() -> None:
    rec = Recorder()
    rec.handler.handle("call-next", b'{"counter": 2, "request_id": "r"}', retained=True)
    assert rec.submitted == []
    assert [(r["request_id"], r["code"]) for r in rec.replies] == [("r", "bad_command")]


def test_a_failing_publish_does_not_reach_the_caller() -> None:
    def boom(_data: bytes) -> None:
        raise OSError("socket gone")

    queued: list[c.Command] = []

    def submit(cmd: c.Command, _source: str) -> Future[Any]:
        queued.append(cmd)
        f: Future[Any] = Future()
        f.set_result(Rejected("queue_empty", {"counter": 1}))
        return f

    h = CommandHandler(submit, boom)
    h.handle("call-next", b'{"counter": 1}')  # must not raise on paho's thread
    h.handle("call-next", b"{")
    assert queued == [c.CallNext(1)]


# --- hostile payloads ----------------------------------------------------------------------

DEEP = b'{"service": ' + b"[" * 2000 + b"]" * 2000 + b', "request_id": "d"}'
HOSTILE: list[tuple[str, str, bytes, Any]] = [
    ("malformed", "issue", b'{"service": "A"', None),
    ("trailing", "issue", b'{"service": "A"} {"service": "B"}', None),
    ("empty", "reprint", b"", None),
    ("unknown action", "format-disk", b'{"request_id": "u"}', "u"),
    ("read action", "events", b'{"request_id": "e"}', "e"),
    ("device report", "report-device", b'{"device": "printer", "status": "ok"}', None),
    ("action with a slash", "call-next/x", b'{"counter": 1}', None),
    ("counter as text", "call-next", b'{"counter": "3", "request_id": "t"}', "t"),
    ("counter as float", "call-next", b'{"counter": 3.0}', None),
    ("counter as bool", "call-next", b'{"counter": true}', None),
    ("counter as list", "call-next", b'{"counter": [3]}', None),
    ("counter too big", "call-next", b'{"counter": 1000}', None),
    ("huge int", "call-next", b'{"counter": 123456789012345678901234567890}', None),
    ("huge request_id", "call-next", b'{"counter": 1, "request_id": 1' + b"0" * 40 + b"}",
     None),
    ("NaN", "call-next", b'{"counter": NaN}', None),
    ("Infinity", "call-next", b'{"counter": Infinity}', None),
    ("1e999", "call-next", b'{"counter": 1e999}', None),
    ("not UTF-8", "issue", b'{"service": "\xff\xfe", "request_id": "n"}', None),
    ("latin-1", "issue", '{"service": "Ä"}'.encode("latin-1"), None),
    ("lone surrogate", "issue", b'{"service": "\\ud800", "request_id": "s"}', None),
    ("deep nesting", "issue", DEEP, None),
    ("over the size limit", "issue",
     b'{"service": "A", "reason": "' + b"x" * MAX_PAYLOAD + b'"}', None),
    ("a list", "issue", b'[{"service": "A"}]', None),
    ("a string", "issue", b'"A"', None),
    ("a number", "call-next", b"3", None),
    ("null", "reprint", b"null", None),
    ("unknown key", "call-next", b'{"counter": 1, "cmd": "close", "request_id": "k"}', "k"),
    ("args nested as socket", "call-next", b'{"args": {"counter": 1}}', None),
    ("missing counter", "call-next", b'{"request_id": "m"}', "m"),
    ("control chars", "issue", b'{"service": "A\\u0000"}', None),
    ("overlong reason", "pause", json.dumps({"counter": 1, "reason": "r" * 201}).encode(), None),
    ("empty ticket", "reinstate", b'{"ticket": ""}', None),
    ("request_id as object", "call-next", b'{"counter": 1, "request_id": {"a": 1}}', None),
    ("request_id too long", "call-next",
     json.dumps({"counter": 1, "request_id": "r" * 65}).encode(), None),
]


@pytest.mark.parametrize(("why", "action", "payload", "rid"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_payload_gets_one_error_reply_and_is_never_queued(
        why: str, action: str, payload: bytes, rid: Any) -> None:
    rec = Recorder()
    rec.handler.handle(action, payload)
    assert rec.submitted == []
    (r,) = rec.replies
    assert (r["ok"], r["code"], r["request_id"], r["events"]) == (False, "bad_command", rid, [])
    assert r["message"]["zh"] and r["message"]["en"]
    assert len(json.dumps(r)) < 2048  # the detail is bounded, not an echo of the payload


# --- random payloads -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)
arg_names = st.sampled_from(["service", "priority", "counter", "ticket", "to_service",
                             "to_counter", "reason", "redirect", "request_id", "day"])
objects = st.dictionaries(arg_names | st.text(max_size=8), json_values, max_size=5)
actions = st.sampled_from([*sorted(ACTIONS), "status", "rate", "report-device", ""]) | st.text()


def _one_reply_and_queued_iff_ok(rec: Recorder) -> None:
    assert len(rec.replies) == 1
    (r,) = rec.replies
    assert set(r) == {"request_id", "ok", "code", "message", "events"}
    assert len(rec.submitted) == (0 if r["code"] == "bad_command" else 1)
    assert all(src == "mqtt" for _, src in rec.submitted)


@settings(max_examples=300, deadline=None)
@given(actions, st.binary(max_size=MAX_PAYLOAD + 64))
def test_arbitrary_bytes_never_raise_and_get_exactly_one_reply(action: str, payload: bytes) -> None:
    rec = Recorder()
    rec.handler.handle(action, payload)
    _one_reply_and_queued_iff_ok(rec)


@settings(max_examples=400, deadline=None)
@given(actions, json_values | objects)
def test_arbitrary_json_never_raises_and_only_valid_commands_are_queued(action: str,
                                                                       value: Any) -> None:
    rec = Recorder()
    rec.handler.handle(action, json.dumps(value).encode())
    _one_reply_and_queued_iff_ok(rec)
    for cmd, _ in rec.submitted:  # what was queued is exactly what the control socket takes
        args = {k: v for k, v in value.items() if k != "request_id"}
        for k in ("service", "ticket", "to_service"):
            if isinstance(args.get(k), str):
                args[k] = args[k].upper()
        assert cmd == c.from_wire({"cmd": action, "args": args})


# --- end to end: a real broker, a real kiosk ------------------------------------------------


def test_cmd_issue_through_a_real_broker_and_kiosk(tmp_path: Path, broker: Broker) -> None:
    cfg = make_config(tmp_path, hours=OFFICE, branch={"code": "east-city", "device_id": "k1"},
                      mqtt={"url": broker.url})
    kiosk = bootstrap.build(cfg, clock=FakeClock(at(2026, 11, 23, 10)), control=False)
    replies: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscribed = threading.Event()
    pc = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pc.on_message = lambda _c, _u, m: replies.put(m)
    pc.on_subscribe = lambda *_a: subscribed.set()
    pc.on_connect = lambda cl, *_a: cl.subscribe("kiosk/east-city/k1/reply", qos=1)
    pc.connect(broker.host, broker.port)
    pc.loop_start()
    kiosk.start()
    try:
        assert subscribed.wait(10)
        wait_for(lambda: kiosk.service.status.devices.get("mqtt", {}).get("status") == "ok",
                 timeout=10)
        cmd = "kiosk/east-city/k1/cmd/"
        pc.publish(cmd + "issue", b'{"service": "a", "request_id": "pc-1"}', qos=1)
        r = json.loads(replies.get(timeout=10).payload)
        assert (r["request_id"], r["ok"], r["code"]) == ("pc-1", True, "ok")
        issued = [e for e in r["events"] if e["type"] == "issued"]
        assert [(e["ticket"], e["source"]) for e in issued] == [("A001", "mqtt")]
        pc.publish(cmd + "call-next", b'{"counter": "1", "request_id": "pc-2"}', qos=1)
        r = json.loads(replies.get(timeout=10).payload)
        assert (r["request_id"], r["ok"], r["code"]) == ("pc-2", False, "bad_command")
        pc.publish(cmd + "call-next", b'{"counter": 3, "request_id": "pc-3"}', qos=1)
        r = json.loads(replies.get(timeout=10).payload)  # counter 3 serves B only
        assert (r["request_id"], r["ok"], r["code"]) == ("pc-3", False, "queue_empty")
        assert "3" in r["message"]["zh"] and "counter 3" in r["message"]["en"]
        # nothing but the one issue changed the queue
        assert kiosk.service.status.issued_today == 1
        assert kiosk.service.status.service("A").waiting == 1  # type: ignore[union-attr]
    finally:
        kiosk.stop()
        pc.disconnect()
        pc.loop_stop()
