"""Connections that stay open: ``keep-open`` lets one connection carry many requests,
answered in order, while one-shot clients keep their old contract (one reply, then the
server closes). The idle timeout, the connection cap, the line cap, strict validation
and the peer check hold on a kept connection too."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.control import MAX_LINE, ControlServer
from kiosk.control_client import Connection, request
from kiosk.errors import ProtocolError
from kiosk.service import KioskService
from tests.support import raw_exchange, wait_for

KEEP = b'{"cmd": "keep-open"}\n'
ISSUE_A = b'{"cmd": "issue", "args": {"service": "A"}}\n'


class Raw:
    """A raw client connection, reading reply lines with a hang-detection timeout."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(15)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> dict[str, Any]:
        line = self.file.readline()
        assert line.endswith(b"\n"), f"no complete reply line: {line!r:.200}"
        out = json.loads(line)
        assert isinstance(out, dict)
        return out

    def rest(self) -> bytes:
        """Everything until the server closes."""
        return self.file.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[Callable[[Path], Raw]]:
    made: list[Raw] = []

    def connect(path: Path) -> Raw:
        made.append(Raw(path))
        return made[-1]

    yield connect
    for r in made:
        r.close()


def test_many_pipelined_requests_on_one_connection_are_answered_in_order(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    server = serve(idle_timeout=60)
    c = raw(server.path)
    c.send(KEEP + ISSUE_A * 5 + b'{"cmd": "call-next", "args": {"counter": 1}}\n'
           + b'{"cmd": "status"}\n')
    hello = c.reply()
    assert hello == {"ok": True, "keep_open": True, "idle_timeout_s": 60}
    tickets = [c.reply()["events"][-1]["ticket"] for _ in range(5)]
    assert tickets == ["A001", "A002", "A003", "A004", "A005"]
    called = c.reply()
    assert called["events"][-1]["type"] == "called"
    assert called["events"][-1]["ticket"] == "A001"
    assert c.reply()["status"]["issued_today"] == 5
    # still open: one more, sent after the replies were read
    c.send(ISSUE_A)
    assert c.reply()["events"][-1]["ticket"] == "A006"


def test_a_kept_connection_and_one_shot_clients_interleave(
        serve: Callable[..., ControlServer]) -> None:
    server = serve(idle_timeout=60)
    issue = {"cmd": "issue", "args": {"service": "A"}}
    seen = []
    with Connection(server.path) as conn:
        for _ in range(10):
            seen.append(conn.request(issue)["events"][-1]["ticket"])
            seen.append(request(server.path, issue)["events"][-1]["ticket"])
        wait_for(lambda: server.active == 1, timeout=15)  # the one-shots were each closed
        assert conn.request({"cmd": "status"})["status"]["issued_today"] == 20
    assert seen == [f"A{n:03d}" for n in range(1, 21)]
    wait_for(lambda: server.active == 0, timeout=15)


def test_a_one_shot_client_that_reads_to_the_end_is_still_closed_after_one_reply(
        serve: Callable[..., ControlServer]) -> None:
    # a client written for the first protocol reads until the server closes; had the
    # connection stayed open by default it would wait 60 s (and fail here after 10)
    server = serve(idle_timeout=60)
    lines = raw_exchange(server.path, ISSUE_A, timeout=10)
    assert len(lines) == 1 and json.loads(lines[0])["events"][-1]["ticket"] == "A001"


def test_a_last_line_without_its_newline_is_still_answered(
        serve: Callable[..., ControlServer]) -> None:
    # e.g. printf '{"cmd": "status"}' | socat - UNIX-CONNECT:...: the end of input ends it
    server = serve(idle_timeout=60)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(15)
        s.connect(str(server.path))
        s.sendall(b'{"cmd": "status"}')
        s.shutdown(socket.SHUT_WR)
        lines = s.makefile("rb").read().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["ok"] is True


def test_an_idle_kept_connection_is_closed_silently(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    server = serve(idle_timeout=0.5)
    c = raw(server.path)
    c.send(KEEP + ISSUE_A)
    assert c.reply()["keep_open"] is True
    assert c.reply()["ok"] is True
    assert c.rest() == b""  # no unasked line that could pass for the next reply
    wait_for(lambda: server.active == 0, timeout=15)


def test_half_a_line_on_a_kept_connection_gets_its_reply_at_the_deadline(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    server = serve(idle_timeout=0.5)
    c = raw(server.path)
    c.send(KEEP + b'{"cmd": "sta')
    assert c.reply()["keep_open"] is True
    reply = c.reply()
    assert reply["ok"] is False and reply["code"] == "bad_command"
    assert "within" in reply["params"]["detail"]
    assert c.rest() == b""


def test_a_slow_drip_cannot_hold_a_connection_past_the_deadline(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    # the deadline is for the whole line, not for each read: a byte every 0.1 s would
    # otherwise keep a place forever
    server = serve(idle_timeout=1.0)
    c = raw(server.path)
    c.send(KEEP)
    assert c.reply()["keep_open"] is True
    for ch in b'{"cmd": "status", "args": {"x": "' + b"y" * 200:
        try:
            c.send(bytes([ch]))
        except OSError:  # closed by the server
            break
        time.sleep(0.1)
    else:
        pytest.fail("the server kept reading a dripping line for 20 s")
    lines = c.rest().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["code"] == "bad_command"


def test_bad_requests_on_a_kept_connection_are_refused_and_it_stays_open(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw],
        svc: KioskService) -> None:
    server = serve(idle_timeout=60)
    c = raw(server.path)
    c.send(KEEP + b'{"cmd": "call-next", "args": {"counter": "1"}}\n'
           + b'{"cmd": "keep-open", "args": {"x": 1}}\n' + b"1e999\n"
           + b'{"cmd": "status", "sudo": true}\n' + b'{"cmd": "watch", "args": {"a": 1}}\n'
           + ISSUE_A)
    assert c.reply()["keep_open"] is True
    for _ in range(5):
        reply = c.reply()
        assert reply["ok"] is False and reply["code"] == "bad_command", reply
    assert c.reply()["events"][-1]["ticket"] == "A001"
    assert svc.status.issued_today == 1


def test_an_over_long_line_on_a_kept_connection_is_refused_and_closes_it(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw],
        svc: KioskService) -> None:
    server = serve(idle_timeout=60)
    c = raw(server.path)
    c.send(KEEP + b'{"cmd": "issue", "args": {"service": "A"}}' + b" " * MAX_LINE + b"\n")
    assert c.reply()["keep_open"] is True
    reply = c.reply()
    assert reply["code"] == "bad_command" and "64 KiB" in reply["params"]["detail"]
    assert c.rest() == b""
    assert svc.status.issued_today == 0


def test_kept_connections_count_against_the_cap(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    server = serve(max_clients=2, idle_timeout=60)
    held = [raw(server.path), raw(server.path)]
    for c in held:
        c.send(KEEP)
        assert c.reply()["keep_open"] is True
    assert server.active == 2
    third = raw(server.path)
    with contextlib.suppress(BrokenPipeError):  # refused at once, before it was read
        third.send(KEEP)
    reply = third.reply()
    assert reply["ok"] is False and reply["code"] == "busy"
    held[0].close()
    wait_for(lambda: server.active == 1, timeout=15)
    with Connection(server.path) as conn:  # gets the freed place
        assert conn.request({"cmd": "status"})["ok"]


def test_a_peer_with_another_uid_cannot_keep_a_connection(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    server = serve(allowed_uids=frozenset({os.geteuid() + 4242}))
    c = raw(server.path)
    with contextlib.suppress(BrokenPipeError):  # refused at once, before it was read
        c.send(KEEP + ISSUE_A)
    assert c.reply()["code"] == "not_permitted"
    with pytest.raises(ProtocolError, match="would not keep"):
        Connection(server.path).open()


def test_a_connection_closed_for_idleness_is_reopened_by_the_client(
        serve: Callable[..., ControlServer]) -> None:
    server = serve(idle_timeout=0.3)
    with Connection(server.path) as conn:
        assert conn.idle_timeout == 0.3
        assert conn.request({"cmd": "issue", "args": {"service": "A"}})["ok"]
        wait_for(lambda: server.active == 0, timeout=15)  # the server closed it
        reply = conn.request({"cmd": "issue", "args": {"service": "A"}})
        assert reply["events"][-1]["ticket"] == "A002"


def test_stopping_the_server_ends_kept_connections_at_once(
        serve: Callable[..., ControlServer], raw: Callable[[Path], Raw]) -> None:
    server = serve(idle_timeout=60)
    c = raw(server.path)
    c.send(KEEP)
    assert c.reply()["keep_open"] is True
    server.stop()
    assert c.rest() == b""  # end of stream well before the 60 s idle timeout
