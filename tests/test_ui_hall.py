"""The hall board in a real Kivy window under Xvfb: calls from a real core appear large,
the one before moves down, a recall is a call again; landscape and portrait; and a board
that follows over MQTT keeps drawing while the broker is down (scenarios:
tests/ui_harness.py; screenshots in artifacts/ui/)."""

from __future__ import annotations

import json
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from kiosk.mqtt.topics import Topics
from tests.kiosk_proc import KioskProcess
from tests.mosquitto import Broker
from tests.ui_harness import ARTIFACTS, UiRun, core_config


@pytest.mark.parametrize("size", ["1920x1080", "1080x1920"])
def test_calls_appear_large_and_a_recall_is_a_call_again(display: str, core: KioskProcess,
                                                          size: str) -> None:
    for cid in (1, 3):
        core.ask("open", counter=cid)
    for svc in ("A", "B", "A"):
        core.ask("issue", service=svc)
    calls: list[str] = []

    def call(cid: int) -> None:
        reply = core.ask("call-next", counter=cid)
        assert reply["ok"], reply
        calls.append(next(e["ticket"] for e in reply["events"] if e["type"] == "called"))

    def recall() -> None:
        assert core.ask("recall", counter=1)["ok"]

    ui = UiRun(display, "hall_calls", ARTIFACTS, core.config, size, "hall")
    code, out = ui.wait({"call": lambda: call(1), "call-again": lambda: call(3),
                         "recall-first": recall})
    assert code == 0, out[-5000:]
    first, second = calls
    assert f"latest {first} recent {second} → 3号窗口" in out  # recalled on top, once
    assert (ARTIFACTS / f"hall-calls-{size}.png").exists()


def test_board_over_mqtt_keeps_drawing_while_the_broker_is_down(
        display: str, tmp_path: Path, broker: Broker) -> None:
    config = core_config(tmp_path, extra=f'[mqtt]\nurl = "{broker.url}"\n')
    topics = Topics("kiosk", "demo", "kiosk-test")  # the config's branch and device
    state = {"day": "2026-11-23", "issued_today": 3, "devices": {}, "ts": "2026-11-23T10:00",
             "services": [{"prefix": "A", "name_zh": "业务办理", "name_en": "Underwriting",
                           "waiting": 2, "wait_minutes": 8, "open_counters": [1],
                           "next_tickets": ["A002", "A003"]}],
             "counters": [{"id": 1, "status": "open", "current": "A001", "services": ["A"],
                           "reason": None, "redirect": None},
                          {"id": 2, "status": "paused", "current": None, "services": ["A"],
                           "reason": "break", "redirect": 1}]}

    def publish() -> None:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-kiosk",
                        protocol=mqtt.MQTTv5)
        c.connect(broker.host, broker.port)
        c.loop_start()
        try:
            c.publish(topics.state, json.dumps(state), qos=1, retain=True).wait_for_publish(10)
        finally:
            c.loop_stop()
            c.disconnect()

    def start() -> None:
        broker.start()
        publish()  # the broker kept nothing: the kiosk publishes its state again

    ui = UiRun(display, "hall_mqtt", ARTIFACTS, config, "1920x1080", "hall")
    code, out = ui.wait({"publish-state": publish, "stop-broker": broker.stop,
                         "start-broker": start})
    assert code == 0, out[-5000:]
    assert "while the broker was down: drawn" in out
    assert (ARTIFACTS / "hall-mqtt-1920x1080.png").exists()
