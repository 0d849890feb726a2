"""The appliance side: the systemd unit, the installer, sd_notify and the watchdog."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config
from tests.kiosk_proc import write_config

ROOT = Path(__file__).parent.parent
UNIT = ROOT / "systemd" / "counter-kiosk.service"


UNITS = ("counter-kiosk.service", "counter-kiosk-ui.service", "counter-kiosk-backup.service",
         "counter-kiosk-backup.timer")


def unit_keys(unit: Path = UNIT) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            keys.setdefault(k.strip(), []).append(v.strip())
    return keys


def test_unit_is_a_watched_notify_service_with_hardening() -> None:
    k = unit_keys()
    assert k["Type"] == ["notify"] and k["Restart"] == ["always"]
    assert int(k["WatchdogSec"][0]) > 0
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                "DevicePolicy", "CapabilityBoundingSet", "RestrictAddressFamilies"):
        assert key in k, key
    assert k["ProtectSystem"] == ["strict"] and k["User"] == ["kiosk"]


def test_storage_failures_do_not_restart_in_a_loop() -> None:
    # a corrupt, unwritable or locked store cannot be fixed by a restart
    from kiosk.cli import EXIT_STORAGE

    assert str(EXIT_STORAGE) in unit_keys()["RestartPreventExitStatus"][0].split()


def test_unit_paths_match_the_installer_and_the_production_config() -> None:
    k = unit_keys()
    installer = (ROOT / "deploy" / "install.sh").read_text()
    assert "PREFIX=${PREFIX:-/opt/counter-kiosk}" in installer
    assert k["ExecStart"][0].startswith("/opt/counter-kiosk/.venv/bin/kiosk run")
    assert "/etc/counter-kiosk/kiosk.toml" in k["ExecStart"][0]
    cfg = config.load(ROOT / "kiosk" / "configs" / "production.sample.toml")
    # the database and socket live in the dirs systemd creates and lets the unit write
    assert cfg.storage_path.parent == Path("/var/lib") / k["StateDirectory"][0]
    assert cfg.socket_path.parent == Path("/run") / k["RuntimeDirectory"][0]
    assert str(cfg.drivers["audio"]["clips"]).startswith("/var/lib/counter-kiosk")


@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_unit(tmp_path: Path, name: str) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze comes with the systemd package (deploy/apt-packages-test.txt)"
    venv = Path(sys.executable).parent.parent
    for other in UNITS:  # a timer is verified with the service it starts beside it
        text = (ROOT / "systemd" / other).read_text()
        (tmp_path / other).write_text(text.replace("/opt/counter-kiosk/.venv", str(venv)))
    r = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True,
                       text=True, timeout=60)
    problems = [ln for ln in r.stderr.splitlines() if "kiosk" in ln and "user" not in ln.lower()]
    assert r.returncode == 0 and not problems, r.stderr


def test_the_screen_unit_never_takes_the_core_down_with_it() -> None:
    ui = unit_keys(ROOT / "systemd" / "counter-kiosk-ui.service")
    assert ui["ExecStart"][0].endswith("kiosk ui --fullscreen --config "
                                       "/etc/counter-kiosk/kiosk.toml")
    assert "counter-kiosk.service" in ui["After"][0].split()
    assert ui["Wants"] == ["counter-kiosk.service"]
    for propagating in ("Requires", "BindsTo", "PartOf", "Requisite", "PropagatesStopTo"):
        assert propagating not in ui, propagating
    core = unit_keys()
    for key in ("Requires", "BindsTo", "Wants", "PartOf", "PropagatesStopTo"):
        assert not any("ui" in v for v in core.get(key, [])), key
    assert ui["Restart"] == ["always"] and ui["User"] == ["kiosk"]
    assert sorted(ui["SupplementaryGroups"][0].split()) == ["input", "render", "video"]
    env = dict(e.split("=", 1) for e in ui["Environment"])
    assert env["SDL_VIDEODRIVER"] == "kmsdrm" and env["KIVY_WINDOW"] == "sdl2"
    assert {"char-drm rw", "char-input rw"} <= set(ui["DeviceAllow"])
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "DevicePolicy"):
        assert key in ui, key


def test_the_backup_timer_runs_kiosk_backup_daily_as_the_kiosk_user() -> None:
    timer = unit_keys(ROOT / "systemd" / "counter-kiosk-backup.timer")
    service = unit_keys(ROOT / "systemd" / "counter-kiosk-backup.service")
    assert timer["Persistent"] == ["true"] and timer["OnCalendar"][0].startswith("*-*-*")
    assert service["ExecStart"][0].startswith("/opt/counter-kiosk/.venv/bin/kiosk backup")
    assert service["User"] == ["kiosk"] and service["Type"] == ["oneshot"]


def test_scripts_parse_and_ci_runs_the_readme_test_command() -> None:
    for script in ("deploy/dev.sh", "deploy/install.sh", "deploy/uninstall.sh", ".ci/run"):
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True, timeout=30)
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(\./deploy/dev\.sh \w+)\s*$", readme, flags=re.M)
    assert commands == ["./deploy/dev.sh demo", "./deploy/dev.sh test"]
    assert "./deploy/dev.sh test" in (ROOT / ".ci" / "run").read_text()


def test_service_tells_systemd_it_is_ready_and_feeds_the_watchdog(tmp_path: Path) -> None:
    notify = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(notify), "WATCHDOG_USEC": "400000"}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config",
                             str(write_config(tmp_path))], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        got: list[str] = []
        while "READY=1" not in got or got.count("WATCHDOG=1") < 2:
            got.append(sock.recv(256).decode())
        proc.terminate()
        while "STOPPING=1" not in got:
            got.append(sock.recv(256).decode())
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
    assert got.index("READY=1") < got.index("STOPPING=1")
