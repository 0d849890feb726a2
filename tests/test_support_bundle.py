"""``kiosk support-bundle``: one archive with the masked config, logs, status, doctor and
schema, from a running kiosk; no secret gets in, and a missing journal is no failure."""

from __future__ import annotations

import json
import tarfile
import tomllib
from pathlib import Path

import pytest

from kiosk import cli, staffpin, support_bundle
from tests.kiosk_proc import KioskProcess, write_config

MQTT_PASSWORD = "hunter2-never-in-a-bundle"


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        out = {}
        for m in tar.getmembers():
            f = tar.extractfile(m)
            assert f is not None
            out[m.name.split("/", 1)[1]] = f.read()
    return out


def secret_config(tmp_path: Path) -> tuple[Path, str]:
    pin_hash = staffpin.hash_pin("2468", n=1024)
    (tmp_path / "mqtt.pass").write_text(MQTT_PASSWORD)
    extra = (f'[mqtt]\nusername = "kiosk"\npassword_file = "{tmp_path}/mqtt.pass"\n'
             f'[ui]\nstaff_pin_hash = "{pin_hash}"\n')
    return write_config(tmp_path, extra), pin_hash


def test_a_bundle_from_a_running_kiosk(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    config, pin_hash = secret_config(tmp_path)
    kiosk = KioskProcess(config).start()
    try:
        kiosk.ask("issue", service="B")
        out = tmp_path / "bundle.tar.gz"
        code = cli.main(["support-bundle", "--output", str(out), "--config", str(config),
                         "--socket", str(kiosk.socket)])
    finally:
        assert kiosk.terminate() == 0
    assert code == 0 and str(out) in capsys.readouterr().out
    assert out.stat().st_mode & 0o077 == 0  # it holds the config: the owner's alone
    got = members(out)
    assert {"config/kiosk.toml", "status.json", "doctor.json", "schema.json",
            "about.json", "logs/README.txt"} <= set(got)
    everything = b"".join(got.values())
    assert MQTT_PASSWORD.encode() not in everything
    assert pin_hash.encode() not in everything
    masked = tomllib.loads(got["config/kiosk.toml"].decode())
    assert masked["ui"]["staff_pin_hash"] == "***"
    assert masked["mqtt"]["password_file"] == f"{tmp_path}/mqtt.pass"  # the path, not the file
    assert masked["branch"]["device_id"] == "kiosk-test"
    status = json.loads(got["status.json"])
    assert status["issued_today"] == 1 and "devices" in status
    doctor = json.loads(got["doctor.json"])
    checks = {c["name"]: c["level"] for c in doctor["checks"]}
    assert checks["service"] == "ok" and checks["database"] == "ok"
    schema = json.loads(got["schema.json"])
    assert schema["database_schema"] == schema["kiosk_schema"] >= 1


def test_without_a_journal_the_kiosk_log_files_go_in(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "kiosk.log").write_text("2026-11-25 10:00:00 INFO kiosk: ready\n")
    out = support_bundle.collect(tmp_path / "b.tar.gz", str(config), timeout=1,
                                 journalctl=str(tmp_path / "no-journalctl-here"))
    got = members(out)
    assert got["logs/kiosk.log"].endswith(b"kiosk: ready\n")
    assert b"no journal" in got["logs/README.txt"]
    assert json.loads(got["status.json"])["running"] is False


def test_the_journal_when_there_is_one(tmp_path: Path) -> None:
    fake = tmp_path / "journalctl"
    fake.write_text("#!/bin/sh\necho \"args: $*\"\necho 'counter-kiosk[1]: ready'\n")
    fake.chmod(0o755)
    out = support_bundle.collect(tmp_path / "b.tar.gz", str(write_config(tmp_path)),
                                 timeout=1, journalctl=str(fake))
    text = members(out)["logs/journal.txt"].decode()
    assert "-u counter-kiosk*" in text and "--since -3d" in text and "ready" in text


@pytest.mark.parametrize("line", [
    'password = "p"', "api_token = 'abc'", 'client_secret = "x" # comment',
    'mqtt = { username = "u", password = "p" }', 'staff_pin_hash = "scrypt$1$2$3$a$b"'])
def test_secrets_are_masked_wherever_they_are(line: str) -> None:
    masked = support_bundle.mask_toml(f'[t]\nname = "kept"\n{line}\n')
    data = tomllib.loads(masked)
    assert not support_bundle._leaks(data)
    assert data["t"]["name"] == "kept"


def test_a_multi_line_secret_falls_back_to_masked_json() -> None:
    text = '[t]\nname = "kept"\npassword = """\nline one\nline two"""\n'
    masked = support_bundle.mask_toml(text)
    assert "line one" not in masked and json.loads(masked)["t"]["password"] == "***"
