"""The kiosk on MQTT: the subscriber the service fans events out to, wiring the link
(:mod:`kiosk.mqtt.link`), the outbox relay (:mod:`kiosk.mqtt.relay`), remote commands
(:mod:`kiosk.mqtt.commands`) and Home Assistant discovery (:mod:`kiosk.mqtt.discovery`).

* :meth:`MqttPublisher.handle` only wakes the relay and returns: the command worker's
  fan-out never waits for the network.
* ``{base}/cmd/+`` (QoS 1) goes to :class:`kiosk.mqtt.commands.CommandHandler`, on
  paho's thread; its replies go to ``{base}/reply`` (QoS 1, not retained).
* With ``discovery`` on, the discovery configs are published retained on every connect,
  and again whenever ``homeassistant/status`` says ``online`` (Home Assistant restarted
  and lost what it knew).
* :meth:`MqttPublisher.close` (a clean stop): the relay records the PUBACKs still on
  their way, then the link publishes the retained ``offline`` and disconnects.
* On a new business day, the figures of the day just ended go to
  ``{base}/summary/daily`` (:mod:`kiosk.mqtt.summary`, on a thread of its own).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from kiosk.events import Event
from kiosk.health import HealthReporter
from kiosk.mqtt.link import Link
from kiosk.mqtt.relay import WINDOW, Relay
from kiosk.mqtt.summary import DailySummary
from kiosk.mqtt.topics import HA_STATUS, Topics
from kiosk.ports import DriverContext
from kiosk.status import Status

log = logging.getLogger(__name__)
SOURCE = "mqtt"  # the source of this driver's device reports
LINK_DEVICE, OUTBOX_DEVICE = "mqtt", "mqtt.outbox"
EXTRA_INFLIGHT = 8  # at most this much of the in-flight allowance is left to the state,
                    # availability, discovery and replies (a quarter when it is small)


class MqttPublisher:
    """A :class:`kiosk.ports.Subscriber` that puts the kiosk on the branch broker."""

    name = "mqtt"

    def __init__(self, ctx: DriverContext, window: int = WINDOW) -> None:
        s = ctx.settings
        assert ctx.open_outbox is not None and ctx.status is not None
        self.ctx = ctx
        self.topics = Topics(s.prefix, ctx.branch.code, ctx.branch.device_id)
        subs = (self.topics.cmd_filter,) + ((HA_STATUS,) if s.discovery else ())
        self.link = Link(s, self.topics, HealthReporter(LINK_DEVICE, ctx.submit, SOURCE),
                         self, subs)
        self.relay = Relay(ctx.open_outbox, self.link.publish, self.link.connected,
                           self.topics, status=ctx.status(), tz=ctx.tz,
                           session=self.link.session,
                           health=HealthReporter(OUTBOX_DEVICE, ctx.submit, SOURCE),
                           alarm=s.outbox_alarm, keep_days=s.outbox_keep_days, window=window)
        self.commands = _command_handler(ctx, self._reply)
        self.summary = (DailySummary(ctx.day_summary, self.link.publish, self.topics, ctx.tz)
                        if ctx.day_summary is not None else None)

    def start(self) -> None:
        self.link.configure(self.relay.window + EXTRA_INFLIGHT)
        self.relay.start()
        self.link.start()

    # --- Subscriber --------------------------------------------------------------------

    def handle(self, event: Event, status: Status) -> None:
        self.relay.notify(status)
        if self.summary is not None:
            self.summary.handle(event)

    def close(self) -> None:
        if self.summary is not None:
            self.summary.stop()
        self.relay.stop()
        self.link.stop()

    # --- Listener (paho's thread) ------------------------------------------------------

    def link_up(self) -> None:
        # the events leave a little of the broker's Receive Maximum to the state, the
        # availability, replies and discovery
        allowed = self.link.inflight_allowed
        self.relay.link_up(allowed - min(EXTRA_INFLIGHT, allowed // 4))
        self._discovery()

    def link_down(self) -> None:
        self.relay.link_down()

    def acked(self, mid: int, reason: int, reason_name: str) -> None:
        self.relay.acked(mid, reason, reason_name)

    def message(self, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == HA_STATUS:
            if msg.payload.strip() == b"online":
                self._discovery()
            return
        if self.commands is None:
            log.warning("MQTT: a command on %s, but remote commands are not part of this "
                        "build", msg.topic)
            return
        self.commands.handle(Topics.action_of(msg.topic), bytes(msg.payload),
                             retained=bool(msg.retain))

    # --- helpers -----------------------------------------------------------------------

    def _reply(self, payload: bytes) -> None:
        self.link.publish(self.topics.reply, payload, 1, False)

    def _discovery(self) -> None:
        if not self.ctx.settings.discovery:
            return
        try:
            from kiosk.mqtt import discovery
        except ImportError:
            log.debug("MQTT: Home Assistant discovery is not part of this build")
            return
        ctx = self.ctx
        for topic, payload in discovery.configs(self.topics, ctx.branch, ctx.services,
                                                ctx.counters):
            self.link.publish(topic, payload, 1, True)


def _command_handler(ctx: DriverContext, reply: Callable[[bytes], None]) -> Any:
    try:
        from kiosk.mqtt.commands import CommandHandler
    except ImportError:
        return None
    return CommandHandler(ctx.submit, reply)
