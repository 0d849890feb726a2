"""The figures as CSV (one row per group: the branch, each service, each counter) and
as JSON (the summary dict as it is).

CSV is written as UTF-8 with a byte-order mark, so that Excel, which head office opens
it with, reads the Chinese names correctly.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

COLUMNS = ("period", "first_day", "last_day", "scope", "id", "name_zh", "name_en",
           "issued", "served", "no_show", "unserved", "reinstated", "served_after_closing",
           "wait_n", "wait_mean_min", "wait_median_min", "wait_p90_min", "wait_max_min",
           "wait_untimed", "waited_over_threshold", "threshold_min", "service_n",
           "service_mean_min", "service_median_min", "service_p90_min", "priority",
           "no_open_counter_min", "pause_min", "busy_min", "staffed_min", "utilisation",
           "late_openings", "late_min", "transfers_out", "ratings", "good", "fair", "poor",
           "response_rate")


def _row(f: dict[str, Any], scope: str, key: str, g: dict[str, Any]) -> dict[str, Any]:
    p = f["period"]
    w, s, r = g["wait"], g["service"], g["ratings"]
    late = g.get("late", [])
    return {
        "period": p["label_en"], "first_day": p["first"], "last_day": p["last"],
        "scope": scope, "id": key, "name_zh": g.get("name_zh", ""),
        "name_en": g.get("name_en", ""), "issued": g.get("issued", ""),
        "served": g["served"], "no_show": g["no_show"], "unserved": g.get("unserved", ""),
        "reinstated": g["reinstated"], "served_after_closing": g["served_after_closing"],
        "wait_n": w["n"], "wait_mean_min": w["mean_min"], "wait_median_min": w["median_min"],
        "wait_p90_min": w["p90_min"], "wait_max_min": w["max_min"],
        "wait_untimed": w["untimed"], "waited_over_threshold": g["waited_over_threshold"],
        "threshold_min": g["threshold_min"], "service_n": s["n"],
        "service_mean_min": s["mean_min"], "service_median_min": s["median_min"],
        "service_p90_min": s["p90_min"],
        "priority": g["priority"]["count"] if "priority" in g else "",
        "no_open_counter_min": g.get("no_open_counter_min", ""),
        "pause_min": g.get("pause_min", ""), "busy_min": g.get("busy_min", ""),
        "staffed_min": g.get("staffed_min", ""), "utilisation": g.get("utilisation", ""),
        "late_openings": sum(1 for x in late if x["minutes"] is not None) if scope ==
        "counter" else g.get("late_openings", ""),
        "late_min": round(sum(x["minutes"] or 0 for x in late), 2) if scope == "counter"
        else "",
        "transfers_out": g.get("transfers_out", ""), "ratings": r["count"],
        "good": r["good"], "fair": r["fair"], "poor": r["poor"],
        "response_rate": r["response_rate"],
    }


def rows(f: dict[str, Any]) -> list[dict[str, Any]]:
    out = [_row(f, "branch", f["branch"]["code"], f["totals"] | {
        "name_zh": f["branch"]["name_zh"], "name_en": f["branch"]["name_en"]})]
    out += [_row(f, "service", k, g) for k, g in f["services"].items()]
    out += [_row(f, "counter", k, g) for k, g in f["counters"].items()]
    return out


def to_csv(f: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    w.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows(f))
    return buf.getvalue()


def to_json(f: dict[str, Any]) -> str:
    return json.dumps(f, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
