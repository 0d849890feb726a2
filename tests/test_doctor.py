"""``kiosk doctor``: every check passes on a healthy kiosk, and each one fails in turn,
with its fix, against the real thing (a TCP printer that answers ESC/POS status, a
Mosquitto of the test's own, a pty display, gpiozero's MockFactory, a tmpfs disk)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gpiozero import Button
from gpiozero.pins.mock import MockFactory

from drivers.audio import clips
from drivers.printer import backends
from kiosk import backup, cli, doctor
from kiosk.checks import Probe, Result, hardware, run_all, screen, system
from kiosk.events import Event
from kiosk.store import Store
from tests.kiosk_proc import KioskProcess
from tests.mosquitto import Broker
from tests.printer_fakes import FakeNetworkPrinter
from tests.support import wait_for

PASSWORD = "s3cret-kiosk"

CONFIG = """\
[branch]
device_id = "kiosk-doc"
code = "doc"
[clock]
require_sync = true
sync_flag = "{tmp}/synchronized"
[storage]
path = "{state}/kiosk.db"
[control]
socket = "{state}/control.sock"
[printer]
url = "{printer}"
timeout_s = 2
[audio]
sink = "wav://{tmp}/announcements"
clips = "{tmp}/clips"
generate_missing = false
[[displays]]
name = "hall"
url = "{display}"
protocol = "linetext"
counters = "all"
[buttons]
[[buttons.counters]]
counter = 1
call_next = 17
recall = 27
[mqtt]
url = "{broker}"
username = "kiosk"
password_file = "{tmp}/mqtt.pass"
"""


def write_clips(directory: Path) -> None:
    """A complete clip pack: a short valid WAV per token (what espeak-ng would make)."""
    directory.mkdir(parents=True, exist_ok=True)
    for token in clips.TOKENS:
        with wave.open(str(clips.path_of(directory, token)), "wb") as w:
            w.setnchannels(clips.CHANNELS)
            w.setsampwidth(clips.WIDTH)
            w.setframerate(clips.RATE)
            w.writeframes(b"\x01\x00" * 200)


def ev(kind: str, n: int | None = None) -> Event:
    ticket = f"A{n:03d}" if n else None
    return Event(kind, "2026-11-23T10:00:00+08:00", "2026-11-23", ticket, ticket and "A",
                 None, "test", {"number": n} if n else {})


def fill_store(db: Path, tickets: int = 1500) -> None:
    s = Store(db)
    s.append([ev("day_started")])
    for start in range(1, tickets + 1, 100):
        s.append([ev("issued", n) for n in range(start, min(start + 100, tickets + 1))])
    s.close()


@dataclass
class Branch:
    """A healthy kiosk's surroundings; tests break one thing at a time."""

    tmp: Path
    printer: FakeNetworkPrinter
    broker: Broker
    display: str
    factory: MockFactory
    dropin: Path
    state: Path
    fds: list[int] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.tmp / "kiosk.toml"

    def write(self, extra: str = "", **over: str) -> Path:
        values = {"tmp": str(self.tmp), "state": str(self.state), "printer": self.printer.url,
                  "display": self.display, "broker": self.broker.url, **over}
        self.config.write_text(CONFIG.format(**values) + extra, encoding="utf-8")
        return self.config

    def probe(self) -> Probe:
        p = doctor.probe(str(self.config), timeout=3)
        p.journald_dropin, p.journalctl, p.pin_factory = self.dropin, None, self.factory
        # the screen unit is enabled, and the display device is a stand-in file
        p.extra.update(dri=str(self.tmp / "dri" / "card*"), ui_enabled=self.tmp / "ui-on")
        return p

    def results(self) -> dict[str, Result]:
        return {r.name: r for r in run_all(self.probe())}


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[Branch]:
    printer = FakeNetworkPrinter("ok")
    broker = Broker(tmp_path / "broker", passwords={"kiosk": PASSWORD},
                    acl="user kiosk\ntopic readwrite kiosk/doc/kiosk-doc/#\n")
    broker.start()
    master, slave = os.openpty()
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (tmp_path / "synchronized").touch()
    (tmp_path / "mqtt.pass").write_text(PASSWORD + "\n")
    write_clips(tmp_path / "clips")
    dropin = tmp_path / "journald.conf.d" / "counter-kiosk.conf"
    dropin.parent.mkdir()
    dropin.write_text("[Journal]\nSystemMaxUse=64M\n")
    (tmp_path / "dri").mkdir()
    (tmp_path / "dri" / "card0").touch()
    (tmp_path / "ui-on").touch()
    b = Branch(tmp_path, printer, broker, os.ttyname(slave), MockFactory(), dropin, state,
               [master, slave])
    b.write()
    fill_store(state / "kiosk.db", 1500)  # about 600 KB: damage can hit the middle
    try:
        yield b
    finally:
        printer.close()
        broker.stop()
        b.factory.close()
        for fd in b.fds:
            os.close(fd)


def levels(results: dict[str, Result]) -> dict[str, str]:
    return {name: r.level for name, r in results.items()}


def test_a_healthy_kiosk_passes_every_check(branch: Branch) -> None:
    results = branch.results()
    assert levels(results) == {
        "config": "ok", "service": "warn",  # not running here: the hardware is probed
        "printer": "ok", "displays": "ok", "gpio": "ok", "audio": "ok", "screen": "ok",
        "mqtt": "ok",
        "clock": "ok", "disk": "ok", "journal": "ok", "database": "ok"}
    assert "kiosk/doc/kiosk-doc/doctor" in results["mqtt"].text.en
    assert branch.printer.queries >= 4  # DLE EOT 1..4 really went to the printer
    assert "17, 27" in results["gpio"].text.en


def fails(branch: Branch, name: str) -> Result:
    results = branch.results()
    assert results[name].level == "fail", results[name]
    assert results[name].fix is not None
    others = {n for n, r in results.items() if r.level == "fail"}
    assert others == {name}, f"only {name} should fail: {others}"
    return results[name]


def test_printer_unplugged(branch: Branch) -> None:
    branch.printer.close()  # nobody listens on its port any more
    r = fails(branch, "printer")
    assert "cannot be reached" in r.text.en and "printer.url" in r.fix.en  # type: ignore[union-attr]


def test_printer_out_of_paper(branch: Branch) -> None:
    branch.printer.mode = "paper_out"
    r = fails(branch, "printer")
    assert "paper_out" in r.text.en and "paper end" in r.text.en


def test_broker_down(branch: Branch) -> None:
    branch.broker.stop()
    r = fails(branch, "mqtt")
    assert "cannot be reached" in r.text.en


def test_wrong_password(branch: Branch) -> None:
    (branch.tmp / "mqtt.pass").write_text("not-the-password\n")
    r = fails(branch, "mqtt")
    assert "refused the log-in" in r.text.en and "mqtt.pass" in r.fix.en  # type: ignore[union-attr]


def test_acl_denies_the_kiosk_topics(branch: Branch) -> None:
    (branch.broker.dir / "acl").write_text("user kiosk\ntopic readwrite other/#\n")
    branch.broker.stop()
    branch.broker.start()
    r = fails(branch, "mqtt")
    assert "Not authorized" in r.text.en and "kiosk/doc/kiosk-doc/#" in r.fix.en  # type: ignore[union-attr]


def test_bad_config(branch: Branch) -> None:
    branch.write(extra="[queue]\nmax_recals = 2\n")
    results = branch.results()
    assert results["config"].level == "fail"
    assert "queue.max_recals" in results["config"].text.en
    # nothing else can be judged without a config, and nothing claims to be ok
    assert {r.level for n, r in results.items() if n != "config"} == {"warn"}


def test_a_display_port_that_is_gone(branch: Branch) -> None:
    branch.write(display=str(branch.tmp / "ttyUSB-unplugged"))
    r = fails(branch, "displays")
    assert "hall" in r.text.en and "/dev/serial/by-id" in r.fix.en  # type: ignore[union-attr]


def test_a_gpio_pin_held_elsewhere(branch: Branch) -> None:
    held = Button(27, pin_factory=branch.factory)
    try:
        r = fails(branch, "gpio")
    finally:
        held.close()
    assert "Pin 27" in r.text.en


def test_clips_missing(branch: Branch) -> None:
    clips.path_of(branch.tmp / "clips", "号").unlink()
    r = fails(branch, "audio")
    assert "号" in r.text.en and "drivers.audio.clips" in r.fix.en  # type: ignore[union-attr]


def test_clock_not_synchronised(branch: Branch) -> None:
    (branch.tmp / "synchronized").unlink()
    r = fails(branch, "clock")
    assert "timedatectl" in r.fix.en  # type: ignore[union-attr]


def test_no_journal_limit_is_a_warning(branch: Branch) -> None:
    branch.dropin.unlink()
    r = branch.results()["journal"]
    assert r.level == "warn" and "install.sh" in r.fix.en  # type: ignore[union-attr]


def test_screen_libraries_missing(branch: Branch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen, "LIBRARIES", ("libgbm.so.1", "libnot-installed.so.9"))
    r = fails(branch, "screen")
    assert "libnot-installed.so.9" in r.text.en and "apt install" in r.fix.en  # type: ignore[union-attr]


def test_screen_sdl_without_kmsdrm(branch: Branch, monkeypatch: pytest.MonkeyPatch) -> None:
    real = screen.video_drivers(screen.kivy_sdl() or "")
    assert "kmsdrm" in real  # the wheel's own SDL has it (docs/appliance.md)
    monkeypatch.setattr(screen, "video_drivers", lambda _lib: ["x11", "offscreen"])
    r = fails(branch, "screen")
    assert "no KMS/DRM video driver" in r.text.en and "x11" in r.text.en


def test_no_display_device(branch: Branch) -> None:
    (branch.tmp / "dri" / "card0").unlink()
    r = fails(branch, "screen")
    assert "vc4-kms-v3d" in r.fix.en  # type: ignore[union-attr]
    (branch.tmp / "ui-on").unlink()  # a headless kiosk: no screen unit, only a warning
    assert branch.results()["screen"].level == "warn"


def test_a_corrupted_database_names_the_backup_to_restore(branch: Branch) -> None:
    db = branch.state / "kiosk.db"
    made = backup.make(db)
    middle = db.stat().st_size // 2
    with open(db, "r+b") as f:
        f.seek(middle)
        f.write(random.Random(14).randbytes(8192))
    before = db.read_bytes()
    r = fails(branch, "database")
    assert "integrity check" in r.text.en
    assert made.name in r.fix.en and "--restore" in r.fix.en  # type: ignore[union-attr]
    assert db.read_bytes() == before  # doctor changes nothing
    assert sorted(p.name for p in branch.state.iterdir()) == \
        sorted(["backups", "kiosk.db", "kiosk.db.lock", "kiosk.db.mark"])


def test_a_full_disk(branch: Branch) -> None:
    mnt = branch.tmp / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mnt)],
                      capture_output=True).returncode == 0:
        try:
            state = mnt / "state"
            state.mkdir()
            branch.state = state
            branch.write()
            fill_store(state / "kiosk.db", 100)
            with open(mnt / "filler", "wb") as f, pytest.raises(OSError):
                while True:  # until ENOSPC: the disk is full
                    f.write(b"\0" * 65536)
                    f.flush()
            r = fails(branch, "disk")
        finally:
            subprocess.run(["umount", str(mnt)], check=True)
    else:  # not root: the same check, with statvfs saying what a full disk says
        full = os.statvfs_result((4096, 4096, 25600, 0, 0, 1000, 0, 0, 0, 255, 0))
        p = branch.probe()
        p.statvfs = lambda _path: full
        r = system.disk(p)
        assert r.level == "fail"
    assert "0 B" in r.text.en and "backups" in r.fix.en  # type: ignore[union-attr]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().out


def test_exit_code_and_json_match_the_text(branch: Branch, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    code, out = run_cli(["doctor", "--json", "--config", str(branch.config)], capsys)
    data: dict[str, Any] = json.loads(out)
    assert code == 0 and data["ok"] is True and data["counts"]["fail"] == 0
    names = [c["name"] for c in data["checks"]]
    assert names[:3] == ["config", "service", "printer"] and "database" in names
    branch.printer.close()
    code, out = run_cli(["doctor", "--config", str(branch.config)], capsys)
    assert code == 1
    assert "[FAIL] printer" in out and "To fix:" in out and "处理方法" in out
    code, out = run_cli(["doctor", "--json", "--config", str(branch.config)], capsys)
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    printer = next(c for c in data["checks"] if c["name"] == "printer")
    assert printer["level"] == "fail" and printer["fix_en"] and printer["fix_zh"]


def test_a_running_kiosk_is_asked_not_probed(branch: Branch,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """While the kiosk runs, the devices it holds are judged from its status (a status
    query in the middle of a print job would corrupt the ticket), and doctor takes no
    lock the kiosk needs: it goes on issuing."""
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    kiosk = KioskProcess(branch.config)
    kiosk.socket = branch.state / "control.sock"
    kiosk.start()
    try:
        assert kiosk.ask("issue", service="A")["ok"]
        wait_for(lambda: kiosk.ask("status")["status"]["devices"].get("printer"), 15)
        opened: list[object] = []
        monkeypatch.setattr(backends, "open_backend", lambda *a: opened.append(a))
        monkeypatch.setattr(hardware, "_open_port", lambda *a: opened.append(a))
        results = branch.results()
        assert opened == []  # neither the printer nor the display port was opened
        assert results["displays"].level == "ok" and results["gpio"].level == "ok"
        assert results["service"].level == "ok"
        assert results["printer"].level == "ok"
        assert "kiosk service reports printer" in results["printer"].text.en
        assert results["database"].level == "ok"
        assert kiosk.ask("issue", service="A")["ok"]  # no lock taken from the kiosk
    finally:
        assert kiosk.terminate() == 0
