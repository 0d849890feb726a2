"""Errors are clear, never a silent stall: a refused log-in, an ACL that denies the
events (MQTT v5 PUBACK 135), a TLS failure and a broker that is not there each show in
the device status and in the log, and the kiosk goes on issuing tickets."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from kiosk import commands as c
from kiosk import mqtt as kiosk_mqtt
from kiosk.bootstrap import driver_context
from kiosk.core import new_state
from kiosk.status import snapshot
from tests.mosquitto import Broker, free_port
from tests.support import make_config, wait_for
from tests.test_mqtt_relay import TOPICS, Listener, MqttKiosk, done, kiosk_on, listen

__all__ = ["kiosk_on", "listen"]  # fixtures shared with the relay tests

# k1 may publish its availability and state and read its commands; not its events
ACL_WITHOUT_EVENTS = f"""\
topic readwrite {TOPICS.availability}
topic readwrite {TOPICS.state}
topic write {TOPICS.reply}
topic read {TOPICS.base}/cmd/#
topic readwrite homeassistant/#
"""


def password_file(tmp: Path, text: str) -> Path:
    path = tmp / "mqtt.pass"
    path.write_text(text + "\n")
    return path


def test_a_wrong_password_is_a_clear_error_in_the_status_and_the_log(
        tmp_path: Path, kiosk_on: Callable[..., MqttKiosk],
        caplog: pytest.LogCaptureFixture) -> None:
    with Broker(tmp_path / "auth", passwords={"k1": "right horse"}) as broker:
        k = kiosk_on(broker, username="k1", password_file=str(password_file(tmp_path,
                                                                           "wrong")))
        assert wait_for(lambda: k.device("mqtt").get("status") == "error", 10)
        detail = k.device("mqtt")["detail"]
        assert "refused the log-in" in detail and "password_file" in detail
        assert any(r.levelno == logging.ERROR and "mqtt.password_file" in r.getMessage()
                   for r in caplog.records)
        assert not k.publisher.link.connected.is_set()
        # the kiosk itself is unharmed, and its events wait in the outbox
        seq = done(k.svc, c.Issue("A")).events[-1].seq
        assert seq in k.unsent()
        k.stop()


def test_the_right_password_connects(tmp_path: Path,
                                     kiosk_on: Callable[..., MqttKiosk]) -> None:
    with Broker(tmp_path / "auth", passwords={"k1": "right horse"}) as broker:
        k = kiosk_on(broker, username="k1",
                     password_file=str(password_file(tmp_path, "right horse")))
        assert wait_for(lambda: k.device("mqtt").get("status") == "ok", 10)
        assert wait_for(lambda: k.unsent() == [], 10)
        k.stop()


def test_an_acl_denial_keeps_the_row_unsent_raises_the_alarm_and_does_not_spin(
        tmp_path: Path, kiosk_on: Callable[..., MqttKiosk],
        listen: Callable[..., Listener], caplog: pytest.LogCaptureFixture) -> None:
    broker = Broker(tmp_path / "acl", acl=ACL_WITHOUT_EVENTS).start()
    try:
        k = kiosk_on(broker)
        seq = done(k.svc, c.Issue("A")).events[-1].seq
        assert wait_for(lambda: k.device("mqtt.outbox").get("status") == "error", 10)
        detail = k.device("mqtt.outbox")["detail"]
        assert "135" in detail and "Not authorized" in detail and "ACL" in detail
        assert f"{TOPICS.base}/#" in detail  # what to allow
        assert seq in k.unsent()
        assert k.device("mqtt")["status"] == "ok"  # the link itself is fine
        assert any(r.levelno == logging.ERROR and "ACL" in r.getMessage()
                   for r in caplog.records)
        state = listen(TOPICS.state, at=broker)  # the state goes out, with the alarm
        assert wait_for(lambda: (s := state.on("/state")) and s[-1].json()["outbox"]["alarm"],
                        10)
        # back-off, not a spin: over two seconds each row is refused a couple of times at
        # most (a relay that retried at once would make thousands of attempts)
        time.sleep(2.0)
        with sqlite3.connect(k.db) as db:
            attempts = db.execute("SELECT MAX(attempts) FROM outbox WHERE sent IS NULL"
                                  ).fetchone()[0]
        assert 1 <= attempts <= 3
        # IT mends the ACL and restarts the broker: every refused row goes out, in order
        broker.stop()
        (broker.dir / "acl").write_text(ACL_WITHOUT_EVENTS + f"topic write {TOPICS.base}/#\n")
        broker.start()
        assert wait_for(lambda: k.unsent() == [], 20)
        assert wait_for(lambda: k.device("mqtt.outbox").get("status") == "ok", 10)
        k.stop()
    finally:
        broker.stop()


def test_tls_to_a_plain_listener_is_a_clear_tls_error(
        broker: Broker, kiosk_on: Callable[..., MqttKiosk]) -> None:
    k = kiosk_on(broker, url=f"mqtts://{broker.host}:{broker.port}")
    assert wait_for(lambda: k.device("mqtt").get("status") == "error", 15)
    detail = k.device("mqtt")["detail"]
    assert "TLS connection" in detail and "ca_file" in detail


def tls_broker(tmp: Path) -> tuple[Broker, Path]:
    """A broker with a TLS listener, its certificate for 127.0.0.1 signed by a test CA."""
    ca_key, ca, key, csr, cert = (tmp / n for n in ("ca.key", "ca.pem", "b.key", "b.csr",
                                                   "b.pem"))

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=test-ca", "-keyout", str(ca_key), "-out", str(ca))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            str(key), "-out", str(csr))
    (tmp / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", str(tmp / "san.cnf"), "-out",
            str(cert))
    b = Broker(tmp / "tls")
    b.conf.write_text(b.conf.read_text() + f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n")
    return b, ca


def test_tls_with_the_brokers_ca_connects_and_without_it_is_a_clear_error(
        tmp_path: Path, kiosk_on: Callable[..., MqttKiosk],
        caplog: pytest.LogCaptureFixture) -> None:
    broker, ca = tls_broker(tmp_path)
    with broker:
        url = f"mqtts://{broker.host}:{broker.port}"
        good = kiosk_on(broker, url=url, ca_file=str(ca))
        assert wait_for(lambda: good.device("mqtt").get("status") == "ok", 15)
        assert wait_for(lambda: good.unsent() == [], 10)
        good.stop()
        bad = kiosk_on(broker, url=url)  # the system's CAs do not know the test CA
        assert wait_for(lambda: bad.device("mqtt").get("status") == "error", 15)
        detail = bad.device("mqtt")["detail"]
        assert "TLS connection" in detail and "mqtt.ca_file" in detail  # the fix
        assert any(r.levelno == logging.ERROR and "CERTIFICATE_VERIFY_FAILED" in
                   r.getMessage() for r in caplog.records)  # and the log says why
        bad.stop()


def test_a_broker_that_is_not_there_is_offline_with_the_address(
        tmp_path: Path, kiosk_on: Callable[..., MqttKiosk]) -> None:
    nobody = Broker(tmp_path / "never-started", port=free_port())  # config only
    k = kiosk_on(nobody)
    assert wait_for(lambda: k.device("mqtt").get("status") == "offline", 15)
    detail = k.device("mqtt")["detail"]
    assert nobody.url in detail and "cannot be reached" in detail
    assert done(k.svc, c.Issue("A")).events  # tickets go on


def test_an_unreadable_password_file_is_reported_and_the_kiosk_runs(
        tmp_path: Path, broker: Broker) -> None:
    pw = password_file(tmp_path, "x")
    cfg = make_config(tmp_path, mqtt={"url": broker.url, "username": "k1",
                                      "password_file": str(pw)})
    pw.unlink()  # gone after the config was checked
    reports: list[c.ReportDevice] = []
    status = snapshot(new_state(cfg))
    def submit(cmd: c.Command, source: str) -> Future[Any]:
        reports.append(cmd)  # type: ignore[arg-type]  # only device reports come here
        return Future()

    parts = kiosk_mqtt.build(driver_context(cfg, submit, "mqtt", lambda: status))
    assert parts.subscribers == []
    assert reports and reports[0].device == "mqtt" and reports[0].status == "error"
    assert "FileNotFoundError" in reports[0].detail
