"""MQTT to the branch server: events from the outbox, retained state and availability,
remote commands and Home Assistant discovery (topics and payloads: ``docs/mqtt.md``).

Off unless ``mqtt.url`` is set: the demo then builds nothing and never imports paho.
Settings that cannot work at all (an unreadable password file, a TLS file that does not
load) never stop the kiosk: they are logged and shown as device ``mqtt`` in ``error``,
and the events wait in the outbox until the settings are fixed and the kiosk restarted.
"""

from __future__ import annotations

import logging

from kiosk import messages
from kiosk.commands import ReportDevice
from kiosk.ports import DriverContext, DriverParts

log = logging.getLogger(__name__)


def build(ctx: DriverContext) -> DriverParts:
    if ctx.settings is None or not ctx.settings.enabled:
        return DriverParts()
    from kiosk.mqtt.publisher import LINK_DEVICE, SOURCE, MqttPublisher  # imports paho

    try:
        publisher = MqttPublisher(ctx)
        publisher.start()
    except Exception as exc:  # OSError, ValueError, ssl.SSLError from the settings' files
        detail = messages.en("mqtt_setup_failed", error=f"{type(exc).__name__}: {exc}")
        log.error("MQTT: %s", detail)
        try:
            ctx.submit(ReportDevice(LINK_DEVICE, "error", detail[:200]), SOURCE)
        except Exception:
            log.exception("MQTT: could not report the failure")
        return DriverParts()
    return DriverParts(subscribers=[publisher])
