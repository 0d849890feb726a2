"""The broker check: reachable, these credentials accepted, and the ACL lets the kiosk
publish.

MQTT v5 on purpose: under 3.1.1 Mosquitto acknowledges a publish its ACL denies as a
success and drops it, so only a v5 PUBACK's reason code (below 0x80 is a success, 16 "No
matching subscribers" included) says whether the kiosk may publish. The probe is one
QoS 1 message, not retained, to ``<base>/doctor`` under the kiosk's own topics, with a
client id of its own so that the running kiosk's session is not taken over.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from kiosk import messages
from kiosk.checks import Probe, Result, fail, ok


def mqtt(p: Probe) -> Result:
    cfg = p.config
    assert cfg is not None
    m = cfg.mqtt
    if not m.enabled:
        return ok("mqtt", messages.text("doctor_mqtt_off"))
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.properties import Properties

    from kiosk.mqtt.topics import Topics

    url, user = m.url, m.username or "(anonymous)"
    topics = Topics(m.prefix, cfg.branch.code, cfg.branch.device_id)
    topic = f"{topics.base}/doctor"
    password = None
    if m.password_file is not None:
        try:
            password = m.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            return fail("mqtt", messages.text("doctor_mqtt_password_unreadable",
                                              path=m.password_file, why=exc.strerror or exc),
                        messages.text("doctor_mqtt_password_fix"))
    client = paho.Client(CallbackAPIVersion.VERSION2,
                         client_id=f"{cfg.branch.device_id}-doctor-{os.getpid()}",
                         protocol=paho.MQTTv5)
    if m.username is not None:
        client.username_pw_set(m.username, password)
    if m.tls:
        client.tls_set(ca_certs=str(m.ca_file) if m.ca_file else None,
                       certfile=str(m.cert_file) if m.cert_file else None,
                       keyfile=str(m.key_file) if m.key_file else None)
    connected, published = threading.Event(), threading.Event()
    got: dict[str, Any] = {}

    def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        got["connect"] = reason
        connected.set()

    def on_publish(_c: Any, _u: Any, _mid: int, reason: Any, _p: Any) -> None:
        got["puback"] = reason
        published.set()

    client.on_connect, client.on_publish = on_connect, on_publish
    try:
        client.connect(m.host, m.port, keepalive=max(m.keepalive_s, 5))
    except (OSError, ValueError) as exc:
        return _unreachable(url, exc)
    client.loop_start()
    try:
        if not connected.wait(p.timeout):
            return _unreachable(url, f"no CONNACK within {p.timeout:g} s")
        reason = got["connect"]
        if reason.is_failure:
            return fail("mqtt", messages.text("doctor_mqtt_refused", url=url, why=reason),
                        messages.text("doctor_mqtt_refused_fix",
                                      password_file=m.password_file or "-"))
        props = Properties(paho.PacketTypes.PUBLISH)
        props.MessageExpiryInterval = 60  # a probe is of no use to anyone later
        client.publish(topic, b'{"probe": "kiosk doctor"}', qos=1, retain=False,
                       properties=props)
        if not published.wait(p.timeout):
            return _unreachable(url, f"no PUBACK within {p.timeout:g} s")
        puback = got["puback"]
        if puback.is_failure:  # e.g. 135 Not authorized: the ACL denies the topic
            return fail("mqtt", messages.text("doctor_mqtt_denied", topic=topic, why=puback),
                        messages.text("doctor_mqtt_denied_fix", user=user,
                                      pattern=f"{topics.base}/#"))
        return ok("mqtt", messages.text("doctor_mqtt_ok", url=url, topic=topic))
    finally:
        client.disconnect()
        client.loop_stop()


def _unreachable(url: str | None, why: object) -> Result:
    return fail("mqtt", messages.text("doctor_mqtt_unreachable", url=url, why=why),
                messages.text("doctor_mqtt_unreachable_fix"))
