"""The high-water mark: a store that lost events never hands out a number or a seq again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.events import Event
from kiosk.store import Store
from kiosk.store_mark import SLOT, HighWater, MarkFile, Recovery, decode_slot, encode_slot
from tests.support import wait_for

ROOT = Path(__file__).parent.parent
DAY = "2026-11-23"


def ev(kind: str, ticket: str | None = None, day: str = DAY, **data: object) -> Event:
    return Event(kind, f"{day}T10:00:00+08:00", day, ticket, ticket and ticket[0], None,
                 "test", data)


def issue(store: Store, prefix: str, numbers: range, day: str = DAY) -> None:
    for n in numbers:  # one append per ticket, as the worker does
        store.append([ev("issued", f"{prefix}{n:03d}", day, number=n)])


def max_seq(store: Store) -> int:
    return store.db.execute("SELECT max(seq) FROM events").fetchone()[0] or 0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


def test_a_store_truncated_to_zero_bytes_continues_after_the_mark(db: Path) -> None:
    s = Store(db)
    s.append([ev("day_started")])
    issue(s, "B", range(1, 6))
    issue(s, "A", range(1, 3))
    last = max_seq(s)
    assert s.recovery is None
    s.close()
    os.truncate(db, 0)

    s = Store(db)
    try:
        assert s.recovery == Recovery(DAY, {"A": 2, "B": 5}, mark_seq=last, store_seq=0)
        assert s.events() == []
        # no seq the branch server has already seen is used again
        assert s.append([ev("day_started")])[0].seq == last + 1
    finally:
        s.close()


def test_recovery_is_reported_until_the_floor_is_recorded(db: Path) -> None:
    s = Store(db)
    issue(s, "B", range(1, 4))
    s.close()
    os.truncate(db, 0)
    s = Store(db)
    assert s.recovery is not None and s.recovery.numbers == {"B": 3}
    s.close()
    s = Store(db)  # a restart before anything was recorded: still behind
    assert s.recovery is not None and s.recovery.numbers == {"B": 3}
    # what the service records: numbering of the day goes on after the floor
    s.append([ev("numbers_restored", floor=s.recovery.numbers,
                 mark_seq=s.recovery.mark_seq, store_seq=s.recovery.store_seq)])
    s.close()
    s = Store(db)
    try:
        assert s.recovery is None
    finally:
        s.close()


def test_a_missing_store_with_a_mark_is_behind(db: Path) -> None:
    s = Store(db)
    issue(s, "C", range(1, 8))
    s.close()
    db.unlink()
    s = Store(db)
    try:
        assert s.recovery is not None
        assert (s.recovery.day, s.recovery.numbers) == (DAY, {"C": 7})
        assert s.recovery.store_seq == 0 and s.recovery.mark_seq == 7
    finally:
        s.close()


def test_a_missing_mark_is_rebuilt_from_the_store(db: Path) -> None:
    s = Store(db)
    issue(s, "A", range(1, 5))
    s.close()
    db.with_name("kiosk.db.mark").unlink()  # first start after an upgrade: no mark yet
    s = Store(db)
    assert s.recovery is None
    s.close()
    os.truncate(db, 0)  # the mark built at that start protects the numbers already
    s = Store(db)
    try:
        assert s.recovery is not None and s.recovery.numbers == {"A": 4}
    finally:
        s.close()


def test_an_intact_store_is_never_reported(db: Path) -> None:
    s = Store(db)
    issue(s, "A", range(1, 4))
    s.append([ev("day_started", day="2026-11-24")])
    issue(s, "A", range(1, 3), day="2026-11-24")
    s.close()
    for _ in range(3):
        s = Store(db)
        assert s.recovery is None
        s.close()


def test_an_old_backup_is_behind_too(db: Path, tmp_path: Path) -> None:
    s = Store(db)
    issue(s, "A", range(1, 4))
    s.close()
    backup = tmp_path / "backup.db"
    backup.write_bytes(db.read_bytes())
    s = Store(db)
    issue(s, "A", range(4, 10))
    s.close()
    db.write_bytes(backup.read_bytes())  # restored from last night's copy
    s = Store(db)
    try:
        assert s.recovery is not None and s.recovery.numbers == {"A": 9}
        assert s.recovery.store_seq == 3 and s.recovery.mark_seq == 9
        assert s.append([ev("day_started")])[0].seq == 10
    finally:
        s.close()


# A writer in its own process: 10 tickets checkpointed into the database file, 30 more
# only in the WAL, then 5 events without numbers; then it waits to be killed.
WRITER = """
import sys, time
from pathlib import Path
from kiosk.events import Event
from kiosk.store import Store
db, done = Path(sys.argv[1]), Path(sys.argv[2])
def ev(kind, ticket=None, **data):
    return Event(kind, "2026-11-23T10:00:00+08:00", "2026-11-23", ticket,
                 ticket and ticket[0], None, "test", data)
s = Store(db)
s.append([ev("day_started")])
for n in range(1, 11):
    s.append([ev("issued", f"A{n:03d}", number=n)])
s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
for n in range(11, 41):
    s.append([ev("issued", f"A{n:03d}", number=n)])
for _ in range(5):
    s.append([ev("device_status", device="printer", status="ok", detail="")])
done.touch()
time.sleep(120)
"""


@pytest.fixture
def writer(db: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    done = tmp_path / "done"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(done)], cwd=ROOT)
    try:
        wait_for(lambda: done.exists() or proc.poll() is not None, 60)
        assert proc.poll() is None, "writer died"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_a_wal_deleted_after_sigkill_loses_events_but_no_number_is_reused(
        db: Path, writer: subprocess.Popen[bytes]) -> None:
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    Path(f"{db}-wal").unlink()  # the 30 acknowledged tickets of the WAL are gone

    s = Store(db)
    try:
        assert [e.data["number"] for e in s.events() if e.type == "issued"] == list(range(1, 11))
        r = s.recovery
        assert r is not None
        assert (r.day, r.numbers) == (DAY, {"A": 40})
        # seq 1-11 survived in the file; 46 = day_started + 40 issued + 5 device events
        # (the last five never fsynced, but the page cache outlives a killed process)
        assert (r.store_seq, r.mark_seq) == (11, 46)
        assert s.append([ev("device_status", device="p", status="ok")])[0].seq == 47
    finally:
        s.close()


# --- the mark file itself --------------------------------------------------------------

def slots(path: Path) -> list[tuple[int, HighWater] | None]:
    raw = path.read_bytes()
    return [decode_slot(raw[i * SLOT:(i + 1) * SLOT]) for i in (0, 1)]


def hw(seq: int, a: int) -> HighWater:
    return HighWater(seq, {DAY: {"A": a}})


def test_a_torn_newest_slot_falls_back_to_the_other(tmp_path: Path) -> None:
    path = tmp_path / "m"
    m = MarkFile(path)
    m.write(hw(1, 1), durable=True)
    m.write(hw(2, 2), durable=True)
    m.close()
    newest = max(range(2), key=lambda i: slots(path)[i][0])  # type: ignore[index]
    with open(path, "r+b") as f:  # the power went while the newest slot was written
        f.seek(newest * SLOT + 40)
        f.write(b"\xff" * 8)
    again = MarkFile(path)
    try:
        assert again.loaded == hw(1, 1)
    finally:
        again.close()


def test_a_torn_mark_at_any_byte_leaves_the_old_or_the_new_mark(tmp_path: Path) -> None:
    path = tmp_path / "m"
    m = MarkFile(path)
    m.write(hw(1, 1), durable=True)
    m.write(hw(2, 2), durable=True)
    m.close()
    before = path.read_bytes()
    target = 1 - max(range(2), key=lambda i: slots(path)[i][0])  # type: ignore[index]
    new = encode_slot(3, hw(3, 3))
    for cut in range(len(new) + 1):  # every prefix of the write reached the disk
        torn = bytearray(before)
        torn[target * SLOT:target * SLOT + cut] = new[:cut]
        path.write_bytes(bytes(torn))
        m = MarkFile(path)
        assert m.loaded in (hw(2, 2), hw(3, 3)), cut
        if cut < 24:  # the new header is incomplete: the old slot must win
            assert m.loaded == hw(2, 2)
        if cut == len(new):
            assert m.loaded == hw(3, 3)
        m.close()


def test_unsynced_writes_never_touch_the_last_synced_slot(tmp_path: Path) -> None:
    path = tmp_path / "m"
    m = MarkFile(path)
    m.write(hw(5, 5), durable=True)
    synced = path.read_bytes()
    kept = next(i for i, s in enumerate(slots(path)) if s and s[1] == hw(5, 5))
    for seq in range(6, 10):  # events without numbers: seq only, no fsync
        m.write(HighWater(seq, {DAY: {"A": 5}}), durable=False)
    m.close()
    after = path.read_bytes()
    assert after[kept * SLOT:(kept + 1) * SLOT] == synced[kept * SLOT:(kept + 1) * SLOT]
    assert MarkFile(path).loaded == HighWater(9, {DAY: {"A": 5}})


def test_a_store_uses_the_older_slot_when_the_newest_is_torn(db: Path) -> None:
    s = Store(db)
    issue(s, "A", range(1, 4))
    s.close()
    mark = db.with_name("kiosk.db.mark")
    newest = max(range(2), key=lambda i: slots(mark)[i][0])  # type: ignore[index]
    older = slots(mark)[1 - newest]
    assert older is not None
    with open(mark, "r+b") as f:
        f.seek(newest * SLOT)
        f.write(b"\0" * 30)  # a torn header
    os.truncate(db, 0)
    s = Store(db)
    try:
        assert s.recovery is not None
        assert s.recovery.numbers == older[1].days[DAY] and s.recovery.mark_seq == older[1].seq
    finally:
        s.close()


def test_the_mark_keeps_the_latest_days_newest_last() -> None:
    h = HighWater()
    for i, day in enumerate(["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]):
        h.absorb([ev("issued", "A001", day, number=1).with_seq(i + 1)])
    # a clock that was wrong and is corrected: the earlier day becomes the newest again
    h.absorb([ev("clock_corrected", day="2026-11-22", floor={"A": 4}).with_seq(9)])
    assert list(h.days) == ["2026-11-21", "2026-11-23", "2026-11-22"]
    assert h.latest() == ("2026-11-22", {"A": 4}) and h.seq == 9
    assert HighWater.decode(h.encode()) == h and list(HighWater.decode(h.encode()).days) == \
        list(h.days)
