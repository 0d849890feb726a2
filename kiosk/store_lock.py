"""One kiosk per database: an exclusive ``flock`` on ``<db>.lock`` for the life of a Store.

Two kiosk processes on one database both issue A001, and two first starts race to create
the schema. The lock is taken before the database is opened and held until
:meth:`StoreLock.release`; the kernel drops it when the process dies, even on SIGKILL, so
a stale lock file never blocks a restart. The holder writes its PID into the file so that
a refused start can name the process to look at.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

from kiosk import messages
from kiosk.errors import StoreLockedError, StoreUnwritableError

log = logging.getLogger(__name__)


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


class StoreLock:
    """Hold ``<db>.lock``; raise :class:`StoreLockedError` naming the holder's PID."""

    def __init__(self, db: Path) -> None:
        self._fd: int | None = None
        self.path = lock_path(db)
        try:
            # No O_TRUNC: until we hold the lock, the PID in the file is the holder's.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreUnwritableError(messages.text(
                "store_unwritable", path=db, detail=f"{self.path}: {exc.strerror}")) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise StoreLockedError(messages.text("store_locked", path=db, pid=holder),
                                   pid=holder) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays: deleting it would let a waiting
        process lock an unlinked inode while a third creates a new one."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor releases the flock

    def __del__(self) -> None:  # a Store dropped without close() must not keep the lock
        self.release()


def _holder(fd: int) -> str:
    """The PID the holder wrote; it writes it just after locking, so wait a moment."""
    for _ in range(50):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
        time.sleep(0.01)
    return "?"
