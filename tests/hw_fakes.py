"""Stand-ins shared by the counter-hardware tests: pty "cables", a recording submit,
status snapshots, and gpiozero's MockFactory handed over the way gpiozero's own test
suite does it."""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from kiosk.commands import Command
from kiosk.events import Event
from kiosk.status import CounterView, Status


class Pty:
    """A pty pair: the display opens ``name``; the test reads what arrives at ``master``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.name = os.ttyname(self.slave)
        self._fds: tuple[int, ...] = (self.master, self.slave)

    def read(self, n: int, timeout: float = 3.0) -> bytes:
        """Exactly ``n`` bytes (or fewer if they stop coming before ``timeout``)."""
        out = b""
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                break
            out += os.read(self.master, n - len(out))
        return out

    def read_quiet(self, settle: float = 0.3) -> bytes:
        """Everything that arrives until the line has been quiet for ``settle`` s."""
        out = b""
        while select.select([self.master], [], [], settle)[0]:
            out += os.read(self.master, 4096)
        return out

    def unplug(self) -> None:
        """Close both ends once (a second close could hit an fd reused by someone else)."""
        fds, self._fds = self._fds, ()
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


class Recorder:
    """A ``submit`` that records commands and answers each with a finished future."""

    def __init__(self, reply: Any = None) -> None:
        self.commands: list[tuple[Command, str]] = []
        self.reply = reply

    def __call__(self, cmd: Command, source: str) -> Future[Any]:
        self.commands.append((cmd, source))
        fut: Future[Any] = Future()
        fut.set_result(self.reply(cmd) if callable(self.reply) else self.reply)
        return fut

    def of(self, kind: type) -> list[Any]:
        return [c for c, _ in self.commands if isinstance(c, kind)]


def status(*counters: tuple[int, str, str | None, int | None]) -> Status:
    """A snapshot with counters given as (id, status, current, redirect)."""
    views = tuple(CounterView(cid, st, cur, ("A",), None, red) for cid, st, cur, red in counters)
    return Status("2026-11-23", (), views, {}, 0)


def event(kind: str, ticket: str | None = None, counter: int | None = None,
          **data: Any) -> Event:
    return Event(kind, "2026-11-23T10:00:00+08:00", "2026-11-23", ticket=ticket,
                 counter=counter, data=data)


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    """gpiozero's own pattern: a fresh MockFactory, reset afterwards."""
    saved = Device.pin_factory
    Device.pin_factory = MockFactory()
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = saved
