"""The figures as a readable bilingual text table, for a terminal or a printed sheet.

Column widths count display cells (a Chinese character takes two), so the columns line
up in a terminal whatever the language.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from kiosk.messages import Bilingual, text


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int, right: bool) -> str:
    gap = " " * max(0, w - width(s))
    return gap + s if right else s + gap


def grid(head: list[Bilingual], rows: list[list[str]]) -> list[str]:
    """Two header lines (Chinese, English), then the rows; the first column is left
    aligned, the numbers right aligned."""
    table = [[h.zh for h in head], [h.en for h in head], *rows]
    widths = [max(width(r[i]) for r in table) for i in range(len(head))]
    out = []
    for n, r in enumerate(table):
        out.append("  ".join(_pad(c, widths[i], i > 0) for i, c in enumerate(r)).rstrip())
        if n == 1:
            out.append("  ".join("-" * w for w in widths))
    return out


def num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.1f}"
    return str(x)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _service_rows(s: dict[str, Any], name: str) -> list[str]:
    w, sv = s["wait"], s["service"]
    return [name, num(s["issued"]), num(s["served"]), num(s["no_show"]), num(s["unserved"]),
            num(w["mean_min"]), num(w["median_min"]), num(w["p90_min"]), num(w["max_min"]),
            num(s["waited_over_threshold"]), num(sv["mean_min"]), num(sv["p90_min"]),
            num(s["no_open_counter_min"])]


def _counter_row(cid: str, c: dict[str, Any]) -> list[str]:
    r = c["ratings"]
    late = sum(x["minutes"] or 0 for x in c["late"])
    return [text("report_counter_name", counter=cid).zh, num(c["served"]), num(c["no_show"]),
            num(c["wait"]["mean_min"]), num(c["service"]["mean_min"]), num(c["pause_min"]),
            pct(c["utilisation"]), num(round(late, 2)) if c["late"] else "-",
            f"{r['good']}/{r['fair']}/{r['poor']}", pct(r["response_rate"])]


def _notes(f: dict[str, Any]) -> list[Bilingual]:
    t = f["totals"]
    none = "—"  # nothing to list: a dash reads the same in both languages
    notes = []
    peak = t["peak_waiting"]
    if peak["at"]:
        notes.append(text("report_line_peak", count=peak["count"], at=peak["at"][11:16]))
    pr = t["priority"]
    reasons = ", ".join(f"{k} {v}" for k, v in pr["reasons"].items())
    notes.append(text("report_line_priority", count=pr["count"], reasons=reasons or none))
    tr = f["transfers"]
    routes = ", ".join(f"{k} {v}" for k, v in tr["routes"].items())
    notes.append(text("report_line_transfers", count=tr["count"], routes=routes or none,
                      rewait=num(tr["rewait"]["mean_min"])))
    r = t["ratings"]
    notes.append(text("report_line_ratings", good=pct(r["share"]["good"]),
                      fair=pct(r["share"]["fair"]), poor=pct(r["share"]["poor"]),
                      count=r["count"], rate=pct(r["response_rate"])))
    for cid, c in f["counters"].items():
        if c["pauses"]:
            why = ", ".join(f"{k} {num(v)}" for k, v in c["pauses"].items())
            notes.append(text("report_line_pause", counter=cid, minutes=num(c["pause_min"]),
                              reasons=why))
    for x in f["late_openings"]:
        if x["minutes"] is None:
            notes.append(text("report_line_not_opened", counter=x["counter"], day=x["day"],
                              opening=x["opening"][11:16]))
        else:
            notes.append(text("report_line_late", counter=x["counter"], day=x["day"],
                              opening=x["opening"][11:16], opened=x["opened"][11:16],
                              minutes=num(x["minutes"])))
    for prefix, s in f["services"].items():
        if s["no_open_counter_min"]:
            notes.append(text("report_line_no_counter", service=f"{prefix} {s['name_en']}",
                              minutes=num(s["no_open_counter_min"])))
    for key, value in (("report_line_after_closing", t["served_after_closing"]),
                       ("report_line_reinstated", t["reinstated"]),
                       ("report_line_untimed", t["wait"]["untimed"])):
        if value:
            notes.append(text(key, count=value))
    return notes


def render(f: dict[str, Any], *, handover: bool = False) -> str:
    """The summary dict of :func:`kiosk.report.figures.summary` as text."""
    p, b, t = f["period"], f["branch"], f["totals"]
    title = text("report_shift_title" if handover else "report_title")
    lines = [f"{b['name_zh']} / {b['name_en']}", str(title),
             str(text("report_period", period_zh=p["label_zh"], period_en=p["label_en"])), ""]
    over = text("report_col_over", minutes=t["threshold_min"])
    head = [text("report_col_name"), text("report_col_issued"), text("report_col_served"),
            text("report_col_no_show"), text("report_col_unserved"),
            text("report_col_wait_mean"), text("report_col_wait_median"),
            text("report_col_wait_p90"), text("report_col_wait_max"), over,
            text("report_col_service_mean"), text("report_col_service_p90"),
            text("report_col_no_counter")]
    rows = [_service_rows(s, f"{k} {s['name_zh']}") for k, s in f["services"].items()]
    rows.append(_service_rows(t, text("report_all").zh))
    lines += [str(text("report_section_services")), *grid(head, rows), ""]
    head = [text("report_col_name"), text("report_col_served"), text("report_col_no_show"),
            text("report_col_wait_mean"), text("report_col_service_mean"),
            text("report_col_pause"), text("report_col_utilisation"), text("report_col_late"),
            text("report_col_ratings"), text("report_col_response")]
    rows = [_counter_row(cid, c) for cid, c in f["counters"].items()]
    lines += [str(text("report_section_counters")), *grid(head, rows), ""]
    lines.append(str(text("report_section_notes")))
    for note in _notes(f):
        lines += [f"  {note.zh}", f"  {note.en}"]
    if handover:
        still = text("report_line_still_waiting", count=t["unserved"])
        lines += [f"  {still.zh}", f"  {still.en}", "", text("report_signature").zh,
                  text("report_signature").en]
    return "\n".join(lines) + "\n"
