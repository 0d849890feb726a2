"""Configuration: one TOML file, validated at start.

Every problem is reported as a :class:`~kiosk.errors.ConfigError` that names the
dotted key, says what is wrong and how to fix it. Unknown keys are errors too, so a
typo never silently falls back to a default.

The built-in defaults (:data:`DEFAULTS`) are a working 3-service, 4-counter branch on
simulated hardware, open around the clock, so ``kiosk run`` works with no file at all.
A file overrides them section by section; ``services`` and ``counters`` are replaced
as a whole when given.

Hardware sections (``printer``, ``displays``, ``buttons``, ``audio``) are kept as plain
dicts here and validated by their drivers (see :func:`kiosk.bootstrap.validate_drivers`),
so the core never imports hardware code; only their references to counters are checked
here, because that spans sections. ``mqtt`` and ``ui`` are checked here
(:mod:`kiosk.config_sections`) although their features come later, and paths are
checked the way ``kiosk run`` will use them (:mod:`kiosk.config_paths`), so that
``kiosk check-config`` accepts exactly what ``kiosk run`` accepts.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.config_paths import check_path, check_socket, check_storage
from kiosk.config_sections import MqttSettings, UiSettings, parse_mqtt, parse_ui
from kiosk.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DRIVER_SECTIONS = ("printer", "displays", "buttons", "audio")
MAX_DEPTH = 8  # tables and lists inside each other; real settings go 4 deep
POLICIES = ("fifo", "preference")
COUNTER_STATES = ("open", "paused", "closed")
STATE_DIR = "~/.local/state/counter-kiosk"

DEFAULTS: dict[str, Any] = {
    "branch": {
        "name_zh": "示例保险 城东支公司",
        "name_en": "Example Insurance, East City Branch",
        "device_id": "kiosk-demo",
        "code": "demo",
        "timezone": "Asia/Shanghai",
        "hotline": "95500",
    },
    "clock": {"require_sync": False, "sync_flag": "/run/systemd/timesync/synchronized"},
    "queue": {
        "number_digits": 3,
        "max_recalls": 2,
        "priority_streak_limit": 2,
        "priority_reasons": ["elderly", "disabled", "urgent"],
        "rating_window_s": 120,
    },
    "storage": {"path": f"{STATE_DIR}/kiosk.db"},
    "control": {"socket": f"{STATE_DIR}/control.sock"},
    "hours": {
        **{day: ["00:00-24:00"] for day in WEEKDAYS},
        "holidays": [],
        "special": {},
    },
    "services": [
        {
            "prefix": "A", "name_zh": "业务办理", "name_en": "Underwriting", "avg_minutes": 8,
            "documents": [
                {"zh": "投保人身份证件原件", "en": "Policyholder's ID document (original)"},
                {"zh": "银行卡或存折（用于缴费）", "en": "Bank card or passbook for payment"},
                {"zh": "已有保单（如办理变更）", "en": "Existing policy (for changes)"},
            ],
        },
        {
            "prefix": "B", "name_zh": "理赔", "name_en": "Claims", "avg_minutes": 12,
            "documents": [
                {"zh": "被保险人身份证件", "en": "Insured person's ID document"},
                {"zh": "保单或保险凭证", "en": "Policy or insurance certificate"},
                {"zh": "事故证明、病历或发票原件", "en": "Accident report, medical records or "
                 "original invoices"},
                {"zh": "收款银行卡", "en": "Bank card to receive payment"},
            ],
        },
        {
            "prefix": "C", "name_zh": "咨询·投诉", "name_en": "Enquiries & complaints",
            "avg_minutes": 6,
            "documents": [
                {"zh": "保单号或相关材料（如有）", "en": "Policy number or related papers, if any"},
            ],
        },
    ],
    "counters": [
        {"id": 1, "services": ["A", "C"], "policy": "preference"},
        {"id": 2, "services": ["A", "C"], "policy": "preference"},
        {"id": 3, "services": ["B"], "policy": "fifo"},
        {"id": 4, "services": ["C"], "policy": "fifo"},
    ],
}


@dataclass(frozen=True, slots=True)
class Document:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Service:
    prefix: str
    name_zh: str
    name_en: str
    avg_minutes: float
    documents: tuple[Document, ...]


@dataclass(frozen=True, slots=True)
class Counter:
    id: int
    services: tuple[str, ...]
    policy: str = "fifo"
    start: str = "open"


@dataclass(frozen=True, slots=True)
class Hours:
    """Opening intervals per weekday (0 = Monday), holidays and dated overrides."""

    weekly: tuple[tuple[tuple[time, time | None], ...], ...]  # None end = 24:00
    holidays: frozenset[date] = frozenset()
    # dated overrides as sorted (date, intervals) pairs: a tuple keeps Hours hashable, so
    # the opening instants of a day can be cached (kiosk.core.hours)
    special: tuple[tuple[date, tuple[tuple[time, time | None], ...]], ...] = ()

    def intervals(self, day: date) -> tuple[tuple[time, time | None], ...]:
        for d, iv in self.special:
            if d == day:
                return iv
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]


@dataclass(frozen=True, slots=True)
class Rules:
    number_digits: int = 3
    max_recalls: int = 2
    priority_streak_limit: int = 2
    priority_reasons: tuple[str, ...] = ("elderly", "disabled", "urgent")
    rating_window_s: int = 120


@dataclass(frozen=True, slots=True)
class Branch:
    name_zh: str
    name_en: str
    device_id: str
    timezone: str
    hotline: str = ""
    code: str = "demo"  # the branch's short code, a level of the MQTT topics
    tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # resolved once: every command needs it, and from_dict has checked the name
        object.__setattr__(self, "tz", ZoneInfo(self.timezone))


@dataclass(frozen=True, slots=True)
class Config:
    branch: Branch
    rules: Rules
    hours: Hours
    services: dict[str, Service]
    counters: dict[int, Counter]
    storage_path: Path
    socket_path: Path
    require_sync: bool = False
    sync_flag: Path = Path("/run/systemd/timesync/synchronized")
    drivers: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None
    serving: dict[str, tuple[int, ...]] = field(default_factory=dict)  # derived in __post_init__
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def __post_init__(self) -> None:
        by_service = {
            s: tuple(c.id for c in self.counters.values() if s in c.services)
            for s in self.services
        }
        object.__setattr__(self, "serving", by_service)

    def counters_for(self, service: str) -> tuple[int, ...]:
        return self.serving.get(service, ())


# --------------------------------------------------------------------------- parsing


class _Section:
    """Typed access to one table, tracking which keys were read so extras are errors."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(path, f"must be a table, got {type(data).__name__}")
        self.data = data
        self.path = path
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, kind: type | tuple[type, ...], fix: str = "") -> Any:
        self.seen.add(name)
        if name not in self.data:
            raise ConfigError(self.key(name), "is missing", fix)
        value = self.data[name]
        # bool is an int in Python; never accept it where a number is meant.
        if isinstance(value, bool) and bool not in _as_tuple(kind):
            raise ConfigError(self.key(name), f"must be {_kind_name(kind)}, got a boolean", fix)
        if not isinstance(value, kind):
            raise ConfigError(
                self.key(name), f"must be {_kind_name(kind)}, got {type(value).__name__}", fix
            )
        return value

    def text(self, name: str, fix: str = "") -> str:
        value = self.get(name, str, fix).strip()
        if not value:
            raise ConfigError(self.key(name), "must not be empty", fix)
        return value

    def integer(self, name: str, lo: int, hi: int) -> int:
        value = self.get(name, int)
        if not lo <= value <= hi:
            raise ConfigError(self.key(name), f"must be between {lo} and {hi}, got {value}")
        return value

    def finish(self) -> None:
        extra = sorted(set(self.data) - self.seen)
        if extra:
            raise ConfigError(
                self.key(extra[0]), "is not a known setting", "check the spelling against "
                "kiosk/configs/production.sample.toml"
            )


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def _parse_intervals(value: Any, key: str) -> tuple[tuple[time, time | None], ...]:
    if not isinstance(value, list):
        raise ConfigError(key, "must be a list of \"HH:MM-HH:MM\" strings", 'e.g. ["08:30-17:00"]')
    out: list[tuple[time, time | None]] = []
    for i, item in enumerate(value):
        m = _INTERVAL.match(item) if isinstance(item, str) else None
        if not m:
            raise ConfigError(f"{key}[{i}]", f"{item!r} is not \"HH:MM-HH:MM\"",
                              'e.g. "08:30-17:00"')
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ConfigError(f"{key}[{i}]", f"{item!r} is not a valid time range")
        start, end = time(h1, m1), None if h2 == 24 else time(h2, m2)
        if end is not None and end <= start:
            raise ConfigError(f"{key}[{i}]", f"{item!r} closes before it opens",
                              "overnight opening is not supported; use 24:00 as the end")
        if out and (out[-1][1] is None or start < out[-1][1]):  # type: ignore[operator]
            raise ConfigError(f"{key}[{i}]", "overlaps or comes before the previous interval",
                              "list intervals in time order without overlap")
        out.append((start, end))
    return tuple(out)


def _parse_date(value: Any, key: str) -> date:
    if isinstance(value, datetime):  # a date with a time of day would never match a day
        raise ConfigError(key, f"{value.isoformat()} has a time of day", 'use "YYYY-MM-DD"')
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a date", 'use "YYYY-MM-DD"')
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(key, f"{value!r} is not a date", 'use "YYYY-MM-DD"') from None


def _parse_hours(raw: Any) -> Hours:
    sec = _Section(raw, "hours")
    weekly = tuple(_parse_intervals(sec.get(d, list), f"hours.{d}") for d in WEEKDAYS)
    holidays = frozenset(
        _parse_date(v, f"hours.holidays[{i}]") for i, v in enumerate(sec.get("holidays", list))
    )
    special_raw = _Section(sec.get("special", dict), "hours.special")
    special = tuple(sorted(
        (_parse_date(k, f"hours.special.{k}"), _parse_intervals(v, f"hours.special.{k}"))
        for k, v in special_raw.data.items()
    ))
    sec.finish()
    hours = Hours(weekly=weekly, holidays=holidays, special=special)
    if not any(weekly):
        raise ConfigError("hours", "the branch is never open", "give opening hours for at "
                          "least one weekday, e.g. mon = [\"08:30-17:00\"]")
    return hours


def _parse_services(raw: Any) -> dict[str, Service]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("services", "must be a non-empty list of [[services]] tables")
    services: dict[str, Service] = {}
    for i, item in enumerate(raw):
        sec = _Section(item, f"services[{i}]")
        prefix = sec.text("prefix")
        if not re.fullmatch(r"[A-Z]", prefix):
            raise ConfigError(sec.key("prefix"), f"{prefix!r} must be one capital letter A-Z")
        if prefix in services:
            raise ConfigError(sec.key("prefix"), f"{prefix!r} is used by another service",
                              "give each service its own letter")
        docs_raw = sec.get("documents", list)
        docs = []
        for j, d in enumerate(docs_raw):
            dsec = _Section(d, f"services[{i}].documents[{j}]")
            docs.append(Document(dsec.text("zh"), dsec.text("en")))
            dsec.finish()
        avg = float(sec.get("avg_minutes", (int, float)))
        if not 0 < avg <= 240:
            raise ConfigError(sec.key("avg_minutes"), f"must be between 0 and 240, got {avg}")
        services[prefix] = Service(prefix, sec.text("name_zh"), sec.text("name_en"), avg,
                                   tuple(docs))
        sec.finish()
    return services


def _parse_counters(raw: Any, services: dict[str, Service]) -> dict[int, Counter]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("counters", "must be a non-empty list of [[counters]] tables")
    counters: dict[int, Counter] = {}
    for i, item in enumerate(raw):
        sec = _Section(item, f"counters[{i}]")
        cid = sec.integer("id", 1, 999)
        if cid in counters:
            raise ConfigError(sec.key("id"), f"counter {cid} is defined twice")
        served = sec.get("services", list)
        if not served:
            raise ConfigError(sec.key("services"), "must list at least one service prefix")
        for j, s in enumerate(served):
            if not isinstance(s, str) or s not in services:
                raise ConfigError(f"{sec.key('services')}[{j}]", f"{s!r} is not a configured "
                                  "service", f"use one of {', '.join(services)}")
        if len(set(served)) != len(served):  # all strings now, so hashable
            raise ConfigError(sec.key("services"), "lists a service twice")
        policy = sec.data.get("policy", "fifo")
        sec.seen.add("policy")
        if not isinstance(policy, str) or policy not in POLICIES:
            raise ConfigError(sec.key("policy"), f"{policy!r} is not one of {POLICIES}")
        start = sec.data.get("start", "open")
        sec.seen.add("start")
        if not isinstance(start, str) or start not in COUNTER_STATES:
            raise ConfigError(sec.key("start"), f"{start!r} is not one of {COUNTER_STATES}")
        counters[cid] = Counter(cid, tuple(served), policy, start)
        sec.finish()
    for prefix in services:
        if not any(prefix in c.services for c in counters.values()):
            raise ConfigError("counters", f"no counter serves service {prefix!r}",
                              f"add {prefix!r} to some counter's services")
    return counters


def _resolve(path_text: str, base: Path | None) -> Path:
    p = Path(path_text).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def merge(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``overrides`` on ``defaults``: tables merge one level deep, lists replace."""
    out = copy.deepcopy(defaults)
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def _depth_problem(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The dotted key where ``value`` nests deeper than ``limit``, if it does.

    Iterative on purpose: a recursive walk is what such input is meant to break.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, key, depth = stack.pop()
        if isinstance(node, dict):
            items: Any = ((f"{key}.{k}" if key else str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            items = ((f"{key}[{i}]", v) for i, v in enumerate(node))
        else:
            continue
        if depth >= limit:
            return key
        stack.extend((v, k, depth + 1) for k, v in items)
    return None


def _parse_branch(top: _Section) -> Branch:
    b = _Section(top.get("branch", dict), "branch")
    tz_name = b.text("timezone")
    try:
        if len(tz_name) > 64:  # the longest IANA name is about 30 characters
            raise ValueError(tz_name)
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: "Asia" is a directory of the zone database, a long name is too long
        raise ConfigError("branch.timezone", f"{tz_name[:64]!r} is not a known time zone",
                          'use an IANA name such as "Asia/Shanghai"') from None
    device_id = b.text("device_id")
    if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", device_id):
        raise ConfigError("branch.device_id", f"{device_id!r} may only use letters, digits, "
                          "'_' and '-'", "it becomes part of MQTT topics")
    code = b.text("code", 'e.g. "sh-east"')
    if not re.fullmatch(r"[a-z0-9-]{1,32}", code):
        raise ConfigError("branch.code", f"{code!r} may only use a-z, 0-9 and '-'",
                          'it becomes part of MQTT topics, e.g. "sh-east"')
    b.seen.add("hotline")
    hotline = b.data.get("hotline", "")
    if not isinstance(hotline, str) or len(hotline) > 40:
        raise ConfigError("branch.hotline", "must be a phone number as text, e.g. \"95500\"")
    branch = Branch(b.text("name_zh"), b.text("name_en"), device_id, tz_name, hotline.strip(),
                    code)
    b.finish()
    return branch


def _check_counter_refs(raw: dict[str, Any], counters: dict[int, Counter]) -> None:
    """Displays and buttons name counters; each must exist. The drivers check the rest
    of their sections (and leave malformed values to be reported there)."""
    def check(key: str, cid: Any) -> None:
        if isinstance(cid, int) and not isinstance(cid, bool) and cid not in counters:
            raise ConfigError(key, f"counter {cid} is not configured",
                              f"use one of {sorted(counters)}, or add it to [[counters]]")

    displays = raw.get("displays")
    for i, d in enumerate(displays if isinstance(displays, list) else []):
        refs = d.get("counters") if isinstance(d, dict) else None
        for j, cid in enumerate(refs if isinstance(refs, list) else []):
            check(f"displays[{i}].counters[{j}]", cid)
    buttons = raw.get("buttons")
    refs = buttons.get("counters") if isinstance(buttons, dict) else None
    for i, item in enumerate(refs if isinstance(refs, list) else []):
        if isinstance(item, dict):
            check(f"buttons.counters[{i}].counter", item.get("counter"))


def from_dict(raw: dict[str, Any], source: Path | None = None) -> Config:
    """Validate a merged configuration dict and build a :class:`Config`."""
    if (deep := _depth_problem(raw)) is not None:
        raise ConfigError(deep, f"is nested more than {MAX_DEPTH} levels deep",
                          "no setting needs that; check the brackets")
    top = _Section(raw, "")
    branch = _parse_branch(top)

    q = _Section(top.get("queue", dict), "queue")
    reasons = q.get("priority_reasons", list)
    if not reasons or not all(isinstance(r, str) and re.fullmatch(r"[a-z_]+", r) for r in reasons):
        raise ConfigError("queue.priority_reasons", "must be a non-empty list of lower-case "
                          "codes", 'e.g. ["elderly", "disabled", "urgent"]')
    rules = Rules(
        number_digits=q.integer("number_digits", 1, 6),
        max_recalls=q.integer("max_recalls", 0, 10),
        priority_streak_limit=q.integer("priority_streak_limit", 1, 100),
        priority_reasons=tuple(reasons),
        rating_window_s=q.integer("rating_window_s", 10, 3600),
    )
    q.finish()

    c = _Section(top.get("clock", dict), "clock")
    require_sync = c.get("require_sync", bool)
    sync_flag = Path(c.text("sync_flag"))
    check_path("clock.sync_flag", sync_flag)
    c.finish()

    base = source.parent if source else None
    st = _Section(top.get("storage", dict), "storage")
    storage_path = _resolve(st.text("path"), base)
    check_storage("storage.path", storage_path)
    st.finish()
    ct = _Section(top.get("control", dict), "control")
    socket_path = _resolve(ct.text("socket"), base)
    check_socket("control.socket", socket_path, storage_path)
    ct.finish()

    hours = _parse_hours(top.get("hours", dict))
    services = _parse_services(top.get("services", list))
    counters = _parse_counters(top.get("counters", list), services)
    _check_counter_refs(raw, counters)
    mqtt = parse_mqtt(_Section(top.get("mqtt", dict), "mqtt"), base) if "mqtt" in raw \
        else MqttSettings()
    ui = parse_ui(_Section(top.get("ui", dict), "ui"), base) if "ui" in raw else UiSettings()
    drivers = {}
    for name in DRIVER_SECTIONS:
        if name in raw:
            top.seen.add(name)
            drivers[name] = raw[name]
    top.finish()
    return Config(branch, rules, hours, services, counters, storage_path, socket_path,
                  require_sync, sync_flag, drivers, source, mqtt=mqtt, ui=ui)


def load(path: str | Path | None = None) -> Config:
    """Load ``path`` (TOML) over the built-in defaults; ``None`` means defaults only."""
    if path is None:
        return from_dict(copy.deepcopy(DEFAULTS))
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(p), "file not found", "give the path of a TOML config") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(p), f"cannot be read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(p), f"is not valid TOML: {e}") from None
    except RecursionError:  # the parser recurses once per nested table or list
        raise ConfigError(str(p), "is nested too deeply to read",
                          "no setting needs more than a few levels; check the brackets") \
            from None
    return from_dict(merge(DEFAULTS, raw), source=p.resolve())
