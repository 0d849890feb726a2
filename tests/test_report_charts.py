"""The chart report: PNG, PDF and HTML of the worked day and of a week, every character
drawn from a font that has it (no tofu), and matplotlib kept out of the kiosk core."""

from __future__ import annotations

import ast
import base64
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.font_manager import findfont
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from PIL import Image

from kiosk import cli
from kiosk.clock import FakeClock
from kiosk.report import chartdata, charts, figures, periods
from kiosk.service import KioskService
from tests.test_report_cli import config_file
from tests.test_report_figures import DAY, SECTIONS, run_day

ROOT = Path(__file__).parent.parent


@pytest.fixture
def day_report(service_factory: Callable[..., KioskService],
               clock: FakeClock) -> tuple[KioskService, figures.Report]:
    svc = service_factory(**SECTIONS)
    run_day(svc, clock)
    events = svc.store.events("2026-11-23") + svc.store.events("2030-06-03")
    return svc, figures.compute(events, svc.config, periods.day(DAY))


def test_png_and_pdf_through_the_command(day_report: tuple[KioskService, figures.Report],
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config_file(tmp_path)
    for name in ("day.png", "day.pdf", "day.html"):
        code = cli.main(["report", "--config", str(cfg), "--day", "2026-11-23",
                         "--chart", str(tmp_path / name)])
        assert code == 0, capsys.readouterr().err
    with Image.open(tmp_path / "day.png") as png:
        assert png.size == (1753, 1240)  # A4 landscape at 150 dpi
        colours = png.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50  # drawn, not a blank page
    pdf = (tmp_path / "day.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + \
        pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 1
    assert b"Noto" in pdf or b"WenQuanYi" in pdf or b"SourceHan" in pdf  # the CJK font
    page = (tmp_path / "day.html").read_text(encoding="utf-8")
    assert "示例保险 城东支公司" in page and "2026-11-23" in page
    img = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert img is not None and base64.b64decode(img[1]).startswith(b"\x89PNG")
    assert "合计" in page  # the figures table under the charts
    assert "{{" not in page and "img{max-width:100%}" in page


def test_a_chart_that_cannot_be_written_fails_clearly_and_leaves_no_process(
        day_report: tuple[KioskService, figures.Report], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import multiprocessing

    cfg = config_file(tmp_path)
    code = cli.main(["report", "--config", str(cfg), "--day", "2026-11-23", "--chart",
                     str(tmp_path / "no-such-dir" / "day.pdf")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "合计" in out  # the table is printed all the same
    assert "图表" in err and "could not be made" in err
    assert multiprocessing.active_children() == []  # the drawing process has ended


def test_every_character_on_the_page_has_a_glyph(
        day_report: tuple[KioskService, figures.Report]) -> None:
    svc, rep = day_report
    fig = charts.figure(rep, svc.config)
    fig.canvas.draw()  # lays out the ticks, so their labels exist
    texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
    drawn = "".join(t.get_text() for t in texts)
    assert "等候人数" in drawn and "Counter utilisation" in drawn and "1号窗口" in drawn
    assert "示例保险" in drawn and "2026-11-23" in drawn
    for t in texts:
        font = FT2Font(findfont(t.get_fontproperties()))
        missing = {ch for ch in t.get_text() if ch.strip() and not font.get_char_index(ord(ch))}
        # a glyph the first family lacks is drawn from the fallback (DejaVu Sans): check it
        for ch in set(missing):
            fallback = FT2Font(findfont("DejaVu Sans"))
            if fallback.get_char_index(ord(ch)):
                missing.discard(ch)
        assert not missing, f"no glyph for {sorted(missing)} in {t.get_text()!r}"


def test_a_week_is_drawn_as_the_mean_by_time_of_day(
        day_report: tuple[KioskService, figures.Report], tmp_path: Path) -> None:
    svc, _ = day_report
    monday = [e.to_dict() for e in svc.store.events("2026-11-23")]
    # Tuesday: the same day again, a day later (the wrong-clock part left out)
    tuesday = [{**e, "seq": e["seq"] + 10_000, "day": "2026-11-24",
                "ts": e["ts"].replace("2026-11-23", "2026-11-24")}
               for e in monday if e["type"] != "clock_corrected"]
    report = figures.compute(monday + tuesday, svc.config, periods.week(DAY))
    grid, series, days = chartdata.waiting_series(report)
    assert days == 2
    total = [sum(v) for v in zip(*series.values(), strict=True)]
    assert max(total) == 3  # both days peak at 3 at 08:34: so does their mean
    assert grid[total.index(3)].strftime("%H:%M") == "08:34"
    path = charts.write(report, svc.config, tmp_path / "week.png")
    assert path.stat().st_size > 50_000


def test_only_the_chart_module_imports_matplotlib() -> None:
    """The core and the service must never hold the plotting library: only
    kiosk/report/charts.py may import it (and only ``kiosk report --chart`` imports that)."""
    plotting, charting = set(), set()
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            if any(n.split(".")[0] == "matplotlib" for n in names):
                plotting.add(rel)
            if "kiosk.report.charts" in names:
                charting.add(rel)
    assert plotting == {"kiosk/report/charts.py"}
    assert charting == {"kiosk/report/cli.py"}  # inside --chart's own code path
