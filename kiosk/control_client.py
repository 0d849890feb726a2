"""The client side of the control socket: one JSON line out, one JSON line back.

* :func:`request`: one request on its own connection (what ``kiosk issue`` does);
* :class:`Connection`: one connection kept open for many requests (a screen, a monitor,
  a benchmark), re-opened by itself if the service closed it while it was idle;
* :func:`watch`: the status, then every committed event as it happens.

Only the standard library and the error tree are imported here, and ``random`` only when a
retry needs it, so ``kiosk status`` starts fast: the server side (:mod:`kiosk.control`)
pulls in the store and the core.

A burst of clients is normal (scripts, several clerks, a screen reconnecting), so a client
retries briefly when the server cannot take it yet: the listen queue is full (``EAGAIN``;
a connect with a timeout is non-blocking), the server answers ``busy`` (it is at its
connection cap, and read nothing of the request), or the socket file exists but nobody
accepts for a moment (a restart). None of these has run the command, so a retry is safe.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from kiosk.errors import ProtocolError, ServiceUnavailableError

RETRY_FOR = 5.0  # s: how long a burst may keep a client waiting for a place
REFUSED_RETRY_FOR = 1.0  # s: a socket file with no listener is usually a stopped kiosk
BUSY = "busy"  # reply code of a server at its connection cap
_T = TypeVar("_T")


class _Again(Exception):
    """The server could not take this request yet; nothing was executed."""

    def __init__(self, why: str, refused: bool = False) -> None:
        super().__init__(why)
        self.refused = refused


def _line(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, ensure_ascii=False).encode() + b"\n"


def _connect(path: Path, timeout: float | None) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except BlockingIOError:
        sock.close()
        raise _Again("the service's listen queue is full") from None
    except ConnectionRefusedError as exc:
        sock.close()
        if os.path.exists(path):
            raise _Again(f"no answer at {path}: {exc.strerror}", refused=True) from None
        raise
    except BaseException:
        sock.close()
        raise
    return sock


class _Reader:
    """Reply lines from one connection (a reply may arrive in pieces, or with the next)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def line(self) -> bytes:
        """The next line, newline included; what is left at the end of the stream (empty
        if nothing); a reset counts as the end."""
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        out, _, self.buf = self.buf.partition(b"\n")
        return out + b"\n"


def _decode(data: bytes) -> dict[str, Any]:
    try:
        reply = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProtocolError("the service sent an unreadable reply") from None
    if not isinstance(reply, dict):
        raise ProtocolError("the service sent an unreadable reply")
    if reply.get("ok") is False and reply.get("code") == BUSY:
        raise _Again("the service is busy with other clients")
    return reply


def _first(sock: socket.socket, msg: dict[str, Any]) -> tuple[dict[str, Any], _Reader]:
    """Send the first request of a fresh connection and read its reply."""
    try:
        sock.sendall(_line(msg))
    except (BrokenPipeError, ConnectionResetError) as exc:
        # A server that refuses a connection (busy, not permitted) replies and closes
        # at once, without reading: its reply may already be waiting to be read.
        sent_error: OSError | None = exc
    else:
        sent_error = None
    reader = _Reader(sock)
    data = reader.line()
    if not data and sent_error is not None:
        raise sent_error
    return _decode(data), reader


def _once(path: Path, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
    sock = _connect(path, timeout)
    try:
        return _first(sock, msg)[0]
    finally:
        sock.close()


def request(path: Path, msg: dict[str, Any], timeout: float = 20.0) -> dict[str, Any]:
    """Send one request to the running service and return its reply.

    Raises :class:`ServiceUnavailableError` when no service answers at ``path``, and
    :class:`ProtocolError` for a reply that is not one JSON object.
    """
    return _retrying(path, timeout, lambda: _once(path, msg, timeout))


def _retrying(path: Path, timeout: float, attempt: Callable[[], _T]) -> _T:
    """Run ``attempt`` (a connection's first exchange) until the service takes it."""
    start = time.monotonic()
    delay = 0.005
    while True:
        try:
            return attempt()
        except _Again as exc:
            waited = time.monotonic() - start
            if waited + delay > min(REFUSED_RETRY_FOR if exc.refused else RETRY_FOR, timeout):
                if exc.refused:
                    raise ServiceUnavailableError(
                        f"the kiosk service is not running ({exc})") from None
                raise ServiceUnavailableError(f"cannot talk to the kiosk service at {path}: "
                                              f"{exc}") from None
            import random  # only here: most clients never wait

            # jitter, so a burst of clients does not come back in lockstep
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.2)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise ServiceUnavailableError(
                f"the kiosk service is not running (no socket at {path}): {exc.strerror}"
            ) from None
        except OSError as exc:
            if exc.errno == errno.EACCES:
                raise ServiceUnavailableError(
                    f"permission denied at {path}: run this as the kiosk's user") from None
            raise ServiceUnavailableError(
                f"cannot talk to the kiosk service at {path}: {exc}") from None


class Connection:
    """One connection kept open for many requests; a context manager::

        with Connection(path) as conn:
            for _ in range(3):
                conn.request({"cmd": "issue", "args": {"service": "A"}})

    The service closes a connection idle longer than its idle timeout (10 s by default),
    silently. Before each request the connection looks whether that has happened and, if
    so, opens a new one, so the request is never sent into a closed connection. If the
    service goes away while a request is on its way, :class:`ServiceUnavailableError` is
    raised and the connection is re-opened on the next request; as with :func:`request`,
    whether that request ran is then unknown.
    """

    def __init__(self, path: Path, timeout: float = 20.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.idle_timeout: float | None = None  # the service's, once connected
        self._sock: socket.socket | None = None
        self._reader: _Reader | None = None

    def __enter__(self) -> Connection:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        """Connect (retrying briefly, like :func:`request`) and ask to keep it open."""
        self.close()

        def attempt() -> tuple[socket.socket, _Reader, dict[str, Any]]:
            sock = _connect(self.path, self.timeout)
            try:
                reply, reader = _first(sock, {"cmd": "keep-open"})
            except BaseException:
                sock.close()
                raise
            return sock, reader, reply

        sock, reader, reply = _retrying(self.path, self.timeout, attempt)
        if not reply.get("keep_open"):
            sock.close()
            raise ProtocolError(f"the service would not keep the connection open: "
                                f"{reply.get('message_en') or reply}")
        self._sock, self._reader = sock, reader
        self.idle_timeout = reply.get("idle_timeout_s")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._reader = None

    def request(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Send ``msg`` on this connection and return its reply."""
        if self._sock is None or self._closed_by_service():
            self.open()
        assert self._sock is not None and self._reader is not None
        try:
            self._sock.sendall(_line(msg))
            data = self._reader.line()
        except OSError as exc:
            self.close()
            raise ServiceUnavailableError(f"the connection to the kiosk service at "
                                          f"{self.path} was lost: {exc}") from None
        if not data.endswith(b"\n"):
            self.close()
            raise ServiceUnavailableError(f"the kiosk service at {self.path} closed the "
                                          "connection before replying")
        try:
            return _decode(data)
        except _Again:  # not sent by a server that has accepted the connection
            raise ProtocolError("the service said busy on an open connection") from None

    def _closed_by_service(self) -> bool:
        """True if the service has closed this connection (it was idle too long)."""
        assert self._sock is not None and self._reader is not None
        if self._reader.buf:  # an unasked line: only a server closing sends one
            return True
        # non-blocking for the look: with a timeout set, Python waits for data first
        self._sock.settimeout(0.0)
        try:
            return self._sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            self._sock.settimeout(self.timeout)


def watch_lines(path: Path, timeout: float = 20.0,
                wait: float | None = None) -> Iterator[bytes]:
    """The raw lines of a watch: the status line, then one line per committed event, as
    they come, until the service closes the stream (a last line may say why: ``code``
    ``stopping`` or ``watch_behind``). Close the generator to stop watching.

    ``timeout`` bounds connecting and the first line; ``wait`` the wait for each next
    one (None: events come when they come; a test sets it to notice a hang, and gets
    TimeoutError).
    """
    sock, reader, first = _retrying(path, timeout, lambda: _open_watch(path, timeout))
    try:
        yield first
        sock.settimeout(wait)
        while True:
            data = reader.line()
            if not data:
                return
            yield data
    finally:
        sock.close()


def _open_watch(path: Path, timeout: float) -> tuple[socket.socket, _Reader, bytes]:
    sock = _connect(path, timeout)
    try:
        reader = _Reader(sock)
        sock.sendall(_line({"cmd": "watch"}))
        first = reader.line()
        _decode(first)  # raises _Again on busy, so _retrying tries again
    except BaseException:
        sock.close()
        raise
    return sock, reader, first


def watch(path: Path, timeout: float = 20.0,
          wait: float | None = None) -> Iterator[dict[str, Any]]:
    """:func:`watch_lines`, each line decoded: ``{"ok": true, "watch": "status", "status":
    {...}}`` first, then ``{"event": {...}, "status": {...}}`` per event."""
    for data in watch_lines(path, timeout, wait):
        reply = json.loads(data)
        if not isinstance(reply, dict):
            raise ProtocolError("the service sent an unreadable line")
        yield reply


__all__ = ["BUSY", "Connection", "request", "watch", "watch_lines"]
