"""The connection to the branch broker: paho-mqtt 2.x, MQTT v5, one network thread.

* ``CallbackAPIVersion.VERSION2`` and ``protocol=MQTTv5``: under 3.1.1 Mosquitto
  acknowledges a publish its ACL denies as a success and drops it; under v5 the PUBACK
  carries reason code 135 and the outbox row stays unsent.
* paho's ``loop_start`` thread does the I/O and reconnects with a doubling delay
  (``reconnect_delay_set``, 1 s up to :data:`RECONNECT_MAX_S`). ``clean_start`` is true:
  a command sent while the kiosk was away is not carried out late; events need no broker
  session, the outbox is their memory.
* Log-in: ``mqtt.username`` and the first line of ``mqtt.password_file``. TLS for
  ``mqtts://`` with ``ca_file`` (else the system's CAs) and an optional client
  ``cert_file``/``key_file``.

Availability and the session id
-------------------------------
``{base}/availability`` is retained. The birth ``online`` is published on every connect;
``offline`` is the last will (sent by the broker when the kiosk vanishes: a crash, a
power cut, 1.5 x ``keepalive_s`` of silence) and is published by the kiosk itself on a
clean stop, before it disconnects (a clean DISCONNECT suppresses the will).

The payloads stay the plain words ``online``/``offline``, as Home Assistant's
``availability_topic`` expects. Borrowed from Sparkplug: birth and will both carry a
session id, a random hex string drawn at each start of the kiosk (kept across its
reconnects), as the MQTT v5 user property ``session``; the retained state JSON carries
the same id as ``session``. A consumer that sees ``offline`` whose ``session`` differs
from that of the latest ``online`` (or of the latest state) knows it is the late will of
an older session, not news about the kiosk running now, and ignores it.

Errors
------
Every failure shows as device ``mqtt`` in the kiosk's status (``ok`` when connected,
``offline`` while the broker cannot be reached or the link was lost, ``error`` for a
refused log-in, any other refused connection, a TLS failure or unusable settings) and
as one log line that names the fix (:mod:`kiosk.messages`, keys ``mqtt_*``). A problem
that repeats is logged once, then at debug level until it changes. Nothing here raises
into paho's thread: an exception in a callback would end that thread, and the link
with it.
"""

from __future__ import annotations

import logging
import ssl
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from kiosk import messages
from kiosk.health import HealthReporter
from kiosk.mqtt.topics import Topics
from kiosk.settings.remote import MqttSettings

log = logging.getLogger(__name__)
RECONNECT_MAX_S = 15  # a branch broker restarts in seconds; 50 kiosks every 15 s is no load
STOP_WAIT_S = 2.0  # for the clean stop's retained "offline" to be acknowledged
RECEIVE_MAX_DEFAULT = 65535  # MQTT v5: no Receive Maximum in the CONNACK means this
# QoS 1 messages in flight at most: paho cannot change its limit once connected, so it is
# set before the broker's Receive Maximum is known, to Mosquitto's default for it (with
# the outbox read ahead, 20 in flight drain thousands of events a second on a LAN)
INFLIGHT_MAX = 20
AUTH_REASONS = frozenset({134, 135})  # Bad user name or password, Not authorized


class Listener(Protocol):
    """What the link tells its owner; every method is called on paho's thread."""

    def link_up(self) -> None: ...

    def link_down(self) -> None: ...

    def acked(self, mid: int, reason: int, reason_name: str) -> None: ...

    def message(self, msg: mqtt.MQTTMessage) -> None: ...


class _NotConnectedNoise(logging.Filter):
    """paho logs "Client is not connected" at error level on every turn of its loop
    between two connection attempts; the link reports that state once, itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Client is not connected")


_PAHO_LOG = logging.getLogger("kiosk.mqtt.paho")
_PAHO_LOG.addFilter(_NotConnectedNoise())


def _in_tls_handshake(exc: BaseException | None) -> bool:
    """True if ``exc`` was raised inside the TLS handshake: a reset or an EOF there is a
    TLS problem (e.g. mqtts:// to a plain listener), not an unreachable broker."""
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return True
    tb = exc.__traceback__ if exc else None
    while tb is not None:
        if tb.tb_frame.f_code.co_name in ("do_handshake", "_ssl_wrap_socket"):
            return True
        tb = tb.tb_next
    return False


def read_password(settings: MqttSettings) -> str | None:
    """The first line of ``password_file`` (None without one); OSError if unreadable."""
    if settings.password_file is None:
        return None
    text = settings.password_file.read_text(encoding="utf-8")
    return text.splitlines()[0] if text else ""


def _session_props(kind: int, session: str) -> Properties:
    props = Properties(kind)
    props.UserProperty = [("session", session)]
    return props


class Link:
    """One paho client: ``start()``, ``publish()``, ``subscribe()``, ``stop()``.

    ``subscriptions`` (topic filters) are subscribed at QoS 1 on every connect.
    """

    def __init__(self, settings: MqttSettings, topics: Topics, health: HealthReporter,
                 listener: Listener, subscriptions: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.topics = topics
        self.url = settings.url or ""
        self.health = health
        self.listener = listener
        self.subscriptions = subscriptions
        self.session = uuid.uuid4().hex[:16]
        self.connected = threading.Event()
        self._stopping = False
        self._problem = ""  # the last problem logged at error level
        self._sub_topics: dict[int, tuple[str, ...]] = {}
        self._inflight = INFLIGHT_MAX  # paho's limit, set by configure()
        #: QoS 1 messages the broker takes unacknowledged (its CONNACK's Receive Maximum)
        self.receive_max = RECEIVE_MAX_DEFAULT
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"kiosk-{topics.branch}-{topics.device}",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        c = self.client
        c.enable_logger(_PAHO_LOG)
        c.on_connect = self._guard(self._on_connect)
        c.on_connect_fail = self._on_connect_fail  # guards itself: it reads exc_info
        c.on_disconnect = self._guard(self._on_disconnect)
        c.on_publish = self._guard(self._on_publish)
        c.on_subscribe = self._guard(self._on_subscribe)
        c.on_message = self._guard(self._on_message)

    def configure(self, inflight: int) -> None:
        """Log-in, TLS, will, window; raises OSError/ValueError/ssl.SSLError on settings
        that cannot work (an unreadable password file, a bad certificate)."""
        c, s = self.client, self.settings
        if s.username is not None:
            c.username_pw_set(s.username, read_password(s))
        if s.tls:
            c.tls_set(ca_certs=str(s.ca_file) if s.ca_file else None,
                      certfile=str(s.cert_file) if s.cert_file else None,
                      keyfile=str(s.key_file) if s.key_file else None)
        c.will_set(self.topics.availability, b"offline", qos=1, retain=True,
                   properties=_session_props(PacketTypes.WILLMESSAGE, self.session))
        c.reconnect_delay_set(1, RECONNECT_MAX_S)
        self._inflight = min(inflight, INFLIGHT_MAX)
        c.max_inflight_messages_set(self._inflight)
        c.max_queued_messages_set(0)  # the relay's own window bounds what is queued

    def start(self) -> None:
        self.client.connect_async(self.settings.host, self.settings.port,
                                  keepalive=self.settings.keepalive_s, clean_start=True)
        self.client.loop_start()

    @property
    def inflight_allowed(self) -> int:
        """QoS 1 messages that may be unacknowledged at once on this connection: paho's
        limit, or the broker's Receive Maximum if that is lower (the MQTT v5 rule; a
        broker may disconnect a client that sends more)."""
        return min(self._inflight, self.receive_max)

    def publish(self, topic: str, payload: bytes, qos: int = 1,
                retain: bool = False) -> int:
        """Hand a message to paho; returns its mid. A QoS 1 message given while the link
        is down is queued by paho and sent on reconnect (its rc is then NO_CONN)."""
        return int(self.client.publish(topic, payload, qos=qos, retain=retain).mid)

    def stop(self) -> None:
        """Clean stop: retained ``offline`` (acknowledged, or STOP_WAIT_S), disconnect."""
        self._stopping = True
        try:
            if self.connected.is_set():
                info = self.client.publish(
                    self.topics.availability, b"offline", qos=1, retain=True,
                    properties=_session_props(PacketTypes.PUBLISH, self.session))
                info.wait_for_publish(STOP_WAIT_S)
        except (RuntimeError, ValueError) as exc:  # the link fell just now
            log.warning("MQTT: could not publish offline on stop: %s", exc)
        self.client.disconnect()
        self.client.loop_stop()

    # --- paho's callbacks (its network thread) -------------------------------------------

    def _guard(self, fn: Callable[..., None]) -> Callable[..., None]:
        def call(*args: Any) -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("MQTT: %s failed", fn.__name__)

        return call

    def _report(self, status: str, key: str, **params: object) -> None:
        detail = messages.en(key, url=self.url, **params)
        if detail != self._problem:
            self._problem = detail
            log.log(logging.INFO if status == "ok" else logging.ERROR, "MQTT: %s", detail)
        else:
            log.debug("MQTT: %s", detail)
        self.health.report(status, detail)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any,
                    reason: ReasonCode, properties: Any) -> None:
        if reason.is_failure:
            key = "mqtt_auth_refused" if reason.value in AUTH_REASONS else "mqtt_refused"
            self._report("error", key, reason=f"{reason.value} {reason}")
            return
        self._problem = ""
        self.receive_max = int(getattr(properties, "ReceiveMaximum", RECEIVE_MAX_DEFAULT))
        client.publish(self.topics.availability, b"online", qos=1, retain=True,
                       properties=_session_props(PacketTypes.PUBLISH, self.session))
        if self.subscriptions:
            _rc, mid = client.subscribe([(t, 1) for t in self.subscriptions])
            if mid is not None:
                self._sub_topics[mid] = self.subscriptions
        self.connected.set()
        self._report("ok", "mqtt_connected")
        self.listener.link_up()

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        try:
            # paho calls this inside its ``except OSError`` block: the error is current
            exc = sys.exc_info()[1]
            error = f"{type(exc).__name__}: {exc}" if exc else "connection failed"
            if _in_tls_handshake(exc):
                self._report("error", "mqtt_tls_failed", error=error[:120])
            else:
                self._report("offline", "mqtt_unreachable", error=error[:80])
        except Exception:
            log.exception("MQTT: on_connect_fail failed")

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: Any,
                       reason: ReasonCode, properties: Any) -> None:
        was_up = self.connected.is_set()
        self.connected.clear()
        if not was_up:
            return  # a refused connect: already reported by _on_connect
        if not self._stopping:
            self._report("offline", "mqtt_lost", reason=str(reason))
        self.listener.link_down()

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int,
                    reason: ReasonCode, properties: Any) -> None:
        self.listener.acked(mid, reason.value, str(reason))

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reasons: list[ReasonCode], properties: Any) -> None:
        for topic, rc in zip(self._sub_topics.pop(mid, ()), reasons, strict=False):
            if rc.is_failure:
                log.error("MQTT: %s", messages.en("mqtt_subscribe_denied", topic=topic,
                                                  reason=f"{rc.value} {rc}"))

    def _on_message(self, client: mqtt.Client, userdata: object,
                    msg: mqtt.MQTTMessage) -> None:
        self.listener.message(msg)
