"""``kiosk doctor [--json]``: check the kiosk and explain, in plain words, what to fix.

What is checked (:mod:`kiosk.checks`, one small function each): the config; whether the
service runs; the printer and its paper; each call display's port; the GPIO pins; the
sound device and the voice clip pack; the broker, these credentials and the ACL; the
clock; disk space; the system log's size limit (SD-card wear); the database's integrity
and schema version.

Each result is ``ok``, ``warn`` or ``fail``, in Chinese and English, with the fix.
``--json`` prints the same results as one JSON object for IT's tools.

Nothing is changed: the database is read through a read-only connection, the store lock
is never taken, and the devices a running kiosk holds are judged from its own status.

Exit codes: 0 when no check fails (warnings allowed), 1 when any check fails.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.checks import Probe, Result

EXIT_OK, EXIT_FAILED = 0, 1
MARK = {"ok": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=5.0, metavar="S",
                   help="seconds to wait for each device or server (default 5)")


def probe(config_arg: str | None, socket_arg: str | None = None,
          timeout: float = 5.0) -> Probe:
    """Load the config (a bad one is a result, not an error) and ask the running kiosk
    for its status, if it runs."""
    from pathlib import Path

    from kiosk.bootstrap import validate_drivers
    from kiosk.checks import Probe
    from kiosk.cli import _config_path
    from kiosk.config import load
    from kiosk.errors import ConfigError, ControlError

    path = _config_path(config_arg)
    try:
        cfg = load(path)
        validate_drivers(cfg)
    except ConfigError as exc:
        return Probe(None, path, config_error=str(exc), timeout=timeout)
    p = Probe(cfg, path, timeout=timeout)
    from kiosk.control_client import request

    sock = Path(socket_arg) if socket_arg else cfg.socket_path
    try:
        reply = request(sock, {"cmd": "status"}, timeout=timeout)
        if reply.get("ok"):
            p.live = reply["status"]
        else:
            p.live_why = str(reply.get("message_en", "refused"))
    except (ControlError, OSError) as exc:
        p.live_why = str(exc)
    return p


def report(results: list[Result]) -> dict[str, Any]:
    counts = {level: sum(r.level == level for r in results) for level in ("ok", "warn", "fail")}
    return {"ok": counts["fail"] == 0, "counts": counts,
            "checks": [r.to_dict() for r in results]}


def print_text(results: list[Result]) -> None:
    from kiosk import messages

    for r in results:
        print(f"{MARK[r.level]} {r.name}: {r.text.zh}")
        print(f"{' ' * 7}{' ' * len(r.name)}  {r.text.en}")
        if r.fix is not None:
            fix = messages.text("doctor_fix", fix=r.fix.zh)
            print(f"{' ' * 9}{fix.zh}")
            print(f"{' ' * 9}{messages.en('doctor_fix', fix=r.fix.en)}")
    counts = report(results)["counts"]
    summary = messages.text("doctor_summary", **counts)
    print(f"\n{summary.zh}\n{summary.en}")


def run(args: argparse.Namespace) -> int:
    import json

    from kiosk.checks import run_all

    results = run_all(probe(args.config, args.socket, args.timeout))
    if args.json:
        print(json.dumps(report(results), ensure_ascii=False, indent=2))
    else:
        print_text(results)
    return EXIT_OK if all(r.level != "fail" for r in results) else EXIT_FAILED
