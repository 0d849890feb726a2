"""Events: the record of everything the kiosk accepted.

One schema for the audit trail, the MQTT payloads, statistics and replay.
The core creates events without a sequence number; the store assigns ``seq``
(per device, never reused) in the same transaction that makes them durable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# Event types. Strings, not an Enum, because they travel as JSON and MQTT topics.
DAY_STARTED = "day_started"
ISSUED = "issued"
CALLED = "called"
RECALLED = "recalled"
NO_SHOW = "no_show"
REINSTATED = "reinstated"
TRANSFERRED = "transferred"
FINISHED = "finished"
PAUSED = "paused"
RESUMED = "resumed"
OPENED = "opened"
CLOSED = "closed"
DEVICE_STATUS = "device_status"
RATED = "rated"

EVENT_TYPES = frozenset(
    {
        DAY_STARTED, ISSUED, CALLED, RECALLED, NO_SHOW, REINSTATED, TRANSFERRED,
        FINISHED, PAUSED, RESUMED, OPENED, CLOSED, DEVICE_STATUS, RATED,
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    """One accepted fact.

    ``data`` by type:

    * ``issued``: ``number`` (int), ``priority`` (reason code or None), ``ahead`` (int),
      ``wait_minutes`` (int), ``service_zh``/``service_en``
    * ``called``: ``redirected_from`` (None), ``priority`` (reason or None)
    * ``recalled``: ``recalls`` (int, count so far)
    * ``no_show``: ``why`` ("clerk" or "recall_limit")
    * ``transferred``: ``from_service``, ``to_service``, ``from_counter``, ``to_counter``
    * ``paused``: ``reason`` (str or None), ``redirect`` (counter or None),
      ``stranded`` (services left with waiting customers and no open counter)
    * ``device_status``: ``device``, ``status``, ``detail``
    * ``rated``: ``score`` ("good", "fair", "poor")
    """

    type: str
    ts: str  # ISO 8601 local time with UTC offset
    day: str  # business day, YYYY-MM-DD
    ticket: str | None = None
    service: str | None = None
    counter: int | None = None
    source: str = "system"
    data: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None

    def with_seq(self, seq: int) -> Event:
        return replace(self, seq=seq)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        return cls(
            type=d["type"],
            ts=d["ts"],
            day=d["day"],
            ticket=d.get("ticket"),
            service=d.get("service"),
            counter=d.get("counter"),
            source=d.get("source", "system"),
            data=dict(d.get("data") or {}),
            seq=d.get("seq"),
        )
