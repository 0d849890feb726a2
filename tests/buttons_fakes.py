"""A monotonic clock the button tests advance by hand, so that stepping past the debounce
interval costs no real time (and a loaded machine cannot make a test wait too little)."""

from __future__ import annotations

import threading


class FakeMonotonic:
    """Callable like ``time.monotonic``; ``advance(s)`` moves it on."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()  # read from gpiozero's callback threads

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
