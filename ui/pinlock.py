"""The staff PIN's lockout: 5 wrong PINs lock the staff panel, and a restart keeps it locked.

The count of failures and the end of the lock live in a small JSON file in the kiosk's
state directory (beside the database), written atomically (temp file, fsync, rename), so
a power cut leaves the old file or the new one, never half of one.

Which clock decides when the lock ends:

* **Within one boot**, ``CLOCK_BOOTTIME``: it never jumps (an NTP step, a wrong RTC set
  by hand) and keeps counting through a suspend, and every process on the machine reads
  the same one, so a UI restarted by its supervisor sees the same lock. The file records
  the boot it was written in (``/proc/sys/kernel/random/boot_id``).
* **After a reboot** that clock starts again from zero, so the wall clock is all there
  is. It may have jumped while the machine was off. The rule that keeps both failures
  finite: the time left is ``until_wall - now_wall`` clamped to ``[0, lock length]``; if
  the wall clock now reads *before* the lock began (a jump backwards), the lock starts
  again from now for its full length and the file is rewritten, so it ends after at most
  one lock length of real time. A clock jumping backwards can never lock forever; one
  jumping forward can at worst end one lock early, never clear the failures of a lock
  still counting within the same boot.

A file that cannot be read or makes no sense is taken as a lock that has just begun
(locked-safe): staff wait one lock length, nobody gets unlimited guesses.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "staff-pin-lock.json"
MAX_FAILURES = 5
LOCK_S = 300.0  # the first lock; each further lock in a row doubles it
MAX_LOCK_S = 3600.0
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boottime() -> float:
    """Seconds since boot, counting suspend; the same for every process."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""  # unknown: treated as a different boot each time (wall clock decides)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one PIN entry came to: ``ok``, ``wrong`` (``left`` tries remain), ``locked``
    (``remaining_s`` to wait) or ``no_pin`` (no hash configured)."""

    result: str
    left: int = 0
    remaining_s: float = 0.0


class PinLock:
    """Failures and lock of the staff PIN, kept in ``path``."""

    def __init__(self, path: Path, *, max_failures: int = MAX_FAILURES, lock_s: float = LOCK_S,
                 max_lock_s: float = MAX_LOCK_S, wall: Callable[[], float] = time.time,
                 boot: Callable[[], float] = boottime,
                 boot_id: Callable[[], str] = boot_id) -> None:
        self.path = Path(path)
        self.max_failures, self.lock_s, self.max_lock_s = max_failures, lock_s, max_lock_s
        self._wall, self._boot, self._boot_id = wall, boot, boot_id
        self.failures = 0
        self.locks = 0  # locks in a row since the last right PIN
        self._until: dict[str, Any] = {}  # the current lock, as stored; {} when none
        # the screen asks remaining() on Kivy's thread while a PIN is checked on another
        self._mutex = threading.RLock()
        self._load()

    # -- public -----------------------------------------------------------------------
    def remaining(self) -> float:
        """Seconds the panel stays locked; 0.0 when a PIN may be tried."""
        with self._mutex:
            return self._remaining()

    def _remaining(self) -> float:
        if not self._until:
            return 0.0
        length = float(self._until["length"])
        if self._until.get("boot_id") and self._until["boot_id"] == self._boot_id():
            left = float(self._until["until_boot"]) - self._boot()
        else:
            now = self._wall()
            if now < float(self._until["start_wall"]):  # the wall clock went back
                log.warning("the wall clock is before the staff PIN lock began; the lock "
                            "starts again from now")
                self._lock(length)
                left = length
            else:
                left = float(self._until["until_wall"]) - now
        left = min(max(left, 0.0), length)
        if left == 0.0:
            self._until = {}
            self.failures = 0
            self._save()
        return left

    @property
    def locked(self) -> bool:
        return self.remaining() > 0.0

    def check(self, pin: str, stored_hash: str | None,
              verify: Callable[[str, str], bool]) -> Attempt:
        """Try ``pin`` against ``stored_hash`` with ``verify`` (kiosk.staffpin.verify_pin),
        unless locked. Slow (scrypt): call it off the UI thread."""
        if not stored_hash:
            return Attempt("no_pin")
        if (left := self.remaining()) > 0.0:
            return Attempt("locked", remaining_s=left)
        ok = verify(pin, stored_hash)  # slow: not under the mutex
        with self._mutex:
            if (left := self._remaining()) > 0.0:  # locked meanwhile
                return Attempt("locked", remaining_s=left)
            if ok:
                self.failures, self.locks, self._until = 0, 0, {}
                self._save()
                return Attempt("ok")
            return self.fail()

    def fail(self) -> Attempt:
        """Count one wrong PIN; the ``max_failures``-th locks."""
        with self._mutex:
            return self._fail()

    def _fail(self) -> Attempt:
        self.failures += 1
        if self.failures < self.max_failures:
            self._save()
            return Attempt("wrong", left=self.max_failures - self.failures)
        self.locks += 1
        length = min(self.lock_s * 2 ** (self.locks - 1), self.max_lock_s)
        self._lock(length)
        return Attempt("locked", remaining_s=length)

    # -- storage ----------------------------------------------------------------------
    def _lock(self, length: float) -> None:
        now_wall, now_boot = self._wall(), self._boot()
        self._until = {"length": length, "start_wall": now_wall,
                       "until_wall": now_wall + length, "until_boot": now_boot + length,
                       "boot_id": self._boot_id()}
        self.failures = self.max_failures
        self._save()

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("cannot read %s (%s): the staff panel stays locked for now",
                        self.path, exc)
            self.locks = 1
            self._lock(self.lock_s)
            return
        try:
            self._parse(json.loads(raw.decode("utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("%s makes no sense (%s): the staff panel stays locked for now",
                        self.path, exc)
            self.locks = 1
            self._lock(self.lock_s)

    def _parse(self, d: Any) -> None:
        if not isinstance(d, dict):
            raise TypeError("not an object")
        failures, locks = d["failures"], d["locks"]
        if type(failures) is not int or type(locks) is not int or failures < 0 or locks < 0:
            raise ValueError("failures/locks must be whole numbers")
        until = d["lock"]
        if until:
            if not isinstance(until, dict):
                raise TypeError("lock is not an object")
            for key in ("length", "start_wall", "until_wall", "until_boot"):
                value = until[key]
                if type(value) not in (int, float) or value != value:  # NaN
                    raise ValueError(f"lock.{key} is not a number")
            if not 0 < until["length"] <= self.max_lock_s:
                raise ValueError("lock.length is out of range")
            if not isinstance(until.get("boot_id", ""), str):
                raise TypeError("lock.boot_id is not text")
        self.failures, self.locks = min(failures, self.max_failures), locks
        self._until = dict(until) if until else {}

    def _save(self) -> None:
        data = json.dumps({"failures": self.failures, "locks": self.locks,
                           "lock": self._until or None})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".pinlock-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            # the lock still holds in this process; a restart would lose it, so say so
            log.error("cannot save the staff PIN lock to %s: %s", self.path, exc)


def lock_path(storage_path: Path) -> Path:
    """Where the lock lives: the kiosk's state directory, beside its database."""
    return Path(storage_path).parent / FILE_NAME
