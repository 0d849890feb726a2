"""Commands: what someone asks the kiosk to do. Plain frozen dataclasses.

Every input (touch, counter button, MQTT, control socket) becomes one of these and goes
through the one command queue. :class:`GetStatus` uses the same queue, so it sees the
state after every command queued before it. :class:`GetEvents` is answered on the
caller's thread from the store's read-only connection (a busy day's events must never
hold up the worker): it sees what is committed when it runs.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from datetime import date
from typing import Any

from kiosk.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class Issue:
    service: str
    priority: str | None = None  # reason code, e.g. "elderly"


@dataclass(frozen=True, slots=True)
class CallNext:
    counter: int


@dataclass(frozen=True, slots=True)
class Recall:
    counter: int


@dataclass(frozen=True, slots=True)
class NoShow:
    counter: int


@dataclass(frozen=True, slots=True)
class Reinstate:
    ticket: str


@dataclass(frozen=True, slots=True)
class Finish:
    counter: int


@dataclass(frozen=True, slots=True)
class Transfer:
    counter: int
    to_service: str | None = None
    to_counter: int | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    counter: int
    reason: str | None = None
    redirect: int | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    counter: int


@dataclass(frozen=True, slots=True)
class Open:
    counter: int


@dataclass(frozen=True, slots=True)
class Close:
    counter: int


@dataclass(frozen=True, slots=True)
class ReportDevice:
    """A driver reports a device status change (``ok``, ``paper_low``, ``offline``...).

    ``ticket`` names a ticket the device could not handle (a ticket that did not print),
    so the screen and IT read its number from a field, never from ``detail``.
    """

    device: str
    status: str
    detail: str = ""
    ticket: str | None = None


@dataclass(frozen=True, slots=True)
class Reprint:
    """Print a ticket of today again, marked as a reprint (default: the last issued)."""

    ticket: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """A customer's press on a counter's evaluator: ``good``, ``fair`` or ``poor``."""

    counter: int
    score: str


@dataclass(frozen=True, slots=True)
class GetStatus:
    pass


@dataclass(frozen=True, slots=True)
class GetEvents:
    day: str | None = None  # None: the current business day


Command = (
    Issue | CallNext | Recall | NoShow | Reinstate | Finish | Transfer | Pause | Resume
    | Open | Close | ReportDevice | Reprint | Rate | GetStatus | GetEvents
)

# wire name -> class, for the control socket and MQTT
BY_NAME: dict[str, type] = {
    "issue": Issue, "call-next": CallNext, "recall": Recall, "no-show": NoShow,
    "reinstate": Reinstate, "finish": Finish, "transfer": Transfer, "pause": Pause,
    "resume": Resume, "open": Open, "close": Close, "report-device": ReportDevice,
    "reprint": Reprint, "rate": Rate, "status": GetStatus, "events": GetEvents,
}


# Device reports come from drivers inside the process, never from a socket client: a
# client could otherwise flood the status with made-up devices and long details.
SOCKET_COMMANDS: frozenset[str] = frozenset(BY_NAME) - {"report-device"}

# Counter numbers as the config allows them (``counters[].id``).
COUNTER_MIN, COUNTER_MAX = 1, 999
TEXT_MAX = 32  # service prefixes, ticket numbers, reason codes, dates
LONG_TEXT_MAX = {"reason": 200, "detail": 200}  # free text typed by staff or a driver
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _checked(cmd: str, name: str, kind: str, value: Any) -> int | str:
    """``value`` exactly as the wire must carry it: no coercion of any kind.

    Only a JSON integer is a counter (not 3.9, "3", " 3 ", "３", "0_3" or true), and only
    a short printable string is text.
    """
    if "int" in kind:
        if type(value) is not int:  # bool is a subclass of int: refuse it too
            raise ProtocolError(f"{cmd}: {name} must be a whole number, got {value!r:.40}")
        if not COUNTER_MIN <= value <= COUNTER_MAX:
            raise ProtocolError(
                f"{cmd}: {name} must be between {COUNTER_MIN} and {COUNTER_MAX}, got {value}")
        return value
    limit = LONG_TEXT_MAX.get(name, TEXT_MAX)
    if type(value) is not str:
        raise ProtocolError(f"{cmd}: {name} must be text, got {value!r:.40}")
    if not value or len(value) > limit or not value.isprintable():
        raise ProtocolError(f"{cmd}: {name} must be 1 to {limit} printable characters")
    if name == "day":
        try:
            if not _DAY.fullmatch(value):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            raise ProtocolError(f"{cmd}: day must be a date YYYY-MM-DD, got {value!r}") from None
    return value


def from_wire(msg: Any, allowed: frozenset[str] | None = None) -> Command:
    """Build a command from ``{"cmd": name, "args": {...}}``, checking names and types.

    ``allowed`` limits the command names (the control socket passes
    :data:`SOCKET_COMMANDS`). Raises :class:`ProtocolError` with a one-line reason.

    >>> from_wire({"cmd": "call-next", "args": {"counter": 3}})
    CallNext(counter=3)
    >>> from_wire({"cmd": "call-next", "args": {"counter": "3"}})
    Traceback (most recent call last):
    ...
    kiosk.errors.ProtocolError: call-next: counter must be a whole number, got '3'
    """
    if not isinstance(msg, dict) or not isinstance(msg.get("cmd"), str):
        raise ProtocolError('expected {"cmd": NAME, "args": {...}}')
    name = msg["cmd"]
    known_names = BY_NAME if allowed is None else [n for n in BY_NAME if n in allowed]
    cls = BY_NAME.get(name) if name in known_names else None
    if cls is None:
        raise ProtocolError(f"unknown command {name[:40]!r}; known: {', '.join(known_names)}")
    args = msg.get("args") or {}
    if not isinstance(args, dict):
        raise ProtocolError("args must be an object")
    known = {f.name: f for f in fields(cls)}
    extra = set(args) - set(known)
    if extra:
        raise ProtocolError(f"{name}: unknown argument {sorted(map(str, extra))[0][:40]!r}")
    clean: dict[str, Any] = {}
    for arg, f in known.items():
        if args.get(arg) is not None:
            clean[arg] = _checked(name, arg, str(f.type), args[arg])
    missing = [n for n, f in known.items() if n not in clean and f.default is MISSING]
    if missing:
        raise ProtocolError(f"{name}: {missing[0]} is required")
    return cls(**clean)
