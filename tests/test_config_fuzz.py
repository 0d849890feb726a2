"""Config fuzzing: ``check-config`` accepts exactly what ``run`` accepts.

The shipped configs (production sample and demo) are mutated deterministically: keys
dropped, values replaced by other types and odd values (huge, negative, NUL, CJK, very
long, nested), wrapped in lists and tables, deeply nested TOML, unknown keys. Each
mutation is written as a TOML file and loaded the way ``kiosk check-config`` does
(``config.load`` + ``bootstrap.validate_drivers``). Two promises are checked:

* loading either succeeds or raises ``ConfigError`` - never another exception;
* a config that loads also builds: every driver's ``build`` (what ``kiosk run`` calls
  through ``bootstrap.build``) raises nothing for it, and when the mutation is about
  the store or the control socket, ``bootstrap.build`` opens them and the kiosk starts.

The production sample's absolute paths (store, socket, clips) are moved under
``tmp_path`` first, so the test writes nowhere else; ``HOME`` is ``tmp_path`` too.
"""

from __future__ import annotations

import copy
import importlib
import json
import math
import random
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from kiosk import bootstrap, config
from kiosk.errors import ConfigError
from tests.hw_fakes import Recorder
from tests.support import driver_parts

SAMPLES = Path(__file__).parent.parent / "kiosk" / "configs"
SEED = 20261124
PER_SAMPLE = 300  # random mutations per sample, on top of the fixed ones

ODD: list[Any] = [
    0, -1, 1, 3, 999, 2**63 - 1, -(2**63), 1.5, -0.0, math.inf, -math.inf, math.nan,
    True, False, "", " ", "x", "A", "all", "\x00", "a\x00b", "中" * 60, "a" * 300,
    "../../etc/passwd", "/proc/kiosk", "/", "loop://", "Asia", "Asia/", "a" * 300 + "/x",
    [], [{}], [1, "a"], [[[]]], {}, {"": 1}, {"x": {"y": {}}},
    date(2027, 1, 1), time(8, 30), datetime(2027, 1, 1, 8, 30),
]


# optional keys the samples leave out, set to odd values too
OPTIONAL: list[tuple[str | int, ...]] = [
    ("branch", "code"), ("buttons", "pin_factory"), ("displays", 0, "idle_text"),
    ("displays", 1, "flash_style"), ("displays", 1, "brightness"), ("printer", "font"),
    ("printer", "qr"), ("printer", "profile"), ("audio", "quiet_hours"),
    *(("mqtt", k) for k in ("url", "prefix", "keepalive_s", "username", "password_file",
                            "ca_file", "cert_file", "key_file", "discovery",
                            "outbox_keep_days", "outbox_alarm")),
    *(("ui", k) for k in ("customer_size", "hall_size", "staff_size", "fullscreen",
                          "rotation", "idle_timeout_s", "courtesy_zh", "courtesy_en",
                          "staff_pin_hash", "font")),
]
PLAUSIBLE = ["lgpio", "mock", "blink", "mqtt://localhost:1883", "mqtts://h", "1080x1920",
             "1234", "scrypt$16384$8$1$AAAA$BBBB", "请稍候", "您自己去问吧", "a b", "Hi",
             "TM-T20II"]


# --------------------------------------------------------------------- a tiny TOML writer


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON escapes are TOML basic strings
    if isinstance(v, (datetime, date, time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_value(x)}"
                               for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(raw: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k, ensure_ascii=False)} = {_value(v)}\n"
                   for k, v in raw.items())


# ------------------------------------------------------------------------- mutations

Path_ = tuple[str | int, ...]


def _paths(node: Any, at: Path_ = ()) -> Iterator[Path_]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*at, k)
            yield from _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*at, i)
            yield from _paths(v, (*at, i))


def _parent(raw: Any, path: Path_) -> Any:
    for p in path[:-1]:
        raw = raw[p]
    return raw


def _set(raw: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    _parent(out, path)[path[-1]] = value
    return out


def _drop(raw: dict[str, Any], path: Path_) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    del _parent(out, path)[path[-1]]
    return out


def _nested(depth: int) -> Any:
    v: Any = 1
    for i in range(depth):
        v = [v] if i % 2 else {"x": v}
    return v


def mutations(name: str, base: dict[str, Any], tmp: Path) -> list[tuple[str, Any]]:
    """(label, raw dict or TOML text) pairs, the same on every run."""
    rng = random.Random(f"{SEED}-{name}")
    paths = sorted(_paths(base), key=repr)
    out: list[tuple[str, Any]] = []

    def label(kind: str, path: Path_, extra: str = "") -> str:
        return f"{name}:{kind}:{'.'.join(map(str, path))}{extra}"

    for path in paths:  # every key dropped once
        out.append((label("drop", path), _drop(base, path)))
    tables = [p for p in [(), *paths] if isinstance(_parent(base, (*p, "")), dict)]
    for path in tables:  # an unknown key in every table
        out.append((label("extra", path), _set(base, (*path, "colour"), "blue")))
    for path in OPTIONAL:
        table = path[:-1]
        try:
            _parent(base, (*table, ""))
        except (KeyError, IndexError):
            if len(table) != 1:
                continue  # e.g. a second display in a sample that has one
            base_with = {**base, table[0]: {}}
        else:
            base_with = base
        for value in rng.sample(ODD, 4) + rng.sample(PLAUSIBLE, 3):
            out.append((label("optional", path, f"={value!r:.20}"),
                        _set(base_with, path, value)))
    for _ in range(PER_SAMPLE):
        path = rng.choice(paths)
        old = _parent(base, path)[path[-1]]
        kind = rng.choice(["odd", "odd", "odd", "list", "table", "nest"])
        if kind == "odd":
            i = rng.randrange(len(ODD))
            out.append((label("odd", path, f"={i}"), _set(base, path, ODD[i])))
        elif kind == "list":
            out.append((label("list", path), _set(base, path, [old])))
        elif kind == "table":
            out.append((label("table", path), _set(base, path, {"x": old})))
        else:
            out.append((label("nest", path), _set(base, path, _nested(rng.randrange(3, 40)))))
    # paths that only break when the program runs, not when it is parsed
    a_dir = tmp / "a-dir"
    a_dir.mkdir(exist_ok=True)
    (tmp / "a-file").write_text("x")
    odd_paths = [str(a_dir), "/proc/kiosk.db", "/proc/self/kiosk.db", "/sys/kiosk.db",
                 "/dev/null", "/dev/kiosk.db", "a\x00b", "中" * 60 + ".db",
                 str(tmp / ("中" * 40)), str(tmp / "a-file" / "kiosk.db"), "x" * 300,
                 str(tmp / "ok" / "kiosk.db"), "relative/kiosk.db", str(tmp / "a-file")]
    for i, p in enumerate(odd_paths):
        out.append((label("path", ("storage", "path"), f"={i}"),
                    _set(base, ("storage", "path"), p)))
        out.append((label("path", ("control", "socket"), f"={i}"),
                    _set(base, ("control", "socket"), p)))
    # deep nesting, written as text: the TOML parser itself recurses
    for depth in (50, 400, 3000):
        out.append((f"{name}:deep-array:{depth}",
                    to_toml(base) + "deep = " + "[" * depth + "]" * depth + "\n"))
        out.append((f"{name}:deep-table:{depth}",
                    to_toml(base) + "deep = " + "{a = " * depth + "1" + "}" * depth + "\n"))
    return out


# ----------------------------------------------------------------------------- harness


def _sandboxed(name: str, tmp: Path) -> dict[str, Any]:
    raw = tomllib.loads((SAMPLES / name).read_text(encoding="utf-8"))
    raw["storage"] = {"path": str(tmp / "store" / "kiosk.db")}
    raw["control"] = {"socket": str(tmp / "run" / "control.sock")}
    if "printer" in raw:  # the stand-in, not the host's USB bus
        raw["printer"]["url"] = f"preview://{tmp / 'tickets'}"
    if "audio" in raw:
        raw["audio"]["clips"] = str(tmp / "clips")
        raw["audio"]["generate_missing"] = False  # the clip generator is tested elsewhere
    return raw


def _build(cfg: config.Config, label: str, tmp: Path, n: int, built: set[str]) -> str | None:
    """Build what ``kiosk run`` builds for ``cfg``; the first exception, as text.

    Each driver is built through its package's ``build``, as ``bootstrap.build`` does,
    and closed again; the store and the control socket through ``bootstrap.build``
    itself, when the mutation is about them. ``built`` remembers what each build
    depended on, so an unchanged driver section is not built again for every case.
    """
    counters = sorted(cfg.counters)
    for section, module in bootstrap.DRIVERS.items():
        key = repr((section, cfg.drivers.get(section), counters, cfg.branch.timezone))
        if key in built:
            continue
        built.add(key)
        mod = importlib.import_module(module)
        try:
            made = driver_parts(mod, cfg, Recorder(), section)
        except Exception as exc:
            return f"{section}: {type(exc).__name__}: {exc}"
        for part in [*made.subscribers, *made.inputs]:
            part.close()
    about = [k for k in ("storage.path", "control.socket") if f":{k}" in label]
    if not about:
        return None
    if about == ["control.socket"]:
        cfg = replace(cfg, storage_path=tmp / f"db-{n}" / "kiosk.db")
    try:
        kiosk = bootstrap.build(cfg, control="control.socket" in about, hardware=False)
        kiosk.start()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    kiosk.stop()
    return None


def check_one(label: str, case: Any, tmp: Path, n: int,
              built: set[str]) -> tuple[bool, str | None]:
    """Whether ``case`` was accepted, and what went wrong (None if the promises hold)."""
    f = tmp / f"case-{n}.toml"
    f.write_text(case if isinstance(case, str) else to_toml(case), encoding="utf-8")
    try:
        cfg = config.load(f)
        bootstrap.validate_drivers(cfg)
    except ConfigError as exc:
        return False, None if exc.key else f"{label}: an error that names no key: {exc!r}"
    except Exception as exc:
        return False, f"{label}: check-config crashed: {type(exc).__name__}: {exc}"[:300]
    problem = _build(cfg, label, tmp, n, built)
    if problem:
        return True, f"{label}: accepted by check-config, refused by run: {problem}"[:300]
    return True, None


@pytest.mark.parametrize("name", ["production.sample.toml", "demo.toml"])
def test_check_config_accepts_exactly_what_run_accepts(name: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    base = _sandboxed(name, tmp_path)
    cases = mutations(name.split(".")[0], base, tmp_path)
    assert len(cases) > 300
    built: set[str] = set()
    results = [check_one(label, case, tmp_path, n, built)
               for n, (label, case) in enumerate(cases)]
    problems = [p for _, p in results if p]
    assert problems == [], f"{len(problems)} of {len(cases)} mutations:\n" + "\n".join(problems)
    accepted = sum(ok for ok, _ in results)
    assert 30 < accepted < len(cases) - 30  # both sides of the promise were exercised
    assert len(built) >= len(bootstrap.DRIVERS)  # drivers really were built
