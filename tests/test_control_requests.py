"""Hostile and broken requests on the control socket: every one gets a one-line JSON
``bad_command`` reply, nothing is coerced, and the service keeps serving."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.control import MAX_LINE, ControlServer, request
from kiosk.service import KioskService
from tests.support import raw_exchange, wait_for


@pytest.fixture
def server(serve: Callable[..., ControlServer]) -> ControlServer:
    return serve()


def one_reply(server: ControlServer, data: bytes) -> dict[str, Any]:
    lines = raw_exchange(server.path, data)
    assert len(lines) == 1, f"expected one reply line, got {lines!r:.300}"
    reply = json.loads(lines[0])
    assert isinstance(reply, dict)
    return reply


def assert_bad(reply: dict[str, Any]) -> None:
    assert reply["ok"] is False and reply["code"] == "bad_command", reply
    assert reply["message_zh"] and reply["message_en"]


DEEP = 100_000
BAD_LINES = {
    "cmd is a list": b'{"cmd": ["status"]}',
    "cmd is an object": b'{"cmd": {"a": 1}}',
    "1e999 as a counter": b'{"cmd": "call-next", "args": {"counter": 1e999}}',
    "1e999 alone": b"1e999",
    "5000-digit counter": b'{"cmd": "call-next", "args": {"counter": ' + b"9" * 5000 + b"}}",
    "deep arrays in args": b'{"cmd": "status", "args": {"x": ' + b"[" * DEEP + b"]" * DEEP
                           + b"}}",
    "deep objects in args": b'{"cmd": "status", "args": {"x": ' + b'{"a":' * DEEP + b"1"
                            + b"}" * DEEP + b"}}",
    "deep arrays alone": b"[" * DEEP + b"]" * DEEP,
    "NaN counter": b'{"cmd": "call-next", "args": {"counter": NaN}}',
    "args is a list": b'{"cmd": "status", "args": [1]}',
    "unknown top-level key": b'{"cmd": "status", "sudo": true}',
    "not UTF-8": b"\xff\xfe\xfd",
    "a bare string": b'"status"',
    "null": b"null",
    "empty line": b"",
    "service is a number": b'{"cmd": "issue", "args": {"service": 1}}',
    "service is huge": b'{"cmd": "issue", "args": {"service": "' + b"A" * 5000 + b'"}}',
    "reason with a newline": b'{"cmd": "pause", "args": {"counter": 1, "reason": "a\\nb"}}',
    "day is not a date": b'{"cmd": "events", "args": {"day": "2026-13-45"}}',
    "day is a path": b'{"cmd": "events", "args": {"day": "../../etc/passwd"}}',
    "unknown argument": b'{"cmd": "status", "args": {"verbose": 1}}',
    "unknown command": b'{"cmd": "drop-tables"}',
    "missing argument": b'{"cmd": "call-next", "args": {}}',
}


@pytest.mark.parametrize("line", list(BAD_LINES.values()), ids=list(BAD_LINES))
def test_every_bad_request_gets_one_bad_command_line(server: ControlServer,
                                                     line: bytes) -> None:
    assert_bad(one_reply(server, line + b"\n"))
    assert request(server.path, {"cmd": "status"})["ok"]


@pytest.mark.parametrize("counter", [3.9, 3.0, " 3 ", "3", "３", "0_3", True, -3, 0, 1000,
                                     2**63, [3], {"id": 3}],
                         ids=repr)
def test_counters_are_never_coerced(server: ControlServer, svc: KioskService,
                                    counter: Any) -> None:
    assert request(server.path, {"cmd": "issue", "args": {"service": "A"}})["ok"]
    reply = request(server.path, {"cmd": "call-next", "args": {"counter": counter}})
    assert_bad(reply)
    assert all(c.current is None for c in svc.status.counters), "a counter was called"


def test_a_real_integer_counter_is_accepted(server: ControlServer) -> None:
    assert request(server.path, {"cmd": "issue", "args": {"service": "A"}})["ok"]
    reply = request(server.path, {"cmd": "call-next", "args": {"counter": 1}})
    assert reply["ok"] and reply["events"][-1]["ticket"] == "A001"


def test_report_device_is_not_accepted_on_the_socket(server: ControlServer,
                                                     svc: KioskService) -> None:
    reply = request(server.path, {"cmd": "report-device",
                                  "args": {"device": "fake", "status": "ok", "detail": "x"}})
    assert_bad(reply)
    assert "report-device" in reply["params"]["detail"]
    assert "fake" not in request(server.path, {"cmd": "status"})["status"]["devices"]
    assert "fake" not in svc.status.devices


def test_an_over_long_line_is_refused_not_half_parsed(server: ControlServer,
                                                      svc: KioskService) -> None:
    # the first 64 KiB alone are a valid request: reading only them would issue a ticket
    line = b'{"cmd": "issue", "args": {"service": "A"}}' + b" " * (MAX_LINE + 100) + b"\n"
    reply = one_reply(server, line)
    assert_bad(reply)
    assert "64 KiB" in reply["params"]["detail"]
    assert svc.status.issued_today == 0
    assert request(server.path, {"cmd": "status"})["ok"]


def test_idle_half_lines_are_timed_out(serve: Callable[..., ControlServer]) -> None:
    server = serve(idle_timeout=0.5)
    conns = []
    try:
        for _ in range(36):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(15)  # hang detection only
            s.connect(str(server.path))
            s.sendall(b'{"cmd": "sta')
            conns.append(s)
        for s in conns:
            lines = s.makefile("rb").read().splitlines()  # read to EOF: the server closed
            assert len(lines) == 1
            reply = json.loads(lines[0])
            assert_bad(reply)
            assert "within" in reply["params"]["detail"]
    finally:
        for s in conns:
            s.close()
    wait_for(lambda: server.active == 0, timeout=15)
    assert request(server.path, {"cmd": "status"})["ok"]


def test_connections_are_capped_and_extra_ones_told_to_retry(
        serve: Callable[..., ControlServer]) -> None:
    server = serve(max_clients=4, idle_timeout=60)
    idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(4)]
    done: list[dict[str, Any]] = []
    try:
        for s in idle:
            s.connect(str(server.path))
        wait_for(lambda: server.active == 4, timeout=15)
        reply = one_reply(server, b'{"cmd": "status"}\n')
        assert reply["ok"] is False and reply["code"] == "busy", reply
        assert "稍候" in reply["message_zh"]
        # the client library retries a busy reply, so it gets through once a place frees
        t = threading.Thread(
            target=lambda: done.append(request(server.path, {"cmd": "status"})))
        t.start()
    finally:
        for s in idle:
            s.close()
    t.join(15)
    assert done and done[0]["ok"]


def test_a_client_that_hangs_up_early_costs_one_log_line_not_a_traceback(
        server: ControlServer, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.control")
    for _ in range(20):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(server.path))
            s.sendall(b'{"cmd": "issue", "args": {"service": "A"}}\n')
    wait_for(lambda: server.active == 0, timeout=15)
    assert request(server.path, {"cmd": "status"})["ok"]
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert any("went away" in r.getMessage() for r in caplog.records)
