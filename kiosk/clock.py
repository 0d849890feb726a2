"""Where time comes from. The core never reads the clock; the worker asks one of these.

A Raspberry Pi has no real-time clock: until NTP syncs, ``now`` can be far off.
systemd-timesyncd creates ``/run/systemd/timesync/synchronized`` once it has synced, so
:class:`SystemClock` reports ``synced()`` from that flag when ``require_sync`` is on.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...

    def synced(self) -> bool: ...


class SystemClock:
    def __init__(self, tz: ZoneInfo, require_sync: bool = False,
                 sync_flag: Path = Path("/run/systemd/timesync/synchronized")) -> None:
        self.tz, self.require_sync, self.sync_flag = tz, require_sync, sync_flag

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def synced(self) -> bool:
        return not self.require_sync or self.sync_flag.exists()


class FakeClock:
    """A settable clock for tests and benchmarks; thread-safe."""

    def __init__(self, start: datetime, synced: bool = True) -> None:
        self._now, self._synced = start, synced
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def synced(self) -> bool:
        return self._synced

    def set(self, when: datetime, synced: bool | None = None) -> None:
        with self._lock:
            self._now = when
            if synced is not None:
                self._synced = synced

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)
