"""Configuration: one TOML file, loaded over the defaults and checked at start.

The file is read into the model (:class:`kiosk.settings.ConfigFile`, built from
:mod:`kiosk.config_model`) by msgspec; every problem becomes a
:class:`~kiosk.errors.ConfigError` that names the dotted key (``displays[0].counters[0]``),
says what is wrong and how to fix it. Unknown keys are errors in every table, so a typo
never silently falls back to a default.

Paths are checked the way ``kiosk run`` will use them (:mod:`kiosk.config_paths`), so
that ``kiosk check-config`` accepts exactly what ``kiosk run`` accepts. The defaults
are in :mod:`kiosk.config_defaults`.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from msgspec import inspect as mi

from kiosk.config_defaults import DEFAULTS, STATE_DIR, WEEKDAYS
from kiosk.config_model import Branch, Config, Counter, Document, Hours, Rules, Service, dec_hook
from kiosk.config_paths import check_path, check_socket, check_storage
from kiosk.errors import ConfigError
from kiosk.settings import ConfigFile, MqttSettings, UiSettings

__all__ = ["DEFAULTS", "STATE_DIR", "WEEKDAYS", "Branch", "Config", "ConfigError", "Counter",
           "Document", "Hours", "Rules", "Service", "convert", "from_dict", "load", "merge"]

DRIVER_SECTIONS = ("printer", "displays", "buttons", "audio")
MAX_DEPTH = 8  # tables and lists inside each other; real settings go 4 deep
T = TypeVar("T")

# ----------------------------------------------------------------- msgspec's errors

_AT = re.compile(r"(?P<msg>.*?)(?: - at `(?:key` in `)?\$(?P<path>[^`]*)`)?", re.S)
_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[([^\]]*)\]")
_KINDS = {"int": "an integer", "str": "a string", "bool": "true or false", "float": "a number",
          "array": "a list", "object": "a table", "date": "a date", "time": "a time",
          "datetime": "a date and time"}
_GOT = {"bool": "a boolean", "array": "list", "object": "dict"}
_BASE: dict[str, type | tuple[type, ...]] = {
    "int": mi.IntType, "float": mi.FloatType, "str": mi.StrType,
    "array": (mi.ListType, mi.VarTupleType, mi.TupleType), "object": mi.DictType}


def _tokens(path: str) -> list[str | int]:
    return [m[1] if m[1] is not None else int(m[2]) if m[2] is not None else m[3]
            for m in _TOKEN.finditer(path)]


def _unwrap(t: Any, extra: dict[str, str]) -> Any:
    while isinstance(t, mi.Metadata):
        extra.update(t.extra or {})
        t = t.type
    return t


def _step(t: Any, token: str | int) -> Any:
    t = _unwrap(t, {})
    if isinstance(t, mi.UnionType):
        return next((s for m in t.types if (s := _step(m, token)) is not None), None)
    if isinstance(token, int) and isinstance(t, mi.ListType | mi.VarTupleType):
        return t.item_type
    if isinstance(token, int) and isinstance(t, mi.TupleType) and token < len(t.item_types):
        return t.item_types[token]
    if isinstance(t, mi.StructType):
        return next((f.type for f in t.fields if f.encode_name == token), None)
    if isinstance(t, mi.DictType):
        return t.value_type
    return None


def _node(kind: Any, tokens: list[str | int]) -> Any:
    t: Any = mi.type_info(kind)
    for token in tokens:
        if t is None:
            return None
        t = _step(t, token)
    return t


def _value(raw: Any, tokens: list[str | int]) -> Any:
    for token in tokens:
        try:
            raw = raw[token]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _choices(values: Any) -> str:
    shown = [repr(v) if isinstance(v, str) else str(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _number(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _target(t: Any, msg: str, extra: dict[str, str]) -> Any:
    """The type ``msg`` is about, with its wording in ``extra``; in a union (``Pin | None``)
    the member msgspec names."""
    t = _unwrap(t, extra)
    if isinstance(t, mi.UnionType):
        members = [m for m in t.types if not isinstance(m, mi.NoneType)]
        kind = re.match(r"Expected `(\w+)`[^,]*$", msg)
        wanted = _BASE.get(kind[1], ()) if kind else ()
        pick = [m for m in members if isinstance(_unwrap(m, {}), wanted)]
        if len(members) == 1 or len(pick) == 1:
            return _target((pick or members)[0], msg, extra)
    return t


def _problem(msg: str, base: Any, value: Any) -> str:
    """msgspec's sentence for one value, in the kiosk's words."""
    if m := re.fullmatch(r"Expected `([^`]*)`, got `([^`]*)`", msg):
        kinds = [k for k in m[1].split(" | ") if k != "null"]
        got = _GOT.get(m[2], m[2])
        return f"must be {' or '.join(_KINDS.get(k, k) for k in kinds)}, got {got}"
    if m := re.fullmatch(r"Expected `(\w+)`( of length)? ([<>]=?) .*", msg, re.S):
        if m[2]:
            small = (getattr(base, "min_length", None) or 0) > 0 and "<" not in m[3] \
                and not value
            return "must not be empty" if small else \
                f"must have at most {getattr(base, 'max_length', '?')} items or characters"
        lo, hi = getattr(base, "ge", None), getattr(base, "le", None)
        if getattr(base, "gt", None) is not None:
            return f"must be more than {_number(base.gt)} and at most {_number(hi)}, " \
                f"got {value!r}"
        return f"must be between {_number(lo)} and {_number(hi)}, got {value!r}"
    if msg.startswith("Invalid enum value"):
        literal = base.types[0] if isinstance(base, mi.UnionType) else base
        values = getattr(literal, "values", None)
        return f"{value!r} is not one of {_choices(values)}" if values else msg
    if msg.startswith("Expected `str` matching regex"):
        return f"{value!r} is not valid here"
    return msg


def _explain(exc: msgspec.ValidationError, raw: Any, kind: Any, key: str) -> ConfigError:
    """The ConfigError for msgspec's ``exc``, keyed under ``key`` (e.g. ``printer``)."""
    m = _AT.fullmatch(str(exc))
    assert m is not None  # the pattern matches any text
    msg, path = m["msg"], m["path"] or ""
    tokens = _tokens(path)
    where = (key + path).lstrip(".")
    cause = exc.__cause__
    if isinstance(cause, ConfigError):  # raised by a table's __post_init__, key relative
        sub = cause.key
        full = where if not sub else f"{where}.{sub}" if where else sub
        return ConfigError(full, cause.problem, cause.fix)
    if f := re.fullmatch(r"Object (contains unknown|missing required) field `([^`]*)`", msg):
        tokens.append(f[2])
        at = f"{where}.{f[2]}" if where else f[2]
        if f[1] == "missing required":
            extra: dict[str, str] = {}
            _target(_node(kind, tokens), "", extra)
            return ConfigError(at, "is missing", extra.get("fix", ""))
        table = _target(_node(kind, tokens[:-1]), "", {})
        known = [fl.encode_name for fl in getattr(table, "fields", ())]
        return ConfigError(at, "is not a known setting", "check the spelling; known here: "
                           + ", ".join(known) if known else "")
    extra = {}
    base = _target(_node(kind, tokens), msg, extra)
    value = _value(raw, tokens)
    problem = _problem(msg, base, value)
    if "problem" in extra:
        problem = extra["problem"].replace("{value!r}", repr(value))
    return ConfigError(where or "(file)", problem, extra.get("fix", ""))


def convert(raw: Any, kind: Any, key: str = "") -> Any:
    """``raw`` (what TOML gave) as the model type ``kind``; problems name ``key``'s keys."""
    try:
        return msgspec.convert(raw, kind, dec_hook=dec_hook)
    except msgspec.ValidationError as exc:
        raise _explain(exc, raw, kind, key) from None


# ---------------------------------------------------------------------------- loading


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


def _resolve(path: Path | str, base: Path | None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def _beside(section: T, key: str, names: tuple[str, ...], base: Path | None) -> T:
    """``section`` with its relative file paths taken relative to the config file."""
    paths = {n: _resolve(p, base) for n in names if (p := getattr(section, n)) is not None}
    try:
        return msgspec.structs.replace(section, **paths)  # type: ignore[type-var]  # msgspec types replace() for one Struct type, not a TypeVar bound to Struct
    except ConfigError as exc:  # its checks run again on the longer paths
        raise ConfigError(f"{key}.{exc.key}", exc.problem, exc.fix) from None


def from_dict(raw: dict[str, Any], source: Path | None = None) -> Config:
    """Check a merged configuration dict and build a :class:`Config`."""
    if (deep := _depth_problem(raw)) is not None:
        raise ConfigError(deep, f"is nested more than {MAX_DEPTH} levels deep",
                          "no setting needs that; check the brackets")
    f: ConfigFile = convert(raw, ConfigFile)
    base = source.parent if source else None
    sync_flag = Path(f.clock.sync_flag)
    check_path("clock.sync_flag", sync_flag)
    storage_path = _resolve(f.storage.path, base)
    check_storage("storage.path", storage_path)
    socket_path = _resolve(f.control.socket, base)
    check_socket("control.socket", socket_path, storage_path)
    mqtt: MqttSettings = _beside(f.mqtt, "mqtt", ("password_file", "ca_file", "cert_file",
                                                  "key_file"), base)
    ui: UiSettings = _beside(f.ui, "ui", ("font",), base)
    return Config(
        branch=f.branch, rules=f.queue, hours=f.hours.hours,
        services={s.prefix: s for s in f.services}, counters={c.id: c for c in f.counters},
        storage_path=storage_path, socket_path=socket_path, mqtt=mqtt, ui=ui,
        require_sync=f.clock.require_sync, sync_flag=sync_flag,
        backups_keep=f.storage.backups_keep,
        drivers={name: raw[name] for name in DRIVER_SECTIONS if name in raw}, source=source,
        printer=f.printer, displays=f.displays, buttons=f.buttons, audio=f.audio,
        report=f.report)


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
