"""Read a period's events from the store, read-only, beside a running kiosk.

Its own SQLite connection opened with ``mode=ro``: it never takes the store's lock file,
never writes (not even a migration), and WAL lets it read while the kiosk commits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from kiosk import events as ev
from kiosk.report.periods import Period

_COLUMNS = "seq, type, ts, day, ticket, service, counter, data"
# The events the figures read, and of those the ones whose data they need. The rest
# (device status, reprints, recalls...) are not fetched: a busy month is ~40,000 rows.
USED = (ev.ISSUED, ev.CALLED, ev.NO_SHOW, ev.REINSTATED, ev.TRANSFERRED, ev.FINISHED,
        ev.PAUSED, ev.RESUMED, ev.OPENED, ev.CLOSED, ev.RATED, ev.CLOCK_CORRECTED)
_WITH_DATA = frozenset((ev.ISSUED, ev.TRANSFERRED, ev.PAUSED, ev.CLOSED, ev.RATED,
                        ev.CLOCK_CORRECTED))
_TYPES = ",".join(f"'{t}'" for t in USED)
_decode = msgspec.json.Decoder(dict[str, Any]).decode


class NoStoreError(FileNotFoundError):
    """The store file does not exist (yet): nothing has ever been recorded there."""


def connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise NoStoreError(str(path))
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    conn.execute("PRAGMA query_only=ON")
    return conn


def _rows(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    sql = f"SELECT {_COLUMNS} FROM events WHERE {where} AND type IN ({_TYPES}) ORDER BY seq"
    return [{"seq": seq, "type": kind, "ts": ts, "day": day, "ticket": ticket,
             "service": service, "counter": counter,
             "data": _decode(data) if kind in _WITH_DATA else {}}
            for seq, kind, ts, day, ticket, service, counter, data
            in conn.execute(sql, params)]


def period_events(conn: sqlite3.Connection, period: Period) -> list[dict[str, Any]]:
    """The events of the period's business days, plus the wrong-clock days their
    ``clock_corrected`` events undid, minus wrong-clock days undone by a correction
    outside the period (those belong to that other day). In ``seq`` order."""
    first, last = period.first.isoformat(), period.last.isoformat()
    corrections = conn.execute(
        "SELECT day, json_extract(data, '$.from_day') FROM events WHERE type = ?",
        [ev.CLOCK_CORRECTED]).fetchall()
    undone_elsewhere = {frm for day, frm in corrections if not first <= day <= last}
    folded = {frm for day, frm in corrections if first <= day <= last}
    rows = _rows(conn, "day BETWEEN ? AND ?", [first, last])
    extra = sorted(folded - {r["day"] for r in rows} - undone_elsewhere)
    if extra:
        marks = ",".join("?" * len(extra))
        rows = sorted(rows + _rows(conn, f"day IN ({marks})", extra), key=lambda r: r["seq"])
    return [r for r in rows if r["day"] not in undone_elsewhere or r["day"] in folded]
