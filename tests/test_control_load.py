"""Many clients at once, and long queries, against the control socket."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.control import ControlServer, request
from kiosk.service import KioskService
from tests.kiosk_proc import KioskProcess, write_config

CLIENTS = 200
PROCESSES = 6


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[KioskProcess]:
    k = KioskProcess(write_config(tmp_path)).start()
    yield k
    assert k.terminate() == 0, k.log.read_text()[-2000:]


@pytest.mark.slow
def test_200_simultaneous_clients_and_cli_processes_all_get_answers(
        kiosk: KioskProcess) -> None:
    start = threading.Barrier(CLIENTS + 1)
    replies: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        msg = {"cmd": "issue", "args": {"service": "A"}} if i % 4 == 0 else {"cmd": "status"}
        try:
            start.wait(30)
            reply = request(kiosk.socket, msg, timeout=30)
        except BaseException as exc:  # collected and reported below
            with lock:
                errors.append(exc)
            return
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    procs = [subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--socket", str(kiosk.socket),
                               "status"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(PROCESSES)]
    start.wait(30)
    try:
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for t in threads:
        t.join(60)
    assert not errors, f"{len(errors)} clients failed, e.g. {errors[0]!r}"
    assert len(replies) == CLIENTS and all(r["ok"] for r in replies)
    issued = [e["ticket"] for r in replies for e in r["events"] if e["type"] == "issued"]
    assert len(issued) == CLIENTS // 4 == len(set(issued))
    assert [p.returncode for p in procs] == [0] * PROCESSES, [o[1] for o in outs]
    assert all("业务 / services" in out for out, _ in outs)


# --- events are read off the worker ---------------------------------------------------


@pytest.fixture
def server(service_factory: Callable[..., KioskService],
           tmp_path: Path) -> Iterator[ControlServer]:
    svc = service_factory()
    srv = ControlServer(tmp_path / "ctl" / "control.sock", svc)
    srv.start()
    yield srv
    srv.stop()


def test_a_long_events_query_does_not_hold_up_issuing(server: ControlServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    svc: KioskService = server._server.service
    assert request(server.path, {"cmd": "issue", "args": {"service": "A"}})["ok"]
    reading, release = threading.Event(), threading.Event()

    def held(fn: Callable[..., Any]) -> Callable[..., Any]:
        def slow_read(*args: Any, **kw: Any) -> Any:
            reading.set()
            assert release.wait(60), "the events read was never released"
            return fn(*args, **kw)
        return slow_read

    # whichever way the events are read, the read is held until we let it go
    monkeypatch.setattr(svc.store, "events", held(svc.store.events))
    monkeypatch.setattr(svc.store, "read_events", held(svc.store.read_events))
    got: list[dict[str, Any]] = []
    reader = threading.Thread(
        target=lambda: got.append(request(server.path, {"cmd": "events"}, timeout=60)))
    reader.start()
    try:
        assert reading.wait(15), "the events query never reached the store"
        # the events query is still in the store; a ticket must be issued meanwhile
        reply = request(server.path, {"cmd": "issue", "args": {"service": "A"}}, timeout=10)
        assert reply["ok"] and reply["events"][-1]["ticket"] == "A002"
        assert reader.is_alive() and not got, "the events query finished first"
    finally:
        release.set()
        reader.join(30)
    assert got and got[0]["ok"]
    issued = [e["ticket"] for e in got[0]["data"] if e["type"] == "issued"]
    assert issued[0] == "A001"
