"""Home Assistant MQTT discovery: one device per kiosk, its sensors read the state topic.

Each config is published retained to
``homeassistant/<component>/<node_id>/<object_id>/config`` (``node_id`` is the
``device_id``, the kiosk's MQTT user name in the shipped ACL), so Home Assistant, or any
tool that speaks discovery, shows the kiosk without a line of custom code. Every sensor
reads the one retained ``{base}/state`` JSON with a ``value_template`` and goes
unavailable with ``{base}/availability``. A template that finds nothing renders
``None``, which Home Assistant shows as "unknown" rather than as an error.

>>> from types import SimpleNamespace as NS
>>> from kiosk.mqtt.topics import Topics
>>> branch = NS(code="east-city", device_id="k1", name_zh="东城支行", name_en="East City")
>>> svc = {"A": NS(prefix="A", name_zh="个人业务", name_en="Personal")}
>>> out = configs(Topics("kiosk", "east-city", "k1"), branch, svc, {1: NS(id=1)})
>>> [topic for topic, _ in out][:2]
['homeassistant/sensor/k1/waiting_A/config', 'homeassistant/sensor/k1/counter_1/config']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk import __version__, messages
from kiosk.mqtt.topics import HA_PREFIX, Topics

MANUFACTURER = "counter-kiosk"
COUNTER_STATES = ["open", "paused", "closed"]


def _items(xs: Mapping[Any, Any] | Iterable[Any]) -> list[Any]:
    return list(xs.values()) if isinstance(xs, Mapping) else list(xs)


def _find(listing: str, key: str, value: str, then: str) -> str:
    """A template reading ``then`` from the entry of ``value_json.<listing>`` whose
    ``key`` is ``value`` (services and counters are lists in the state, as in
    ``kiosk status --json``)."""
    return (f"{{% set x = (value_json.{listing} | default([])) | selectattr('{key}', "
            f"'equalto', {value}) | list %}}{{{{ x[0].{then} if x else None }}}}")


def _attrs(listing: str, key: str, value: str, names: Iterable[str]) -> str:
    pairs = ", ".join(f"'{n}': x[0].{n}" for n in names)
    return (f"{{% set x = (value_json.{listing} | default([])) | selectattr('{key}', "
            f"'equalto', {value}) | list %}}{{{{ ({{{pairs}}} if x else {{}}) | tojson }}}}")


def configs(topics: Topics, branch: Any, services: Mapping[str, Any] | Iterable[Any],
            counters: Mapping[int, Any] | Iterable[Any]) -> list[tuple[str, bytes]]:
    """``(topic, payload)`` of every discovery config for this kiosk, for retained
    publishing (on connect, and again when ``homeassistant/status`` says ``online``)."""
    node = topics.device
    uid = f"{topics.prefix}_{branch.code}_{node}"  # unique across the company
    device = {
        "identifiers": [uid],
        "name": f"{branch.name_zh} {node} / {branch.name_en} {node}",
        "manufacturer": MANUFACTURER,
        "model": messages.en("ha_model"),
        "sw_version": __version__,
        "suggested_area": branch.name_zh,
    }
    common = {
        "state_topic": topics.state,
        "availability_topic": topics.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": device,
        "origin": {"name": MANUFACTURER, "sw_version": __version__},
    }
    out: list[tuple[str, bytes]] = []

    def add(component: str, object_id: str, name: messages.Bilingual,
            **fields: Any) -> None:
        body = {"name": str(name), "unique_id": f"{uid}_{object_id}", **common, **fields}
        topic = f"{HA_PREFIX}/{component}/{node}/{object_id}/config"
        out.append((topic, json.dumps(body, ensure_ascii=False).encode()))

    for s in _items(services):
        add("sensor", f"waiting_{s.prefix}",
            messages.text("ha_waiting", prefix=s.prefix, name_zh=s.name_zh, name_en=s.name_en),
            value_template=_find("services", "prefix", f"'{s.prefix}'", "waiting"),
            json_attributes_topic=topics.state,
            json_attributes_template=_attrs("services", "prefix", f"'{s.prefix}'",
                                            ("wait_minutes", "open_counters")),
            unit_of_measurement=messages.en("ha_people_unit"), state_class="measurement",
            icon="mdi:account-multiple")
    for c in _items(counters):
        add("sensor", f"counter_{c.id}", messages.text("ha_counter", counter=c.id),
            value_template=_find("counters", "id", str(int(c.id)), "status"),
            json_attributes_topic=topics.state,
            json_attributes_template=_attrs("counters", "id", str(int(c.id)),
                                            ("current", "reason", "redirect")),
            device_class="enum", options=COUNTER_STATES, icon="mdi:counter")
    add("sensor", "printer", messages.text("ha_printer"),
        value_template="{{ value_json.devices.printer.status "
                       "if 'printer' in (value_json.devices | default({})) else None }}",
        json_attributes_topic=topics.state,
        json_attributes_template="{{ (value_json.devices.printer "
                                 "if 'printer' in (value_json.devices | default({})) "
                                 "else {}) | tojson }}",
        icon="mdi:printer", entity_category="diagnostic")
    add("sensor", "outbox_backlog", messages.text("ha_outbox_backlog"),
        value_template="{{ value_json.outbox.backlog if value_json.outbox is defined "
                       "else None }}",
        unit_of_measurement=messages.en("ha_events_unit"), state_class="measurement",
        icon="mdi:tray-full", entity_category="diagnostic")
    add("binary_sensor", "outbox_alarm", messages.text("ha_outbox_alarm"),
        value_template="{{ ('ON' if value_json.outbox.alarm else 'OFF') "
                       "if value_json.outbox is defined else None }}",
        payload_on="ON", payload_off="OFF", device_class="problem",
        entity_category="diagnostic")
    add("sensor", "issued_today", messages.text("ha_issued_today"),
        value_template="{{ value_json.issued_today | default(None) }}",
        unit_of_measurement=messages.en("ha_tickets_unit"), state_class="total_increasing",
        icon="mdi:ticket-confirmation")
    return out
