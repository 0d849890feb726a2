"""The high-water mark: a small fsynced record, beside the store, of the last numbers issued.

A database that lost events (truncated, restored from an old backup, its WAL deleted after
a crash) would otherwise restart numbering and hand out a number a customer already holds,
and reuse ``seq`` values the branch server has already seen. The mark lives in its own file,
``<db>.mark``, so it survives whatever happened to the database.

What it holds: the highest ``seq`` and, for the most recent business days (newest last),
prefix -> last number, counting ``issued`` events and the ``floor`` of ``numbers_restored``
and ``clock_corrected`` events.

Crash safety: the file has two fixed 4 KiB slots, each ``magic, generation, length, crc32,
JSON``. A write goes to the slot that does NOT hold the last fsynced generation, with one
``pwrite``, so a torn or lost write can only damage a slot nobody relies on; the reader
takes the valid slot with the highest generation. Appends with ``issued`` (or floor) events
are fdatasynced; others only refresh ``seq`` in the page cache, which survives a killed
process (the WAL-deleted-after-SIGKILL case) at the cost of one ``pwrite``.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.events import Event

log = logging.getLogger(__name__)

MAGIC = b"KSMARK01"
SLOT = 4096
_HEAD = struct.Struct(">8sQII")  # magic, generation, payload length, crc32
KEEP_DAYS = 3
# Events whose data["floor"] (prefix -> number) says "numbering goes on after this".
FLOOR_EVENTS = ("numbers_restored", "clock_corrected")


def mark_path(db: Path) -> Path:
    return db.with_name(db.name + ".mark")


@dataclass(frozen=True, slots=True)
class Recovery:
    """The store is behind its mark: events were lost. Numbering of ``day`` must go on
    after ``numbers`` (prefix -> last number); ``seq`` already continues after
    ``mark_seq``. ``day`` is None when the mark recorded no numbers yet."""

    day: str | None
    numbers: dict[str, int]
    mark_seq: int
    store_seq: int


@dataclass(slots=True)
class HighWater:
    seq: int = 0
    days: dict[str, dict[str, int]] = field(default_factory=dict)  # newest day last

    def latest(self) -> tuple[str | None, dict[str, int]]:
        if not self.days:
            return None, {}
        day = next(reversed(self.days))
        return day, dict(self.days[day])

    def raise_to(self, day: str, numbers: dict[str, int]) -> None:
        """Make ``day`` the newest and lift its numbers to at least ``numbers``."""
        have = self.days.pop(day, {})
        for prefix, n in numbers.items():
            if n > have.get(prefix, 0):
                have[prefix] = n
        self.days[day] = have
        while len(self.days) > KEEP_DAYS:
            del self.days[next(iter(self.days))]

    def absorb(self, events: Iterable[Event]) -> bool:
        """Fold committed events in; True when numbers moved (the write must be synced)."""
        numbered = False
        for e in events:
            if e.seq is not None and e.seq > self.seq:
                self.seq = e.seq
            if e.type == "issued":
                self.raise_to(e.day, {e.service: int(e.data["number"])})  # type: ignore[dict-item]  # issued events always name their service
            elif e.type in FLOOR_EVENTS:
                self.raise_to(e.day, {p: int(n) for p, n in (e.data.get("floor") or {}).items()})
            else:
                continue
            numbered = True
        return numbered

    def encode(self) -> bytes:
        days = [[d, dict(sorted(n.items()))] for d, n in self.days.items()]
        return json.dumps({"seq": self.seq, "days": days}, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> HighWater:
        raw: dict[str, Any] = json.loads(payload)
        days = {str(d): {str(p): int(n) for p, n in nums.items()} for d, nums in raw["days"]}
        return cls(int(raw["seq"]), days)


def _crc(generation: int, payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(generation.to_bytes(8, "big")))


def encode_slot(generation: int, hw: HighWater) -> bytes:
    payload = hw.encode()
    while _HEAD.size + len(payload) > SLOT and len(hw.days) > 1:  # never in practice: A-Z
        del hw.days[next(iter(hw.days))]
        payload = hw.encode()
    return _HEAD.pack(MAGIC, generation, len(payload), _crc(generation, payload)) + payload


def decode_slot(raw: bytes) -> tuple[int, HighWater] | None:
    """``(generation, mark)`` of a valid slot, None for an empty, torn or foreign one."""
    if len(raw) < _HEAD.size:
        return None
    magic, generation, length, crc = _HEAD.unpack_from(raw)
    payload = raw[_HEAD.size:_HEAD.size + length]
    if magic != MAGIC or len(payload) != length or _crc(generation, payload) != crc:
        return None
    try:
        return generation, HighWater.decode(payload)
    except (ValueError, KeyError, TypeError):
        return None


class MarkFile:
    """``<db>.mark``, open for the life of the store. ``loaded`` is what it held at open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._fd = fd
        if os.fstat(fd).st_size < 2 * SLOT:
            # Allocate both slots now, so that a later write never needs a new block
            # (no ENOSPC, and fdatasync has no metadata to flush).
            os.posix_fallocate(fd, 0, 2 * SLOT)
            os.fsync(fd)
        if created:
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)  # the new name must survive a power cut too
            finally:
                os.close(dir_fd)
        slots = [decode_slot(os.pread(fd, SLOT, i * SLOT)) for i in (0, 1)]
        valid = [(s[0], i, s[1]) for i, s in enumerate(slots) if s is not None]
        self.generation = 0
        self.loaded: HighWater | None = None
        self._keep = 1  # the slot holding the last synced generation: never overwritten
        if valid:
            self.generation, self._keep, self.loaded = max(valid, key=lambda v: v[0])
        elif not created and os.pread(fd, SLOT * 2, 0).strip(b"\0"):
            log.error("high-water mark %s is unreadable (both slots damaged); it will be "
                      "rewritten from the store", path)

    def write(self, hw: HighWater, durable: bool) -> None:
        assert self._fd is not None, "mark file is closed"
        self.generation += 1
        slot = 1 - self._keep
        data = encode_slot(self.generation, hw)
        if os.pwrite(self._fd, data, slot * SLOT) != len(data):
            raise OSError(f"short write to {self.path}")
        if durable:
            os.fdatasync(self._fd)
            self._keep = slot

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        self.close()


# --- comparing the store with its mark ---------------------------------------------------

def day_numbers(db: Database, day: str) -> dict[str, int]:
    """prefix -> last number the store holds for ``day`` (issued events and floors)."""
    numbers: dict[str, int] = {}
    for service, n in db.execute(
            "SELECT service, MAX(CAST(json_extract(data, '$.number') AS INTEGER)) FROM events"
            " WHERE day = ? AND type = 'issued' GROUP BY service", [day]):
        numbers[service] = int(n)
    marks = ",".join("?" * len(FLOOR_EVENTS))
    for (data,) in db.execute(f"SELECT data FROM events WHERE day = ? AND type IN ({marks})",
                              [day, *FLOOR_EVENTS]):
        for prefix, n in (json.loads(data).get("floor") or {}).items():
            numbers[prefix] = max(numbers.get(prefix, 0), int(n))
    return numbers


def store_seq(db: Database) -> int:
    """The highest seq ever handed out (sqlite_sequence survives deleted rows)."""
    row = db.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),"
        " coalesce((SELECT max(seq) FROM events), 0))").fetchone()
    return int(row[0])


def bump_seq(db: Database, seq: int) -> None:
    """Make the next event's seq ``seq + 1`` at least: the branch server has seen the rest."""
    with db.atomic():
        if db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'events'",
                      [seq]).rowcount == 0:
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)", [seq])


def reconcile(db: Database, mark: MarkFile, latest_day: str | None
              ) -> tuple[HighWater, Recovery | None]:
    """Compare the store with its mark at open; repair ``seq`` and report a loss.

    Only the mark's newest day is compared number by number: that is the day whose
    numbering may go on. ``seq`` covers everything else.
    """
    loaded, have_seq = mark.loaded, store_seq(db)
    hw = HighWater(loaded.seq, {d: dict(n) for d, n in loaded.days.items()}) if loaded \
        else HighWater()
    recovery = None
    if loaded is not None:
        day, numbers = loaded.latest()
        have = day_numbers(db, day) if day else {}
        if have_seq < loaded.seq or any(have.get(p, 0) < n for p, n in numbers.items()):
            bump_seq(db, loaded.seq)
            floor = {p: max(numbers.get(p, 0), have.get(p, 0)) for p in {*numbers, *have}}
            recovery = Recovery(day, dict(sorted(floor.items())), loaded.seq, have_seq)
    if recovery is None and latest_day is not None:
        # A mark that lags the store (first run after an upgrade, or a crash between the
        # commit and the mark's write) catches up now.
        hw.raise_to(latest_day, day_numbers(db, latest_day))
    hw.seq = max(hw.seq, have_seq)
    if loaded is None or hw.encode() != loaded.encode():  # encode: day order counts
        mark.write(hw, durable=True)
    return hw, recovery
