"""Shared fixtures: real configs, a real SQLite store in tmp_path, a settable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kiosk import config as config_mod
from kiosk.clock import FakeClock
from kiosk.control import ControlServer
from kiosk.service import KioskService
from kiosk.store import Store
from tests.mosquitto import Broker
from tests.support import OFFICE, Desk, at, make_config

if TYPE_CHECKING:
    from tests.kiosk_proc import KioskProcess


@pytest.fixture
def cfg() -> config_mod.Config:
    return make_config()


@pytest.fixture
def desk(cfg: config_mod.Config) -> Desk:
    return Desk(cfg, at(2026, 11, 23, 10))


@pytest.fixture
def office_desk() -> Desk:
    """Mon-Fri 08:30-17:00, starting Monday 2026-11-23 at 10:00."""
    return Desk(make_config(hours=OFFICE), at(2026, 11, 23, 10))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(2026, 11, 23, 10))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "kiosk.db")
    yield s
    s.close()


@pytest.fixture
def service_factory(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., KioskService]]:
    made: list[KioskService] = []

    def factory(subscribers: list[Any] | None = None, **sections: Any) -> KioskService:
        cfg = make_config(tmp_path, **sections)
        svc = KioskService(cfg, Store(cfg.storage_path), subscribers, clock=clock)
        svc.start()
        made.append(svc)
        return svc

    yield factory
    for svc in made:
        svc.stop()
        svc.store.close()


@pytest.fixture
def svc(service_factory: Callable[..., KioskService]) -> KioskService:
    """A started service on the built-in branch, in ``tmp_path``."""
    return service_factory()


@pytest.fixture
def serve(svc: KioskService, tmp_path: Path) -> Iterator[Callable[..., ControlServer]]:
    """Start control servers for ``svc`` (by default at ``tmp_path/ctl/control.sock``);
    every one is stopped after the test."""
    made: list[ControlServer] = []

    def start(path: Path | None = None, **kw: Any) -> ControlServer:
        server = ControlServer(path or tmp_path / "ctl" / "control.sock", svc, **kw)
        made.append(server)
        server.start()
        return server

    yield start
    for server in made:
        server.stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of the test's own on a free loopback port (never the machine's)."""
    with Broker(tmp_path / "broker") as b:
        yield b


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An Xvfb screen of the UI tests' own (one per test module), stopped by its PID."""
    from tests.ui_harness import Xvfb

    x = Xvfb().start()
    try:
        yield x.display
    finally:
        x.stop()


@pytest.fixture
def core(tmp_path: Path) -> Iterator[KioskProcess]:
    """A real ``kiosk run --headless`` behind a UI test (modules that need other settings,
    a staff PIN say, define their own)."""
    from tests.kiosk_proc import KioskProcess
    from tests.ui_harness import core_config

    k = KioskProcess(core_config(tmp_path)).start()
    try:
        yield k
    finally:
        k.ensure_stopped()
