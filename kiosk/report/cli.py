"""``kiosk report``: a period's service-quality figures as a table, CSV, JSON or charts.

::

    kiosk report                          # today so far
    kiosk report --day 2026-11-23
    kiosk report --shift                  # the handover sheet of the shift just ending
    kiosk report --week [YYYY-MM-DD]      # the ISO week holding that day (default: today)
    kiosk report --month 2026-11 --csv november.csv
    kiosk report --from 2026-11-01 --to 2026-11-15 --json
    kiosk report --day 2026-11-23 --chart daily.pdf   # .pdf, .png or .html

It reads the store through its own read-only SQLite connection: it never takes the
kiosk's lock and never writes, so it runs while the kiosk serves customers, in its own
process, and the kiosk's memory never holds a plotting library.

Exit codes: 0 done, 1 no events in the period, 2 a bad date or option, 4 the store
cannot be read.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import config as config_mod
from kiosk.messages import Bilingual, text
from kiosk.report import export, figures, load, periods, table
from kiosk.report.chartdata import ChartData, chart_data

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

EXIT_OK, EXIT_EMPTY, EXIT_USAGE, EXIT_STORAGE = 0, 1, 2, 4
CHART_SUFFIXES = (".pdf", ".png", ".html")


def add_arguments(p: argparse.ArgumentParser) -> None:
    when = p.add_mutually_exclusive_group()
    when.add_argument("--day", metavar="YYYY-MM-DD", help="one business day (default: today)")
    when.add_argument("--week", nargs="?", const="", metavar="YYYY-MM-DD",
                      help="the Monday-Sunday week holding that day (default: this week)")
    when.add_argument("--month", nargs="?", const="", metavar="YYYY-MM",
                      help="a calendar month of business days (default: this month)")
    when.add_argument("--from", dest="from_day", metavar="YYYY-MM-DD",
                      help="first day of a range (with --to; default --to: today)")
    p.add_argument("--to", dest="to_day", metavar="YYYY-MM-DD", help="last day of a range")
    p.add_argument("--shift", nargs="?", type=int, const=0, metavar="N",
                   help="the handover sheet (交接班): the shift just ending, or shift N of "
                   "--day, its last with no N (shifts: [report] shifts in the config)")
    p.add_argument("--csv", metavar="FILE", help="also write the figures as CSV ('-': stdout)")
    p.add_argument("--chart", metavar="FILE", help="a one-page chart report: .pdf, .png or .html")
    p.add_argument("--at", metavar="ISO-TIME", help="as if run at this local time "
                   "(default: now); a day still running is measured up to it")


def _say(message: Bilingual) -> None:
    print(f"{message.zh}\n{message.en}", file=sys.stderr)


def _now(args: argparse.Namespace, cfg: config_mod.Config) -> datetime:
    tz = cfg.branch.tz
    if not getattr(args, "at", None):
        return datetime.now(tz)
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        raise ValueError(f"{args.at!r} is not a time YYYY-MM-DDTHH:MM") from None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)


def choose(args: argparse.Namespace, cfg: config_mod.Config, now: datetime) -> periods.Period:
    """The period the options name (ValueError with the reason for a bad one)."""
    today = periods.today(cfg, now)
    if args.to_day and not args.from_day:
        raise ValueError("--to needs --from")
    if args.shift is not None:
        if args.week is not None or args.month is not None or args.from_day:
            raise ValueError("--shift goes with --day only")
        if args.shift == 0 and not args.day:
            return periods.shift_ending(cfg, now)
        d = periods.parse_day(args.day) if args.day else today
        return periods.shift(cfg, d, args.shift or len(periods.shifts_of(cfg, d)))
    if args.day:
        return periods.day(periods.parse_day(args.day))
    if args.week is not None:
        return periods.week(periods.parse_day(args.week) if args.week else today)
    if args.month is not None:
        return periods.month(args.month or f"{today:%Y-%m}")
    if args.from_day:
        last = periods.parse_day(args.to_day) if args.to_day else today
        return periods.span(periods.parse_day(args.from_day), last)
    return periods.day(today)


def _config(args: argparse.Namespace) -> config_mod.Config:
    from kiosk.cli import _config_path

    return config_mod.load(_config_path(getattr(args, "config", None)))


def run(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.chart and not args.chart.lower().endswith(CHART_SUFFIXES):
        _say(text("report_chart_suffix", path=args.chart))
        return EXIT_USAGE
    try:
        now = _now(args, cfg)
        period = choose(args, cfg, now)
    except ValueError as exc:
        _say(text("report_bad_date", why=exc))
        return EXIT_USAGE
    try:
        conn = load.connect(cfg.storage_path)
    except load.NoStoreError:
        _say(text("report_no_store", path=cfg.storage_path))
        return EXIT_STORAGE
    except sqlite3.Error as exc:
        _say(text("report_store_unreadable", why=f"{cfg.storage_path}: {exc}"))
        return EXIT_STORAGE
    painter = ChartProcess(cfg, Path(args.chart)) if args.chart else None
    data: ChartData | None = None
    try:
        code = _figures(args, cfg, conn, period, now)
        if isinstance(code, figures.Report):
            data = chart_data(code) if painter is not None else None
            code = EXIT_OK
    finally:
        conn.close()
        drawn = painter.finish(data) if painter is not None else EXIT_OK
    return code if code != EXIT_OK else drawn


def _figures(args: argparse.Namespace, cfg: config_mod.Config, conn: sqlite3.Connection,
             period: periods.Period, now: datetime) -> int | figures.Report:
    """Print (and export) the figures; the report, or an exit code if there is none."""
    try:
        events = load.period_events(conn, period)
    except sqlite3.Error as exc:
        _say(text("report_store_unreadable", why=f"{cfg.storage_path}: {exc}"))
        return EXIT_STORAGE
    zh, en = period.label()
    if not events:
        _say(text("report_no_events", period_zh=zh, period_en=en))
        return EXIT_EMPTY
    report = figures.compute(events, cfg, period, now)
    if getattr(args, "json", False):
        sys.stdout.write(export.to_json(report.summary))
    else:
        sys.stdout.write(table.render(report.summary,
                                      handover=period.kind == periods.SHIFT))
    sys.stdout.flush()
    if args.csv:
        data = export.to_csv(report.summary)
        if args.csv == "-":
            sys.stdout.write(data)
        else:
            Path(args.csv).write_text(data, encoding="utf-8-sig", newline="")
            _say(text("report_written", path=args.csv))
    return report


# Exit codes of the drawing process, beyond 0 (drawn) and 1 (failed with a traceback).
_NO_MATPLOTLIB, _NO_FONT = 3, 4


def _draw(inbox: Connection, cfg: config_mod.Config, path: Path) -> None:
    """The drawing process: import the plotting library while the parent computes the
    figures, then draw what it sends (None: nothing to draw)."""
    try:
        from kiosk.report import charts
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("matplotlib"):
            sys.exit(_NO_MATPLOTLIB)
        raise
    try:
        charts.warm_up(path.suffix.lower())  # font, writer and text layout, ahead too
    except charts.NoCjkFontError:
        sys.exit(_NO_FONT)
    try:
        data = inbox.recv()
    except EOFError:
        return
    if data is None:
        return
    charts.write(data, cfg, path)


class ChartProcess:
    """The chart page drawn in a child process. Importing matplotlib (and numpy) takes
    about as long as reading and computing a busy month, so the two run side by side;
    only the small :class:`ChartData` crosses over. Forked: the child has the config
    already, and nothing is imported twice."""

    def __init__(self, cfg: config_mod.Config, path: Path) -> None:
        import multiprocessing

        self.path = path
        ctx = multiprocessing.get_context("fork")
        inbox, self._outbox = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_draw, args=(inbox, cfg, path), name="kiosk-chart",
                                 daemon=True)
        self._proc.start()
        inbox.close()  # the child's end

    def finish(self, data: ChartData | None, timeout: float = 120.0) -> int:
        """Hand over ``data`` (None: no chart), wait for the child, say how it went."""
        try:
            self._outbox.send(data)
        except (BrokenPipeError, OSError):
            pass  # the child has already ended: its exit code says why
        finally:
            self._outbox.close()
        self._proc.join(timeout)
        if self._proc.is_alive():  # a hung draw must not outlive the command
            self._proc.kill()
            self._proc.join(10)
        code = self._proc.exitcode
        if data is None:
            return EXIT_OK
        if code == 0:
            _say(text("report_written", path=self.path))
            return EXIT_OK
        if code == _NO_MATPLOTLIB:
            _say(text("report_no_matplotlib"))
        elif code == _NO_FONT:
            _say(text("report_no_cjk_font"))
        else:
            _say(text("report_chart_failed", path=self.path, code=code))
        return EXIT_USAGE
