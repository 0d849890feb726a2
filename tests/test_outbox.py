"""The outbox through its own SQLite connection: seq order in pages, marks, backlog, prune
(never an unsent row), and independence from the worker's connection."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.events import Event
from kiosk.outbox import Outbox
from kiosk.store import Store


def event(i: int) -> Event:
    return Event("issued", f"2026-11-23T10:00:{i % 60:02d}+08:00", "2026-11-23", f"A{i:03d}",
                 "A", None, "test", {"number": i})


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[tuple[Store, Outbox]]:
    store = Store(tmp_path / "kiosk.db")
    store.append([event(i) for i in range(1, 31)])
    box = Outbox(tmp_path / "kiosk.db")
    yield store, box
    box.close()
    store.close()


def test_pending_rows_come_in_seq_order_a_page_at_a_time(filled: tuple[Store, Outbox]) -> None:
    _store, box = filled
    first = box.pending(0, 10)
    assert [s for s, _ in first] == list(range(1, 11))
    second = box.pending(first[-1][0], 10)
    assert [s for s, _ in second] == list(range(11, 21))


def test_the_payload_is_the_event_as_kiosk_events_gives_it(
        filled: tuple[Store, Outbox]) -> None:
    store, box = filled
    (seq, payload), = box.pending(4, 1)
    stored = store.events()[seq - 1]
    assert json.loads(payload) == stored.to_dict()  # the control socket's events item
    assert json.loads(payload)["seq"] == seq == 5


def test_marks_and_backlog(filled: tuple[Store, Outbox]) -> None:
    _store, box = filled
    assert box.backlog() == 30
    box.mark_sent([1, 2, 3, 7])
    assert box.backlog() == 26
    assert [s for s, _ in box.pending(0, 5)] == [4, 5, 6, 8, 9]
    box.mark_failed([4])  # refused: still unsent, one attempt counted
    assert [s for s, _ in box.pending(0, 1)] == [4]
    box.mark_sent(range(1, 31))
    assert box.backlog() == 0 and box.pending() == []


def test_prune_deletes_old_sent_rows_and_never_an_unsent_one(
        filled: tuple[Store, Outbox], tmp_path: Path) -> None:
    _store, box = filled
    box.mark_sent(range(1, 21))
    with sqlite3.connect(tmp_path / "kiosk.db") as db:  # rows 1-10 were sent long ago
        old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
        db.execute("UPDATE outbox SET sent = ? WHERE seq <= 10", [old])
        db.execute("UPDATE outbox SET created = ? WHERE seq > 20", [old])  # old, unsent
    assert box.prune(30) == 10
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        left = [r[0] for r in db.execute("SELECT seq FROM outbox ORDER BY seq")]
    assert left == list(range(11, 31))
    assert box.prune(30, now=datetime.now(UTC) + timedelta(days=365)) == 10  # 11-20 only
    assert box.backlog() == 10


def test_its_own_connection_reads_while_the_worker_writes_and_marks_durably(
        filled: tuple[Store, Outbox]) -> None:
    store, box = filled
    store.db.execute("BEGIN IMMEDIATE")  # the worker is in the middle of a commit
    try:
        assert len(box.pending(0, 100)) == 30  # WAL: readers do not wait for it
    finally:
        store.db.execute("ROLLBACK")
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._db is not store.db.conn
