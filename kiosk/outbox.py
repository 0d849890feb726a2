"""The outbox seen from outside the worker: its own SQLite connection to the store file.

The store writes one outbox row per event, in the same transaction as the event; the
row's ``payload`` is the event's JSON exactly as ``kiosk events --json`` gives it
(``seq`` included). The MQTT relay drains it through an :class:`Outbox` of its own,
never the worker's connection, so a slow broker or a long prune cannot stall a ticket.

* WAL (stored in the file by the store) and ``synchronous=FULL`` on this connection too:
  a row marked sent stays marked after a power cut, so it is not sent again needlessly,
  and a row not marked is always sent again (the consumer drops repeats by ``seq``).
* A busy timeout: the worker's commits and ours take turns instead of failing.
* Rows are read in ``seq`` order, a bounded page at a time: 10,000 queued rows are never
  in memory at once.
* Only rows already sent are ever pruned.

>>> import tempfile, pathlib
>>> from kiosk.store import Store
>>> from kiosk.events import Event
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> store = Store(d / "k.db")
>>> _ = store.append([Event("day_started", "2026-11-23T09:00:00+08:00", "2026-11-23")])
>>> box = Outbox(d / "k.db")
>>> [seq for seq, _ in box.pending()], box.backlog()
([1], 1)
>>> box.mark_sent([1]); box.backlog()
0
>>> box.close(); store.close()
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

BUSY_TIMEOUT_S = 10.0


class Outbox:
    """Opened by :attr:`kiosk.ports.DriverContext.open_outbox`; one thread uses it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Opened on the thread that builds the drivers, used by the relay's thread only.
        self._db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False,
                                   isolation_level=None)  # explicit BEGIN/COMMIT below
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA synchronous=FULL")  # per connection, like the store's
        except sqlite3.Error:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def pending(self, after: int = 0, limit: int = 500) -> list[tuple[int, str]]:
        """Unsent rows with ``seq > after`` as ``(seq, payload)``, oldest first."""
        return self._db.execute(
            "SELECT seq, payload FROM outbox WHERE sent IS NULL AND seq > ? ORDER BY seq "
            "LIMIT ?", (after, limit)).fetchall()

    def mark_sent(self, seqs: Iterable[int]) -> None:
        """Mark ``seqs`` sent, in one durable transaction."""
        batch = list(seqs)
        if not batch:
            return
        now = datetime.now(UTC).isoformat()
        with self._transaction():
            for i in range(0, len(batch), 500):  # SQLite's bound-parameter limit
                part = batch[i:i + 500]
                self._db.execute(
                    f"UPDATE outbox SET sent = ?, attempts = attempts + 1 "
                    f"WHERE seq IN ({','.join('?' * len(part))})", (now, *part))

    def mark_failed(self, seqs: Iterable[int]) -> None:
        """Count a refused attempt on ``seqs``; they stay unsent."""
        batch = list(seqs)
        if not batch:
            return
        with self._transaction():
            self._db.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?",
                                 [(s,) for s in batch])

    def backlog(self) -> int:
        """The number of unsent rows (an index scan of the unsent rows only)."""
        return int(self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE sent IS NULL").fetchone()[0])

    def prune(self, keep_days: int, now: datetime | None = None) -> int:
        """Delete rows sent more than ``keep_days`` ago; never an unsent row."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).isoformat()
        with self._transaction():
            cur = self._db.execute(
                "DELETE FROM outbox WHERE sent IS NOT NULL AND sent < ?", (cutoff,))
        return cur.rowcount

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): takes the write lock up front, so a
    busy store makes us wait (busy timeout) rather than fail half-way."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
