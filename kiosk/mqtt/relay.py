"""The outbox relay: every committed event to ``{base}/events/{type}``, QoS 1, in order.

One thread, :class:`Relay`, owns an :class:`kiosk.outbox.Outbox` (its own SQLite
connection) and everything the kiosk publishes on its own: events, the retained state,
the backlog alarm. Nothing else writes the outbox's ``sent`` column.

* **Order.** Rows are read in ``seq`` order, a page (:data:`PAGE`) at a time, after a
  cursor (the last ``seq`` read). A bounded window of events is in flight: the link's
  allowance (paho's limit, and the broker's MQTT v5 Receive Maximum if lower: a broker
  may disconnect a client that sends more) less a little room for the state and the
  rest. paho sends them in order and, after a reconnect, sends again those not yet
  acknowledged, in order.
* **Marked on PUBACK only.** ``on_publish`` (paho's thread) only records ``(mid,
  reason)``; this thread then marks the acknowledged rows sent, one durable transaction
  per batch (at most :data:`MARK_EVERY_S` later). A reason code of 0x80 or more (135
  Not authorized: the broker's ACL) leaves the row unsent: the device ``mqtt.outbox``
  turns ``error`` with the topic and the fix, and the relay stops sending new rows for
  a back-off (2 s doubling to 60 s, or until the next reconnect: a restarted broker may
  come with a mended ACL), then starts again from the oldest unsent row. So a denial
  costs at most one window of publishes per back-off, never a spin. Later events wait
  behind the refused one (those already in flight with it may arrive first: consumers
  order by ``seq``). The alarm stays until every refused row has been accepted.
* **Nothing lost.** A row is unsent until its PUBACK is recorded; a restart (even after
  SIGKILL) starts again at the oldest unsent row. A row can therefore be published twice
  (its PUBACK arrived, the process died before the mark): consumers drop repeats by
  ``(branch, device, seq)``.
* **Woken, not polling.** :meth:`Relay.notify` (the subscriber's ``handle``, after each
  commit) and every PUBACK wake the thread; a new event is read and published at once.
* **Backlog.** The number of unsent rows, counted at most every :data:`COUNT_EVERY_S`.
  At ``mqtt.outbox_alarm`` the device ``mqtt.outbox`` turns ``error``; it turns ``ok``
  again once the backlog is down to half the alarm (so it does not flap at the
  threshold). Both go into the state's ``outbox`` object.
* **State.** ``{base}/state`` (retained, QoS 1) is the ``kiosk status --json`` status
  plus ``ts``, ``session`` and ``outbox`` (``backlog``, ``alarm``). Sent on connect and
  on every change, at most once per :data:`STATE_EVERY_S`, trailing edge: the last
  change of a burst always goes out.
* **Prune.** Rows sent more than ``outbox_keep_days`` ago are deleted at start and
  then daily; an unsent row never is.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk import messages
from kiosk.health import HealthReporter
from kiosk.mqtt.topics import Topics
from kiosk.status import Status

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kiosk.outbox import Outbox

log = logging.getLogger(__name__)
WINDOW = 500  # events in flight at most; the link's allowance is usually smaller
PAGE = 500  # rows read ahead from the outbox, so a small window does not mean a query
            # per PUBACK
STATE_EVERY_S = 0.5
COUNT_EVERY_S = 0.25
PRUNE_EVERY_S = 24 * 3600.0
BACKOFF_MIN_S, BACKOFF_MAX_S = 2.0, 60.0
MARK_EVERY_S = 0.05  # acknowledged rows are marked in one durable commit per this time
DRAIN_ON_STOP_S = 1.0  # a clean stop waits this long for PUBACKs still on their way
RESTART_AFTER_S = 5.0  # the loop starts again this long after a failure
Publish = Callable[[str, bytes, int, bool], int]


class Relay:
    """Drain the outbox; publish the state. ``start()``, ``notify(status)``, ``stop()``.

    ``publish(topic, payload, qos, retain) -> mid`` is the link's; ``connected`` says
    whether the link is up. :meth:`acked`, :meth:`link_up` and :meth:`link_down` are
    called by the link (paho's thread); :meth:`notify` by the subscriber.
    """

    def __init__(self, open_outbox: Callable[[], Outbox], publish: Publish,
                 connected: threading.Event, topics: Topics, *, status: Status,
                 tz: ZoneInfo, session: str, health: HealthReporter, alarm: int,
                 keep_days: int, window: int = WINDOW) -> None:
        self._open = open_outbox
        self._publish = publish
        self._connected = connected
        self.topics = topics
        self._tz = tz
        self._session = session
        self._health = health
        self.alarm_at = alarm
        self._keep_days = keep_days
        self.window = window
        self._suffix = (f', "branch": {json.dumps(topics.branch)}, '
                        f'"device": {json.dumps(topics.device)}}}')
        self._wake = threading.Event()
        self._acks: deque[tuple[int, int, str]] = deque()  # (mid, reason, name)
        self._status = status
        self._state_dirty = True
        self._inflight: dict[int, tuple[int, str]] = {}  # mid -> (seq, topic)
        self._inflight_seqs: set[int] = set()
        self._cursor = 0  # the last seq read from the outbox
        self._ahead: deque[tuple[int, str]] = deque()  # read, not yet published
        self._limit = window  # the broker's Receive Maximum, less room for the rest
        self._blocked_until: float | None = None  # after a denial
        self._backoff = BACKOFF_MIN_S
        self._retry_now = False
        self._refused_seqs: set[int] = set()  # refused and not yet accepted since
        self._to_mark: list[int] = []  # acknowledged, not yet marked
        self._mark_by: float | None = None
        self.backlog = 0
        self.alarm = False
        self.sent = 0  # acknowledged since start (for the bench and the tests)
        self.peak_inflight = 0  # the most events ever in flight at once (likewise)
        self._stopping = False
        self._stopped = threading.Event()
        self._count_due = True  # the backlog may have changed since it was counted
        self._thread = threading.Thread(target=self._run, name="mqtt-relay", daemon=True)

    # --- other threads -------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def notify(self, status: Status) -> None:
        """A commit happened: new outbox rows and a new status. Returns at once."""
        self._status = status
        self._state_dirty = True
        self._count_due = True
        self._wake.set()

    def acked(self, mid: int, reason: int, reason_name: str) -> None:
        self._acks.append((mid, reason, reason_name))
        self._wake.set()

    def link_up(self, limit: int | None = None) -> None:
        """The link is up; ``limit``: how many events may be in flight on it."""
        if limit is not None:
            self._limit = max(1, limit)
        self._state_dirty = True  # the retained state again, with this session's id
        self._retry_now = True  # a new connection may come with a mended ACL
        self._wake.set()

    def link_down(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._stopped.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # --- the relay's thread --------------------------------------------------------------

    def _run(self) -> None:
        """The loop, and again after a failure (a damaged or locked store, a bug): the
        failure shows as device ``mqtt.outbox``, and it is never a silent stall."""
        while not self._stopping:
            try:
                box = self._open()
                try:
                    self._loop(box)
                    return
                finally:
                    box.close()
            except Exception as exc:
                detail = messages.en("mqtt_relay_failed", error=f"{type(exc).__name__}: "
                                     f"{exc}"[:120], seconds=int(RESTART_AFTER_S))
                log.exception("MQTT: %s", detail)
                self._health.report("error", detail)
                self.alarm = True
                self._inflight.clear()  # paho still holds them; the rows stay unsent and
                self._inflight_seqs.clear()  # go out again after the restart of the loop
                self._cursor = 0
                self._ahead.clear()
                self._stopped.wait(RESTART_AFTER_S)

    def _loop(self, box: Outbox) -> None:
        self._prune(box)
        next_prune = time.monotonic() + PRUNE_EVERY_S
        next_count = 0.0
        self._count_due = True
        last_state = -STATE_EVERY_S
        stop_by: float | None = None
        while True:
            now = time.monotonic()
            self._settle(box, now)
            if self._stopping:
                stop_by = stop_by or now + DRAIN_ON_STOP_S
                if not self._inflight or not self._connected.is_set() or now >= stop_by:
                    self._mark(box)
                    return
            elif self._connected.is_set():
                self._fill(box, now)
            if self._count_due and now >= next_count:
                self._count_due = False
                self._count(box)
                next_count = now + COUNT_EVERY_S
            if now >= next_prune:
                self._prune(box)
                next_prune = now + PRUNE_EVERY_S
            waits = [next_prune - now]
            if self._count_due:  # counted at most every COUNT_EVERY_S; idle: not at all
                waits.append(next_count - now)
            if self._state_dirty and self._connected.is_set():
                if now - last_state >= STATE_EVERY_S:
                    self._send_state()
                    last_state = now
                else:
                    waits.append(last_state + STATE_EVERY_S - now)  # the trailing edge
            if self._blocked_until is not None:
                waits.append(self._blocked_until - now)
            if stop_by is not None:
                waits.append(stop_by - now)
            if self._mark_by is not None:
                waits.append(self._mark_by - now)
            self._wake.wait(max(0.0, min(waits)))
            self._wake.clear()

    def _fill(self, box: Outbox, now: float) -> None:
        if self._retry_now:
            self._retry_now = False
            if self._blocked_until is not None:
                self._blocked_until = now
        if self._blocked_until is not None:
            if now < self._blocked_until or self._inflight:
                return
            self._blocked_until = None
            self._cursor = 0  # from the oldest unsent row again, the refused one first
            self._ahead.clear()
        room = min(self.window, self._limit) - len(self._inflight)
        while room > 0:
            if not self._ahead:
                rows = box.pending(self._cursor, PAGE)
                if not rows:
                    return
                self._ahead.extend(rows)
                self._cursor = rows[-1][0]
            seq, payload = self._ahead.popleft()
            if seq in self._inflight_seqs:  # still on its way from before a retry
                continue
            topic, data = self._message(payload)
            mid = self._publish(topic, data, 1, False)
            self._inflight[mid] = (seq, topic)
            self._inflight_seqs.add(seq)
            room -= 1
            if len(self._inflight) > self.peak_inflight:
                self.peak_inflight = len(self._inflight)

    def _message(self, payload: str) -> tuple[str, bytes]:
        """The topic and the payload: the stored event JSON plus branch and device."""
        # The store writes it with sorted keys, so "type" is the last key: found from the
        # right, and the closing brace gives way to branch and device, without a parse
        # and a dump per row (a drain of 10,000 rows after an outage).
        body = payload.rstrip()
        _head, sep, tail = body.rpartition('"type": "')
        if not sep or not body.endswith("}"):
            event = json.loads(payload)
            event.update(branch=self.topics.branch, device=self.topics.device)
            return self.topics.event(event["type"]), json.dumps(event).encode()
        kind = tail.split('"', 1)[0]
        return self.topics.event(kind), (body[:-1] + self._suffix).encode()

    def _settle(self, box: Outbox, now: float) -> None:
        done: list[int] = []
        refused: list[int] = []
        while self._acks:
            mid, reason, name = self._acks.popleft()
            item = self._inflight.pop(mid, None)
            if item is None:
                continue  # the state, the availability, a reply: not ours to count
            seq, topic = item
            self._inflight_seqs.discard(seq)
            if reason < 0x80:
                done.append(seq)
                self._refused_seqs.discard(seq)
                continue
            refused.append(seq)
            self._refused_seqs.add(seq)
            if self._blocked_until is None:
                self._refused(topic, f"{reason} {name}", now)
        self._to_mark.extend(done)
        if self._to_mark and self._mark_by is None:
            self._mark_by = now + MARK_EVERY_S
        if self._mark_by is not None and (now >= self._mark_by or
                                          len(self._to_mark) >= self.window // 2):
            self._mark(box)
        box.mark_failed(refused)
        self.sent += len(done)
        if done and not self._refused_seqs:
            self._backoff = BACKOFF_MIN_S
        if done or refused:
            self.backlog = max(0, self.backlog - len(done))
            self._state_dirty = True
            self._count_due = True

    def _mark(self, box: Outbox) -> None:
        # One commit (fsync) per batch, not per PUBACK: on an SD card that is the
        # difference between a few hundred and thousands of events a second. A crash
        # in between only means those rows go out again; consumers drop repeats.
        box.mark_sent(self._to_mark)
        self._to_mark, self._mark_by = [], None

    def _refused(self, topic: str, reason: str, now: float) -> None:
        detail = messages.en("mqtt_publish_denied", topic=topic, reason=reason,
                             base=self.topics.base)
        log.error("MQTT: %s (retrying in %.0f s)", detail, self._backoff)
        self._health.report("error", detail)
        self.alarm = True
        self._blocked_until = now + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)

    def _count(self, box: Outbox) -> None:
        shown = self._status.devices.get(self._health.name, {}).get("status", "ok")
        if shown != "ok" and self._health.status is None:
            self.alarm = True  # raised before a restart (the replayed status shows it):
            # it is cleared below once the backlog allows, like one raised now
        backlog = box.backlog() - len(self._to_mark)  # acknowledged ones are not waiting
        if backlog != self.backlog:
            self._state_dirty = True
        self.backlog = backlog
        if backlog >= self.alarm_at and not self.alarm:
            self.alarm = True
            detail = messages.en("mqtt_backlog_alarm", backlog=backlog, alarm=self.alarm_at)
            log.error("MQTT: %s", detail)
            self._health.report("error", detail)
            self._state_dirty = True
        elif self.alarm and backlog <= self.alarm_at // 2 and not self._refused_seqs:
            self.alarm = False
            log.info("MQTT: %s", messages.en("mqtt_backlog_cleared"))
            self._health.report("ok", messages.en("mqtt_backlog_cleared"))
            self._state_dirty = True

    def state_payload(self) -> bytes:
        st: dict[str, Any] = self._status.to_dict()
        st["ts"] = datetime.now(self._tz).isoformat(timespec="milliseconds")
        st["session"] = self._session
        st["outbox"] = {"backlog": self.backlog, "alarm": self.alarm}
        return json.dumps(st, ensure_ascii=False).encode()

    def _send_state(self) -> None:
        self._state_dirty = False
        self._publish(self.topics.state, self.state_payload(), 1, True)

    def _prune(self, box: Outbox) -> None:
        try:
            gone = box.prune(self._keep_days)
        except Exception:
            log.exception("MQTT: pruning the outbox failed; trying again tomorrow")
            return
        if gone:
            log.info("MQTT: pruned %d outbox rows sent over %d days ago", gone,
                     self._keep_days)
