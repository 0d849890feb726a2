"""Remote commands from MQTT: ``{base}/cmd/{action}`` in, one ``{base}/reply`` out.

The action is the CLI subcommand's name, the payload a JSON object whose keys are the
CLI's argument names plus an optional ``request_id``::

    kiosk/east-city/k1/cmd/call-next   {"counter": 3, "request_id": "pc7-0042"}
    kiosk/east-city/k1/reply           {"request_id": "pc7-0042", "ok": true, "code": "ok",
                                        "message": null, "events": [{"type": "called", ...}]}

A refusal, or a payload that is not understood, gets ``ok: false``, the catalogue's code
and ``message: {"zh": ..., "en": ...}``. Checking is :func:`kiosk.commands.from_wire`,
the control socket's own, after a bounded, strict decode (size, UTF-8, one JSON object,
no NaN or 1e999, nesting); nothing that fails it reaches the command queue. Services and
ticket numbers are upper-cased, as the CLI does with what staff type.

:class:`CommandHandler` runs on paho's network thread: it never blocks (the reply is
published from the future's callback, on the worker's thread) and never raises. A
command repeated with the same ``request_id`` (QoS 1 delivers at least once) is answered
again from memory, not done twice. A *retained* command is refused: a broker would hand
it over again on every reconnect.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import msgspec

from kiosk import commands as c
from kiosk import messages
from kiosk.core import Rejected
from kiosk.errors import ProtocolError
from kiosk.ports import Submit

log = logging.getLogger(__name__)

#: the actions MQTT may ask for: the CLI's state-changing subcommands (no reads)
ACTIONS: frozenset[str] = frozenset({
    "issue", "call-next", "recall", "no-show", "reinstate", "finish", "transfer", "pause",
    "resume", "open", "close", "reprint"})
MAX_PAYLOAD = 4096  # bytes; the longest real command is well under 400
REQUEST_ID_MAX = 64  # characters of a string request_id
REMEMBERED = 256  # request_ids whose replies are kept for repeats
_UPPER = ("service", "ticket", "to_service")  # what the CLI upper-cases (type=str.upper)

_decode = msgspec.json.Decoder(dict[str, Any]).decode


class _Bad(Exception):
    """A payload that is not a command; its text is the reply's detail."""


class BadPayload(Exception):
    """What :func:`parse` raises: the detail, and the request_id if it could be read."""

    def __init__(self, detail: str, request_id: str | int | None) -> None:
        super().__init__(detail)
        self.request_id = request_id


def _request_id(value: Any) -> str | int | None:
    if value is None:
        return None
    if type(value) is int and -(2**53) <= value <= 2**53:  # exact in every JSON reader
        return value
    if (type(value) is str and 0 < len(value) <= REQUEST_ID_MAX and value.isprintable()):
        return value
    raise _Bad(f"request_id must be text of 1 to {REQUEST_ID_MAX} printable characters "
               "or a whole number")


def parse(action: str, payload: bytes) -> tuple[c.Command, str | int | None]:
    """The command and request_id in one message; raises :class:`BadPayload`.

    >>> parse("call-next", b'{"counter": 3, "request_id": "r1"}')
    (CallNext(counter=3), 'r1')
    >>> parse("call-next", b'{"counter": true, "request_id": "r2"}')
    Traceback (most recent call last):
    ...
    kiosk.mqtt.commands.BadPayload: call-next: counter must be a whole number, got True
    """
    rid: str | int | None = None
    try:
        if len(payload) > MAX_PAYLOAD:
            raise _Bad(f"the payload is longer than {MAX_PAYLOAD} bytes")
        try:
            body = _decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise _Bad(f"expected one JSON object: {str(exc)[:120]}") from None
        except UnicodeDecodeError:
            raise _Bad("the payload is not UTF-8") from None
        except RecursionError:
            raise _Bad("the payload is nested too deeply") from None
        rid = _request_id(body.pop("request_id", None))
        for k in _UPPER:
            if type(body.get(k)) is str:
                body[k] = body[k].upper()
        return c.from_wire({"cmd": action, "args": body}, allowed=ACTIONS), rid
    except (_Bad, ProtocolError) as exc:
        raise BadPayload(str(exc), rid) from None


def _encode(reply: dict[str, Any]) -> bytes:
    try:
        return json.dumps(reply, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate somewhere: escaped JSON is still JSON
        return json.dumps(reply).encode()


def error_reply(code: str, rid: str | int | None, **params: Any) -> bytes:
    m = messages.rejection(Rejected(code, params))
    return _encode({"request_id": rid, "ok": False, "code": code,
                    "message": {"zh": m.zh, "en": m.en}, "events": []})


def result_reply(result: Any, rid: str | int | None) -> bytes:
    if isinstance(result, Rejected):
        m = messages.rejection(result)
        return _encode({"request_id": rid, "ok": False, "code": result.code,
                        "message": {"zh": m.zh, "en": m.en}, "events": []})
    return _encode({"request_id": rid, "ok": True, "code": "ok", "message": None,
                    "events": [e.to_dict() for e in result.events]})


class CommandHandler:
    """Turns ``cmd/{action}`` messages into queued commands and their replies."""

    def __init__(self, submit: Submit, reply: Callable[[bytes], None], *,
                 source: str = "mqtt") -> None:
        self._submit, self._reply, self.source = submit, reply, source
        # request_id -> the reply sent (bytes), or the number of repeats still owed one
        self._seen: OrderedDict[str | int, bytes | int] = OrderedDict()
        self._lock = threading.Lock()  # _seen: paho's thread adds, the worker's completes

    def handle(self, action: str, payload: bytes, *, retained: bool = False) -> None:
        """One message of ``cmd/{action}``. Never raises, never blocks."""
        try:
            self._handle(action, payload, retained)
        except Exception:  # a bug here must not take paho's network thread down
            log.exception("MQTT command %.40r failed", action)

    def _handle(self, action: str, payload: bytes, retained: bool) -> None:
        try:
            cmd, rid = parse(action, payload)
        except BadPayload as exc:
            log.info("MQTT command %.40r not understood: %s", action, exc)
            self._send(error_reply("bad_command", exc.request_id, detail=str(exc)))
            return
        if retained:
            log.warning("MQTT command %s arrived retained; not done (a retained command "
                        "would run again on every reconnect)", action)
            self._send(error_reply("bad_command", rid, detail="retained commands are "
                                   "not accepted; publish with retain off"))
            return
        if rid is not None and self._repeat(rid):
            return
        try:
            fut = self._submit(cmd, self.source)
        except Exception:
            log.exception("queueing an MQTT command failed")
            self._finish(error_reply("service_unavailable", rid), rid)
            return
        fut.add_done_callback(lambda f: self._done(f, rid))

    def _repeat(self, rid: str | int) -> bool:
        """True if ``rid`` was seen: its reply is sent again (now, or when it is ready)."""
        with self._lock:
            seen = self._seen.get(rid)
            if seen is None:
                self._seen[rid] = 0
                while len(self._seen) > REMEMBERED:
                    self._seen.popitem(last=False)
                return False
            if not isinstance(seen, bytes):
                self._seen[rid] = seen + 1
        log.info("MQTT command with request_id %r repeated; answered, not done again", rid)
        if isinstance(seen, bytes):
            self._send(seen)
        return True

    def _done(self, fut: Future[Any], rid: str | int | None) -> None:
        try:
            result = fut.result()
        except Exception as exc:  # the service failed, not the command
            log.error("MQTT command failed in the service: %s", exc)
            data = error_reply("service_unavailable", rid)
        else:
            try:
                data = result_reply(result, rid)
            except Exception:  # a reply that cannot be built still gets one answer
                log.exception("building an MQTT reply failed")
                data = error_reply("service_unavailable", rid)
        self._finish(data, rid)

    def _finish(self, data: bytes, rid: str | int | None) -> None:
        """Send ``data``, once more for each repeat that came while it was pending."""
        owed = 0
        if rid is not None:
            with self._lock:
                pending = self._seen.get(rid)
                owed = pending if isinstance(pending, int) else 0
                if rid in self._seen:
                    self._seen[rid] = data
        for _ in range(1 + owed):
            self._send(data)

    def _send(self, data: bytes) -> None:
        try:
            self._reply(data)
        except Exception:
            log.exception("publishing an MQTT reply failed")
