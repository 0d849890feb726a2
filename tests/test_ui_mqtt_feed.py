"""The hall board's MQTT feed against a real Mosquitto on a free port: retained state
seeds it, events follow, a broker outage is reported and recovered from."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from kiosk.errors import ConfigError
from kiosk.mqtt.topics import Topics
from tests.mosquitto import Broker
from tests.support import make_config
from tests.test_ui_hall_model import counter, status
from ui.mqtt_feed import MqttFeed, feed_for, topics_for

TOPICS = Topics("kiosk", "demo", "kiosk-1")
Call = tuple[str, tuple[Any, ...]]


class Recorder:
    """The feed's callbacks; ``post`` runs them at once, on paho's thread, recorded."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Call] = queue.Queue()

    def post(self, fn: Callable[[], None]) -> None:
        fn()

    def online(self, st: dict[str, Any]) -> None:
        self.calls.put(("online", (st,)))

    def event(self, e: dict[str, Any], st: dict[str, Any]) -> None:
        self.calls.put(("event", (e, st)))

    def offline(self) -> None:
        self.calls.put(("offline", ()))

    def status(self, st: dict[str, Any]) -> None:
        self.calls.put(("status", (st,)))

    def next(self, timeout: float = 15.0) -> Call:
        return self.calls.get(timeout=timeout)


def publisher(broker: Broker) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-kiosk", protocol=mqtt.MQTTv5)
    c.connect(broker.host, broker.port)
    c.loop_start()
    return c


def publish(c: mqtt.Client, topic: str, payload: Any, retain: bool = False) -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    c.publish(topic, data, qos=1, retain=retain).wait_for_publish(10)


def state(*counters: dict[str, Any]) -> dict[str, Any]:
    return {**status(*counters), "ts": "2026-11-23T10:00:00+08:00"}


def event(kind: str, seq: int, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "ts": "2026-11-23T10:00:01+08:00", "day": "2026-11-23",
            "ticket": None, "service": None, "counter": None, "source": "button", "data": {},
            "seq": seq, "branch": "demo", "device": "kiosk-1", **kw}


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def feed(broker: Broker, rec: Recorder) -> Iterator[MqttFeed]:
    cfg = make_config(mqtt={"url": broker.url})
    f = MqttFeed(cfg.mqtt, TOPICS, rec.online, rec.event, rec.offline, post=rec.post,
                 on_status=rec.status, client_id="hall-test")
    yield f
    f.stop()


def test_retained_state_seeds_then_events_follow(broker: Broker, rec: Recorder,
                                                 feed: MqttFeed) -> None:
    pub = publisher(broker)
    try:
        publish(pub, TOPICS.availability, b"online", retain=True)
        publish(pub, TOPICS.state, state(counter(1, current="A001")), retain=True)
        feed.start()  # after the publish: only a retained state can reach it
        kind, (st,) = rec.next()
        assert kind == "online" and st["counters"][0]["current"] == "A001"
        publish(pub, TOPICS.event("called"), event("called", 7, ticket="A002", counter=2))
        kind, (e, st) = rec.next()
        assert kind == "event" and (e["type"], e["ticket"], e["seq"]) == ("called", "A002", 7)
        assert st["counters"][0]["current"] == "A001"  # the latest state, until the next
        publish(pub, TOPICS.state, state(counter(1, "paused", redirect=2)), retain=True)
        kind, (st,) = rec.next()
        assert kind == "status" and st["counters"][0]["status"] == "paused"
        # what is not ours or not JSON is dropped; the feed carries on
        publish(pub, TOPICS.event("called"), b"\xff not json")
        publish(pub, TOPICS.state, ["not", "a", "state"], retain=True)
        publish(pub, "kiosk/demo/kiosk-2/events/called", event("called", 8, ticket="X"))
        publish(pub, TOPICS.event("recalled"), event("recalled", 9, ticket="A002", counter=2))
        kind, (e, _st) = rec.next()
        assert (kind, e["type"]) == ("event", "recalled")
        publish(pub, TOPICS.availability, b"offline", retain=True)
        assert rec.next()[0] == "offline"
    finally:
        pub.loop_stop()
        pub.disconnect()


def test_events_replayed_from_a_backlog_are_not_new_calls(broker: Broker, rec: Recorder,
                                                          feed: MqttFeed) -> None:
    pub = publisher(broker)
    try:
        publish(pub, TOPICS.state, {**state(counter(1, current="A009")),
                                    "ts": "2026-11-23T10:05:00.000+08:00"}, retain=True)
        feed.start()
        assert rec.next()[0] == "online"
        old = event("called", 3, ticket="A003", counter=1, ts="2026-11-23T09:40:00+08:00")
        live = event("called", 10, ticket="A010", counter=1, ts="2026-11-23T10:05:00+08:00")
        publish(pub, TOPICS.event("called"), old)
        publish(pub, TOPICS.event("called"), live)
        kind, (e, _st) = rec.next()
        assert (kind, e["ticket"]) == ("event", "A010")  # A003 was not shown as a call
    finally:
        pub.loop_stop()
        pub.disconnect()


def test_broker_outage_goes_offline_and_recovers(broker: Broker, rec: Recorder,
                                                 feed: MqttFeed) -> None:
    pub = publisher(broker)
    publish(pub, TOPICS.state, state(counter(1)), retain=True)
    pub.loop_stop()
    pub.disconnect()
    feed.start()
    assert rec.next()[0] == "online"
    broker.stop()
    assert rec.next()[0] == "offline"
    assert rec.calls.empty()
    broker.start()  # no persistence: the kiosk publishes its state again when it is back
    pub = publisher(broker)
    try:
        publish(pub, TOPICS.state, state(counter(1, current="A005")), retain=True)
        kind, (st,) = rec.next()
        assert kind == "online" and st["counters"][0]["current"] == "A005"
        assert feed.connects >= 2
    finally:
        pub.loop_stop()
        pub.disconnect()


def test_start_with_the_broker_down_never_blocks(tmp_path: Path, rec: Recorder) -> None:
    broker = Broker(tmp_path / "b")  # configured, never started: nothing listens
    cfg = make_config(mqtt={"url": broker.url})
    f = MqttFeed(cfg.mqtt, TOPICS, rec.online, rec.event, rec.offline, post=rec.post)
    t0 = time.monotonic()
    f.start()
    started = time.monotonic() - t0
    f.stop()
    assert started < 1.0  # connecting happens on paho's thread
    assert rec.calls.empty()


def test_send_is_answered_unavailable(feed: MqttFeed) -> None:
    replies: list[dict[str, Any]] = []
    feed.send("call-next", {"counter": 1}, replies.append)
    assert replies[0]["ok"] is False and replies[0]["code"] == "service_unavailable"


def test_topics_follow_hall_follow_or_the_own_device() -> None:
    cfg = make_config(branch={"code": "sh-east", "device_id": "hall-1"},
                      mqtt={"url": "mqtt://broker.example", "prefix": "kq"})
    assert topics_for(cfg).base == "kq/sh-east/hall-1"
    cfg = make_config(branch={"code": "sh-east"}, mqtt={"url": "mqtt://b.example"},
                      ui={"hall_follow": "kiosk-east-01"})
    assert topics_for(cfg).state == "kiosk/sh-east/kiosk-east-01/state"
    with pytest.raises(ValueError, match="MQTT is off"):
        feed_for(make_config(), print, print, print)


@pytest.mark.parametrize("ui", [{"hall_follow": "east/01"}, {"hall_follow": ""},
                                {"hall_highlight_s": 0}, {"hall_highlight_s": 31}])
def test_hall_settings_are_checked(ui: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        make_config(ui=ui)
