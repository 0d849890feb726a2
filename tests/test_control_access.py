"""Who and what the control socket lets in: only a stale socket is ever removed at its
path, its directory must be private, each peer's uid is checked, and a burst of clients
waits in the listen queue instead of failing."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.control import BACKLOG, ControlServer, request
from kiosk.errors import SocketPathError
from kiosk.service import KioskService
from kiosk.store import Store
from tests.kiosk_proc import KioskProcess, write_config


def private_dir(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    d.mkdir(mode=0o700)
    return d


# --- the socket path ------------------------------------------------------------------


def test_a_regular_file_at_the_socket_path_is_left_alone(svc: KioskService,
                                                         tmp_path: Path) -> None:
    db = private_dir(tmp_path) / "kiosk.db"
    db.write_bytes(b"SQLite format 3\0precious")
    with pytest.raises(SocketPathError, match="not a socket") as err:
        ControlServer(db, svc)
    assert str(db) in str(err.value)
    assert db.read_bytes() == b"SQLite format 3\0precious"


def test_a_directory_at_the_socket_path_is_left_alone(svc: KioskService,
                                                      tmp_path: Path) -> None:
    d = private_dir(tmp_path) / "control.sock"
    d.mkdir()
    (d / "keep").write_text("x")
    with pytest.raises(SocketPathError, match="not a socket"):
        ControlServer(d, svc)
    assert (d / "keep").read_text() == "x"


def test_a_dangling_symlink_is_a_clear_error(svc: KioskService, tmp_path: Path) -> None:
    link = private_dir(tmp_path) / "control.sock"
    link.symlink_to(tmp_path / "nowhere" / "x.sock")
    with pytest.raises(SocketPathError, match="symbolic link") as err:
        ControlServer(link, svc)
    assert str(link) in str(err.value)
    assert link.is_symlink()


def test_a_symlink_to_the_database_is_refused_and_the_database_kept(
        svc: KioskService, tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    db.write_bytes(b"precious")
    link = private_dir(tmp_path) / "control.sock"
    link.symlink_to(db)
    with pytest.raises(SocketPathError, match="symbolic link"):
        ControlServer(link, svc)
    assert link.is_symlink() and db.read_bytes() == b"precious"


def test_a_stale_socket_is_replaced(serve: Callable[..., ControlServer],
                                    tmp_path: Path) -> None:
    path = private_dir(tmp_path) / "control.sock"
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(path))  # a crash leaves the file with nobody listening
    left.close()
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    server = serve(path)
    assert request(server.path, {"cmd": "status"})["ok"]


def test_a_live_socket_is_not_taken_over(serve: Callable[..., ControlServer],
                                         svc: KioskService, tmp_path: Path) -> None:
    path = private_dir(tmp_path) / "control.sock"
    first = serve(path)
    with pytest.raises(SocketPathError, match="already serving"):
        ControlServer(path, svc)
    assert request(first.path, {"cmd": "status"})["ok"]


def test_kiosk_run_with_the_database_as_socket_keeps_the_database(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    k = KioskProcess(cfg).start()
    try:
        assert k.ask("issue", service="A")["ok"]
    finally:
        assert k.terminate() == 0
    db = tmp_path / "kiosk.db"
    before = db.read_bytes()
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config",
                        str(cfg), "--socket", str(db)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert str(db) in r.stderr and "not a socket" in r.stderr
    assert "Traceback" not in r.stderr
    assert db.exists() and db.read_bytes() == before
    store = Store(db)
    try:
        assert [e.ticket for e in store.events() if e.type == "issued"] == ["A001"]
    finally:
        store.close()


# --- the socket directory -------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702, 0o1777], ids=lambda m: f"{m:04o}")
def test_a_directory_others_can_write_is_refused(svc: KioskService, tmp_path: Path,
                                                 mode: int) -> None:
    d = tmp_path / "shared"
    d.mkdir()
    d.chmod(mode)
    with pytest.raises(SocketPathError, match="writable by other users") as err:
        ControlServer(d / "control.sock", svc)
    assert str(d) in str(err.value)
    assert not (d / "control.sock").exists()


def test_a_missing_directory_is_created_private(serve: Callable[..., ControlServer],
                                                tmp_path: Path) -> None:
    server = serve(tmp_path / "new" / "run" / "control.sock")
    assert stat.S_IMODE(os.stat(server.path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(server.path).st_mode) & 0o077 == 0
    assert request(server.path, {"cmd": "status"})["ok"]


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_directory_owned_by_another_user_is_refused(svc: KioskService,
                                                      tmp_path: Path) -> None:
    d = tmp_path / "theirs"
    d.mkdir(mode=0o700)
    os.chown(d, 65534, 65534)
    with pytest.raises(SocketPathError, match="another user"):
        ControlServer(d / "control.sock", svc)


# --- the peer's uid -------------------------------------------------------------------


def test_a_peer_with_another_uid_is_refused_politely(
        serve: Callable[..., ControlServer], svc: KioskService, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.control")
    others = frozenset({os.geteuid() + 4242})  # as if this test ran as a stranger
    server = serve(private_dir(tmp_path) / "control.sock", allowed_uids=others)
    reply = request(server.path, {"cmd": "issue", "args": {"service": "A"}})
    assert reply["ok"] is False and reply["code"] == "not_permitted"
    assert "抱歉" in reply["message_zh"] and "Sorry" in reply["message_en"]
    assert svc.status.issued_today == 0
    assert any(f"uid {os.geteuid()}" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_a_real_other_user_is_refused_even_if_the_socket_mode_lets_it_in(
        serve: Callable[..., ControlServer], svc: KioskService) -> None:
    # /tmp/pytest-of-root is closed to others, so this one test uses a dir others can enter
    d = Path(tempfile.mkdtemp(prefix="kiosk-peer-"))
    try:
        d.chmod(0o755)
        server = serve(d / "control.sock")
        server.path.chmod(0o666)  # a mistake in the socket's mode: SO_PEERCRED still holds
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: become nobody, ask for a ticket, report the reply
            try:
                os.close(r)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(10)
                    s.connect(str(server.path))
                    with contextlib.suppress(OSError):  # refused before it was read
                        s.sendall(b'{"cmd": "issue", "args": {"service": "A"}}\n')
                    os.write(w, s.makefile("rb").readline())
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            got = pipe.read()
        os.waitpid(pid, 0)
        reply = json.loads(got)
        assert reply["ok"] is False and reply["code"] == "not_permitted"
        assert svc.status.issued_today == 0
        assert request(server.path, {"cmd": "status"})["ok"]  # we (root) still get in
    finally:
        for p in d.iterdir():
            p.unlink()
        d.rmdir()


# --- bursts of clients ----------------------------------------------------------------


def test_a_burst_waits_in_the_listen_queue(svc: KioskService, tmp_path: Path) -> None:
    # the server is built (listening) but not yet accepting: every connect must queue
    server = ControlServer(private_dir(tmp_path) / "control.sock", svc)
    socks = []
    try:
        for _ in range(min(BACKLOG, 128)):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            socks.append(s)
            s.connect(str(server.path))  # BlockingIOError (EAGAIN) once the queue is full
    finally:
        for s in socks:
            s.close()
        server.stop()
