"""``kiosk report``: the table, CSV, JSON, the shift sheet, its errors, and that it reads
the store of a running kiosk without taking its lock or writing to it. Also the
``[report]`` config section."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import cli
from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.errors import ConfigError
from kiosk.report import figures, periods
from kiosk.service import Accepted, KioskService
from tests.support import make_config
from tests.test_report_figures import DAY, SECTIONS, run_day

ROOT = Path(__file__).parent.parent


def config_file(tmp: Path) -> Path:
    """The test branch of tests/test_report_figures.py as a TOML file, on tmp's store."""
    services = "".join(
        f'[[services]]\nprefix = "{s["prefix"]}"\nname_zh = "{s["name_zh"]}"\n'
        f'name_en = "{s["name_en"]}"\navg_minutes = {s["avg_minutes"]}\n'
        f'documents = [{{ zh = "证件", en = "ID" }}]\n' for s in SECTIONS["services"])
    days = "".join(f'{d} = {json.dumps(v)}\n' for d, v in SECTIONS["hours"].items())
    path = tmp / "kiosk.toml"
    path.write_text(
        f'[storage]\npath = "{tmp}/kiosk.db"\n[control]\nsocket = "{tmp}/control.sock"\n'
        f"[hours]\n{days}{services}"
        '[[counters]]\nid = 1\nservices = ["A"]\n'
        '[[counters]]\nid = 2\nservices = ["A", "B"]\nstart = "closed"\n'
        '[[counters]]\nid = 3\nservices = ["B"]\n'
        '[report]\nwait_threshold_min = 10\nshifts = ["08:30-12:30", "12:30-17:00"]\n',
        encoding="utf-8")
    return path


@pytest.fixture
def running(service_factory: Callable[..., KioskService], clock: FakeClock,
            tmp_path: Path) -> tuple[KioskService, Path]:
    """The worked day in a kiosk service that is still running (it holds the store's
    lock), and a config file naming its store."""
    svc = service_factory(**SECTIONS)
    run_day(svc, clock)
    return svc, config_file(tmp_path)


def report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_shows_the_days_figures(running: tuple[KioskService, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, cfg = running
    code, out, _ = report(capsys, "--config", str(cfg), "--day", "2026-11-23")
    assert code == 0
    assert "示例保险 城东支公司" in out and "Period: 2026-11-23" in out
    total = next(line for line in out.splitlines() if line.startswith("合计")).split()
    # issued served no-show unserved | wait mean median p90 max | over | service mean p90 |
    # minutes with no open counter (tests/test_report_figures.py works these out)
    assert total[1:] == ["9", "7", "1", "1", "5.4", "3.0", "16.0", "16.0", "2", "11.3",
                         "17.0", "15.0"]
    row2 = next(line for line in out.splitlines() if line.startswith("2号窗口")).split()
    assert row2[1:3] == ["0", "1"] and "10.0" in row2  # a no-show; 10 minutes late
    assert "Counter 2 was due to open at 08:30 on 2026-11-23, opened 08:40" in out


def test_json_is_the_summary_and_csv_has_a_row_per_group(
        running: tuple[KioskService, Path], capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    svc, cfg = running
    out_csv = tmp_path / "day.csv"
    code, out, err = report(capsys, "--config", str(cfg), "--day", "2026-11-23", "--json",
                            "--csv", str(out_csv))
    assert code == 0 and str(out_csv) in err
    got = json.loads(out)
    want = figures.summary(svc.store.events("2026-11-23") + svc.store.events("2030-06-03"),
                           svc.config, periods.day(DAY))
    assert got["totals"] == json.loads(json.dumps(want["totals"]))
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["scope"], r["id"]) for r in rows] == [
        ("branch", "demo"), ("service", "A"), ("service", "B"), ("counter", "1"),
        ("counter", "2"), ("counter", "3")]
    assert (rows[0]["issued"], rows[0]["served"], rows[0]["waited_over_threshold"]) == \
        ("9", "7", "2")
    assert (rows[2]["no_open_counter_min"], rows[5]["pause_min"]) == ("15.0", "20.0")
    assert (rows[4]["late_openings"], rows[4]["late_min"]) == ("1", "10.0")


@pytest.mark.parametrize(("at", "shift", "issued"), [
    ("2026-11-23T12:40", 1, "7"),  # just after the 12:30 handover: the morning's sheet
    ("2026-11-23T16:55", 2, "2"),  # just before closing: the afternoon's
])
def test_shift_prints_the_handover_sheet_of_the_shift_just_ending(
        running: tuple[KioskService, Path], capsys: pytest.CaptureFixture[str], at: str,
        shift: int, issued: str) -> None:
    _, cfg = running
    code, out, _ = report(capsys, "--config", str(cfg), "--shift", "--at", at)
    assert code == 0
    assert "交接班统计表" in out and f"第{shift}班" in out and f"shift {shift}" in out
    assert "交班人" in out and "Taken over by" in out
    total = next(line for line in out.splitlines() if line.startswith("合计")).split()
    assert total[1] == issued


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["--day", "2026-13-01"], 2, "日期有误"),
    (["--day", "23/11/2026"], 2, "YYYY-MM-DD"),
    (["--month", "2026-1"], 2, "YYYY-MM"),
    (["--from", "2026-11-24", "--to", "2026-11-01"], 2, "before it starts"),
    (["--day", "2026-11-22"], 1, "没有可统计的记录"),  # a Sunday: the branch was closed
    (["--day", "2026-11-23", "--chart", "x.txt"], 2, ".pdf、.png 或 .html"),
    (["--shift", "3", "--day", "2026-11-23"], 2, "shift 3 does not exist"),
])
def test_errors_are_clear(running: tuple[KioskService, Path],
                          capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
                          words: str) -> None:
    _, cfg = running
    got, out, err = report(capsys, "--config", str(cfg), *argv)
    assert got == code and out == ""
    assert words in err


def test_a_missing_store_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = report(capsys, "--config", str(config_file(tmp_path)))
    assert code == 4 and str(tmp_path / "kiosk.db") in err
    assert not (tmp_path / "kiosk.db").exists()  # looking did not create it


def test_a_week_and_a_month_hold_the_day(running: tuple[KioskService, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _, cfg = running
    for argv in (["--week", "2026-11-25"], ["--month", "2026-11"],
                 ["--from", "2026-11-20", "--to", "2026-11-30"]):
        code, out, _ = report(capsys, "--config", str(cfg), "--json", *argv)
        assert code == 0, argv
        f = json.loads(out)
        assert f["totals"]["issued"] == 9 and f["days_with_events"] == 1, argv
    code, out, _ = report(capsys, "--config", str(cfg), "--json", "--week", "2026-11-25")
    assert json.loads(out)["period"]["first"] == "2026-11-23"  # the Monday


def test_its_own_process_reads_a_running_kiosks_store_and_changes_nothing(
        running: tuple[KioskService, Path]) -> None:
    svc, cfg = running
    db = svc.config.storage_path
    before = db.read_bytes()
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from kiosk.cli import main; code = main(sys.argv[1:]); "
         "assert 'matplotlib' not in sys.modules, 'the table needs no plotting library'; "
         "sys.exit(code)",
         "report", "--config", str(cfg), "--day", "2026-11-23"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "合计" in done.stdout
    assert db.read_bytes() == before  # not one byte written
    # and the kiosk, which held the lock throughout, goes on serving
    assert isinstance(svc.submit(c.Open(1), "test").result(timeout=10), Accepted)


# --- the [report] section ------------------------------------------------------------


def test_the_report_section_has_defaults() -> None:
    cfg = make_config()
    assert cfg.report is not None
    assert (cfg.report.shifts, cfg.report.wait_threshold_min, cfg.report.late_grace_min) == \
        ((), 15, 0)
    # no shifts: the handover sheet covers the business hours of the day
    one = periods.shift(cfg, DAY, 1)
    assert one.start is not None and one.end is not None
    assert (one.start.hour, one.end.day) == (0, 24)  # the demo branch is open 00:00-24:00


@pytest.mark.parametrize(("section", "key", "problem"), [
    ({"shifts": ["08:30-12:30", "12:00-17:00"]}, "report.shifts[1]", "overlaps"),
    ({"shifts": ["8:30-12"]}, "report.shifts[0]", "HH:MM-HH:MM"),
    ({"shifts": ["17:00-08:00"]}, "report.shifts[0]", "closes before it opens"),
    ({"wait_threshold_min": 0}, "report.wait_threshold_min", "between 1 and 240"),
    ({"late_grace_min": 61}, "report.late_grace_min", "between 0 and 60"),
    ({"wait": 10}, "report.wait", "not a known setting"),
])
def test_the_report_section_is_checked(section: dict[str, object], key: str,
                                       problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(report=section)
    assert caught.value.key == key and problem in caught.value.problem


def test_store_summary_reads_beside_the_running_kiosk(
        running: tuple[KioskService, Path]) -> None:
    from kiosk.report import store_summary

    svc, _ = running
    f = store_summary(svc.config, periods.day(DAY))
    assert (f["totals"]["issued"], f["totals"]["served"]) == (9, 7)  # the wrong day folded
    assert f["period"]["label_en"] == "2026-11-23"
