"""The systemd watchdog is fed only while the worker turns: freeze the worker, the pings
stop; thaw it, they come back. systemd is played by a datagram socket bound here, the
NOTIFY_SOCKET the real kiosk/systemd.py sends to.

The test hook is the clock the worker is given: a clock whose ``now()`` blocks until
released freezes the worker inside a command, as a wedged driver call or a deadlock
would, without any code in the kiosk that exists only for tests.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk import commands as c
from kiosk import systemd
from kiosk.clock import FakeClock
from kiosk.service import KioskService
from kiosk.store import Store
from tests.support import at, make_config

INTERVAL_USEC = 200_000  # WatchdogSec=0.2 s: a ping every 0.1 s
MAX_AGE = 2.0  # the service's healthy() threshold, shortened from 10 s to keep this quick


class FreezableClock(FakeClock):
    """``now()`` blocks while frozen: the worker stops where it asks the time."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.thawed = threading.Event()
        self.thawed.set()
        self.entered = threading.Event()

    def now(self) -> datetime:
        if not self.thawed.is_set():
            self.entered.set()
            self.thawed.wait(60)
        return super().now()


@pytest.fixture
def notify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", str(INTERVAL_USEC))
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    yield sock
    sock.close()


def pings_within(sock: socket.socket, seconds: float) -> int:
    """How many WATCHDOG=1 arrive in the next ``seconds``."""
    end = time.monotonic() + seconds
    count = 0
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if sock.recv(64) == b"WATCHDOG=1":
                count += 1
        except TimeoutError:
            break
    return count


def wait_for_silence(sock: socket.socket, quiet: float, deadline: float) -> None:
    """Return once no ping came for ``quiet`` s; fail if pings go on for ``deadline`` s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if pings_within(sock, quiet) == 0:
            return
    raise AssertionError(f"the watchdog was still fed {deadline} s after the worker froze")


def test_a_frozen_worker_stops_the_pings(tmp_path: Path, notify: socket.socket) -> None:
    clock = FreezableClock(at(2026, 11, 23, 10))
    cfg = make_config(tmp_path)
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    svc.start()
    stop = threading.Event()
    thread = systemd.start_watchdog(functools.partial(svc.healthy, max_age=MAX_AGE), stop)
    try:
        assert thread is not None
        assert pings_within(notify, 1.0) >= 3  # fed while the worker turns
        clock.thawed.clear()
        frozen = svc.submit(c.Issue("A"))
        assert clock.entered.wait(10), "the worker never reached the frozen clock"
        wait_for_silence(notify, quiet=4 * INTERVAL_USEC / 1e6, deadline=MAX_AGE + 10)
        assert not svc.healthy(max_age=MAX_AGE)
        assert pings_within(notify, 1.0) == 0  # and they stay stopped
        clock.thawed.set()
        assert frozen.result(10).events[-1].ticket == "A001"
        assert pings_within(notify, 2.0) >= 3  # the worker turns again: fed again
    finally:
        clock.thawed.set()
        stop.set()
        if thread is not None:
            thread.join(5)
        svc.stop()
        svc.store.close()
    assert thread is not None and not thread.is_alive()
