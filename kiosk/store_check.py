"""Checks a store passes at open, so that a damaged or read-only database refuses to start
with a message that says what to do, instead of a traceback that ``Restart=always`` loops on,
or a kiosk that answers ``status`` and then fails every ticket.

* SQLite's own errors are sorted into "damaged" (:class:`StoreCorruptError`) and "cannot be
  written" (:class:`StoreUnwritableError`).
* ``PRAGMA quick_check`` finds damaged pages (garbage in the middle of the file, a
  truncated file). It reads the whole file once; bench/store.py times it on 100k events.
* A write probe commits a row in ``meta``: an immutable file opens, reads and passes the
  quick check, and only a real write shows that no ticket could ever be stored.

A damaged file is never deleted or rewritten here: the operator decides what to keep.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from kiosk import messages
from kiosk.errors import StoreCorruptError, StoreError, StoreUnwritableError

_CORRUPT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM",
               "SQLITE_FULL", "SQLITE_AUTH", "SQLITE_BUSY", "SQLITE_LOCKED")


def corrupt(path: Path | str, detail: str) -> StoreCorruptError:
    """The refusal for a damaged store; it names the newest backup to restore."""
    return StoreCorruptError(messages.text("store_corrupt", path=path, detail=detail)
                             + messages.Bilingual("", " ") + restore_hint(Path(path)))


def restore_hint(path: Path) -> messages.Bilingual:
    """Which backup to restore, and how (or that there is none)."""
    from kiosk import backup  # standard library only; kept out of the store's import

    newest = backup.newest(path)
    if newest is None:
        return messages.text("store_restore_none", dir=backup.backups_dir(path))
    return messages.text("store_restore_newest", backup=newest, name=newest.name)


def unwritable(path: Path | str, detail: str) -> StoreUnwritableError:
    return StoreUnwritableError(messages.text("store_unwritable", path=path, detail=detail))


@contextmanager
def sqlite_errors(path: Path | str) -> Iterator[None]:
    """Turn SQLite's and the OS's errors while opening ``path`` into StoreErrors."""
    try:
        yield
    except StoreError:
        raise
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        detail = f"{exc} [{name}]" if name else str(exc)
        if name.startswith(_CORRUPT):
            raise corrupt(path, detail) from exc
        if name.startswith(_UNWRITABLE):
            raise unwritable(path, detail) from exc
        raise
    except OSError as exc:
        raise unwritable(path, f"{exc.filename or path}: {exc.strerror or exc}") from exc


def ensure_directory(path: Path) -> None:
    with sqlite_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)


def quick_check(db: Database, path: Path | str) -> None:
    rows = [r[0] for r in db.execute("PRAGMA quick_check(5)").fetchall()]
    if rows != ["ok"]:
        raise corrupt(path, "quick_check: " + "; ".join(rows))


def write_probe(db: Database) -> None:
    """Commit one small row: the only sure test that tickets can be stored."""
    with db.atomic():
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('opened', ?)",
                   [datetime.now(UTC).isoformat()])


def open_checked(path: Path, connect: Callable[[Path], Database],
                 migrate: Callable[[Database], object]) -> Database:
    """Connect, check pages, migrate, and prove a write, or raise a StoreError."""
    with sqlite_errors(path):
        db = connect(path)
        try:
            quick_check(db, path)
            migrate(db)
            write_probe(db)
        except BaseException:
            db.close()
            raise
    return db
