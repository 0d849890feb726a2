"""``kiosk monitor``: the branch table folded from a real broker's messages."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from rich.console import Console

from kiosk import bootstrap
from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.mqtt import monitor
from kiosk.mqtt.monitor import BranchView, cells
from tests.mosquitto import Broker
from tests.support import OFFICE, at, make_config, wait_for

ROOT = Path(__file__).parent.parent
COL = {name: i for i, name in enumerate(("kiosk", "availability", "printer", "counters",
                                         "waiting", "outbox", "last"))}


def _watch(broker: Broker, view: BranchView) -> Any:
    opts = monitor._Options(broker.url, view.prefix, view.branch, None, None, None)
    failed: list[str] = []
    client = monitor._client(opts, view, failed)
    client.loop_start()
    return client


def _publisher(broker: Broker) -> mqtt.Client:
    p = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    p.connect(broker.host, broker.port)
    p.loop_start()
    return p


def _send(p: mqtt.Client, topic: str, payload: bytes, session: str | None = None,
          retain: bool = True) -> None:
    props = None
    if session is not None:
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("session", session)]
    p.publish(topic, payload, qos=1, retain=retain, properties=props).wait_for_publish(10)


@pytest.fixture
def kiosk(tmp_path: Path, broker: Broker) -> Iterator[bootstrap.Kiosk]:
    cfg = make_config(tmp_path, hours=OFFICE, branch={"code": "east-city", "device_id": "k1"},
                      mqtt={"url": broker.url})
    k = bootstrap.build(cfg, clock=FakeClock(at(2026, 11, 23, 10)), control=False)
    k.start()
    try:
        yield k
    finally:
        k.stop()


def test_the_table_follows_a_real_kiosk(broker: Broker, kiosk: bootstrap.Kiosk) -> None:
    view = BranchView("kiosk", "east-city")
    client = _watch(broker, view)
    try:
        submit = kiosk.service.submit
        assert submit(c.Issue("A"), "test").result(10).events
        called = submit(c.CallNext(1), "test").result(10).events[-1]
        assert called.type == "called"
        assert called.seq is not None
        row = wait_for(lambda: next((r for r in view.rows() if (r.last_seq or 0) >= called.seq
                                     and "1 A001" in cells(r, 0)[COL["counters"]]
                                     and cells(r, 0)[COL["outbox"]] == "0"), None),
                       timeout=10)
        got = cells(row, at(2026, 11, 23, 10, 0, 30).timestamp())
        assert got[COL["kiosk"]] == "k1" and "online" in got[COL["availability"]]
        assert got[COL["printer"]] == "ok"
        assert got[COL["waiting"]].splitlines() == ["A 0", "B 0", "C 0"]
        assert got[COL["counters"]].splitlines() == ["1 A001", "2 -", "3 -", "4 -"]
        # the age comes from the event's own time (the kiosk's clock), not its arrival
        assert got[COL["last"]].endswith("30 s前 / 30 s ago")
        kiosk.stop()  # a clean stop says offline itself
        wait_for(lambda: view.rows()[0].availability == "offline", timeout=10)
        assert "offline" in cells(view.rows()[0], 0)[COL["availability"]]
    finally:
        client.disconnect()
        client.loop_stop()


def test_a_late_will_of_an_older_session_is_ignored(broker: Broker) -> None:
    view = BranchView("kiosk", "east-city")
    client = _watch(broker, view)
    pub = _publisher(broker)
    try:
        base = "kiosk/east-city/k2"
        _send(pub, f"{base}/availability", b"online", session="new")
        _send(pub, f"{base}/availability", b"offline", session="old")  # the late will
        _send(pub, f"{base}/events/issued", b'{"type": "issued", "seq": 5}', retain=False)
        wait_for(lambda: view.rows() and view.rows()[0].last_seq == 5, timeout=10)
        assert view.rows()[0].availability == "online"
        _send(pub, f"{base}/availability", b"offline", session="new")  # this one is news
        wait_for(lambda: view.rows()[0].availability == "offline", timeout=10)
    finally:
        for cl in (client, pub):
            cl.disconnect()
            cl.loop_stop()


def test_repeats_and_foreign_topics_change_nothing() -> None:
    view = BranchView("kiosk", "east-city")
    assert view.fold("kiosk/east-city/k1/events/called", b'{"type": "called", "seq": 9, '
                     b'"ts": "2026-11-23T10:00:00+08:00"}')
    assert view.fold("kiosk/east-city/k1/events/issued", b'{"type": "issued", "seq": 8}')
    assert view.rows()[0].last_event == {"type": "called", "seq": 9,
                                         "ts": "2026-11-23T10:00:00+08:00"}
    for topic, payload in (("kiosk/west/k1/state", b"{}"), ("kiosk/east-city/$bridge", b"1"),
                           ("kiosk/east-city/k1/reply", b"{}"),
                           ("kiosk/east-city/k1/state", b"not json"),
                           ("kiosk/east-city/k1/state", b"[1]"),
                           ("kiosk/east-city/k1/availability", b"maybe")):
        assert not view.fold(topic, payload)
    assert [r.device for r in view.rows()] == ["k1"] and view.rows()[0].state == {}


def _monitor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "monitor", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)


def test_kiosk_monitor_once_prints_the_branch(broker: Broker, tmp_path: Path) -> None:
    pub = _publisher(broker)
    try:
        _send(pub, "kiosk/east-city/k7/availability", b"online", session="s")
        _send(pub, "kiosk/east-city/k7/state", b'{"session": "s", "services": [{"prefix": '
              b'"B", "waiting": 4}], "counters": [{"id": 3, "status": "paused"}], "devices":'
              b' {"printer": {"status": "paper_low"}}, "outbox": {"backlog": 12, "alarm": '
              b'false}}')
    finally:
        pub.disconnect()
        pub.loop_stop()
    done = _monitor("--url", broker.url, "--branch", "east-city", "--once", "1")
    assert done.returncode == 0, done.stderr
    for text in ("k7", "online", "paper_low", "3 暂停服务 / paused", "B 4", "12"):
        assert text in done.stdout, text
    other = _monitor("--url", broker.url, "--branch", "west", "--once", "0.5")
    assert other.returncode == 0 and "k7" not in other.stdout
    assert "No kiosk of this branch" in other.stdout.replace("\n", " ")


def test_kiosk_monitor_says_what_is_wrong(broker: Broker, tmp_path: Path) -> None:
    port = broker.port
    broker.stop()
    down = _monitor("--url", f"mqtt://127.0.0.1:{port}", "--branch", "east-city", "--once",
                    "0")
    assert down.returncode == 3 and "could not be reached" in down.stderr
    cfg = tmp_path / "k.toml"
    cfg.write_text(f'[branch]\ncode = "east-city"\n[mqtt]\nurl = "mqtt://127.0.0.1:{port}"\n'
                   'username = "it-monitor"\npassword_file = "pw"\n')
    (tmp_path / "pw").write_text("wrong\n")
    with Broker(tmp_path / "b2", passwords={"it-monitor": "right"}, port=port):
        refused = _monitor("--config", str(cfg), "--once", "5")
    assert refused.returncode == 3 and "did not accept the log-in" in refused.stderr
    assert re.search(r"13[45] ", refused.stderr)  # the broker's reason is shown


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=16)
state_like = st.fixed_dictionaries({}, optional={
    k: json_values for k in ("services", "counters", "devices", "outbox", "session", "ts")})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["availability", "state", "events/called", "events/x", "cmd/issue"]),
    st.binary(max_size=64) | (json_values | state_like).map(lambda v: json.dumps(v).encode()),
    st.none() | st.text(max_size=4)), max_size=8), st.sampled_from(["k1", "[bold]k2[/]"]))
def test_whatever_arrives_the_table_still_renders(messages: list[tuple[str, bytes, Any]],
                                                  device: str) -> None:
    view = BranchView("kiosk", "east-city")
    for kind, payload, session in messages:
        view.fold(f"kiosk/east-city/{device}/{kind}", payload, session)
    out = io.StringIO()
    Console(file=out, width=120).print(monitor.table(view, "mqtt://x:1883", now=0.0))
    assert "east-city" in out.getvalue()
    if view.rows():
        assert device in out.getvalue()  # shown as text, not taken as Rich markup
