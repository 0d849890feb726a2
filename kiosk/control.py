"""The local control socket: how staff and scripts on the device talk to the service.

Protocol: one JSON object per line each way, over a Unix stream socket that only the
kiosk's user may open (mode 0600 in a 0700 directory). A request is
``{"cmd": "call-next", "args": {"counter": 3}}``; the reply is ``{"ok": true, "events":
[...], "status": {...}}`` or ``{"ok": false, "code": ..., "message_zh": ..., "message_en":
...}``. Commands go through the same queue as buttons, touch and MQTT.

``actions`` adds device-level requests that are not queue commands (``reprint``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import commands as c
from kiosk.core import Rejected
from kiosk.errors import KioskError, ProtocolError, ServiceUnavailableError
from kiosk.service import Accepted, KioskService

log = logging.getLogger(__name__)
MAX_LINE = 64 * 1024
REPLY_TIMEOUT = 15.0

Action = Callable[[dict[str, Any]], dict[str, Any]]


def rejected_reply(r: Rejected) -> dict[str, Any]:
    m = r.message
    return {"ok": False, "code": r.code, "message_zh": m.zh, "message_en": m.en,
            "params": r.params}


def accepted_reply(a: Accepted) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": True, "events": [e.to_dict() for e in a.events],
                           "status": a.status.to_dict()}
    if a.data is not None:
        out["data"] = [e.to_dict() for e in a.data]
    return out


def _error_reply(code: str, detail: str) -> dict[str, Any]:
    return rejected_reply(Rejected(code, {"detail": detail} if code == "bad_command" else {}))


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(MAX_LINE)
        if not line:
            return
        reply = self.server.answer(line)
        self.wfile.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, service: KioskService, actions: dict[str, Action]) -> None:
        self.service, self.actions = service, actions
        super().__init__(path, _Handler)

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            msg = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error_reply("bad_command", "not a JSON line")
        name = msg.get("cmd") if isinstance(msg, dict) else None
        if name in self.actions:
            try:
                return self.actions[name](msg.get("args") or {})
            except Exception as exc:
                log.exception("action %s failed", name)
                return _error_reply("bad_command", f"{name}: {exc}")
        try:
            cmd = c.from_wire(msg)
        except ProtocolError as exc:
            return _error_reply("bad_command", str(exc))
        try:
            result = self.service.submit(cmd, "cli").result(timeout=REPLY_TIMEOUT)
        except TimeoutError:
            return _error_reply("service_unavailable", "")
        except KioskError as exc:
            log.error("command failed: %s", exc)
            return _error_reply("service_unavailable", "")
        if isinstance(result, Rejected):
            return rejected_reply(result)
        return accepted_reply(result)


class ControlServer:
    """Serve the control socket at ``path`` on a background thread."""

    def __init__(self, path: Path, service: KioskService,
                 actions: dict[str, Action] | None = None) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._clear_stale()
        old = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            self._server = _Server(str(path), service, dict(actions or {}))
        finally:
            os.umask(old)
        self._thread = threading.Thread(target=self._server.serve_forever, name="control",
                                        daemon=True)

    def _clear_stale(self) -> None:
        if not self.path.exists():
            return
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(self.path))
        except OSError:
            self.path.unlink()  # nobody listens: a leftover from a crash or power cut
            return
        finally:
            probe.close()
        raise ServiceUnavailableError(f"another kiosk is already serving {self.path}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def request(path: Path, msg: dict[str, Any], timeout: float = 20.0) -> dict[str, Any]:
    """Send one request to the running service and return its reply."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        sock.sendall(json.dumps(msg, ensure_ascii=False).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise ServiceUnavailableError(
            f"the kiosk service is not running (no socket at {path}): {exc.strerror}"
        ) from None
    except OSError as exc:
        raise ServiceUnavailableError(f"cannot talk to the kiosk service at {path}: {exc}") \
            from None
    finally:
        sock.close()
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        raise ProtocolError("the service sent an unreadable reply") from None


__all__ = ["ControlServer", "accepted_reply", "rejected_reply", "request"]
