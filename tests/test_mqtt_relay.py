"""The outbox relay against a real Mosquitto: every event on ``{base}/events/{type}``, QoS 1,
in ``seq`` order without gaps, payload as ``kiosk events --json`` plus branch and device;
marked sent only on PUBACK; the retained state and availability; cmd/ and discovery wired.

The helpers here (:class:`Listener`, :func:`mqtt_kiosk`) serve the other MQTT tests too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from kiosk import commands as c
from kiosk import mqtt as kiosk_mqtt
from kiosk.bootstrap import driver_context
from kiosk.clock import FakeClock
from kiosk.events import Event
from kiosk.mqtt import discovery
from kiosk.mqtt.publisher import MqttPublisher
from kiosk.mqtt.topics import HA_STATUS, Topics
from kiosk.service import Accepted, KioskService
from kiosk.store import Store
from tests.mosquitto import Broker
from tests.support import make_config, wait_for

TOPICS = Topics("kiosk", "east-city", "k1")


@dataclass
class Got:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    props: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.payload)


class Listener:
    """A paho v5 client of the test's own. ``durable=True``: a persistent session
    (clean_start false, an hour's session expiry) that keeps QoS 1 messages while it is
    away; it subscribes again on every connect."""

    def __init__(self, broker: Broker, topic: str = "#", *, client_id: str = "",
                 durable: bool = False, auth: tuple[str, str] | None = None) -> None:
        self.topic = topic
        self.got: list[Got] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=MQTTProtocolVersion.MQTTv5)
        if auth:
            self.client.username_pw_set(*auth)
        self.client.on_message = self._message
        self.client.on_connect = self._connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.reconnect_delay_set(1, 1)
        props = None
        if durable:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        self.client.connect(broker.host, broker.port, keepalive=30,
                            clean_start=not durable, properties=props)
        self.client.loop_start()
        assert self.subscribed.wait(10), "the test listener could not subscribe"

    def _connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(self.topic, qos=1)

    def _message(self, client: mqtt.Client, userdata: object, m: mqtt.MQTTMessage) -> None:
        props = dict(getattr(m.properties, "UserProperty", []) or [])
        with self.lock:
            self.got.append(Got(m.topic, bytes(m.payload), m.qos, bool(m.retain), props))

    def on(self, suffix: str) -> list[Got]:
        with self.lock:
            return [g for g in self.got if g.topic.endswith(suffix)]

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [g.json() for g in self.got if "/events/" in g.topic]

    def unique_seqs(self) -> list[int]:
        """Event seqs in arrival order, repeats dropped as a consumer does."""
        seen: set[int] = set()
        out: list[int] = []
        for e in self.events():
            if e["seq"] not in seen:
                seen.add(e["seq"])
                out.append(e["seq"])
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listen(broker: Broker) -> Iterator[Callable[..., Listener]]:
    made: list[Listener] = []

    def start(topic: str = "#", **kw: Any) -> Listener:
        made.append(Listener(kw.pop("at", broker), topic, **kw))
        return made[-1]

    yield start
    for lst in made:
        lst.close()


@dataclass
class MqttKiosk:
    svc: KioskService
    publisher: MqttPublisher
    db: Path

    def stop(self) -> None:
        self.svc.stop()
        self.svc.store.close()

    def unsent(self) -> list[int]:
        with sqlite3.connect(self.db) as db:
            return [r[0] for r in db.execute(
                "SELECT seq FROM outbox WHERE sent IS NULL ORDER BY seq")]

    def device(self, name: str) -> dict[str, str]:
        return self.svc.status.devices.get(name, {})


def mqtt_kiosk(tmp: Path, broker: Broker, clock: FakeClock | None = None,
               **mqtt_settings: Any) -> MqttKiosk:
    """A started service with the MQTT driver alone, on ``broker``, as branch east-city
    device k1."""
    cfg = make_config(tmp, mqtt={"url": broker.url, "keepalive_s": 5, **mqtt_settings},
                      branch={"code": "east-city", "device_id": "k1"})
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    parts = kiosk_mqtt.build(driver_context(cfg, svc.submit, "mqtt", lambda: svc.status))
    assert len(parts.subscribers) == 1
    pub = parts.subscribers[0]
    assert isinstance(pub, MqttPublisher)
    svc.add_subscriber(pub)
    svc.start()
    return MqttKiosk(svc, pub, cfg.storage_path)


@pytest.fixture
def kiosk_on(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., MqttKiosk]]:
    made: list[MqttKiosk] = []

    def start(broker: Broker, **kw: Any) -> MqttKiosk:
        made.append(mqtt_kiosk(tmp_path / f"k{len(made)}", broker, clock, **kw))
        return made[-1]

    yield start
    for k in made:
        k.stop()


def done(svc: KioskService, cmd: c.Command) -> Accepted:
    """Submit ``cmd``; it must be accepted."""
    result = svc.submit(cmd, "test").result(10)
    assert isinstance(result, Accepted), result
    return result


def busy_morning(svc: KioskService, tickets: int) -> None:
    """``tickets`` issued, each then called (call-next finishes the one before)."""
    for i in range(tickets):
        assert done(svc, c.Issue("A")).events
        assert done(svc, c.CallNext(1 + i % 2)).events


# --- events ------------------------------------------------------------------------------


def test_events_arrive_qos1_in_order_without_gaps_as_kiosk_events_gives_them(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk]) -> None:
    sub = listen(f"{TOPICS.base}/events/#")
    k = kiosk_on(broker)
    busy_morning(k.svc, 60)
    stored = k.svc.store.events()
    last = stored[-1].seq
    assert last is not None
    assert wait_for(lambda: last in sub.unique_seqs(), 15)
    got = sub.on("")
    events = [g.json() for g in got if "/events/" in g.topic]
    seqs = [e["seq"] for e in events]
    assert seqs[:last] == list(range(1, last + 1)), "every event once, in order, no gap"
    assert all(g.qos == 1 and not g.retain for g in got)
    by_seq = {e.seq: e for e in stored}
    for g in got:
        e = g.json()
        assert g.topic == TOPICS.event(e["type"])
        assert e.pop("branch") == "east-city" and e.pop("device") == "k1"
        if e["seq"] in by_seq:  # the store's own view (the device events are in it too)
            assert e == by_seq[e["seq"]].to_dict()
    assert {"issued", "called", "finished", "device_status"} <= {e["type"] for e in events}
    assert wait_for(lambda: k.unsent() == [], 10)


def test_a_row_is_marked_sent_only_when_its_puback_arrives(
        broker: Broker, kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker)
    assert wait_for(lambda: k.unsent() == [], 10)
    relay = k.publisher.relay
    held: list[tuple[int, int, str]] = []
    real_acked = relay.acked
    relay.acked = lambda mid, reason, reason_name: held.append(  # type: ignore[method-assign]
        (mid, reason, reason_name))
    seq = done(k.svc, c.Issue("A")).events[-1].seq
    assert wait_for(lambda: bool(held), 10)  # the broker's PUBACK came...
    time.sleep(0.3)
    assert seq in k.unsent()  # ...but was not recorded: the row stays unsent
    relay.acked = real_acked  # type: ignore[method-assign]
    for ack in held:
        relay.acked(*ack)
    assert wait_for(lambda: k.unsent() == [], 10)


# --- state and availability --------------------------------------------------------------


def test_retained_state_is_the_status_plus_ts_outbox_and_each_devices_since(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker)
    busy_morning(k.svc, 5)
    k.svc.submit(c.ReportDevice("printer", "paper_low", "near end"), "printer").result(10)
    assert wait_for(lambda: k.unsent() == [], 10)
    status = json.loads(json.dumps(k.svc.status.to_dict()))  # as `kiosk status --json`

    def latest() -> dict[str, Any] | None:
        states = sub.on("/state")
        return states[-1].json() if states else None

    sub = listen(TOPICS.state)  # joins late: the broker hands it the retained state
    assert wait_for(lambda: (s := latest()) is not None and
                    s["devices"].get("printer", {}).get("status") == "paper_low" and
                    s["outbox"]["backlog"] == 0, 10)
    assert sub.on("/state")[0].retain
    st = latest()
    assert st is not None
    for key in ("day", "services", "counters", "issued_today"):
        assert st[key] == status[key]
    assert st["devices"]["printer"]["since"] == status["devices"]["printer"]["since"] != ""
    assert st["devices"]["mqtt"]["status"] == "ok"
    assert st["outbox"] == {"backlog": 0, "alarm": False}
    assert st["session"] == k.publisher.link.session
    assert datetime.fromisoformat(st["ts"]).utcoffset() is not None


def test_a_burst_of_commands_sends_a_few_states_and_the_last_one_last(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker)
    assert wait_for(lambda: k.unsent() == [], 10)
    sub = listen(TOPICS.state)
    time.sleep(0.6)
    before = len(sub.on("/state"))
    for _ in range(200):
        k.svc.submit(c.Issue("B"), "test")
    last = done(k.svc, c.Issue("B"))
    assert wait_for(lambda: (s := sub.on("/state")) and
                    s[-1].json()["issued_today"] == last.status.issued_today, 10)
    sent = len(sub.on("/state")) - before
    assert 1 <= sent < 50, f"{sent} state messages for 201 commands"


def test_birth_is_retained_online_with_the_session_and_a_clean_stop_sends_offline(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker)
    assert wait_for(lambda: k.publisher.link.connected.is_set(), 10)
    session = k.publisher.link.session
    late = listen(TOPICS.availability)
    assert wait_for(lambda: bool(late.on("/availability")), 10)
    # ``late`` may have subscribed before the birth reached the broker and got it live
    # (retain flag clear); once it has it, the broker has stored it, so a newcomer must
    # be handed it as the retained message
    newcomer = listen(TOPICS.availability, client_id="newcomer")
    assert wait_for(lambda: bool(newcomer.on("/availability")), 10)
    birth = newcomer.on("/availability")[0]
    assert (birth.payload, birth.retain, birth.props) == (b"online", True,
                                                          {"session": session})
    assert late.on("/availability")[0].payload == b"online"
    k.stop()
    assert wait_for(lambda: late.on("/availability")[-1].payload == b"offline", 10)
    assert late.on("/availability")[-1].props == {"session": session}
    after = listen(TOPICS.availability, client_id="after-stop")
    assert wait_for(lambda: bool(after.on("/availability")), 10)
    assert after.on("/availability")[0].payload == b"offline"  # retained
    assert after.on("/availability")[0].retain


# --- commands and discovery ---------------------------------------------------------------


def test_a_command_on_cmd_is_carried_out_and_answered_on_reply(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker)
    assert wait_for(lambda: k.publisher.link.connected.is_set(), 10)
    time.sleep(0.3)  # its SUBSCRIBE went out with the birth; let the SUBACK come back
    sub = listen(f"{TOPICS.base}/#")
    sub.client.publish(TOPICS.cmd("issue"), json.dumps({"service": "C",
                                                        "request_id": "pc7-1"}), qos=1)
    assert wait_for(lambda: bool(sub.on("/reply")), 10)
    reply = sub.on("/reply")[0]
    assert not reply.retain
    body = reply.json()
    assert body["request_id"] == "pc7-1" and body["ok"] is True
    assert k.svc.status.service("C").waiting == 1  # type: ignore[union-attr]
    assert wait_for(lambda: any(e["type"] == "issued" and e["service"] == "C"
                                for e in sub.events()), 10)


def test_discovery_is_retained_on_connect_and_sent_again_when_home_assistant_restarts(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker)
    assert wait_for(lambda: k.publisher.link.connected.is_set(), 10)
    ctx = k.publisher.ctx
    first = len(discovery.configs(k.publisher.topics, ctx.branch, ctx.services, ctx.counters))
    assert first >= 3
    ha = listen("homeassistant/+/k1/+/config")
    assert wait_for(lambda: len(ha.on("/config")) == first, 10)
    late = listen("homeassistant/+/k1/+/config", client_id="late-reader")
    assert wait_for(lambda: len(late.on("/config")) == first, 10)
    assert all(g.retain for g in late.on("/config"))  # kept by the broker for late readers
    ha.client.publish(HA_STATUS, b"online", qos=1)
    assert wait_for(lambda: len(ha.on("/config")) == 2 * first, 10)


def test_no_discovery_when_it_is_off(broker: Broker, listen: Callable[..., Listener],
                                     kiosk_on: Callable[..., MqttKiosk]) -> None:
    ha = listen("homeassistant/#")
    k = kiosk_on(broker, discovery=False)
    assert wait_for(lambda: k.unsent() == [] and bool(k.device("mqtt")), 10)
    time.sleep(0.3)
    assert ha.on("/config") == []


def test_mqtt_off_builds_nothing_and_does_not_import_paho(tmp_path: Path) -> None:
    import subprocess
    import sys
    code = ("import sys; from tests.support import make_config; from kiosk import mqtt;"
            "from kiosk.bootstrap import driver_context;"
            "cfg = make_config(); parts = mqtt.build(driver_context(cfg, None, 'mqtt'));"
            "assert parts.subscribers == [] and 'paho' not in sys.modules, sys.modules.keys()")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent,
                   timeout=60)


def test_a_failure_in_the_relay_shows_and_the_relay_starts_again(
        broker: Broker, listen: Callable[..., Listener], kiosk_on: Callable[..., MqttKiosk],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk import outbox
    from kiosk.mqtt import relay

    monkeypatch.setattr(relay, "RESTART_AFTER_S", 0.2)
    real_pending = outbox.Outbox.pending
    failures = [sqlite3.OperationalError("disk I/O error")]

    def pending(self: outbox.Outbox, after: int = 0, limit: int = 500) -> list[Any]:
        if failures:
            raise failures.pop()
        return real_pending(self, after, limit)

    monkeypatch.setattr(outbox.Outbox, "pending", pending)
    sub = listen(f"{TOPICS.base}/events/#")
    k = kiosk_on(broker)
    assert wait_for(lambda: "Sending events failed" in
                    k.device("mqtt.outbox").get("detail", ""), 10)
    busy_morning(k.svc, 3)
    assert wait_for(lambda: k.device("mqtt.outbox").get("status") == "ok", 10)
    assert wait_for(lambda: k.unsent() == [], 10)
    last = k.svc.store.events()[-1].seq
    assert wait_for(lambda: last in sub.unique_seqs(), 10)
    assert sub.unique_seqs() == list(range(1, (last or 0) + 1))


def test_the_relay_prunes_old_sent_rows_at_start_and_keeps_unsent_ones(
        broker: Broker, tmp_path: Path, kiosk_on: Callable[..., MqttKiosk]) -> None:
    db = tmp_path / "k0" / "kiosk.db"  # where kiosk_on's first kiosk keeps its store
    db.parent.mkdir()
    store = Store(db)
    store.append([Event("day_started", "2026-10-01T09:00:00+08:00", "2026-10-01")] +
                 [Event("issued", "2026-10-01T09:00:00+08:00", "2026-10-01", f"A{i:03d}",
                        "A", None, "test", {"number": i}) for i in range(1, 11)])
    store.close()
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    with sqlite3.connect(db) as conn:  # 1-5 went out long ago; 6-11 never did
        conn.execute("UPDATE outbox SET sent = ? WHERE seq <= 5", [long_ago])
    k = kiosk_on(broker, outbox_keep_days=30)
    assert wait_for(lambda: k.unsent() == [], 10)  # 6-11 (and what came since) went out
    with sqlite3.connect(db) as conn:
        left = [r[0] for r in conn.execute("SELECT seq FROM outbox ORDER BY seq")]
    assert left[:6] == list(range(6, 12)) and 5 not in left, left


def test_the_relay_keeps_within_the_brokers_receive_maximum(
        tmp_path: Path, kiosk_on: Callable[..., MqttKiosk]) -> None:
    small = Broker(tmp_path / "small")  # its CONNACK says Receive Maximum 6
    small.conf.write_text(small.conf.read_text() + "max_inflight_messages 6\n")
    k = kiosk_on(small)  # the broker is not up yet: a backlog builds up
    busy_morning(k.svc, 150)
    with small:
        assert wait_for(lambda: k.unsent() == [], 30)  # every PUBACK came: none refused
        assert k.publisher.link.receive_max == 6
        # the drain filled the window it was allowed, and no more, a little left for the
        # state and the rest (paho alone would allow 20)
        assert k.publisher.relay.peak_inflight == 6 - 1
        k.stop()
