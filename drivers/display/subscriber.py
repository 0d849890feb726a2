"""A serial call display as a kiosk subscriber.

``handle`` works out the screen and writes it; it never raises. A watchdog thread
reopens a display that went away and redraws the last screen, so a clerk who replugs
the USB cable sees the right number again without anyone touching the kiosk. Status
changes (``ok`` / ``offline`` / ``error``) are reported once each through ``submit``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from drivers.display.port import SerialPort
from drivers.display.protocols import DisplayProtocol, Screen
from drivers.display.views import CounterView, HallView
from kiosk.events import Event
from kiosk.health import HealthReporter
from kiosk.ports import Submit
from kiosk.status import Status

log = logging.getLogger(__name__)


class SerialDisplay:
    """One display: ``handle(event, status)`` and ``close()`` (the Subscriber port)."""

    def __init__(self, name: str, port: SerialPort, protocol: DisplayProtocol,
                 view: CounterView | HallView, submit: Submit, *, flash_ms: int = 150,
                 reconnect_s: float = 2.0) -> None:
        self.name = f"display:{name}"
        self.port, self.protocol, self.view, self.submit = port, protocol, view, submit
        self.flash_ms, self.reconnect_s = flash_ms, reconnect_s
        self.screen: Screen = view.initial()  # also the on-screen mirror for dev tools
        self.on_write: Callable[[bytes], None] | None = None  # hook for bench and tests
        self._lock = threading.RLock()
        self._gen = 0  # bumps on every draw; a pending flash step of an older one quits
        self._dimmed = False
        self.health = HealthReporter(self.name, submit, "display")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=self.name, daemon=True)
        self._thread.start()

    # --- Subscriber -------------------------------------------------------------------

    def handle(self, event: Event, status: Status) -> None:
        try:
            screen = self.view.update(event, status)
            if screen.lines != self.screen.lines or screen.flash:
                self.show(screen)
        except Exception:  # a display fault must never reach the fan-out thread
            log.exception("%s failed on %s", self.name, event.type)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            self._gen += 1
            self.port.close()

    # --- drawing ----------------------------------------------------------------------

    def show(self, screen: Screen) -> None:
        with self._lock:
            self.screen = screen
            self._gen += 1
            if not self.port.is_open:
                return  # the watchdog redraws self.screen once the display is back
            data = (self.protocol.restore() if self._dimmed else b"") \
                + self.protocol.draw(screen)
            self._dimmed = False
            if self._write(data):
                self._schedule(self.protocol.after(screen), self._gen)

    def _write(self, data: bytes) -> bool:
        try:
            self.port.write(data)
        except Exception as exc:  # SerialException, OSError, timeouts: all mean "gone"
            log.warning("%s: write failed: %s", self.name, exc)
            self.port.close()
            self._report("offline", f"write failed: {exc}")
            return False
        if self.on_write is not None:
            self.on_write(data)
        return True

    def _schedule(self, steps: list[bytes], gen: int) -> None:
        if not steps:
            return
        timer = threading.Timer(self.flash_ms / 1000, self._step, (steps, gen))
        timer.daemon = True
        timer.start()

    def _step(self, steps: list[bytes], gen: int) -> None:
        with self._lock:
            if gen != self._gen or self._stop.is_set() or not self.port.is_open:
                return  # a newer screen replaced this flash
            if self._write(steps[0]):
                self._dimmed = steps[0] != self.protocol.restore()
                self._schedule(steps[1:], gen)

    # --- health -----------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self._check()
            except Exception:
                log.exception("%s: watchdog failed", self.name)
            self._stop.wait(self.reconnect_s)

    def _check(self) -> None:
        with self._lock:
            if self.port.is_open and not self.port.present():
                log.warning("%s: device %s went away", self.name, self.port.url)
                self.port.close()
                self._report("offline", f"{self.port.url} is not present")
            if self.port.is_open or self._stop.is_set():
                return
            try:
                self.port.open()
            except Exception as exc:
                self.port.close()
                gone = isinstance(exc, FileNotFoundError) or "No such file" in str(exc)
                self._report("offline" if gone else "error", str(exc))
                return
            self._gen += 1
            self._dimmed = False
            if self._write(self.protocol.hello() + self.protocol.draw(self.screen)):
                self._report("ok", "")

    def _report(self, status: str, detail: str) -> None:
        self.health.report(status, detail)  # changes only, not every failed retry

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Block until the port is open (tests, bench and the dev window use this)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.port.is_open:
                return True
            time.sleep(0.005)
        return False
