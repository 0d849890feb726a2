"""Backups: a busy day round-trips exactly, copies are whole and pruned, a restore keeps
numbering going after the high-water mark, and a damaged store names the backup."""

from __future__ import annotations

import os
import random
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from kiosk import backup, cli
from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.errors import ConfigError, StoreCorruptError, StoreLockedError
from kiosk.events import Event
from kiosk.service import KioskService
from kiosk.store import Store
from tests.kiosk_proc import KioskProcess, write_config
from tests.support import at, make_config


def rows(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def busy_day(tmp_path: Path, customers: int = 600) -> KioskService:
    """A day with every kind of event: issue, call, recall, no-show, transfer, pause..."""
    clock = FakeClock(at(2026, 11, 23, 8, 30))
    cfg = make_config(tmp_path)
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    svc.start()
    rnd = random.Random(14)
    for i in range(customers):
        clock.advance(seconds=rnd.randint(5, 40))
        svc.submit(c.Issue(rnd.choice("ABC"), "elderly" if i % 17 == 0 else None)).result()
        counter = rnd.randint(1, 4)
        action = rnd.random()
        if action < 0.5:
            svc.submit(c.CallNext(counter)).result()
        elif action < 0.55:
            svc.submit(c.Recall(counter)).result()
        elif action < 0.6:
            svc.submit(c.NoShow(counter)).result()
        elif action < 0.63:
            svc.submit(c.Transfer(counter, to_service="C")).result()
        elif action < 0.65:
            svc.submit(c.Finish(counter)).result()
            svc.submit(c.Pause(counter, reason="break")).result()
            svc.submit(c.Resume(counter)).result()
    return svc


def test_a_busy_day_round_trips_exactly(tmp_path: Path) -> None:
    svc = busy_day(tmp_path)
    db = Path(svc.store.path)
    try:
        copy = backup.make(db, keep=3)  # while the kiosk is running and holds its lock
        live = rows(db)
        kinds = {r[1] for r in live}
        assert {"issued", "called", "recalled", "no_show", "transferred", "paused"} <= kinds
        assert len(live) > 1000
        assert rows(copy) == live  # row for row, every column
    finally:
        svc.stop()
        svc.store.close()
    # the copy is one self-contained file, checked sound
    assert not Path(f"{copy}-wal").exists()
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # the database is damaged; the copy is put back, and the kiosk serves from it
    with open(db, "r+b") as f:
        f.seek(db.stat().st_size // 2)
        f.write(random.Random(1).randbytes(8192))
    with pytest.raises(StoreCorruptError, match=copy.name):
        Store(db)
    aside = backup.restore(db, copy)
    assert aside is not None and aside.name.startswith("kiosk.db.replaced-")
    assert rows(db) == live
    store = Store(db)
    try:
        assert store.recovery is None  # nothing was lost after the copy
    finally:
        store.close()


def restarted(tmp_path: Path, clock: FakeClock) -> KioskService:
    cfg = make_config(tmp_path)
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    svc.start()
    return svc


def test_an_older_copy_never_reissues_a_number(tmp_path: Path) -> None:
    clock = FakeClock(at(2026, 11, 23, 9))
    svc = restarted(tmp_path, clock)
    db = Path(svc.store.path)
    for _ in range(5):
        svc.submit(c.Issue("A")).result()
    copy = backup.make(db)  # A001..A005
    for _ in range(3):
        svc.submit(c.Issue("A")).result()  # A006..A008: printed, in customers' hands
    svc.stop()
    svc.store.close()
    backup.restore(db, copy)
    svc = restarted(tmp_path, clock)
    try:
        ticket = svc.submit(c.Issue("A")).result().events[-1].ticket
        kinds = [e.type for e in svc.read_events()]
    finally:
        svc.stop()
        svc.store.close()
    assert ticket == "A009" and "numbers_restored" in kinds


def test_restore_is_refused_while_a_kiosk_runs(tmp_path: Path) -> None:
    clock = FakeClock(at(2026, 11, 23, 9))
    svc = restarted(tmp_path, clock)
    db = Path(svc.store.path)
    try:
        svc.submit(c.Issue("B")).result()
        copy = backup.make(db)
        svc.submit(c.Issue("B")).result()
        before = rows(db)
        with pytest.raises(StoreLockedError):
            backup.restore(db, copy)
        assert rows(db) == before
    finally:
        svc.stop()
        svc.store.close()


def test_only_the_newest_copies_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    Store(db).close()
    made = [backup.make(db, keep=3, now=datetime(2026, 11, d, 3, 0)) for d in range(20, 26)]
    assert backup.backups(db) == made[::-1][:3]
    assert backup.newest(db) == made[-1]
    same_second = backup.make(db, keep=3, now=datetime(2026, 11, 25, 3, 0))
    assert same_second.name == "kiosk-20261125-030000-1.db"
    assert backup.newest(db) == same_second


def test_a_damaged_store_is_never_copied_over_a_good_backup(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    store = Store(db)
    for n in range(1, 1500):
        store.append([busy_event(n)])
    store.close()
    good = backup.make(db)
    with open(db, "r+b") as f:
        f.seek(db.stat().st_size // 2)
        f.write(random.Random(2).randbytes(8192))
    with pytest.raises((ValueError, sqlite3.DatabaseError)):
        backup.make(db)
    assert backup.backups(db) == [good]
    assert not [p for p in backup.backups_dir(db).iterdir() if p.name.endswith(".tmp")]


def busy_event(n: int) -> Event:
    return Event("issued", "2026-11-23T10:00:00+08:00", "2026-11-23", f"A{n:04d}", "A", None,
                 "test", {"number": n})


def test_a_damaged_store_names_the_newest_backup_or_none(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    Store(db).close()
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreCorruptError) as none:
        Store(db)
    assert "No backup was found in" in str(none.value)
    backup.backups_dir(db).mkdir()
    (backup.backups_dir(db) / "kiosk-20261124-030000.db").write_bytes(b"")
    (backup.backups_dir(db) / "kiosk-20261125-030000.db").write_bytes(b"")
    with pytest.raises(StoreCorruptError) as named:
        Store(db)
    message = str(named.value)
    assert "kiosk-20261125-030000.db" in message and "20261124" not in message
    assert "kiosk backup --restore kiosk-20261125-030000.db" in message


def test_backups_keep_is_checked() -> None:
    assert make_config(storage={"path": "/tmp/k/kiosk.db", "backups_keep": 30}).backups_keep == 30
    assert make_config().backups_keep == 7
    with pytest.raises(ConfigError, match=r"storage\.backups_keep"):
        make_config(storage={"path": "/tmp/k/kiosk.db", "backups_keep": 0})


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    kiosk = KioskProcess(config).start()
    try:
        kiosk.ask("issue", service="A")
        assert cli.main(["backup", "--config", str(config)]) == 0
        written = capsys.readouterr().out
        assert "Backup written to" in written
        assert cli.main(["backup", "--restore", "x", "--config", str(config)]) == 1
        assert "could not be restored" in capsys.readouterr().err
        kiosk.ask("issue", service="A")
    finally:
        assert kiosk.terminate() == 0
    db = tmp_path / "kiosk.db"
    name = backup.newest(db).name  # type: ignore[union-attr]
    assert cli.main(["backup", "--list", "--config", str(config)]) == 0
    assert name in capsys.readouterr().out
    assert cli.main(["backup", "--restore", name, "--config", str(config)]) == 0
    assert "restored" in capsys.readouterr().out
    assert [r[4] for r in rows(db) if r[1] == "issued"] == ["A001"]


def test_copies_belong_to_the_state_directory_owner(tmp_path: Path) -> None:
    """``sudo kiosk backup`` must not leave a root-owned backups directory that the
    kiosk user's nightly copy can no longer write to."""
    state = tmp_path / "state"
    state.mkdir()
    db = state / "kiosk.db"
    Store(db).close()
    owner = (4321, 4321) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    if os.geteuid() == 0:
        os.chown(state, *owner)
    copy = backup.make(db)
    for p in (copy, backup.backups_dir(db)):
        assert (p.stat().st_uid, p.stat().st_gid) == owner
    for made in state.iterdir():  # a state dir with only the backups in it
        if made.is_file():
            made.unlink()
    backup.restore(db, copy)
    for p in (db, state / "kiosk.db.lock"):
        assert (p.stat().st_uid, p.stat().st_gid) == owner
