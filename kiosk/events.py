"""Events: the record of everything the kiosk accepted.

One schema for the audit trail, the MQTT payloads, statistics and replay.
The core creates events without a sequence number; the store assigns ``seq``
(per device, never reused) in the same transaction that makes them durable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

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
CLOCK_CORRECTED = "clock_corrected"
NUMBERS_RESTORED = "numbers_restored"
REPRINTED = "reprinted"

# The shared default for events without data: read-only, so sharing it is safe.
_NO_DATA: Mapping[str, Any] = MappingProxyType({})


class Event(NamedTuple):
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
    * ``device_status``: ``device``, ``status``, ``detail``; the event's ``ticket`` is a
      ticket the device could not handle (one that did not print), else None
    * ``reprinted``: what the printer needs to print the ticket again: ``number``,
      ``priority``, ``issued_at`` (the original ``issued`` time), ``service_zh``/
      ``service_en`` (the service it waits for now), ``ahead`` and ``wait_minutes`` (as of
      the reprint), ``status`` (waiting, called, finished or no_show)
    * ``rated``: ``score`` ("good", "fair", "poor")
    * ``clock_corrected``: ``from_day`` (the day a wrong clock had started), ``floor``
      (prefix -> last number issued in either day: numbering goes on after it),
      ``carried`` (tickets still waiting in ``from_day``, moved into this day: ``id``,
      ``service``, ``number``, ``priority``, ``issued_at``), ``not_carried`` (ids that
      clash with a ticket of this day that is still in the queue)
    * ``numbers_restored``: ``floor`` (prefix -> last number the store's high-water mark
      recorded), ``mark_seq`` and ``store_seq``: the store lost events, numbering goes on
      after the mark so that no number is issued twice

    A NamedTuple rather than a frozen dataclass: just as immutable, and several times
    cheaper to build, which matters at tens of thousands of commands a second. Treat
    ``data`` as read-only too.
    """

    type: str
    ts: str  # ISO 8601 local time with UTC offset
    day: str  # business day, YYYY-MM-DD
    ticket: str | None = None
    service: str | None = None
    counter: int | None = None
    source: str = "system"
    data: Mapping[str, Any] = _NO_DATA
    seq: int | None = None

    def with_seq(self, seq: int) -> Event:
        return self._replace(seq=seq)

    def to_dict(self) -> dict[str, Any]:
        d = self._asdict()
        d["data"] = dict(self.data)
        return d

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
