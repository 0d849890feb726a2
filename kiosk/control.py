"""The local control socket: how staff and scripts on the device talk to the service.

Protocol: one JSON object per line each way, over a Unix stream socket that only the
kiosk's user (and root) may use. A request is ``{"cmd": "call-next", "args": {"counter":
3}}``; the reply is ``{"ok": true, "events": [...], "status": {...}}`` or ``{"ok": false,
"code": ..., "message_zh": ..., "message_en": ...}``. Commands go through the same queue as
buttons, touch and MQTT; ``events`` is read from the store's own read-only connection on
the client's thread, so a long day never holds up the next ticket.

Defences, because anything on the device can open the socket file:

* the socket is born 0600 in a directory that must not be group- or world-writable, and
  each peer's uid (``SO_PEERCRED``) must be the kiosk's own or root;
* only a stale *socket* is ever removed at start: any other file, or a symbolic link, at
  the path is an error that names it;
* one request line of at most :data:`MAX_LINE` bytes, read within the idle timeout, is
  validated strictly (:func:`kiosk.commands.from_wire`); every bad request gets a one-line
  ``bad_command`` reply;
* at most :data:`MAX_CLIENTS` connections are served at once; others get ``busy``
  (which :func:`kiosk.control_client.request` retries briefly).

``actions`` adds device-level requests that are not queue commands (none today: drivers
may offer some through :class:`kiosk.ports.DriverParts`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import stat
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from kiosk import commands as c
from kiosk import messages
from kiosk.control_client import BUSY, request
from kiosk.core import Rejected
from kiosk.errors import KioskError, ProtocolError, SocketPathError
from kiosk.service import Accepted, KioskService

log = logging.getLogger(__name__)
MAX_LINE = 64 * 1024  # bytes in one request line, newline included
MAX_DRAIN = 1024 * 1024  # bytes of an over-long line read and dropped so its reply arrives
MAX_CLIENTS = 64  # connections served at once; each holds a thread
BACKLOG = 256  # connections the kernel queues before connect() fails with EAGAIN
IDLE_TIMEOUT = 10.0  # s a client may take to send its line or read its reply
REPLY_TIMEOUT = 15.0

Action = Callable[[dict[str, Any]], dict[str, Any]]


class _Request(msgspec.Struct, forbid_unknown_fields=True):
    cmd: str
    args: dict[str, Any] | None = None


# msgspec refuses what json.loads lets through: NaN/Infinity, 1e999, integers past 64 bits
_decode = msgspec.json.Decoder(_Request).decode


def rejected_reply(r: Rejected) -> dict[str, Any]:
    m = messages.rejection(r)
    return {"ok": False, "code": r.code, "message_zh": m.zh, "message_en": m.en,
            "params": r.params}


def accepted_reply(a: Accepted) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": True, "events": [e.to_dict() for e in a.events],
                           "status": a.status.to_dict()}
    if a.data is not None:
        out["data"] = [e.to_dict() for e in a.data]
    return out


def _error_reply(code: str, detail: str = "") -> dict[str, Any]:
    return rejected_reply(Rejected(code, {"detail": detail} if code == "bad_command" else {}))


def _encode(reply: dict[str, Any]) -> bytes:
    return json.dumps(reply, ensure_ascii=False).encode() + b"\n"


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (Linux ``SO_PEERCRED``)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def setup(self) -> None:
        # StreamRequestHandler.setup() applies ``timeout`` to the connection; it is a
        # class attribute there, set per connection here from the server's setting
        self.timeout = self.server.idle_timeout  # type: ignore[misc]  # per connection, see above
        super().setup()

    def handle(self) -> None:
        try:
            line = self.rfile.readline(MAX_LINE + 1)
        except TimeoutError:
            log.info("control client sent no complete request within %.0f s; closing",
                     self.server.idle_timeout)
            self._send(_error_reply("bad_command", f"no complete request line within "
                                    f"{self.server.idle_timeout:.0f} s"))
            return
        except OSError as exc:
            log.info("control client went away before its request: %s", exc)
            return
        if not line:
            return
        if len(line) > MAX_LINE:
            self._send(_error_reply("bad_command", f"request line longer than "
                                    f"{MAX_LINE // 1024} KiB"))
            self._drain()
            return
        self._send(self.server.answer(line))

    def _send(self, reply: dict[str, Any]) -> None:
        try:
            self.wfile.write(_encode(reply))
        except OSError as exc:  # the client hung up or stopped reading: its loss, not ours
            log.info("control client went away before its reply: %s", exc)

    def _drain(self) -> None:
        """Read and drop the rest of an over-long line, so that closing the connection does
        not reset it before the client has read the error reply."""
        left = MAX_DRAIN
        with contextlib.suppress(OSError):
            while left > 0:
                chunk = self.rfile.readline(min(left, 65536))
                if not chunk or chunk.endswith(b"\n"):
                    return
                left -= len(chunk)


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, path: str, service: KioskService, actions: dict[str, Action],
                 max_clients: int, idle_timeout: float, allowed_uids: frozenset[int]) -> None:
        self.service, self.actions = service, actions
        self.idle_timeout = idle_timeout
        self.allowed_uids = allowed_uids
        self.max_clients = max_clients
        self._slots = threading.BoundedSemaphore(max_clients)
        self._active = 0
        self._active_lock = threading.Lock()
        super().__init__(path, _Handler)

    @property
    def active(self) -> int:
        """Connections being served right now."""
        return self._active

    def process_request(self, request: Any, client_address: Any) -> None:
        # Runs on the accepting thread: cheap checks and a short reply only, never a read.
        try:
            uid = peer_uid(request)
        except OSError as exc:
            log.info("control client vanished before it could be checked: %s", exc)
            self.shutdown_request(request)
            return
        if uid not in self.allowed_uids:
            log.warning("control socket: refused a client running as uid %d (allowed: %s)",
                        uid, ", ".join(map(str, sorted(self.allowed_uids))))
            self._refuse(request, "not_permitted")
            return
        if not self._slots.acquire(blocking=False):
            log.info("control socket: %d clients already connected; told one more to retry",
                     self.max_clients)
            self._refuse(request, BUSY)
            return
        with self._active_lock:
            self._active += 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._active_lock:
            self._active -= 1
        self._slots.release()

    def _refuse(self, request: socket.socket, code: str) -> None:
        try:
            request.settimeout(1.0)  # a fresh connection's send buffer is empty: no wait
            request.sendall(_encode(_error_reply(code)))
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver's default prints a full traceback to stderr for every hiccup
        log.exception("control request failed")

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            req = _decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return _error_reply("bad_command", str(exc)[:200])
        except RecursionError:
            return _error_reply("bad_command", "the request is nested too deeply")
        name, args = req.cmd, req.args or {}
        if name in self.actions:
            try:
                return self.actions[name](args)
            except Exception as exc:
                log.exception("action %s failed", name)
                return _error_reply("bad_command", f"{name}: {exc}")
        try:
            cmd = c.from_wire({"cmd": name, "args": args}, allowed=c.SOCKET_COMMANDS)
        except ProtocolError as exc:
            return _error_reply("bad_command", str(exc))
        if isinstance(cmd, c.GetEvents):
            return self._events(cmd)
        try:
            result = self.service.submit(cmd, "cli").result(timeout=REPLY_TIMEOUT)
        except TimeoutError:
            return _error_reply("service_unavailable")
        except KioskError as exc:
            log.error("command failed: %s", exc)
            return _error_reply("service_unavailable")
        if isinstance(result, Rejected):
            return rejected_reply(result)
        return accepted_reply(result)

    def _events(self, cmd: c.GetEvents) -> dict[str, Any]:
        # On this client's thread, from the store's read-only connection: a day with tens
        # of thousands of events must not hold up the worker that issues tickets.
        try:
            events = self.service.read_events(cmd.day)
        except Exception:
            log.exception("reading the events of %s failed", cmd.day or "today")
            return _error_reply("service_unavailable")
        return accepted_reply(Accepted([], self.service.status, data=events))


def _private_dir(directory: Path) -> None:
    """Make sure only the kiosk's user (or root) can add, replace or remove the socket."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = os.stat(directory)
    except OSError as exc:
        raise SocketPathError(f"cannot use {directory} for the control socket: "
                              f"{exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SocketPathError(f"{directory} is not a directory")
    if st.st_uid not in (os.geteuid(), 0):
        raise SocketPathError(
            f"the control socket directory {directory} belongs to another user (uid "
            f"{st.st_uid}); use a directory owned by the kiosk's user, such as "
            "/run/counter-kiosk")
    if st.st_mode & 0o022:
        raise SocketPathError(
            f"the control socket directory {directory} is writable by other users (mode "
            f"{stat.S_IMODE(st.st_mode):04o}), so they could replace the socket; run "
            f"'chmod go-w {directory}' or choose a private directory")


def _clear_stale(path: Path) -> None:
    """Remove a socket left by a crash or power cut; refuse to touch anything else."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        raise SocketPathError(
            f"the control socket path {path} is a symbolic link (to {target}); nothing was "
            "removed. Point the socket setting at a path in a private directory")
    if not stat.S_ISSOCK(st.st_mode):
        raise SocketPathError(
            f"{path} exists and is not a socket; nothing was removed. Choose another path "
            "for the control socket (is it the database or a directory?)")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except ConnectionRefusedError:
        log.info("removing the stale control socket %s", path)
        path.unlink()  # a socket nobody listens on: a leftover from a crash or power cut
        return
    except OSError as exc:
        raise SocketPathError(f"cannot check the existing socket {path}: {exc.strerror}") \
            from None
    finally:
        probe.close()
    # Not "unreachable" (exit 3): the path is taken by a live kiosk, and a restart will
    # not change that. Stop the other kiosk or give this one its own socket.
    raise SocketPathError(f"another kiosk is already serving {path}; stop it, or give this "
                          "kiosk its own socket (--socket or control.socket)")


class ControlServer:
    """Serve the control socket at ``path`` on a background thread.

    ``allowed_uids`` defaults to the kiosk's own uid and root.
    """

    def __init__(self, path: Path, service: KioskService,
                 actions: dict[str, Action] | None = None, *, max_clients: int = MAX_CLIENTS,
                 idle_timeout: float = IDLE_TIMEOUT,
                 allowed_uids: frozenset[int] | None = None) -> None:
        self.path = Path(path)
        _private_dir(self.path.parent)
        _clear_stale(self.path)
        uids = allowed_uids if allowed_uids is not None else frozenset({os.geteuid(), 0})
        old = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            self._server = _Server(str(self.path), service, dict(actions or {}), max_clients,
                                   idle_timeout, uids)
        finally:
            os.umask(old)
        # a short poll: stop() waits up to one interval for the accept loop to notice
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,),
                                        name="control", daemon=True)

    @property
    def active(self) -> int:
        """Connections being served right now (for tests and health checks)."""
        return self._server.active

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits forever for a loop never started
            self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


__all__ = ["ControlServer", "accepted_reply", "peer_uid", "rejected_reply", "request"]
