"""The local control socket: how staff, scripts and the screens on the device talk to the
service.

Protocol: one JSON object per line each way, over a Unix stream socket that only the
kiosk's user (and root) may use. A request is ``{"cmd": "call-next", "args": {"counter":
3}}``; the reply is ``{"ok": true, "events": [...], "status": {...}}`` or ``{"ok": false,
"code": ..., "message_zh": ..., "message_en": ...}``. Commands go through the same queue as
buttons, touch and MQTT; ``events`` is read from the store's own read-only connection on
the client's thread, so a long day never holds up the next ticket.

A connection carries one request and is closed after its reply, as it always was, so a
client that reads until the end of the stream keeps working. Two requests change that:

* ``{"cmd": "keep-open"}`` (answered ``{"ok": true, "keep_open": true, "idle_timeout_s":
  10.0}``): the connection then stays open for any number of requests, answered one line
  each, in order (they may be sent ahead: pipelined). Each line must arrive complete
  within the idle timeout of the previous reply. A connection idle that long with
  nothing sent is closed **silently**: an unasked notice could be read as the reply to
  a request crossing it on the wire; a client sees the end of the stream and reconnects
  (:class:`kiosk.control_client.Connection` does this by itself). Half a line at the
  deadline still gets its ``bad_command`` reply before the close.
* ``{"cmd": "watch"}``: the server sends ``{"ok": true, "watch": "status", "status":
  {...}}``, then ``{"event": {...}, "status": {...}}`` for every committed event, in
  commit order, pushed as it happens, until the client closes the connection. Nothing
  more is read from it (anything sent is dropped). A watch has no idle timeout but holds
  one of the :data:`MAX_CLIENTS` places; at most half of them go to watches (others are
  told ``busy``), so commands always find a place. Events come from :class:`kiosk.watch.WatchHub`,
  one subscriber of the service, through a bounded queue per watcher: a watcher
  :data:`~kiosk.watch.WATCH_QUEUE` events behind, or whose socket stays full for
  :data:`WATCH_SEND_TIMEOUT`, is disconnected, with a ``watch_behind`` notice line if
  there is room for it; one that is stopping gets a ``stopping`` notice. Neither the
  worker nor the other watchers ever wait for it.

Defences, because anything on the device can open the socket file:

* the socket is born 0600 in a directory that must not be group- or world-writable, and
  each peer's uid (``SO_PEERCRED``) must be the kiosk's own or root;
* only a stale *socket* is ever removed at start: any other file, or a symbolic link, at
  the path is an error that names it;
* each request line of at most :data:`MAX_LINE` bytes, complete within the idle timeout,
  is validated strictly (:func:`kiosk.commands.from_wire`); every bad request gets a
  one-line ``bad_command`` reply; an over-long line also closes the connection;
* at most :data:`MAX_CLIENTS` connections are served at once, watches included; others
  get ``busy`` (which :func:`kiosk.control_client.request` retries briefly);
* a client that hangs up early costs a log line, never a traceback.

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
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from kiosk import commands as c
from kiosk import messages
from kiosk.control_client import BUSY, request
from kiosk.core import Rejected
from kiosk.errors import KioskError, ProtocolError, SocketPathError
from kiosk.service import Accepted, KioskService

if TYPE_CHECKING:
    from kiosk.watch import Watcher, WatchHub

log = logging.getLogger(__name__)
MAX_LINE = 64 * 1024  # bytes in one request line, newline included
MAX_DRAIN = 1024 * 1024  # bytes of an over-long line read and dropped so its reply arrives
MAX_CLIENTS = 64  # connections served at once; each holds a thread
BACKLOG = 256  # connections the kernel queues before connect() fails with EAGAIN
IDLE_TIMEOUT = 10.0  # s a client may take to send its next line or read its reply
REPLY_TIMEOUT = 15.0
WATCH_SEND_TIMEOUT = 5.0  # s a watcher may leave its socket full before it is dropped
WATCH_POLL = 0.5  # s between checks that a quiet watcher is still there
NOTICE_TIMEOUT = 0.2  # s spent trying to tell a dropped watcher why
KEEP_OPEN, WATCH = "keep-open", "watch"  # requests the socket answers itself

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
    data = reply.get("data")
    if not isinstance(data, list) or len(data) < 256:
        return json.dumps(reply, ensure_ascii=False).encode() + b"\n"
    # A busy day's events run to megabytes. One dumps() call is one C call that holds the
    # GIL for its whole length, stalling the worker that issues tickets; encoded item by
    # item, the other threads get their turns in between.
    head = json.dumps({k: v for k, v in reply.items() if k != "data"}, ensure_ascii=False)
    items = ", ".join([json.dumps(d, ensure_ascii=False) for d in data])
    return f'{head[:-1]}, "data": [{items}]}}\n'.encode()


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (Linux ``SO_PEERCRED``)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class _TooLong(Exception):
    """A request line longer than :data:`MAX_LINE`."""


class _Lines:
    """Complete request lines from one connection, each due within a deadline.

    Our own buffer rather than ``socket.makefile``: a file object's buffer is undefined
    after a timeout, and the server must know whether a timed-out client had sent half a
    line (it gets a reply) or nothing (it is closed silently).
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self._scanned = 0  # bytes of ``buf`` already known to hold no newline

    @property
    def pending(self) -> bool:
        """True while part of a request line has arrived."""
        return bool(self.buf)

    def next(self, within: float) -> bytes | None:
        """The next line, newline included, due within ``within`` s of now; at the end of
        the input, what is left (a last line without its newline, as one-shot clients may
        send it), then None. Raises TimeoutError or :class:`_TooLong`."""
        deadline = time.monotonic() + within
        while True:
            i = self.buf.find(b"\n", self._scanned)
            if i >= 0:
                if i + 1 > MAX_LINE:
                    raise _TooLong
                out = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                self._scanned = 0
                return out
            self._scanned = len(self.buf)
            if len(self.buf) >= MAX_LINE:  # no newline yet: the line can only be longer
                raise _TooLong
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                rest = bytes(self.buf)
                self.buf.clear()
                self._scanned = 0
                return rest or None
            self.buf += chunk

    def drain(self) -> None:
        """Drop the rest of an over-long line (at most :data:`MAX_DRAIN` bytes), so that
        closing the connection does not reset it before the client has read the error."""
        if b"\n" in self.buf:
            return
        left = MAX_DRAIN
        with contextlib.suppress(OSError):
            self.sock.settimeout(1.0)
            while left > 0:
                chunk = self.sock.recv(65536)
                if not chunk or b"\n" in chunk:
                    return
                left -= len(chunk)


class _Handler(socketserver.BaseRequestHandler):
    """One connection: requests in order, one reply line each.

    The connection closes after one reply unless the client asked for ``keep-open``;
    ``watch`` turns it into an event stream until the client closes it.
    """

    server: _Server
    request: socket.socket

    def handle(self) -> None:
        self.server.track(self.request, None)
        try:
            self._serve()
        finally:
            self.server.untrack(self.request)

    def _serve(self) -> None:
        lines = _Lines(self.request)
        keep = False
        idle = self.server.idle_timeout
        while True:
            try:
                line = lines.next(idle)
            except TimeoutError:
                if lines.pending:
                    log.info("control client sent no complete request within %.0f s; "
                             "closing", idle)
                    self._send(_error_reply("bad_command", f"no complete request line "
                                            f"within {idle:.0f} s"))
                else:  # between requests: a notice could pass for the reply to the next
                    log.debug("control connection idle for %.0f s; closed", idle)
                return
            except _TooLong:
                self._send(_error_reply("bad_command", f"request line longer than "
                                        f"{MAX_LINE // 1024} KiB"))
                lines.drain()
                return
            except OSError as exc:
                log.info("control client went away before its request: %s", exc)
                return
            if line is None or self.server.closing:
                return
            req = self.server.parse(line)
            if isinstance(req, dict):
                reply = req
            elif req.cmd == WATCH:
                self._watch()
                return
            elif req.cmd == KEEP_OPEN:
                keep = True
                reply = {"ok": True, "keep_open": True, "idle_timeout_s": idle}
            else:
                reply = self.server.answer_request(req)
            if not self._send(reply) or not keep:
                return

    def _send(self, reply: dict[str, Any]) -> bool:
        try:
            self.request.settimeout(self.server.idle_timeout)
            self.request.sendall(_encode(reply))
        except OSError as exc:  # the client hung up or stopped reading: its loss, not ours
            log.info("control client went away before its reply: %s", exc)
            return False
        return True

    # --- the watch stream ----------------------------------------------------------------

    def _watch(self) -> None:
        hub = self.server.watch
        if hub is None:
            self._send(_error_reply("bad_command", "watch is not offered on this socket"))
            return
        # Watches last for hours: if they could fill every place, a clerk's command or
        # the touchscreen's next request would be told "busy" for good.
        if not self.server.watch_slots.acquire(blocking=False):
            log.info("control socket: %d watches already open; told one more to retry",
                     self.server.max_watches)
            self._send(_error_reply(BUSY))
            return
        try:
            watcher, status = hub.join()
            self.server.track(self.request, watcher)
            try:
                if self._send({"ok": True, "watch": "status", "status": status.to_dict()}):
                    self._stream(watcher)
            finally:
                hub.leave(watcher)
        finally:
            self.server.watch_slots.release()

    def _stream(self, watcher: Watcher) -> None:
        while True:
            data = watcher.next(WATCH_POLL)
            if data is None:
                if watcher.stopped:
                    self._farewell(watcher, b"")
                    return
                if self._hung_up():
                    log.info("a watcher closed its connection")
                    return
                continue
            how, rest = self._write(data, watcher, self.server.watch_send_timeout)
            if how == "stopped":  # behind or closing, possibly in the middle of a line
                self._farewell(watcher, rest)
                return
            if how == "slow":
                log.warning("a watcher read nothing for %.0f s; disconnected it",
                            self.server.watch_send_timeout)
                return
            if how == "gone":
                log.info("a watcher went away")
                return

    def _write(self, data: bytes, watcher: Watcher | None, limit: float) -> tuple[str, bytes]:
        """Send ``data`` within ``limit`` s, in slices, so that a watcher marked behind or
        closed is noticed while its socket is full. Returns how it went ("sent", "slow",
        "gone", "stopped") and the bytes not sent."""
        view = memoryview(data)
        deadline = time.monotonic() + limit
        while view:
            if watcher is not None and watcher.stopped:
                return "stopped", bytes(view)
            left = deadline - time.monotonic()
            if left <= 0:
                return "slow", bytes(view)
            self.request.settimeout(min(WATCH_POLL, left))
            try:
                view = view[self.request.send(view):]
            except TimeoutError:
                continue
            except OSError:
                return "gone", bytes(view)
        return "sent", b""

    def _farewell(self, watcher: Watcher, rest: bytes) -> None:
        """The last words to a watcher: the rest of a line begun, then a notice saying why
        it ends, if they fit within :data:`NOTICE_TIMEOUT` (a watcher that stopped reading
        has a full socket and is not worth waiting for)."""
        if watcher.behind:
            log.warning("a watcher fell %d events behind; disconnected it",
                        watcher.queue.maxsize)
            notice = rejected_reply(Rejected("watch_behind", {"events": watcher.queue.maxsize}))
        else:
            notice = rejected_reply(Rejected("stopping"))
        self._write(rest + _encode(notice), None, NOTICE_TIMEOUT)

    def _hung_up(self) -> bool:
        """True if the watching client has closed; anything it sent is read and dropped."""
        # non-blocking for the look: with a timeout set, Python waits for data first
        self.request.settimeout(0.0)
        try:
            for _ in range(16):
                if not self.request.recv(65536):
                    return True
        except BlockingIOError:
            return False
        except OSError:
            return True
        return False


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, path: str, service: KioskService, actions: dict[str, Action],
                 max_clients: int, idle_timeout: float, allowed_uids: frozenset[int],
                 watch: WatchHub | None, watch_send_timeout: float) -> None:
        self.service, self.actions = service, actions
        self.idle_timeout = idle_timeout
        self.watch, self.watch_send_timeout = watch, watch_send_timeout
        self.closing = False
        self._conns: dict[socket.socket, Watcher | None] = {}  # open connections
        self._conns_lock = threading.Lock()
        self.allowed_uids = allowed_uids
        self.max_clients = max_clients
        self._slots = threading.BoundedSemaphore(max_clients)
        # at most half the places for watches, so requests always find one
        self.max_watches = max(1, max_clients // 2)
        self.watch_slots = threading.BoundedSemaphore(self.max_watches)
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

    def track(self, sock: socket.socket, watcher: Watcher | None) -> None:
        with self._conns_lock:
            self._conns[sock] = watcher

    def untrack(self, sock: socket.socket) -> None:
        with self._conns_lock:
            self._conns.pop(sock, None)

    def close_connections(self) -> None:
        """At stop: tell watchers (they send a ``stopping`` notice and close) and end the
        reading side of every other connection, so a client waiting to send its next
        request sees the end at once, while a reply being written still goes out."""
        self.closing = True
        with self._conns_lock:
            conns = list(self._conns.items())
        for sock, watcher in conns:
            if watcher is not None:
                watcher.close()
            else:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)

    def parse(self, line: bytes) -> _Request | dict[str, Any]:
        """The request on ``line``, or the ``bad_command`` reply it gets."""
        try:
            req = _decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return _error_reply("bad_command", str(exc)[:200])
        except RecursionError:
            return _error_reply("bad_command", "the request is nested too deeply")
        if req.cmd in (KEEP_OPEN, WATCH) and req.args:
            return _error_reply("bad_command", f"{req.cmd} takes no arguments")
        return req

    def answer(self, line: bytes) -> dict[str, Any]:
        """The reply to one request line (``keep-open`` and ``watch`` are the handler's)."""
        req = self.parse(line)
        return req if isinstance(req, dict) else self.answer_request(req)

    def answer_request(self, req: _Request) -> dict[str, Any]:
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
                 allowed_uids: frozenset[int] | None = None, watch: WatchHub | None = None,
                 watch_send_timeout: float = WATCH_SEND_TIMEOUT) -> None:
        self.path = Path(path)
        _private_dir(self.path.parent)
        _clear_stale(self.path)
        uids = allowed_uids if allowed_uids is not None else frozenset({os.geteuid(), 0})
        old = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            self._server = _Server(str(self.path), service, dict(actions or {}), max_clients,
                                   idle_timeout, uids, watch, watch_send_timeout)
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
        """Serve; start the service first (its status, rebuilt, is where watches begin)."""
        if self._server.watch is not None:
            self._server.watch.prime(self._server.service.status)
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits forever for a loop never started
            self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


__all__ = ["ControlServer", "accepted_reply", "peer_uid", "rejected_reply", "request"]
