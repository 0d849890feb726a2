"""Today's service-quality figures for the staff panel's 今日统计 / Today tab (no Kivy).

The figures are :func:`kiosk.report.summary` of today's events, computed in the UI
process (its own process: the core never computes them and never imports matplotlib;
neither does this). The events come from the control socket's ``{"cmd": "events"}``,
answered from the store's read-only connection, so the core's worker never waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.config_model import Config
from kiosk.messages import Bilingual, text
from kiosk.report import periods, summary

# the table's columns: the report's own headings, so the panel and the printed sheet agree
COLUMNS = ("report_col_name", "report_col_issued", "report_col_served",
           "report_col_no_show", "report_col_wait_mean", "report_col_wait_p90",
           "staff_today_col_good")
DASH = "—"  # no figure (nothing measured yet): reads the same in both languages


@dataclass(frozen=True, slots=True)
class FigureRow:
    name: Bilingual
    cells: tuple[str, ...]  # issued, served, no-show, wait mean, wait p90, good share
    kind: str  # total | service | counter


def figures(events: Iterable[Mapping[str, Any]], config: Config, day: str,
            now: datetime) -> dict[str, Any]:
    """The summary of business day ``day`` (ISO) up to ``now``."""
    return summary(events, config, periods.day(date.fromisoformat(day)), now)


def business_day(config: Config, now: datetime) -> str:
    """The business day ``now`` falls in (ISO), for a status that does not say yet."""
    return periods.today(config, now).isoformat()


def num(x: float | int | None) -> str:
    if x is None:
        return DASH
    return f"{x:.1f}" if isinstance(x, float) else str(x)


def pct(x: float | None) -> str:
    return DASH if x is None else f"{x * 100:.0f}%"


def _cells(g: Mapping[str, Any], issued: bool = True) -> tuple[str, ...]:
    w = g["wait"]
    return (num(g["issued"]) if issued else DASH, num(g["served"]), num(g["no_show"]),
            num(w["mean_min"]), num(w["p90_min"]), pct(g["ratings"]["share"]["good"]))


def rows(f: Mapping[str, Any]) -> list[FigureRow]:
    """The whole branch, then each service, then each counter (a counter issues nothing:
    its issued cell is a dash; its waits are those of the tickets it called)."""
    out = [FigureRow(text("report_all"), _cells(f["totals"]), "total")]
    for prefix, s in f["services"].items():
        out.append(FigureRow(Bilingual(f"{prefix} {s['name_zh']}", s["name_en"]),
                             _cells(s), "service"))
    for cid, c in f["counters"].items():
        out.append(FigureRow(text("report_counter_name", counter=cid),
                             _cells(c, issued=False), "counter"))
    return out


def headline(f: Mapping[str, Any], now: datetime) -> Bilingual:
    return text("staff_today_headline", day=f["period"]["first"], at=now.strftime("%H:%M"))


def ratings(f: Mapping[str, Any]) -> Bilingual:
    r = f["totals"]["ratings"]
    return text("report_line_ratings", good=pct(r["share"]["good"]),
                fair=pct(r["share"]["fair"]), poor=pct(r["share"]["poor"]),
                count=r["count"], rate=pct(r["response_rate"]))
