"""Run every benchmark and print the figures as JSON and as a table, each beside its target.

    python -m bench.run                    # all sections
    python -m bench.run --quick            # fewer iterations: the whole run in about 30 s
    python -m bench.run core live          # some sections
    python -m bench.run --json out.json    # also write the JSON to a file
    python -m bench.run --table out.json   # the table of a saved run (e.g. from a Pi)

Targets are printed beside the figures, never asserted: benchmarks inform, tests decide.
What each figure means and how it is measured: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import os
import platform
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.util import QUICK_ENV

log = logging.getLogger(__name__)

SECTIONS = ("core", "live", "store", "control", "printer", "counter_hw", "memory", "mqtt",
            "report", "ui")

# Keyword arguments for sections whose run() has no ``quick`` switch of its own.
QUICK_ARGS: dict[str, dict[str, Any]] = {
    "printer": {"tickets": 30},
    "memory": {"settle_s": 1.0},  # still 100 tickets: the target is defined after 100
}

# "<= N" / ">= N"; N may name other figures of the same section, joined by + or *.
TARGETS: dict[str, str] = {
    # core
    "core_commands_per_s": ">= 50000",
    "core_commands_per_s_100k_day": ">= 20000",
    "core_issue_p99_10000_vs_100_waiting": "<= 1.5",  # "the same, within noise"
    "durable_issue_inprocess_p99_ms": "<= 20",
    "restart_5000_ms": "<= 1000",
    # live kiosk, demo drivers attached
    "socket_issue_p99_ms": "<= 20",
    "cli_issue_wall_p50_ms": "<= 60",
    # control
    "cli_status_ms": "<= 60",
    "kiosk_issue_process_ms": "<= 60",
    "kiosk_status_process_ms": "<= 60",
    # printer
    "printer_image_render_p99_ms": "<= 30",
    "printer_gb18030_render_p99_ms": "<= 30",
    # the first ticket after boot, against the p50 of the tickets after it
    "printer_boot_first_over_p50_at_ready": "<= 2",
    "printer_boot_first_over_p50_after_warmup": "<= 2",
    # button -> display / audio
    "press_to_display_write_idle_p99_ms": "<= 30",
    "press_to_display_write_busy_p99_ms": "<= 30",
    "press_to_display_wire_idle_p99_ms": "<= 30 + display_frame_wire_ms",
    "press_to_display_wire_busy_p99_ms": "<= 30 + display_frame_wire_ms",
    "press_to_audio_idle_p99_ms": "<= 30",
    "press_to_audio_busy_beyond_end_p99_ms": "<= 30",
    "press_to_aplay_busy_beyond_end_p99_ms": "<= 30",
    # memory
    "rss_after_100_tickets_mb": "<= 60",
    "rss_settled_mb": "<= 60",
    # report: a month of a busy branch, charts included, in its own process
    "report_month_chart_s": "<= 2",
    "core_rss_report_delta_mb": "<= 1",  # "unchanged": the report is another process
    # mqtt
    "outbox_drain_events_per_s": ">= 2000",
    "mqtt_call_next_p99_ms": "<= 50",
    "mqtt_call_next_after_issue_p99_ms": "<= 50",
    "fleet_missing": "<= 0",
    "fleet_out_of_order": "<= 0",
    "fleet_paced_missing": "<= 0",
    "fleet_paced_out_of_order": "<= 0",
    "outbox_left_unsent": "<= 0",
    "outbox_drain_out_of_order": "<= 0",
    # ui: the touchscreen, a real window under Xvfb (software GL here)
    "ui_touch_to_confirm_p99_ms": "<= 100",
    "ui_cold_start_first_frame_ms": "<= 5000",
    "ui_rss_mb": "<= 200",
}
# A p99 in ms with no target above gets this one (the kiosk's budget for a reaction).
DEFAULT_P99_MS = "<= 30"
# ... except these, where waiting is the point of the figure (see docs/benchmarks.md).
NO_TARGET = {"press_to_audio_busy_p99_ms", "press_to_aplay_busy_p99_ms",
             "fleet_e2e_p99_ms", "fleet_paced_e2e_p99_ms"}  # a fleet's queue: no budget


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    info: dict[str, Any] = {
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":")[0].strip() in ("model name", "Model"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    model = Path("/proc/device-tree/model")  # a Raspberry Pi names itself here
    if model.exists():
        info["board"] = model.read_bytes().rstrip(b"\0").decode(errors="replace")
    return info


def run_section(name: str, quick: bool) -> tuple[dict[str, Any], str | None]:
    """The section's figures, or why there are none (missing, failed, skipped)."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            return {}, f"missing: bench/{name}.py does not exist"
        return {}, f"failed to import: {exc!r}"
    params = inspect.signature(module.run).parameters
    kwargs: dict[str, Any] = {}
    if quick:
        if "quick" in params:
            kwargs = {"quick": True}
        elif name in QUICK_ARGS:
            kwargs = {k: v for k, v in QUICK_ARGS[name].items() if k in params}
        else:
            return {}, "skipped with --quick: its run() has no quick mode"
    try:
        return dict(module.run(**kwargs)), None
    except Exception as exc:  # one broken section must not hide the others' figures
        log.debug("%s failed:\n%s", name, traceback.format_exc())
        return {}, f"failed: {type(exc).__name__}: {exc}"


def derive(results: dict[str, dict[str, Any]]) -> None:
    """Figures computed from others, so that their targets can be read off the table."""
    core = results.get("core", {})
    a = core.get("core_issue_at_100_waiting_p99_us")
    b = core.get("core_issue_at_10000_waiting_p99_us")
    if a and b:
        core["core_issue_p99_10000_vs_100_waiting"] = round(b / a, 2)


def threshold(target: str, figures: dict[str, Any]) -> tuple[str, float] | None:
    op, _, expr = target.partition(" ")
    tokens = expr.split()
    if op not in ("<=", ">=") or not tokens:
        return None
    try:
        values = [float(figures[t]) if t in figures else float(t) for t in tokens[::2]]
    except (KeyError, ValueError):
        return None
    total = values[0]
    for sign, value in zip(tokens[1::2], values[1:], strict=True):
        total = total + value if sign == "+" else total * value
    return op, total


def verdict(value: Any, target: str, figures: dict[str, Any]) -> str:
    limit = threshold(target, figures)
    if limit is None or not isinstance(value, int | float):
        return ""
    op, bound = limit
    ok = value <= bound if op == "<=" else value >= bound
    return "yes" if ok else "NO"


def target_of(key: str) -> str:
    if key in TARGETS:
        return TARGETS[key]
    if key.endswith("_p99_ms") and key not in NO_TARGET:
        return DEFAULT_P99_MS
    return ""


def rows(name: str, figures: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per figure; a p50 and its p99 (or p90) share a row."""
    out: list[tuple[str, ...]] = []
    done: set[str] = set()
    for key, value in figures.items():
        if key in done:
            continue
        done.add(key)
        if "_p50_" in key:
            partner = next((key.replace("_p50_", f"_{p}_") for p in ("p99", "p90")
                            if key.replace("_p50_", f"_{p}_") in figures), None)
            if partner:
                done.add(partner)
                label = key.replace("_p50_", "_")
                tail = partner.rsplit("_", 1)[0].rsplit("_", 1)[1]  # p99 / p90
                t50, tp = target_of(key), target_of(partner)
                target, judged, val = (f"p50 {t50}", key, value) if t50 else (
                    (f"{tail} {tp}", partner, figures[partner]) if tp else ("", key, value))
                out.append((name, label, str(value), f"{tail} {figures[partner]}", target,
                            verdict(val, target_of(judged), figures)))
                continue
        target = target_of(key)
        out.append((name, key, str(value), "", target, verdict(value, target, figures)))
    return out


def table(results: dict[str, Any], sections: list[str]) -> str:
    lines: list[tuple[str, ...]] = [("section", "figure", "value / p50", "p99", "target", "met")]
    for name in sections:
        figures = results.get(name, {})
        if name in results.get("problems", {}):
            lines.append((name, results["problems"][name], "", "", "", ""))
        lines.extend(rows(name, figures))
    widths = [max(len(r[i]) for r in lines) for i in range(6)]
    return "\n".join(
        "  ".join(cell.rjust(w) if i in (2, 3) else cell.ljust(w)
                  for i, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (~30 s)")
    parser.add_argument("--json", metavar="FILE", help="also write the JSON to FILE")
    parser.add_argument("--table", metavar="FILE", help="print the table of a saved JSON")
    args = parser.parse_args(argv)
    if args.table:
        saved = json.loads(Path(args.table).read_text(encoding="utf-8"))
        names = [n for n in SECTIONS if n in saved]
        derive(saved)
        sys.stdout.write(json.dumps(saved["machine"], ensure_ascii=False) + "\n\n"
                         + table(saved, names) + "\n")
        return 0
    wanted: list[str] = args.sections or list(SECTIONS)
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.quick:
        os.environ[QUICK_ENV] = "1"  # read by the sections through bench.util.quick_mode
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "seconds": {},
                               "problems": {}}
    started = time.perf_counter()
    for name in wanted:
        t0 = time.perf_counter()
        figures, problem = run_section(name, args.quick)
        results["seconds"][name] = round(time.perf_counter() - t0, 1)
        results[name] = figures
        if problem:
            results["problems"][name] = problem
            log.warning("section %s: %s", name, problem)
    results["seconds"]["total"] = round(time.perf_counter() - started, 1)
    derive(results)
    results["targets"] = {k: target_of(k) for name in wanted for k in results[name]
                          if target_of(k)}
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n\n" + table(results, wanted) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
