"""Damaged or read-only stores refuse to open with a message that says what to do, and the
damaged file is left exactly as it was."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kiosk.errors import StoreCorruptError, StoreError, StoreUnwritableError
from kiosk.events import Event
from kiosk.store import Store


def ev(kind: str, ticket: str | None = None, **data: object) -> Event:
    return Event(kind, "2026-11-23T10:00:00+08:00", "2026-11-23", ticket, ticket and ticket[0],
                 None, "test", data)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A closed store of 2,000 tickets (about 800 KB), checkpointed into the main file."""
    path = tmp_path / "kiosk.db"
    s = Store(path)
    s.append([ev("day_started")])
    for hundred in range(20):
        s.append([ev("issued", f"A{n:03d}", number=n)
                  for n in range(hundred * 100 + 1, hundred * 100 + 101)])
    s.close()
    assert not Path(f"{path}-wal").exists()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, kind: type[StoreError]) -> str:
    before = digest(path) if path.exists() else None
    with pytest.raises(kind) as info:
        Store(path)
    if before is not None:
        assert digest(path) == before, "a damaged store must be left untouched"
    message = str(info.value)
    assert str(path) in message
    return message


def test_a_truncated_file_is_refused_as_damaged(db: Path) -> None:
    os.truncate(db, db.stat().st_size // 2)
    message = refused(db, StoreCorruptError)
    assert "backup" in message and "move the file" in message


def test_a_garbage_header_is_refused_as_damaged(db: Path) -> None:
    with open(db, "r+b") as f:
        f.write(os.urandom(100))
    assert "not a database" in refused(db, StoreCorruptError)


def test_8_kb_of_garbage_in_the_middle_is_found_by_the_quick_check(db: Path) -> None:
    middle = db.stat().st_size // 2
    with open(db, "r+b") as f:
        f.seek(middle)
        f.write(random.Random(8).randbytes(8192))
    refused(db, StoreCorruptError)


def test_a_refused_store_releases_its_lock(db: Path) -> None:
    with open(db, "r+b") as f:
        f.write(os.urandom(100))
    refused(db, StoreCorruptError)
    db.unlink()  # the operator moved it aside
    Store(db).close()  # no "in use by another kiosk" from the failed attempt


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable even for root: the immutable attribute; chmod otherwise."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)],
                                        capture_output=True).returncode != 0:
        pytest.skip("running as root, where only chattr +i makes a file read-only, and "
                    "this file system does not support it")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_an_immutable_store_is_refused_before_it_serves(db: Path) -> None:
    with read_only(db):
        message = refused(db, StoreUnwritableError)
    assert "readonly" in message and "permissions" in message


def test_a_read_only_directory_is_refused(db: Path) -> None:
    with read_only(db.parent):
        refused(db, StoreUnwritableError)


def test_a_new_store_in_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with read_only(folder):
        refused(folder / "kiosk.db", StoreUnwritableError)


def test_a_store_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    refused(tmp_path / "data" / "kiosk.db", StoreUnwritableError)


def test_a_healthy_store_passes_and_records_the_write_probe(db: Path) -> None:
    s = Store(db)
    try:
        assert s.db.execute("SELECT value FROM meta WHERE key = 'opened'").fetchone()
        assert len(s.events()) == 2001
    finally:
        s.close()
