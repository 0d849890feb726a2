"""``kiosk backup``: copies of the store, made with SQLite's online backup API.

::

    kiosk backup                       copy now to <state>/backups/kiosk-YYYYMMDD-HHMMSS.db
    kiosk backup --list                the copies, newest first
    kiosk backup --restore NAME|PATH   put a copy back (the kiosk must be stopped)

The systemd timer ``counter-kiosk-backup.timer`` runs ``kiosk backup`` once a day, as its
own short process: the kiosk's worker never waits for a copy, and a copy missed while the
Pi was off is made at the next boot (``Persistent=true``).

How a copy is made, and why:

* through a read-only connection of its own and ``sqlite3.Connection.backup``, which
  copies a consistent snapshot while the kiosk keeps writing (WAL readers do not block
  the writer), so the kiosk's store lock is never taken;
* into a temporary file in the same directory, switched to ``journal_mode=DELETE`` (one
  self-contained file), checked with ``PRAGMA integrity_check``, fsynced, renamed into
  place and the directory fsynced: a copy that exists is whole and sound, so "the newest
  backup" is always one that can be restored;
* the newest ``storage.backups_keep`` copies are kept, the older ones removed.

Restoring keeps the high-water mark (``<db>.mark``) beside the store: a copy from last
night holds fewer events than the kiosk had issued, so at the next start the store is
behind its mark and numbering goes on after the mark (:mod:`kiosk.store_mark`), never
repeating a number a customer holds.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

PATTERN = re.compile(r"^kiosk-(\d{8})-(\d{6})(?:-(\d+))?\.db$")
DEFAULT_KEEP = 7


def backups_dir(db: Path) -> Path:
    """Where the copies of ``db`` go: ``backups/`` beside it."""
    return db.parent / "backups"


def backups(db: Path) -> list[Path]:
    """The copies of ``db``, newest first (by the time in their names)."""
    d = backups_dir(db)
    try:
        names = [p for p in d.iterdir() if PATTERN.match(p.name) and p.is_file()]
    except OSError:
        return []
    return sorted(names, key=_order, reverse=True)


def _order(p: Path) -> tuple[str, str, int]:
    m = PATTERN.match(p.name)
    assert m is not None
    return m[1], m[2], int(m[3] or 0)


def newest(db: Path) -> Path | None:
    found = backups(db)
    return found[0] if found else None


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(p: Path) -> None:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _give_to_owner(path: Path, state: Path) -> None:
    """Run as root (``sudo kiosk backup``), hand ``path`` to the state directory's owner:
    a root-owned backups directory would stop the kiosk user's nightly copy."""
    if os.geteuid() != 0:
        return
    st = os.stat(state)
    if (os.stat(path).st_uid, os.stat(path).st_gid) != (st.st_uid, st.st_gid):
        os.chown(path, st.st_uid, st.st_gid)


def read_only(db: Path) -> sqlite3.Connection:
    """A connection that cannot write ``db`` (and opens no file that is not there)."""
    if not db.is_file():
        raise FileNotFoundError(f"{db} does not exist")
    # With no -wal file nobody has the database open (a WAL connection keeps one), and a
    # read-only connection would create -wal and -shm, owned by whoever runs this: a
    # root-owned -shm then stops the kiosk user opening its own store. immutable=1
    # creates nothing; with a -wal, its content must be read, so the normal read-only
    # mode is used, and the files it needs are already there.
    wal = db.with_name(db.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    return sqlite3.connect(f"{db.resolve().as_uri()}?{mode}", uri=True, timeout=10)


def integrity(conn: sqlite3.Connection, limit: int = 5) -> list[str]:
    """``PRAGMA integrity_check``: ``["ok"]`` for a sound database."""
    return [r[0] for r in conn.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()]


def _target(d: Path, now: datetime) -> Path:
    stem = f"kiosk-{now:%Y%m%d-%H%M%S}"
    path, n = d / f"{stem}.db", 1
    while path.exists():  # two copies in one second: the second gets a suffix
        path, n = d / f"{stem}-{n}.db", n + 1
    return path


def make(db: Path, keep: int = DEFAULT_KEEP, now: datetime | None = None) -> Path:
    """Copy ``db`` to a new backup and prune old ones; returns the new copy's path.

    Raises ``sqlite3.Error`` or ``OSError`` when the copy cannot be made, and
    ``ValueError`` when the copy fails its integrity check (nothing is kept then).
    """
    d = backups_dir(db)
    d.mkdir(mode=0o700, exist_ok=True)
    _give_to_owner(d, db.parent)
    final = _target(d, now or datetime.now())
    tmp = d / f".{final.name}.tmp"
    src = read_only(db)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # one step: a consistent snapshot of the committed data
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            problems = integrity(dst)
        finally:
            dst.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    if problems != ["ok"]:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"the copy of {db} fails its integrity check: {'; '.join(problems)}")
    _give_to_owner(tmp, db.parent)
    _fsync_file(tmp)
    os.replace(tmp, final)
    _fsync_dir(d)
    prune(db, keep)
    log.info("backup of %s written to %s", db, final)
    return final


def prune(db: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` copies; returns the removed ones."""
    old = backups(db)[max(keep, 1):]
    for p in old:
        p.unlink(missing_ok=True)
    if old:
        _fsync_dir(backups_dir(db))
    return old


def restore(db: Path, backup: Path, now: datetime | None = None) -> Path | None:
    """Put ``backup`` in place of ``db``; the kiosk must be stopped (its lock is taken).

    The current database and its -wal/-shm files, if any, are moved aside to
    ``<db>.replaced-YYYYMMDD-HHMMSS`` (never deleted); that name is returned. The
    high-water mark is kept. Raises :class:`~kiosk.errors.StoreLockedError` while a
    kiosk runs on ``db``, and ``ValueError`` for a copy that fails its integrity check.
    """
    from kiosk.store_lock import StoreLock

    conn = read_only(backup)
    try:
        problems = integrity(conn)
    finally:
        conn.close()
    if problems != ["ok"]:
        raise ValueError(f"{backup} fails its integrity check: {'; '.join(problems)}")
    lock = StoreLock(db)  # refuses while a kiosk holds it
    try:
        _give_to_owner(lock.path, db.parent)  # a root-owned lock file would lock kiosk out
        aside = None
        stamp = f"{now or datetime.now():%Y%m%d-%H%M%S}"
        for suffix in ("", "-wal", "-shm"):
            current = db.with_name(db.name + suffix)
            if current.exists():
                moved = db.with_name(f"{db.name}.replaced-{stamp}{suffix}")
                os.replace(current, moved)
                aside = aside or moved
        tmp = db.with_name(f".{db.name}.restoring")
        shutil.copyfile(backup, tmp)
        _give_to_owner(tmp, db.parent)  # root restores for the kiosk user
        os.chmod(tmp, 0o600)
        _fsync_file(tmp)
        os.replace(tmp, db)
        _fsync_dir(db.parent)
    finally:
        lock.release()
    log.info("restored %s from %s (previous file: %s)", db, backup, aside or "none")
    return aside


# ----------------------------------------------------------------------------- CLI


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--list", action="store_true", help="list the backups, newest first")
    g.add_argument("--restore", metavar="NAME", help="restore this backup (a name from "
                   "--list, or a path); stop the kiosk first")
    p.add_argument("--keep", type=int, metavar="N",
                   help="keep the newest N copies (default: storage.backups_keep)")


def run(args: argparse.Namespace) -> int:
    from kiosk import messages
    from kiosk.cli import _load

    t = messages.text
    cfg = _load(args.config)
    db = cfg.storage_path
    if args.list:
        for p in backups(db):
            print(f"{p.name}  {p.stat().st_size:>10} B")
        return 0
    if args.restore:
        chosen = Path(args.restore)
        if not chosen.is_absolute() and not chosen.exists():
            chosen = backups_dir(db) / args.restore
        try:
            aside = restore(db, chosen)
        except (ValueError, FileNotFoundError, sqlite3.Error) as exc:
            print(t("backup_restore_failed", backup=chosen, why=exc), file=sys.stderr)
            return 1
        print(t("backup_restored", db=db, backup=chosen.name, aside=aside or "-"))
        return 0
    keep = args.keep if args.keep is not None else cfg.backups_keep
    if keep < 1:
        print(t("backup_keep_invalid", keep=keep), file=sys.stderr)
        return 2
    try:
        path = make(db, keep)
    except (OSError, sqlite3.Error, ValueError) as exc:
        print(t("backup_failed", db=db, why=exc), file=sys.stderr)
        return 1
    print(t("backup_written", path=path, count=len(backups(db))))
    return 0
