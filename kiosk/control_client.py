"""The client side of the control socket: send one request line, read one reply line.

Only the standard library and the error tree are imported here, so ``kiosk status`` starts
fast: the server side (:mod:`kiosk.control`) pulls in the store and the core.

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
import random
import socket
import time
from pathlib import Path
from typing import Any

from kiosk.errors import ProtocolError, ServiceUnavailableError

RETRY_FOR = 5.0  # s: how long a burst may keep a client waiting for a place
REFUSED_RETRY_FOR = 1.0  # s: a socket file with no listener is usually a stopped kiosk
BUSY = "busy"  # reply code of a server at its connection cap


class _Again(Exception):
    """The server could not take this request yet; nothing was executed."""

    def __init__(self, why: str, refused: bool = False) -> None:
        super().__init__(why)
        self.refused = refused


def _once(path: Path, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except BlockingIOError:
            raise _Again("the service's listen queue is full") from None
        except ConnectionRefusedError as exc:
            if os.path.exists(path):
                raise _Again(f"no answer at {path}: {exc.strerror}", refused=True) from None
            raise
        try:
            sock.sendall(json.dumps(msg, ensure_ascii=False).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError) as exc:
            # A server that refuses a connection (busy, not permitted) replies and closes
            # at once, without reading: its reply may already be waiting to be read.
            sent_error: OSError | None = exc
        else:
            sent_error = None
        data = b""
        while not data.endswith(b"\n"):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        if not data and sent_error is not None:
            raise sent_error
    finally:
        sock.close()
    try:
        reply = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProtocolError("the service sent an unreadable reply") from None
    if not isinstance(reply, dict):
        raise ProtocolError("the service sent an unreadable reply")
    if reply.get("ok") is False and reply.get("code") == BUSY:
        raise _Again("the service is busy with other clients")
    return reply


def request(path: Path, msg: dict[str, Any], timeout: float = 20.0) -> dict[str, Any]:
    """Send one request to the running service and return its reply.

    Raises :class:`ServiceUnavailableError` when no service answers at ``path``, and
    :class:`ProtocolError` for a reply that is not one JSON object.
    """
    start = time.monotonic()
    delay = 0.005
    while True:
        try:
            return _once(path, msg, timeout)
        except _Again as exc:
            waited = time.monotonic() - start
            if waited + delay > min(REFUSED_RETRY_FOR if exc.refused else RETRY_FOR, timeout):
                if exc.refused:
                    raise ServiceUnavailableError(
                        f"the kiosk service is not running ({exc})") from None
                raise ServiceUnavailableError(f"cannot talk to the kiosk service at {path}: "
                                              f"{exc}") from None
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


__all__ = ["BUSY", "request"]
