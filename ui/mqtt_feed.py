"""The hall board on a second Pi: follow a kiosk over MQTT instead of its control socket.

The kiosk publishes (see :mod:`kiosk.mqtt.topics` and docs/mqtt.md):

* ``{base}/state``, retained: ``Status.to_dict()`` plus ``ts``, after every change;
* ``{base}/events/{type}``, QoS 1: each committed event as JSON plus ``branch``/``device``;
* ``{base}/availability``, retained: ``online``/``offline`` (also its last will).

:class:`MqttFeed` subscribes to those and calls the same three callbacks as
:class:`ui.link.CoreLink`, always through ``post`` (Kivy's ``Clock.schedule_once``):
``on_online(status)`` on the first state after connecting (the retained one seeds the
board, as the watch stream's first status does), ``on_event(event, status)`` per event
with the latest state, and ``on_offline()`` when the broker goes away or the kiosk says
``offline``. A later state without an event (a device report, a state that overtook its
event) goes to ``on_status`` (default: ``on_online``), so the rows never stay stale.

Nothing here blocks Kivy's thread: paho connects and reconnects on its own thread
(``connect_async`` + ``loop_start``), so the board keeps drawing while the broker is down.
The board sends nothing: :meth:`MqttFeed.send` answers ``service_unavailable`` at once.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from kiosk.mqtt.topics import Topics
from kiosk.settings.remote import MqttSettings
from ui.link import OnReply, Post, Reply, kivy_post, unavailable

log = logging.getLogger(__name__)
MAX_PAYLOAD = 1024 * 1024  # a status of a big branch is a few kB; more is not ours
# An event this much older than the state already shown is a backlog being replayed (the
# kiosk's outbox draining after an outage): the state holds its effect, and showing it
# as a new call would call a customer again. Live events reach the board within moments.
STALE_S = 10.0
RECONNECT_MIN, RECONNECT_MAX = 1, 10  # s between attempts while the broker is away


def topics_for(cfg: Any) -> Topics:
    """The topics of the kiosk this board follows: ``[ui] hall_follow`` (a device id of
    the same branch), else the config's own ``[branch] device_id``."""
    device = getattr(cfg.ui, "hall_follow", None) or cfg.branch.device_id
    return Topics(cfg.mqtt.prefix, cfg.branch.code, device)


class MqttFeed:
    """See the module docstring. Same shape as :class:`ui.link.CoreLink`: ``start()``,
    ``stop()``, ``send()``, ``online``, ``connects``."""

    def __init__(self, settings: MqttSettings, topics: Topics,
                 on_online: Callable[[Reply], None],
                 on_event: Callable[[Reply, Reply], None],
                 on_offline: Callable[[], None], *, post: Post = kivy_post,
                 on_status: Callable[[Reply], None] | None = None,
                 client_id: str | None = None) -> None:
        if not settings.enabled:
            raise ValueError("MQTT is off: set [mqtt] url to follow a kiosk over MQTT")
        self.settings, self.topics = settings, topics
        self._on_online, self._on_event, self._on_offline = on_online, on_event, on_offline
        self._on_status = on_status or on_online
        self._post = post
        self.status: Reply | None = None
        self.online = False  # as last posted
        self.connects = 0  # broker connections, for tests
        self._connected = False  # paho thread's view
        self._kiosk_up = True  # the kiosk's availability as last heard
        self._announced: bool | None = None  # last of online/offline posted
        cid = client_id or f"hall-{topics.device}-{os.getpid()}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid,
                                  protocol=mqtt.MQTTv5)
        if settings.username:
            password = None
            if settings.password_file is not None:
                password = settings.password_file.read_text(encoding="utf-8").strip()
            self.client.username_pw_set(settings.username, password)
        if settings.tls:
            self.client.tls_set(
                ca_certs=str(settings.ca_file) if settings.ca_file else None,
                certfile=str(settings.cert_file) if settings.cert_file else None,
                keyfile=str(settings.key_file) if settings.key_file else None)
        self.client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        self.client.on_connect = self._connected_cb
        self.client.on_disconnect = self._disconnected_cb
        self.client.on_message = self._message_cb

    # --- the CoreLink shape -------------------------------------------------------------
    def start(self) -> MqttFeed:
        self.client.connect_async(self.settings.host, self.settings.port,
                                  keepalive=self.settings.keepalive_s, clean_start=True)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, cmd: str, args: dict[str, Any] | None = None,
             on_reply: OnReply | None = None) -> None:
        """A board that follows over MQTT sends no commands."""
        if on_reply is not None:
            self._post(partial(on_reply, unavailable("the hall board follows over MQTT")))

    # --- paho's thread --------------------------------------------------------------------
    def _connected_cb(self, client: mqtt.Client, _userdata: Any, _flags: Any,
                      reason: ReasonCode, _props: Any = None) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the hall board: %s", self.settings.host, reason)
            return
        self._connected = True
        self.connects += 1
        self.status = None  # the retained state that follows is the one to start from
        log.info("following %s over MQTT", self.topics.base)
        client.subscribe([(self.topics.availability, 1), (self.topics.state, 1),
                          (f"{self.topics.base}/events/#", 1)])

    def _disconnected_cb(self, _client: mqtt.Client, _userdata: Any, _flags: Any,
                         reason: ReasonCode, _props: Any = None) -> None:
        self._connected = False
        log.info("broker connection lost (%s); retrying", reason)
        self._announce(False)

    def _message_cb(self, _client: mqtt.Client, _userdata: Any,
                    msg: mqtt.MQTTMessage) -> None:
        if len(msg.payload) > MAX_PAYLOAD:
            log.warning("%s: %d bytes dropped (too big)", msg.topic, len(msg.payload))
            return
        if msg.topic == self.topics.availability:
            self._kiosk_up = msg.payload.strip() != b"offline"
            if not self._kiosk_up:
                self._announce(False)
            elif self.status is not None:
                self._announce(True)
            return
        try:
            data = json.loads(msg.payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("%s: not JSON, dropped", msg.topic)
            return
        if not isinstance(data, dict):
            log.warning("%s: not a JSON object, dropped", msg.topic)
            return
        if msg.topic == self.topics.state:
            if not isinstance(data.get("counters"), list):
                log.warning("%s: no counters in the state, dropped", msg.topic)
                return
            self.status = data
            if self._announced is not True and self._kiosk_up:
                self._announce(True)
            elif self._kiosk_up:
                self._post(partial(self._on_status, data))
        elif msg.topic.startswith(f"{self.topics.base}/events/"):
            if self.status is None or not isinstance(data.get("type"), str):
                return  # before the first state: the state will hold it
            if _age(data.get("ts"), self.status.get("ts")) > STALE_S:
                log.debug("%s seq %s: replayed from a backlog, not shown as new",
                          data["type"], data.get("seq"))
                return
            self._post(partial(self._on_event, data, self.status))

    def _announce(self, up: bool) -> None:
        if self._announced is up:
            return
        self._announced = up
        if up and self.status is not None:
            self._post(partial(self._set_online, self.status))
        elif not up:
            self._post(self._set_offline)

    def _set_online(self, status: Reply) -> None:
        self.online = True
        self._on_online(status)

    def _set_offline(self) -> None:
        self.online = False
        self._on_offline()


def _age(event_ts: Any, state_ts: Any) -> float:
    """Seconds from an event's time to the state's (0.0 if either is missing or odd)."""
    try:
        return (datetime.fromisoformat(state_ts) - datetime.fromisoformat(event_ts)) \
            .total_seconds()
    except (TypeError, ValueError):
        return 0.0


def feed_for(cfg: Any, on_online: Callable[[Reply], None],
             on_event: Callable[[Reply, Reply], None], on_offline: Callable[[], None],
             post: Post = kivy_post) -> MqttFeed:
    """An :class:`MqttFeed` for the kiosk ``cfg``'s board follows (not started)."""
    return MqttFeed(cfg.mqtt, topics_for(cfg), on_online, on_event, on_offline, post=post)


def follow(app: Any) -> MqttFeed:
    """Make a running :class:`ui.app.KioskApp` follow its kiosk over MQTT instead of the
    control socket (``kiosk ui --mode hall --mqtt``): its CoreLink is stopped and the
    feed takes its place, with the same callbacks, for every screen."""
    if app.link is not None:
        app.link.stop()
    app.link = feed_for(app.kiosk_config, app._online, app._event, app._offline).start()
    for screen in app.screens():
        screen.app_link = app.link
    return app.link
