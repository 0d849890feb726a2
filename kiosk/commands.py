"""Commands: what someone asks the kiosk to do. Plain frozen dataclasses.

Every input (touch, counter button, MQTT, control socket) becomes one of these and goes
through the one command queue. Queries (:class:`GetStatus`, :class:`GetEvents`) use the
same queue so they see a consistent state, but never change it.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
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
    """A driver reports a device status change (``ok``, ``paper_low``, ``offline``...)."""

    device: str
    status: str
    detail: str = ""


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
    | Open | Close | ReportDevice | Rate | GetStatus | GetEvents
)

QUERIES = (GetStatus, GetEvents)

# wire name -> class, for the control socket and MQTT
BY_NAME: dict[str, type] = {
    "issue": Issue, "call-next": CallNext, "recall": Recall, "no-show": NoShow,
    "reinstate": Reinstate, "finish": Finish, "transfer": Transfer, "pause": Pause,
    "resume": Resume, "open": Open, "close": Close, "report-device": ReportDevice,
    "rate": Rate, "status": GetStatus, "events": GetEvents,
}
NAME_OF: dict[type, str] = {v: k for k, v in BY_NAME.items()}


def to_wire(cmd: Command) -> dict[str, Any]:
    args = {f.name: getattr(cmd, f.name) for f in fields(cmd)}
    return {"cmd": NAME_OF[type(cmd)], "args": {k: v for k, v in args.items() if v is not None}}


def from_wire(msg: Any) -> Command:
    """Build a command from ``{"cmd": name, "args": {...}}``, checking names and types."""
    if not isinstance(msg, dict) or not isinstance(msg.get("cmd"), str):
        raise ProtocolError('expected {"cmd": NAME, "args": {...}}')
    cls = BY_NAME.get(msg["cmd"])
    if cls is None:
        raise ProtocolError(f"unknown command {msg['cmd']!r}; known: {', '.join(BY_NAME)}")
    args = msg.get("args") or {}
    if not isinstance(args, dict):
        raise ProtocolError("args must be an object")
    known = {f.name: f for f in fields(cls)}
    extra = set(args) - set(known)
    if extra:
        raise ProtocolError(f"{msg['cmd']}: unknown argument {sorted(extra)[0]!r}")
    clean: dict[str, Any] = {}
    for name, f in known.items():
        if name not in args or args[name] is None:
            continue
        value = args[name]
        want_int = "int" in str(f.type)
        if want_int and not isinstance(value, bool):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ProtocolError(
                    f"{msg['cmd']}: {name} must be a number, got {value!r}"
                ) from None
        elif not isinstance(value, str):
            raise ProtocolError(f"{msg['cmd']}: {name} must be text, got {value!r}")
        clean[name] = value
    missing = [n for n, f in known.items() if n not in clean and f.default is MISSING]
    if missing:
        raise ProtocolError(f"{msg['cmd']}: {missing[0]} is required")
    return cls(**clean)
