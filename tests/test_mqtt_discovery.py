"""Home Assistant discovery: the configs themselves, and a real kiosk publishing them
through the shipped ACL."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import bootstrap
from kiosk.clock import FakeClock
from kiosk.mqtt.discovery import configs
from kiosk.mqtt.topics import Topics
from tests.mosquitto import Broker
from tests.support import OFFICE, at, make_config, wait_for
from tests.test_mosquitto_configs import PASSWORDS, Client, branch_broker

TOPIC = re.compile(r"homeassistant/(sensor|binary_sensor)/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)/config")


def _all(cfg: Any, device: str = "k1") -> dict[str, dict[str, Any]]:
    out = configs(Topics("kiosk", cfg.branch.code, device), cfg.branch, cfg.services,
                  cfg.counters)
    return {t: json.loads(p) for t, p in out}


def test_one_device_with_the_sensors_it_needs() -> None:
    cfg = make_config(branch={"code": "east-city", "device_id": "k1"})
    got = _all(cfg)
    ids = {TOPIC.fullmatch(t).group(3) for t in got}  # type: ignore[union-attr]
    assert ids == ({f"waiting_{p}" for p in cfg.services} | {f"counter_{c}" for c in cfg.counters}
                   | {"printer", "outbox_backlog", "outbox_alarm", "issued_today"})
    for topic, body in got.items():
        m = TOPIC.fullmatch(topic)
        assert m and m.group(2) == "k1", topic  # node_id = device_id, as the ACL expects
        assert body["state_topic"] == "kiosk/east-city/k1/state"
        assert body["availability_topic"] == "kiosk/east-city/k1/availability"
        assert (body["payload_available"], body["payload_not_available"]) == ("online",
                                                                              "offline")
        assert re.fullmatch(r"[a-zA-Z0-9_-]+", body["unique_id"])
        assert body["device"]["identifiers"] == ["kiosk_east-city_k1"]
        assert {"name", "manufacturer", "model"} <= set(body["device"])
        assert "{{" in body["value_template"] and "value_json" in body["value_template"]
        assert " / " in body["name"]  # Chinese first, then English
    assert len({b["unique_id"] for b in got.values()}) == len(got)
    counter = got["homeassistant/sensor/k1/counter_1/config"]
    assert counter["device_class"] == "enum" and counter["options"] == ["open", "paused",
                                                                        "closed"]
    waiting = got["homeassistant/sensor/k1/waiting_A/config"]
    assert waiting["state_class"] == "measurement" and "'A'" in waiting["value_template"]


def test_two_kiosks_of_two_branches_never_share_an_id() -> None:
    a = _all(make_config(branch={"code": "east-city", "device_id": "k1"}))
    b = _all(make_config(branch={"code": "west-lake", "device_id": "k1"}))
    assert not {x["unique_id"] for x in a.values()} & {x["unique_id"] for x in b.values()}
    assert (next(iter(a.values()))["device"]["identifiers"]
            != next(iter(b.values()))["device"]["identifiers"])


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[Broker]:
    with branch_broker(tmp_path / "broker") as b:
        yield b


def test_a_real_kiosk_publishes_discovery_through_the_shipped_acl(
        tmp_path: Path, acl_broker: Broker) -> None:
    pw = tmp_path / "k1.pass"
    pw.write_text(PASSWORDS["k1"] + "\n")
    os.chmod(pw, 0o600)
    cfg = make_config(tmp_path, hours=OFFICE, branch={"code": "east-city", "device_id": "k1"},
                      mqtt={"url": acl_broker.url, "username": "k1", "password_file": str(pw)})
    server = Client(acl_broker, "branch-server")
    ha = Client(acl_broker, "homeassistant")
    kiosk = bootstrap.build(cfg, clock=FakeClock(at(2026, 11, 23, 10)), control=False)
    try:
        assert server.subscribe("homeassistant/#") == 1
        assert server.subscribe("kiosk/east-city/k1/state") == 1
        kiosk.start()
        expected = set(_all(cfg))
        seen: dict[str, bytes] = {}
        state: dict[str, Any] = {}

        def everything() -> bool:
            while not server.messages.empty():
                msg = server.received()
                if msg.topic.endswith("/state"):
                    state.update(json.loads(msg.payload))
                else:
                    seen[msg.topic] = msg.payload
            return (set(seen) >= expected and "outbox" in state
                    and "printer" in state.get("devices", {}))

        wait_for(everything, timeout=15)
        assert set(seen) == expected  # nothing else under homeassistant/, nothing refused
        # what the templates read is where they read it
        assert {"prefix", "waiting", "wait_minutes", "open_counters"} <= set(state["services"][0])
        assert {"id", "status", "current", "reason", "redirect"} <= set(state["counters"][0])
        assert {"backlog", "alarm"} <= set(state["outbox"]) and "issued_today" in state
        assert "status" in state["devices"]["printer"]
        late = Client(acl_broker, "homeassistant")  # one that comes later gets them retained
        try:
            assert late.subscribe("homeassistant/+/k1/+/config") == 1
            got = [late.received() for _ in expected]
            assert all(m.retain for m in got) and {m.topic for m in got} == expected
        finally:
            late.close()
        # Home Assistant restarts: it says so, and the kiosk sends the configs again
        seen.clear()
        assert ha.publish("homeassistant/status", b"online") < 128
        wait_for(lambda: everything() or False, timeout=15)
    finally:
        kiosk.stop()
        server.close()
        ha.close()
