"""The software debounce that sits above the pin.

Pin-level ``bounce_time`` depends on the pin driver (gpiozero's MockFactory ignores it,
and a worn switch can chatter longer than any setting), so "two presses never call two
customers" is enforced here: per counter and action, a press is taken only if the last
taken one is at least ``min_interval`` old *and* its command has been answered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class PressGuard:
    """Takes or swallows presses. ``clock`` gives monotonic seconds (``time.monotonic``
    by default): it must not step with the wall clock, and tests pass a fake one that they
    advance instead of sleeping past ``min_interval``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()  # gpiozero calls back from one thread per pin
        self._last: dict[tuple[int, str], float] = {}
        self._busy: set[tuple[int, str]] = set()

    def take(self, counter: int, action: str, min_interval: float) -> bool:
        """True if this press should become a command; marks the action in flight."""
        key, now = (counter, action), self.clock()
        with self._lock:
            if key in self._busy:
                return False
            last = self._last.get(key)
            if last is not None and now - last < min_interval:
                return False
            self._last[key] = now
            self._busy.add(key)
            return True

    def done(self, counter: int, action: str) -> None:
        with self._lock:
            self._busy.discard((counter, action))
