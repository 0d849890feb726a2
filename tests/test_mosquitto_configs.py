"""The shipped Mosquitto configs (deploy/mosquitto/), run by a real Mosquitto.

The copies differ from the shipped files only in ports, paths and the head office's
address: the ACL is byte for byte the one in deploy/mosquitto/kiosk.acl.
"""

from __future__ import annotations

import os
import pwd
import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.mosquitto import MOSQUITTO_PASSWD, Broker, free_port

DEPLOY = Path(__file__).parent.parent / "deploy" / "mosquitto"
PASSWORDS = {"k1": "pw-k1", "k2": "pw-k2", "branch-server": "pw-server",
             "it-monitor": "pw-it", "homeassistant": "pw-ha"}
NOT_AUTHORIZED = 135
WAIT = 10.0


class Client:
    """A blocking MQTT v5 client for tests: each call waits for the broker's answer."""

    def __init__(self, broker: Broker, user: str | None, password: str | None = None,
                 client_id: str = "") -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._acks: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.connect_reason: ReasonCode | None = None
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                        protocol=mqtt.MQTTv5)
        if user is not None:
            c.username_pw_set(user, password if password is not None else PASSWORDS[user])
        c.on_connect = self._on_connect
        c.on_publish = self._on_ack
        c.on_subscribe = self._on_ack
        c.on_message = lambda _c, _u, msg: self.messages.put(msg)
        self.c = c
        c.connect(broker.host, broker.port, keepalive=30)
        c.loop_start()
        if not self._connected.wait(WAIT):
            self.close()
            raise AssertionError("no CONNACK")

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        self.connect_reason = rc
        self._connected.set()

    def _slot(self, mid: int) -> tuple[threading.Event, list[Any]]:
        with self._lock:
            return self._acks.setdefault(mid, (threading.Event(), []))

    def _on_ack(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        done, out = self._slot(mid)
        out.append(rc)
        done.set()

    def _wait(self, mid: int) -> Any:
        done, out = self._slot(mid)
        assert done.wait(WAIT), f"no acknowledgement for message {mid}"
        return out[0]

    def publish(self, topic: str, payload: bytes = b"x", retain: bool = False) -> int:
        """The PUBACK's reason code (MQTT v5)."""
        info = self.c.publish(topic, payload, qos=1, retain=retain)
        return int(self._wait(info.mid).value)

    def subscribe(self, topic: str) -> int:
        """The SUBACK's reason code: the granted QoS, or >= 128 when refused."""
        _rc, mid = self.c.subscribe(topic, qos=1)
        assert mid is not None
        return int(self._wait(mid)[0].value)

    def received(self, timeout: float = WAIT) -> mqtt.MQTTMessage:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def branch_broker(directory: Path, port: int | None = None) -> Broker:
    """A Mosquitto running the shipped branch.conf and kiosk.acl, on a free port."""
    b = Broker(directory, port=port)
    pw = directory / "kiosk.passwd"
    pw.write_text("")
    for user, password in PASSWORDS.items():
        subprocess.run([MOSQUITTO_PASSWD, "-b", str(pw), user, password], check=True,
                       capture_output=True)
    acl = directory / "kiosk.acl"
    acl.write_bytes((DEPLOY / "kiosk.acl").read_bytes())
    conf = (DEPLOY / "branch.conf").read_text()
    conf = re.sub(r"(?m)^listener 1883$", f"listener {b.port} 127.0.0.1", conf)
    conf = conf.replace("/etc/mosquitto/kiosk.passwd", str(pw))
    conf = conf.replace("/etc/mosquitto/kiosk.acl", str(acl))
    assert str(b.port) in conf and str(acl) in conf and str(pw) in conf
    b.conf.write_text(conf + _as_me(b))
    return b


def _as_me(b: Broker) -> str:
    """Test-only lines: our log file, and stay the user we are (Mosquitto started as root
    drops to user ``mosquitto``, who cannot read the test's private directory)."""
    return f"log_dest file {b.log}\nlog_type all\nuser {pwd.getpwuid(os.getuid()).pw_name}\n"


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[Broker]:
    with branch_broker(tmp_path / "branch") as b:
        yield b


@pytest.fixture
def clients(branch: Broker) -> Iterator[dict[str, Client]]:
    made = {u: Client(branch, u) for u in ("k1", "k2", "branch-server")}
    try:
        yield made
    finally:
        for c in made.values():
            c.close()


def test_a_kiosk_publishes_under_its_own_base_only(clients: dict[str, Client]) -> None:
    k1, server = clients["k1"], clients["branch-server"]
    assert server.subscribe("kiosk/east-city/#") == 1
    assert k1.publish("kiosk/east-city/k1/events/issued", b'{"seq": 1}') < 128
    msg = server.received()
    assert (msg.topic, msg.payload) == ("kiosk/east-city/k1/events/issued", b'{"seq": 1}')
    # under MQTT v5 the denial is visible: PUBACK reason 135, and nothing is delivered
    assert k1.publish("kiosk/east-city/k2/events/issued", b'{"seq": 99}') == NOT_AUTHORIZED
    assert k1.publish("kiosk/east-city/k2/availability", b"offline", True) == NOT_AUTHORIZED
    assert k1.publish("kiosk/other-branch/k1/events/issued") == NOT_AUTHORIZED
    assert k1.publish("kiosk/east-city/k1/state", b"{}", True) < 128
    assert server.received().topic == "kiosk/east-city/k1/state"  # not the denied ones
    assert server.messages.empty()


def test_a_kiosk_reads_its_own_commands_and_never_another_kiosks(
        clients: dict[str, Client]) -> None:
    k1, k2, server = clients["k1"], clients["k2"], clients["branch-server"]
    assert k1.subscribe("kiosk/east-city/k1/cmd/+") == 1
    assert k2.subscribe("kiosk/east-city/k2/cmd/+") == 1
    # Mosquitto 2.0 may grant a subscription and check each message at delivery instead
    k1.subscribe("kiosk/east-city/k2/cmd/+")
    k1.subscribe("kiosk/east-city/#")
    assert server.publish("kiosk/east-city/k2/cmd/call-next", b'{"counter": 1}') < 128
    assert k2.received().topic == "kiosk/east-city/k2/cmd/call-next"
    assert server.publish("kiosk/east-city/k1/cmd/finish", b'{"counter": 2}') < 128
    # k1 sees its own command (once per matching subscription), and it is the first thing
    # it sees: k2's, sent before it, never reached k1
    assert k1.received().topic == "kiosk/east-city/k1/cmd/finish"
    while not k1.messages.empty():
        assert k1.received().topic == "kiosk/east-city/k1/cmd/finish"


def test_a_kiosk_cannot_command_another_and_the_server_cannot_fake_events(
        clients: dict[str, Client]) -> None:
    k1, server = clients["k1"], clients["branch-server"]
    assert k1.publish("kiosk/east-city/k2/cmd/call-next", b'{"counter": 1}') == NOT_AUTHORIZED
    assert server.publish("kiosk/east-city/k2/events/issued") == NOT_AUTHORIZED


def test_discovery_only_for_the_kiosks_own_node(clients: dict[str, Client]) -> None:
    k1, server = clients["k1"], clients["branch-server"]
    assert server.subscribe("homeassistant/#") == 1
    assert k1.publish("homeassistant/sensor/k1/printer/config", b"{}", True) < 128
    assert server.received().topic == "homeassistant/sensor/k1/printer/config"
    assert k1.publish("homeassistant/sensor/k2/printer/config", b"{}", True) == NOT_AUTHORIZED
    assert k1.publish("homeassistant/status", b"online") == NOT_AUTHORIZED
    assert k1.subscribe("homeassistant/status") == 1


def test_the_server_and_it_monitor_read_every_kiosk(branch: Broker,
                                                    clients: dict[str, Client]) -> None:
    it = Client(branch, "it-monitor")
    try:
        assert it.subscribe("kiosk/east-city/+/state") == 1
        assert it.publish("kiosk/east-city/k1/cmd/close", b'{"counter": 1}') == NOT_AUTHORIZED
        for k in ("k1", "k2"):
            assert clients[k].publish(f"kiosk/east-city/{k}/state", b"{}", True) < 128
        assert {it.received().topic, it.received().topic} == {
            "kiosk/east-city/k1/state", "kiosk/east-city/k2/state"}
    finally:
        it.close()


def test_a_wrong_password_and_no_password_are_refused(branch: Broker) -> None:
    for user, password in (("k1", "wrong"), (None, None)):
        c = Client(branch, user, password)
        try:
            assert c.connect_reason is not None and c.connect_reason.is_failure
            assert c.connect_reason.value in (134, 135)  # bad password / not authorized
        finally:
            c.close()


# --- the bridge to head office ------------------------------------------------------------


def _tls_files(d: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 signed by it: head office's TLS listener."""
    ca_key, ca, key, csr, cert = (d / n for n in ("ca.key", "ca.pem", "ho.key", "ho.csr",
                                                 "ho.pem"))
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", str(ca_key), "-out", str(ca))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
        "-out", str(csr))
    ext = d / "san.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))
    return ca, cert, key


def _bridged_branch(directory: Path, head_office_port: int, ca: Path) -> Broker:
    b = branch_broker(directory)
    bridge = (DEPLOY / "bridge-head-office.conf").read_text()
    bridge = re.sub(r"(?m)^address .*$", f"address 127.0.0.1:{head_office_port}", bridge)
    bridge = bridge.replace("/etc/mosquitto/certs/head-office-ca.pem", str(ca))
    assert f"127.0.0.1:{head_office_port}" in bridge and str(ca) in bridge
    # persistence on, as on Debian's main config that branch.conf is a drop-in for
    b.conf.write_text(b.conf.read_text() + f"persistence true\npersistence_location "
                      f"{directory}/\n" + bridge)
    return b


def test_the_bridge_starts_with_head_office_unreachable(tmp_path: Path) -> None:
    ca, _cert, _key = _tls_files(tmp_path)
    with _bridged_branch(tmp_path / "branch", free_port(), ca) as b:
        k1 = Client(b, "k1")
        try:  # the branch goes on working while head office is away
            assert k1.publish("kiosk/east-city/k1/events/issued") < 128
        finally:
            k1.close()
        assert b.running


def test_the_bridge_carries_events_out_and_commands_in(tmp_path: Path) -> None:
    ca, cert, key = _tls_files(tmp_path)
    ho = Broker(tmp_path / "head-office", passwords={"east-city": "change-me",
                                                     "analytics": "pw"})
    ho.conf.write_text(ho.conf.read_text().replace(
        f"listener {ho.port} {ho.host}",
        f"listener {ho.port} {ho.host}\ncafile {ca}\ncertfile {cert}\nkeyfile {key}"))
    with ho, _bridged_branch(tmp_path / "branch", ho.port, ca) as b:
        # head office's consumer: over the same TLS listener
        head = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        head.tls_set(ca_certs=str(ca))
        got: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        subscribed = threading.Event()
        head.username_pw_set("analytics", "pw")
        head.on_message = lambda _c, _u, m: got.put(m)
        head.on_subscribe = lambda *_a: subscribed.set()
        head.on_connect = lambda c, *_a: c.subscribe("kiosk/#", qos=1)
        head.connect("127.0.0.1", ho.port)
        head.loop_start()
        k1 = Client(b, "k1")
        try:
            assert subscribed.wait(WAIT)
            assert k1.subscribe("kiosk/east-city/k1/cmd/+") == 1
            # the bridge's own notice comes first once it is up; then the kiosk's event
            first = got.get(timeout=WAIT)
            assert first.topic == "kiosk/east-city/$bridge" and first.payload == b"1"
            assert k1.publish("kiosk/east-city/k1/events/issued", b'{"seq": 1}') < 128
            msg = got.get(timeout=WAIT)
            assert (msg.topic, msg.payload, msg.qos) == (
                "kiosk/east-city/k1/events/issued", b'{"seq": 1}', 1)
            head.publish("kiosk/east-city/k1/cmd/call-next", b'{"counter": 1}', qos=1)
            cmd = k1.received()
            assert (cmd.topic, cmd.payload) == ("kiosk/east-city/k1/cmd/call-next",
                                                b'{"counter": 1}')
            assert got.get(timeout=WAIT).topic.endswith("/cmd/call-next")  # its own, once
            assert k1.publish("kiosk/east-city/k1/reply", b"{}") < 128
            # next comes the reply: the bridge did not send the command back out
            assert got.get(timeout=WAIT).topic == "kiosk/east-city/k1/reply"
        finally:
            k1.close()
            head.disconnect()
            head.loop_stop()
