"""The SQLite event log and MQTT outbox: the kiosk's only source of truth.

* WAL journal, ``synchronous=FULL`` on every connection: a commit is on disk before
  ``append`` returns, so a printed number can never be issued again after a power cut.
* Events and their outbox rows are written in ONE transaction.
* ``seq`` is ``INTEGER PRIMARY KEY AUTOINCREMENT``: per device, increasing, never
  reused, even if rows were ever deleted. The branch server uses it to drop duplicates.
* A partial unique index makes a second ``issued`` event for the same ticket on the
  same business day impossible, whatever a bug upstream might try.
* History is never deleted: a new business day only adds rows.

Migrations are numbered functions registered with :func:`migration` and tracked in
``PRAGMA user_version``.

Guards at open (a file store; ``":memory:"`` needs none):

* an exclusive lock, ``<db>.lock``, for the life of the Store: one kiosk per database,
  and migrations never race (:mod:`kiosk.store_lock`);
* a quick page check and a committed write probe (:mod:`kiosk.store_check`);
* a high-water mark, ``<db>.mark``, that notices a store which lost events; ``seq`` then
  continues after the mark and :attr:`Store.recovery` says where numbering must go on
  (:mod:`kiosk.store_mark`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk import messages, store_check
from kiosk.errors import SchemaTooNewError
from kiosk.events import Event
from kiosk.store_lock import StoreLock
from kiosk.store_mark import HighWater, MarkFile, Recovery, mark_path, reconcile

log = logging.getLogger(__name__)

Migration = Callable[[Database], None]
MIGRATIONS: dict[int, Migration] = {}


def migration(version: int) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        assert version not in MIGRATIONS, f"migration {version} registered twice"
        MIGRATIONS[version] = fn
        return fn

    return register


@migration(1)
def _events_and_outbox(db: Database) -> None:
    db.execute(
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL,
            ts TEXT NOT NULL,
            day TEXT NOT NULL,
            ticket TEXT,
            service TEXT,
            counter INTEGER,
            source TEXT NOT NULL,
            data TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX events_day ON events(day, seq)")
    db.execute(
        "CREATE UNIQUE INDEX events_issued_once ON events(day, ticket) WHERE type = 'issued'"
    )
    db.execute(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY REFERENCES events(seq),
            payload TEXT NOT NULL,
            created TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent TEXT
        )"""
    )
    db.execute("CREATE INDEX outbox_pending ON outbox(seq) WHERE sent IS NULL")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('install_id', ?)", [uuid.uuid4().hex])


def connect(path: str | Path) -> Database:
    """Open ``path`` with the pragmas durability depends on (they are per connection)."""
    # One writer thread owns the connection, but it is created on the main thread.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error:
        conn.close()  # a damaged file: do not keep it open (and locked) behind the error
        raise
    return Database(conn)


def migrate(db: Database) -> int:
    current = db.execute("PRAGMA user_version").fetchone()[0]
    latest = max(MIGRATIONS)
    if current > latest:
        raise SchemaTooNewError(
            f"database schema {current} is newer than this kiosk ({latest}); "
            "install the newer kiosk version or restore a backup"
        )
    for version in range(current + 1, latest + 1):
        with db.atomic():
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version}")
        log.info("database migrated to schema %d", version)
    return latest


def _row_to_event(row: sqlite3.Row | tuple[Any, ...]) -> Event:
    seq, kind, ts, day, ticket, service, counter, source, data = row
    return Event(kind, ts, day, ticket, service, counter, source, json.loads(data), seq)


def _latest_day(db: Database) -> str | None:
    # The day of the newest event, not max(day): after a clock that jumped forward is
    # corrected, the kiosk is back in an earlier day, and a restart must find that day.
    row = db.execute(
        "SELECT day FROM events WHERE day != '' ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else None


_COLUMNS = "seq, type, ts, day, ticket, service, counter, source, data"


class Store:
    """Append-only event log with an outbox, on one SQLite file.

    >>> store = Store(":memory:")
    >>> store.latest_day() is None
    True
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._local = threading.local()  # read-only connections, one per reader thread
        #: Set when the store is behind its high-water mark (events were lost): the
        #: service must record that numbering of ``recovery.day`` goes on after
        #: ``recovery.numbers`` (``day`` is None when only seq was behind; seq is
        #: already repaired). None when nothing was lost.
        self.recovery: Recovery | None = None
        self._lock: StoreLock | None = None
        self._mark: MarkFile | None = None
        self._high_water = HighWater()
        if str(path) == ":memory:":
            self.db = connect(path)
            migrate(self.db)
            return
        file = Path(path)
        store_check.ensure_directory(file)
        self._lock = StoreLock(file)  # before the first read: migrations run inside it
        try:
            self.db = store_check.open_checked(file, connect, migrate)
            with store_check.sqlite_errors(file):
                self._mark = MarkFile(mark_path(file))
                self._high_water, self.recovery = reconcile(self.db, self._mark,
                                                            _latest_day(self.db))
        except BaseException:
            self.close()
            raise
        if self.recovery:
            r = self.recovery
            log.error("%s", messages.en("store_behind", path=file, mark_seq=r.mark_seq,
                                        store_seq=r.store_seq, day=r.day, numbers=r.numbers))

    def close(self) -> None:
        """Close the database and release the lock (safe to call twice)."""
        if getattr(self, "db", None) is not None:
            self.db.close()
        if self._mark is not None:
            self._mark.close()
        if self._lock is not None:
            self._lock.release()

    def append(self, events: list[Event]) -> list[Event]:
        """Commit ``events`` and their outbox rows atomically; return them with ``seq``."""
        stored: list[Event] = []
        now = datetime.now(UTC).isoformat()
        with self.db.atomic():
            for e in events:
                cur = self.db.execute(
                    "INSERT INTO events (type, ts, day, ticket, service, counter, source, data)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [e.type, e.ts, e.day, e.ticket, e.service, e.counter, e.source,
                     json.dumps(dict(e.data), ensure_ascii=False, sort_keys=True)],
                )
                s = e.with_seq(int(cur.lastrowid))  # type: ignore[arg-type]  # set by every INSERT
                self.db.execute(
                    "INSERT INTO outbox (seq, payload, created) VALUES (?, ?, ?)",
                    [s.seq, s.to_json(), now],
                )
                stored.append(s)
        if self._mark is not None:
            self._update_mark(stored)
        return stored

    def _update_mark(self, stored: list[Event]) -> None:
        numbered = self._high_water.absorb(stored)
        try:
            self._mark.write(self._high_water, durable=numbered)  # type: ignore[union-attr]  # file stores only
        except OSError:
            # The events are committed: failing the command now would lose a ticket that
            # exists. The next append writes the mark again.
            log.exception("could not update the high-water mark beside %s", self.path)

    def latest_day(self) -> str | None:
        return _latest_day(self.db)

    def events(self, day: str | None = None, since_seq: int = 0) -> list[Event]:
        """Events of business ``day`` (default: the latest started day), in seq order."""
        day = day or self.latest_day()
        if day is None:
            return []
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM events WHERE day = ? AND seq > ? ORDER BY seq",
            [day, since_seq],
        ).fetchall()
        return [_row_to_event(r) for r in rows]

    def read_events(self, day: str | None = None, since_seq: int = 0) -> list[Event]:
        """Like :meth:`events`, for readers on other threads: never uses the writer's
        connection, so a long query cannot stall the worker that issues tickets."""
        if str(self.path) == ":memory:":  # tests: one connection is all there is
            return self.events(day, since_seq)
        reader = getattr(self._local, "db", None)
        if reader is None:
            conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True,
                                   check_same_thread=True, timeout=10)
            reader = self._local.db = Database(conn)
        day = day or _latest_day(reader)
        if day is None:
            return []
        rows = reader.execute(
            f"SELECT {_COLUMNS} FROM events WHERE day = ? AND seq > ? ORDER BY seq",
            [day, since_seq],
        ).fetchall()
        return [_row_to_event(r) for r in rows]

    # --- outbox: drained by the MQTT publisher ------------------------------------------

    def pending(self, limit: int = 100) -> list[tuple[int, str]]:
        """Unsent outbox rows as ``(seq, payload)``, oldest first."""
        return self.db.execute(
            "SELECT seq, payload FROM outbox WHERE sent IS NULL ORDER BY seq LIMIT ?", [limit]
        ).fetchall()

    def mark_sent(self, seqs: list[int]) -> None:
        now = datetime.now(UTC).isoformat()
        with self.db.atomic():
            self.db.execute(
                f"UPDATE outbox SET sent = ? WHERE seq IN ({','.join('?' * len(seqs))})",
                [now, *seqs],
            )
