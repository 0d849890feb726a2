"""Test support: real configs, a Desk that drives the pure core, Shanghai-local times."""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import config as config_mod
from kiosk.core import Rejected, State, apply, decide, new_state
from kiosk.events import Event
from kiosk.ports import DriverParts

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = {d: ["08:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}


def at(y: int, mo: int, d: int, h: int = 10, mi: int = 0, s: int = 0) -> datetime:
    """A Shanghai-local instant (2026-11-23 is a Monday)."""
    return datetime(y, mo, d, h, mi, s, tzinfo=TZ)


def make_config(tmp: Path | None = None, **sections: Any) -> config_mod.Config:
    """The built-in branch, with ``sections`` overlaid (tables merge, lists replace)."""
    raw = copy.deepcopy(config_mod.DEFAULTS)
    if tmp is not None:
        raw["storage"] = {"path": str(tmp / "kiosk.db")}
        raw["control"] = {"socket": str(tmp / "control.sock")}
    return config_mod.from_dict(config_mod.merge(raw, sections))


class Desk:
    """Drive the pure core the way the worker does: decide, then apply."""

    def __init__(self, cfg: config_mod.Config, now: datetime) -> None:
        self.state: State = new_state(cfg)
        self.now = now
        self.log: list[Event] = []
        self.synced = True

    def __call__(self, cmd: Any) -> list[Event] | Rejected:
        result = decide(self.state, cmd, self.now, clock_synced=self.synced, source="test")
        if not isinstance(result, Rejected):
            for e in result:
                self.state = apply(self.state, e)
            self.log.extend(result)
        return result

    def ok(self, cmd: Any) -> list[Event]:
        result = self(cmd)
        assert not isinstance(result, Rejected), f"{cmd} rejected: {result}"
        return result

    def rejected(self, cmd: Any) -> str:
        result = self(cmd)
        assert isinstance(result, Rejected), f"{cmd} unexpectedly accepted: {result}"
        return result.code

    def called(self, cmd: Any) -> str:
        events = self.ok(cmd)
        return next(e.ticket for e in events if e.type == "called")  # type: ignore[return-value]




def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it is truthy and return its value; fail the test (raise
    AssertionError) if ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


def raw_exchange(path: Path, data: bytes, timeout: float = 10.0) -> list[bytes]:
    """Send ``data`` as-is on a fresh connection to the control socket at ``path``, then
    read until the server closes; return the reply lines (hang detection: ``timeout``)."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        # refused at once (busy, not permitted): the reply is waiting to be read
        with contextlib.suppress(BrokenPipeError):
            s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    return got.splitlines()


def driver_parts(module: Any, cfg: config_mod.Config, submit: Any, section: str,
          **kw: Any) -> DriverParts:
    """What driver ``module`` builds for ``cfg``, through the public driver contract."""
    from kiosk.bootstrap import driver_context

    return module.build(driver_context(cfg, submit, section), **kw)
