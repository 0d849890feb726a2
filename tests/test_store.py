"""The SQLite store against a real file: durability settings, atomicity, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.errors import SchemaTooNewError
from kiosk.events import Event
from kiosk.store import MIGRATIONS, Store, connect


def ev(kind: str, ticket: str | None = None, day: str = "2026-11-23", **data) -> Event:
    return Event(kind, "2026-11-23T10:00:00+08:00", day, ticket, ticket and ticket[0], None,
                 "test", data)


def test_durability_pragmas_are_set_on_every_connection(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    other = connect(store.path)
    assert other.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_append_assigns_increasing_seq_and_fills_the_outbox(store: Store) -> None:
    out = store.append([ev("day_started"), ev("issued", "A001", number=1)])
    assert [e.seq for e in out] == [1, 2]
    assert [seq for seq, _ in store.pending()] == [1, 2]
    assert store.events() == out
    store.mark_sent([1])
    assert [seq for seq, _ in store.pending()] == [2]


def test_a_failed_append_leaves_nothing_behind(store: Store) -> None:
    store.append([ev("day_started"), ev("issued", "A001", number=1)])
    with pytest.raises(sqlite3.IntegrityError):
        store.append([ev("issued", "A002", number=2), ev("issued", "A001", number=1)])
    # A002 went in the same transaction as the duplicate, so it must not exist either
    assert [e.ticket for e in store.events() if e.type == "issued"] == ["A001"]
    assert len(store.pending()) == 2


def test_the_same_ticket_may_be_issued_again_on_another_day(store: Store) -> None:
    store.append([ev("day_started"), ev("issued", "A001", number=1)])
    store.append([ev("day_started", day="2026-11-24"),
                  ev("issued", "A001", day="2026-11-24", number=1)])
    assert store.latest_day() == "2026-11-24"
    assert len(store.events("2026-11-23")) == 2
    assert len(store.events()) == 2


def test_seq_is_never_reused_even_after_rows_vanish(store: Store) -> None:
    store.append([ev("day_started"), ev("device_status", device="p", status="ok")])
    store.db.execute("DELETE FROM outbox WHERE seq = 2")
    store.db.execute("DELETE FROM events WHERE seq = 2")
    store.db.conn.commit()
    assert store.append([ev("device_status", device="p", status="offline")])[0].seq == 3


def test_events_survive_reopening(tmp_path: Path) -> None:
    s = Store(tmp_path / "k.db")
    s.append([ev("day_started"), ev("issued", "B001", number=1)])
    s.close()
    again = Store(tmp_path / "k.db")
    assert [e.ticket for e in again.events()] == [None, "B001"]
    assert again.events()[1].data == {"number": 1}


def test_migrations_are_versioned_and_refuse_a_newer_schema(tmp_path: Path) -> None:
    s = Store(tmp_path / "k.db")
    assert s.db.execute("PRAGMA user_version").fetchone()[0] == max(MIGRATIONS)
    s.db.execute(f"PRAGMA user_version = {max(MIGRATIONS) + 1}")
    s.close()
    with pytest.raises(SchemaTooNewError, match="newer than this kiosk"):
        Store(tmp_path / "k.db")
