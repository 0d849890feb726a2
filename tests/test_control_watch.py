"""The watch stream: the status, then every committed event with the status after it,
pushed in commit order; a watcher that stops reading is dropped without slowing the
worker or the other watchers; a watch holds a place under the connection cap but has no
idle timeout; a real ``kiosk run`` serves ``kiosk watch --json``."""

from __future__ import annotations

import itertools
import json
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk import control
from kiosk.control import ControlServer
from kiosk.control_client import request, watch
from kiosk.service import KioskService
from kiosk.watch import WatchHub
from tests.kiosk_proc import KioskProcess, write_config
from tests.support import wait_for

WAIT = 15.0  # s: hang detection only


@pytest.fixture
def hub_and_svc(service_factory: Callable[..., KioskService]) -> tuple[WatchHub, KioskService]:
    box: list[KioskService] = []
    hub = WatchHub(lambda: box[0].status, maxsize=64)
    box.append(service_factory(subscribers=[hub]))
    return hub, box[0]


@pytest.fixture
def hub(hub_and_svc: tuple[WatchHub, KioskService]) -> WatchHub:
    return hub_and_svc[0]


@pytest.fixture
def svc(hub_and_svc: tuple[WatchHub, KioskService]) -> KioskService:
    return hub_and_svc[1]


@pytest.fixture
def serve(serve: Callable[..., ControlServer], hub: WatchHub) -> Callable[..., ControlServer]:
    """The shared ``serve``, with the watch hub wired in."""
    return lambda **kw: serve(watch=hub, **kw)


def issue(server: ControlServer, service: str = "A") -> str:
    reply = request(server.path, {"cmd": "issue", "args": {"service": service}})
    assert reply["ok"], reply
    return str(reply["events"][-1]["ticket"])


class Follower:
    """A watcher that reads on its own thread, as a screen would."""

    def __init__(self, path: Path) -> None:
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._gen = watch(path, wait=WAIT)
        self.first = next(self._gen)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for msg in self._gen:
                self.lines.put(msg)
        except OSError:
            pass
        finally:
            self.lines.put(None)

    def take(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            msg = self.lines.get(timeout=WAIT)
            assert msg is not None, f"the stream ended after {out!r:.300}"
            out.append(msg)
        return out


def test_a_watcher_gets_the_status_then_every_event_in_commit_order(
        serve: Callable[..., ControlServer], svc: KioskService) -> None:
    server = serve()
    issue(server)  # before the watch: part of the first status, not an event of it
    f = Follower(server.path)
    assert f.first["ok"] is True and f.first["watch"] == "status"
    assert f.first["status"]["issued_today"] == 1
    tickets = [issue(server), issue(server, "B"), issue(server)]
    called = request(server.path, {"cmd": "call-next", "args": {"counter": 1}})
    assert called["ok"]
    msgs = f.take(4)
    events = [m["event"] for m in msgs]
    assert [e["type"] for e in events] == ["issued", "issued", "issued", "called"]
    assert [e["ticket"] for e in events[:3]] == tickets
    assert events[3]["ticket"] == "A001" and events[3]["counter"] == 1
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    # each event comes with the status as it stood after it
    assert [m["status"]["issued_today"] for m in msgs] == [2, 3, 4, 4]
    assert msgs[3]["status"] == json.loads(json.dumps(svc.status.to_dict()))


def test_a_watch_has_no_idle_timeout_but_holds_a_place(
        serve: Callable[..., ControlServer]) -> None:
    server = serve(idle_timeout=0.3, max_clients=2)
    socks = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
    files = []
    try:
        for s in socks:
            s.settimeout(WAIT)
        watcher, kept, third = socks
        watcher.connect(str(server.path))
        watcher.sendall(b'{"cmd": "watch"}\n')
        lines = watcher.makefile("rb")
        files.append(lines)
        assert json.loads(lines.readline())["watch"] == "status"
        time.sleep(1.0)  # three idle timeouts with nothing to send
        ticket = issue(server)
        got = [json.loads(lines.readline())["event"] for _ in range(2)]  # still there
        assert [(e["type"], e["ticket"]) for e in got] == [("day_started", None),
                                                           ("issued", ticket)]
        wait_for(lambda: server.active == 1, timeout=WAIT)  # the issuing one has gone
        kept.connect(str(server.path))
        kept.sendall(b'{"cmd": "keep-open"}\n')
        files.append(kept.makefile("rb"))
        assert json.loads(files[-1].readline())["keep_open"] is True
        third.connect(str(server.path))
        files.append(third.makefile("rb"))
        assert json.loads(files[-1].readline())["code"] == "busy"
    finally:
        for f in files:  # a socket's file keeps it open after close()
            f.close()
        for s in socks:
            s.close()
    wait_for(lambda: server.active == 0, timeout=WAIT)


def test_a_stalled_watcher_is_dropped_and_slows_no_one(
        serve: Callable[..., ControlServer], hub: WatchHub) -> None:
    server = serve()
    issue(server)  # the day has started: every event that follows names a ticket
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.settimeout(WAIT)
    stalled.connect(str(server.path))
    stalled.sendall(b'{"cmd": "watch"}\n')  # and never reads
    wait_for(lambda: hub.count == 1, timeout=WAIT)
    f = Follower(server.path)
    assert hub.count == 2
    issued = []
    for _ in range(3000):  # about 200 fill its socket and then its queue of 64
        issued.append(issue(server))
        if hub.count == 1:
            break
    else:
        pytest.fail("a watcher that read nothing for 3000 events is still connected")
    assert hub.disconnected == 1
    for _ in range(5):
        issued.append(issue(server))
    # the reading watcher got every event, in order: the hub neither waited nor dropped
    got = [m["event"] for m in f.take(len(issued))]
    assert [e["ticket"] for e in got] == issued
    assert [e["seq"] for e in got] == list(range(got[0]["seq"], got[0]["seq"] + len(got)))
    # the stalled one, reading at last, finds what fitted in its socket, then the end
    with stalled.makefile("rb") as f:
        data = f.read()
    stalled.close()
    lines = data.split(b"\n")
    assert json.loads(lines[0])["watch"] == "status"
    assert len(lines) < len(issued)
    wait_for(lambda: server.active == 1, timeout=WAIT)


def test_a_watcher_that_falls_behind_is_told_why_if_it_reads_again(
        serve: Callable[..., ControlServer], hub: WatchHub,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # it is given up to NOTICE_TIMEOUT to take the rest of its line and the notice
    monkeypatch.setattr(control, "NOTICE_TIMEOUT", WAIT)
    server = serve()
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.settimeout(WAIT)
    stalled.connect(str(server.path))
    stalled.sendall(b'{"cmd": "watch"}\n')
    wait_for(lambda: hub.count == 1, timeout=WAIT)
    n = 0
    while hub.disconnected == 0:
        issue(server)
        n += 1
        assert n < 3000, "never dropped"
    with stalled.makefile("rb") as f:
        lines = f.read().splitlines()
    stalled.close()
    msgs = [json.loads(line) for line in lines]  # every line whole, the cut one finished
    assert msgs[0]["watch"] == "status"
    assert all("event" in m for m in msgs[1:-1])
    assert msgs[-1]["ok"] is False and msgs[-1]["code"] == "watch_behind"
    assert "抱歉" in msgs[-1]["message_zh"] and "reconnect" in msgs[-1]["message_en"]


def test_watchers_are_told_when_the_server_stops(
        serve: Callable[..., ControlServer]) -> None:
    server = serve()
    f = Follower(server.path)
    server.stop()
    notice = f.take(1)[0]
    assert notice["ok"] is False and notice["code"] == "stopping"
    assert f.lines.get(timeout=WAIT) is None  # then the end of the stream


def test_a_watcher_that_hangs_up_leaves_the_hub(
        serve: Callable[..., ControlServer], hub: WatchHub) -> None:
    server = serve()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(server.path))
        s.sendall(b'{"cmd": "watch"}\n')
        wait_for(lambda: hub.count == 1, timeout=WAIT)
    wait_for(lambda: hub.count == 0 and server.active == 0, timeout=WAIT)


def test_kiosk_watch_json_follows_a_real_kiosk(tmp_path: Path) -> None:
    k = KioskProcess(write_config(tmp_path)).start(timeout=60)
    lines: queue.Queue[bytes] = queue.Queue()
    w = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--socket", str(k.socket),
                          "watch", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert w.stdout is not None
        out = w.stdout
        threading.Thread(target=lambda: [lines.put(x) for x in iter(out.readline, b"")],
                         daemon=True).start()
        first = json.loads(lines.get(timeout=WAIT))
        assert first["watch"] == "status"
        assert k.ask("issue", service="A")["ok"]
        assert k.ask("call-next", counter=1)["ok"]
        seen: list[dict[str, Any]] = []
        while not any(e["type"] == "called" for e in seen):
            msg = json.loads(lines.get(timeout=WAIT))
            seen.append(msg["event"])
        kinds = [e["type"] for e in seen if e["type"] in ("issued", "called")]
        assert kinds == ["issued", "called"]
        assert all(a["seq"] < b["seq"] for a, b in itertools.pairwise(seen))
        # a stopping kiosk tells its watchers, and `kiosk watch` ends by itself
        assert k.terminate(30) == 0
        assert w.wait(WAIT) == 3
        last = b""
        while not lines.empty():
            last = lines.get()
        assert json.loads(last)["code"] == "stopping"
    finally:
        if w.poll() is None:  # stopped by its PID if it did not end by itself
            w.kill()
            w.wait(WAIT)
        for pipe in (w.stdout, w.stderr):
            if pipe is not None:
                pipe.close()
        k.ensure_stopped()


def test_watches_never_take_every_place(serve: Callable[..., ControlServer]) -> None:
    # An adversarial run opened 80 watches that never read: every place was held, and a
    # clerk's `kiosk issue` was told "busy" until they went away.
    server = serve(max_clients=4)
    socks = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
    files = []
    try:
        firsts = []
        for s in socks:
            s.settimeout(WAIT)
            s.connect(str(server.path))
            s.sendall(b'{"cmd": "watch"}\n')
            files.append(s.makefile("rb"))
            firsts.append(json.loads(files[-1].readline()))
        assert [f.get("watch") or f.get("code") for f in firsts] == ["status", "status",
                                                                     "busy"]
        assert issue(server)  # requests still get in
    finally:
        for f in files:
            f.close()
        for s in socks:
            s.close()
