"""A one-page chart report (PDF, PNG or HTML) with the branch name and the period:
customers waiting through the day, the wait-time distribution per service, and counter
utilisation.

Only ``kiosk report --chart`` (its own process) and the staff panel's request import this
module; the kiosk core never does, so it never holds matplotlib (~30 MB). matplotlib is
driven through ``Figure`` objects and the Agg renderer, never ``pyplot``: no global
figure state, no GUI backend, safe to call from any thread of a long-lived process.

Chinese text needs a CJK font, found on the system the way the printer finds its own
(fontconfig first, then the directories Debian installs fonts-noto-cjk and fonts-wqy
into); without one the charts are refused rather than drawn with empty boxes (tofu).
"""

from __future__ import annotations

import base64
import functools
import html
import importlib
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything draws: no display on a kiosk, no GUI toolkit

from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.figure import Figure

from kiosk.config_model import Config
from kiosk.errors import KioskError
from kiosk.messages import text
from kiosk.report import table
from kiosk.report.chartdata import ChartData, chart_data
from kiosk.report.figures import Report

_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Droid Sans Fallback")
_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_GLOBS = ("**/NotoSansCJK*-Regular.tt[cf]", "**/NotoSansCJKsc-Regular.otf",
          "**/SourceHanSans*Regular*", "**/wqy-zenhei.ttc", "**/wqy-microhei.ttc",
          "**/DroidSansFallback*.ttf")
COLOURS = ("#1f6fb2", "#e07b00", "#2e9e5b", "#b23a48", "#7a5cb8", "#8c6d31")
A4_LANDSCAPE = (11.69, 8.27)
FLIERS_UP_TO = 2000  # beyond that many waits the outlier dots are a smear, not news
# boxplot's ``vert`` became ``orientation`` in matplotlib 3.10 (``vert`` warns from 3.11)
_MPL = tuple(int(x) for x in re.findall(r"\d+", matplotlib.__version__)[:2])
HORIZONTAL: dict[str, Any] = {"orientation": "horizontal"} if _MPL >= (3, 10) else \
    {"vert": False}


class NoCjkFontError(KioskError, FileNotFoundError):
    """No font with Chinese glyphs is installed: the charts would show empty boxes."""


def _font_files() -> list[Path]:
    found: list[Path] = []
    exe = shutil.which("fc-list")
    if exe:
        try:
            out = subprocess.run([exe, ":lang=zh-cn", "file"], capture_output=True,
                                 text=True, timeout=10, check=False).stdout
            found = [Path(line.strip().rstrip(":")) for line in out.splitlines()
                     if line.strip()]
        except (OSError, subprocess.SubprocessError):
            found = []
    for d in _DIRS:
        root = Path(d).expanduser()
        if root.is_dir():
            for pattern in _GLOBS:
                found += sorted(root.glob(pattern))
    return found


@functools.cache
def cjk_family() -> str:
    """The name of a CJK font family registered with matplotlib (cached: one lookup per
    process). A family matplotlib's own font scan already knows is taken as it is; else
    the files fontconfig and the usual directories list are registered, sans before
    serif, until one fits. Simplified Chinese faces are preferred (a Noto .ttc also holds
    JP/KR/TC faces)."""
    known = {e.name for e in font_manager.fontManager.ttflist}  # matplotlib's own scan
    family = next((f for f in _FAMILIES if f in known), None)
    if family is not None:
        return family
    files = [f for f in dict.fromkeys(_font_files())
             if f.suffix.lower() in (".ttc", ".ttf", ".otf") and "Serif" not in f.name]
    files.sort(key=lambda f: ("Bold" in f.name, str(f)))
    for path in files:
        try:
            font_manager.fontManager.addfont(str(path))
        except (OSError, RuntimeError, ValueError):
            continue
        names = {e.name for e in font_manager.fontManager.ttflist}
        found = next((f for f in _FAMILIES if f in names), None)
        if family is None:
            family = found
        elif found == family:
            break  # its bold face is in too: titles are drawn in real bold
    if family is None:
        raise NoCjkFontError(text("report_no_cjk_font").en)
    return family


def warm_up(suffix: str) -> None:
    """Do ahead what the first page would do on its own: find the CJK font, load its
    faces, import the file writer for ``suffix``. The chart process calls this while the
    figures are still being computed, so it is off the path the user waits on."""
    if suffix == ".pdf":
        importlib.import_module("matplotlib.backends.backend_pdf")  # now, for its ~0.1 s
    with matplotlib.rc_context(_style()):
        fig = Figure(figsize=(1, 1))
        fig.text(0, 0, "等候 Wait 0", fontweight="bold")
        fig.text(0, 0.5, "窗口 Counter 1")
        fig.canvas.draw()


def _style() -> dict[Any, Any]:  # matplotlib types the keys as a Literal of names
    return {"font.family": [cjk_family(), "DejaVu Sans"], "font.size": 9,
            "axes.spines.top": False, "axes.spines.right": False,
            "axes.titlesize": 11, "axes.titleweight": "bold"}


# --------------------------------------------------------------------- the page


def _headline(f: dict[str, Any]) -> tuple[str, str]:
    t = f["totals"]
    good = t["ratings"]["share"]["good"]
    m = text("report_chart_headline", issued=t["issued"], served=t["served"],
             no_show=t["no_show"], wait=table.num(t["wait"]["mean_min"]),
             over=t["waited_over_threshold"], good=table.pct(good))
    return m.zh, m.en


def _waiting(ax: Any, data: ChartData, config: Config) -> None:
    grid, series, days = data.grid, data.series, data.days
    names = [f"{p} {config.services[p].name_zh}" if p in config.services else p
             for p in series]
    if grid:
        ax.stackplot(grid, *series.values(), labels=names, step="post",
                     colors=COLOURS[:len(series)], alpha=0.85)
        ax.set_xlim(grid[0], grid[-1])
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=grid[0].tzinfo))
        # above the plot, level with the title: never over the queue it explains
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False,
                  ncols=max(1, len(series)), borderaxespad=0.2)
    title = text("report_chart_waiting") if days <= 1 else \
        text("report_chart_waiting_mean", days=days)
    ax.set_title(f"{title.zh}  {title.en}", loc="left")
    ax.set_ylabel(str(text("report_axis_customers")))
    ax.yaxis.get_major_locator().set_params(integer=True)
    for opening, closing in data.business if days <= 1 else ():
        ax.axvline(opening, color="#888", lw=0.8, ls=":")
        ax.axvline(closing, color="#888", lw=0.8, ls=":")
    ax.grid(axis="y", color="#ddd", lw=0.6)


def _distribution(ax: Any, data: ChartData, config: Config, threshold: int) -> None:
    waits = data.waits
    prefixes = [p for p in config.services if waits.get(p)]
    title = text("report_chart_wait_dist")
    ax.set_title(f"{title.zh}  {title.en}", loc="left")
    if prefixes:
        box = ax.boxplot([waits[p] for p in prefixes], **HORIZONTAL, patch_artist=True,
                         widths=0.55, showmeans=True, flierprops={"markersize": 3},
                         showfliers=sum(len(waits[p]) for p in prefixes) <= FLIERS_UP_TO,
                         medianprops={"color": "black"})
        for patch, colour in zip(box["boxes"], COLOURS, strict=False):
            patch.set_facecolor(colour)
            patch.set_alpha(0.6)
        ax.set_yticks(range(1, len(prefixes) + 1),
                      [f"{p} {config.services[p].name_zh}\nn={len(waits[p])}"
                       for p in prefixes])
        ax.invert_yaxis()
    ax.axvline(threshold, color="#b23a48", ls="--", lw=1)
    # the dashed line is named in the axis label: a label beside the line collides with
    # the title when the threshold sits near zero
    over, unit = text("report_col_over", minutes=threshold), text("report_axis_minutes")
    ax.set_xlabel(f"{unit.zh} / {unit.en}   (- - {over.zh} / {over.en})")
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="#ddd", lw=0.6)


def _utilisation(ax: Any, f: dict[str, Any]) -> None:
    counters = f["counters"]
    ids = list(counters)
    busy = [counters[c]["busy_min"] for c in ids]
    idle = [max(0.0, counters[c]["staffed_min"] - counters[c]["busy_min"]) for c in ids]
    paused = [counters[c]["pause_min"] for c in ids]
    labels = [text("report_counter_name", counter=c).zh for c in ids]
    rows = range(len(ids))
    for values, left, key, colour in (
            (busy, [0.0] * len(ids), "report_legend_busy", "#1f6fb2"),
            (idle, busy, "report_legend_idle", "#bcd4ea"),
            (paused, [b + i for b, i in zip(busy, idle, strict=True)],
             "report_legend_paused", "#e0a030")):
        ax.barh(rows, values, left=left, color=colour, height=0.6,
                label=f"{text(key).zh} {text(key).en}")
    for y, c in zip(rows, ids, strict=True):
        total = busy[y] + idle[y] + paused[y]
        ax.text(total, y, f"  {table.pct(counters[c]['utilisation'])}", va="center",
                fontsize=9)
    ax.set_yticks(list(rows), labels)
    title = text("report_chart_utilisation")
    ax.set_title(f"{title.zh}  {title.en}", loc="left")
    ax.set_xlabel(str(text("report_axis_minutes")))
    longest = max((b + i + p for b, i, p in zip(busy, idle, paused, strict=True)), default=0)
    ax.set_xlim(0, longest * 1.12 or 1)  # room for the percentages after the bars
    ax.set_ylim(len(ids) - 0.5, -1.3)  # headroom above the first bar for the legend
    ax.legend(loc="upper left", frameon=False, fontsize=8, ncols=3)
    ax.grid(axis="x", color="#ddd", lw=0.6)


def figure(report: Report | ChartData, config: Config) -> Figure:
    """The page as a matplotlib Figure (not attached to pyplot)."""
    from kiosk.settings.report import ReportSettings

    data = report if isinstance(report, ChartData) else chart_data(report)
    f = data.summary
    threshold = (config.report or ReportSettings()).wait_threshold_min
    with matplotlib.rc_context(_style()):
        # fixed margins, not the constrained layout engine: that one draws the whole page
        # once more to measure it, about a third of the time a month's page takes
        fig = Figure(figsize=A4_LANDSCAPE)
        b, p = f["branch"], f["period"]
        head = text("report_shift_title" if p["kind"] == "shift" else "report_title")
        fig.suptitle(f"{b['name_zh']}  {head.zh}  {p['label_zh']}\n"
                     f"{b['name_en']} · {head.en} · {p['label_en']}", fontsize=13,
                     fontweight="bold")
        grid = fig.add_gridspec(4, 2, height_ratios=[0.18, 1.0, 1.0, 0.04], left=0.085,
                                right=0.975, top=0.9, bottom=0.025, hspace=0.42,
                                wspace=0.16)
        top = fig.add_subplot(grid[0, :])
        top.axis("off")
        zh, en = _headline(f)
        top.text(0.0, 0.75, zh, fontsize=11, va="center")
        top.text(0.0, 0.2, en, fontsize=9, va="center", color="#444")
        _waiting(fig.add_subplot(grid[1, :]), data, config)
        _distribution(fig.add_subplot(grid[2, 0]), data, config, threshold)
        _utilisation(fig.add_subplot(grid[2, 1]), f)
        foot = fig.add_subplot(grid[3, :])  # a row of its own: never over an axis label
        foot.axis("off")
        footer = text("report_chart_footer")
        foot.text(1.0, 0.0, f"{footer.zh} / {footer.en}", ha="right", va="bottom",
                  fontsize=7, color="#666", transform=foot.transAxes)
    return fig


def write(report: Report | ChartData, config: Config, path: Path) -> Path:
    """Write the page to ``path``: .pdf, .png (150 dpi) or .html (the page as an image
    and the figures as a table, one self-contained file)."""
    data = report if isinstance(report, ChartData) else chart_data(report)
    fig = figure(data, config)
    suffix = path.suffix.lower()
    with matplotlib.rc_context(_style()):
        if suffix == ".html":
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110)
            path.write_text(_html(data.summary, base64.b64encode(buf.getvalue()).decode()),
                            encoding="utf-8")
        else:
            fig.savefig(path, dpi=150, metadata=_metadata(data.summary, suffix))
    return path


def _metadata(f: dict[str, Any], suffix: str) -> dict[str, str] | None:
    if suffix != ".pdf":
        return None
    b, p = f["branch"], f["period"]
    return {"Title": f"{b['name_zh']} {p['label_zh']}", "Creator": "counter-kiosk"}


_CSS = ("body{font-family:'Noto Sans CJK SC','Source Han Sans SC',sans-serif;margin:1.5em}"
        "img{max-width:100%}"
        "pre{font-family:'Noto Sans Mono CJK SC',monospace;font-size:13px}")


def _html(f: dict[str, Any], png_b64: str) -> str:
    b, p = f["branch"], f["period"]
    head = text("report_shift_title" if p["kind"] == "shift" else "report_title")
    title = html.escape(f"{b['name_zh']} {head.zh} {p['label_zh']}")
    body = html.escape(table.render(f, handover=p["kind"] == "shift"))
    return (
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{title}</h1>\n<p>{html.escape(b['name_en'])} · {html.escape(head.en)} · "
        f"{html.escape(p['label_en'])}</p>\n"
        f"<img alt=\"{title}\" src=\"data:image/png;base64,{png_b64}\">\n"
        f"<pre>{body}</pre>\n</body></html>\n")
