"""Bad configuration is refused with the key and the fix; samples ship valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config
from kiosk.errors import ConfigError

SAMPLES = Path(__file__).parent.parent / "kiosk" / "configs"


@pytest.mark.parametrize("name", ["demo.toml", "production.sample.toml"])
def test_shipped_configs_are_valid(name: str) -> None:
    cfg = config.load(SAMPLES / name)
    assert list(cfg.services) == ["A", "B", "C"]
    assert sorted(cfg.counters) == [1, 2, 3, 4]


def test_defaults_are_the_documented_demo_branch() -> None:
    cfg = config.load()
    assert cfg.counters[1].services[0] == "A" and cfg.counters[2].services[0] == "A"
    assert cfg.counters[3].services == ("B",) and cfg.counters[4].services == ("C",)
    assert all(iv for iv in cfg.hours.weekly)  # open every day


def test_production_sample_has_real_hours_and_waits_for_ntp() -> None:
    cfg = config.load(SAMPLES / "production.sample.toml")
    assert cfg.require_sync
    assert cfg.hours.weekly[5] == () and cfg.hours.weekly[6] == ()
    assert str(cfg.hours.weekly[0][0][0]) == "08:30:00"


BAD = [
    ("[branch]\ntimezone = 'Mars/Olympus'", "branch.timezone", "not a known time zone"),
    ("[branch]\ndevice_id = 'kiosk 01'", "branch.device_id", "may only use"),
    ("[queue]\nnumber_digits = 0", "queue.number_digits", "between 1 and 6"),
    ("[queue]\nmax_recalls = 'two'", "queue.max_recalls", "must be an integer"),
    ("[queue]\nmax_recall = 2", "queue.max_recall", "not a known setting"),
    ("[hours]\nmon = ['17:00-08:30']", "hours.mon[0]", "closes before it opens"),
    ("[hours]\ntue = ['8:30-17:00']", "hours.tue[0]", "is not"),
    ("[hours]\nholidays = ['next friday']", "hours.holidays[0]", "not a date"),
    ("[clock]\nrequire_sync = 'yes'", "clock.require_sync", "true or false"),
    ("colour = 'blue'", "colour", "not a known setting"),
    ("[[services]]\nprefix = 'AA'\nname_zh='x'\nname_en='x'\navg_minutes=5\ndocuments=[]",
     "services[0].prefix", "one capital letter"),
    ("[[counters]]\nid = 1\nservices = ['Q']", "counters[0].services[0]", "not a configured"),
    ("[[counters]]\nid = 1\nservices = ['A']", "counters", "no counter serves service 'B'"),
    ("[[counters]]\nid = 1\nservices = ['A','B','C']\npolicy = 'random'",
     "counters[0].policy", "not one of"),
    ("[hours]\n" + "\n".join(f"{d} = []" for d in config.WEEKDAYS), "hours", "never open"),
    ("[branch\nname_zh = 'x'", "bad.toml", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD)
def test_bad_config_names_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key.endswith(key)
    assert problem in str(err.value)


def test_check_config_command_reports_without_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("[queue]\nmax_recalls = -1\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "queue.max_recalls" in r.stderr and "between 0 and 10" in r.stderr
    assert "Traceback" not in r.stderr
    missing = subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config",
                              str(tmp_path / "nope.toml")], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and "file not found" in missing.stderr
    good = subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config",
                           str(SAMPLES / "production.sample.toml")], capture_output=True,
                          text=True, timeout=60)
    assert good.returncode == 0 and "Configuration OK" in good.stdout


def test_relative_driver_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    """What each driver builds uses the directory of the file, not the working directory."""
    import drivers.audio
    import drivers.printer
    from tests.hw_fakes import Recorder
    from tests.support import driver_parts

    f = tmp_path / "kiosk.toml"
    f.write_text(f'[storage]\npath = "{tmp_path}/kiosk.db"\n[control]\n'
                 f'socket = "{tmp_path}/c.sock"\n[printer]\nurl = "preview://tickets"\n'
                 '[audio]\nclips = "clips"\ngenerate_missing = false\n', encoding="utf-8")
    cfg = config.load(f)
    parts = driver_parts(drivers.audio, cfg, Recorder(), "audio")
    parts.subscribers += driver_parts(drivers.printer, cfg, Recorder(), "printer").subscribers
    voice, printer = parts.subscribers
    try:
        assert voice.spec.clips == tmp_path / "clips"  # type: ignore[attr-defined]
        assert printer.settings.endpoint.target == str(tmp_path / "tickets")  # type: ignore[attr-defined]
    finally:
        for part in parts.subscribers:
            part.close()
