"""The touchscreen's supervisor under ``kiosk run``: a child process, restarted when it
crashes, stopped by PID, and plain words where there is no screen."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.control_client import request
from kiosk.errors import ServiceUnavailableError
from tests.kiosk_proc import write_config
from tests.support import wait_for
from tests.ui_harness import Xvfb, ui_env
from ui import supervisor
from ui.supervisor import UiSupervisor, has_display

# A process can end between listing it and reading its /proc files: the core starts short
# children of its own (the voice's player, say). Reading a file of a process that is gone
# raises FileNotFoundError or, mid-exit, ProcessLookupError: both mean "not there".
GONE = (FileNotFoundError, ProcessLookupError)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"  # a zombie has exited
    except GONE:
        return False


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except GONE:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except GONE:
            continue
    return out


def is_ui(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except GONE:
        return False
    return b"kiosk.cli" in argv and b"ui" in argv


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "BACKOFF_FIRST", 0.05)
    monkeypatch.setattr(supervisor, "STOP_TIMEOUT", 1.0)


def test_no_screen_is_said_in_plain_words_and_nothing_starts(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dri, sysfs = tmp_path / "dri", tmp_path / "drm"
    dri.mkdir()
    sup = UiSupervisor(None, tmp_path / "s.sock", env={"PATH": "/usr/bin"}, dri=dri,
                       sysfs=sysfs, argv=[sys.executable, "-c", "pass"])
    with caplog.at_level(logging.WARNING):
        assert sup.start() is False
    assert "No screen found" in caplog.text and "runs headless" in caplog.text
    assert sup.proc is None and sup.starts == 0
    sup.stop()


def test_a_drm_card_counts_only_with_something_plugged_in(tmp_path: Path) -> None:
    dri, sysfs = tmp_path / "dri", tmp_path / "drm"
    dri.mkdir()
    assert not has_display({}, dri, sysfs)
    (dri / "card1").write_bytes(b"")  # a card this user may open
    (sysfs / "card1-HDMI-A-1").mkdir(parents=True)
    (sysfs / "card1-HDMI-A-1" / "status").write_text("disconnected\n")
    assert not has_display({}, dri, sysfs)
    (sysfs / "card1-DSI-1").mkdir()
    (sysfs / "card1-DSI-1" / "status").write_text("connected\n")
    assert has_display({}, dri, sysfs)
    assert has_display({"WAYLAND_DISPLAY": "wayland-0"}, tmp_path / "none", sysfs)


def test_a_crashing_ui_is_restarted_and_stop_ends_it(tmp_path: Path, quick: None) -> None:
    pids = tmp_path / "pids"
    code = f"import os, sys; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); sys.exit(3)"
    sup = UiSupervisor(None, tmp_path / "s.sock", env={"DISPLAY": ":99"},
                       argv=[sys.executable, "-c", code])
    assert sup.start()
    wait_for(lambda: pids.exists() and len(pids.read_text().split()) >= 3, timeout=20)
    sup.stop()
    seen = [int(p) for p in pids.read_text().split()]
    assert len(set(seen)) == len(seen)  # a new process each time
    n = len(seen)
    time.sleep(0.3)
    assert len(pids.read_text().split()) == n  # stopped: no more restarts
    assert not any(alive(p) for p in seen)


def test_a_ui_closed_by_staff_stays_closed(tmp_path: Path, quick: None) -> None:
    sup = UiSupervisor(None, tmp_path / "s.sock", env={"DISPLAY": ":99"},
                       argv=[sys.executable, "-c", "pass"])
    assert sup.start()
    assert sup._thread is not None
    sup._thread.join(10)
    assert not sup._thread.is_alive() and sup.starts == 1
    sup.stop()


def test_a_ui_that_ignores_sigterm_is_killed(tmp_path: Path, quick: None) -> None:
    ready = tmp_path / "ready"
    code = ("import signal, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)")
    sup = UiSupervisor(None, tmp_path / "s.sock", env={"DISPLAY": ":99"},
                       argv=[sys.executable, "-c", code])
    assert sup.start()
    wait_for(ready.exists, timeout=10)
    assert sup.proc is not None
    pid = sup.proc.pid
    t0 = time.monotonic()
    sup.stop()
    assert not alive(pid)
    assert sup.proc.returncode == -signal.SIGKILL
    assert time.monotonic() - t0 < 5  # SIGKILL after the timeout, not never


@pytest.fixture
def xdisplay() -> Iterator[str]:
    x = Xvfb().start()
    try:
        yield x.display
    finally:
        x.stop()


def test_kiosk_run_with_a_screen_restarts_a_crashed_ui_and_the_core_goes_on(
        tmp_path: Path, xdisplay: str) -> None:
    cfg = write_config(tmp_path)
    sock = tmp_path / "control.sock"
    with open(tmp_path / "run.log", "wb") as log:  # the child keeps its own copy
        core = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config",
                                 str(cfg)], env=ui_env(xdisplay), stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        def ui_pids() -> list[int]:  # the core's children that are `kiosk ui`
            return [p for p in children(core.pid) if alive(p) and is_ui(p)]

        wait_for(lambda: len(ui_pids()) == 1, timeout=30)
        first = ui_pids()[0]
        wait_for(lambda: (tmp_path / "ui").exists(), timeout=30)  # the UI's own state dir
        os.kill(first, signal.SIGKILL)  # a crash
        wait_for(lambda: ui_pids() not in ([], [first]), timeout=30)
        second = ui_pids()[0]
        assert second != first
        reply = request(sock, {"cmd": "issue", "args": {"service": "A"}}, timeout=10)
        assert reply["ok"]  # the core never noticed
        core.terminate()
        assert core.wait(20) == 0
        assert not alive(second)  # stopped with the core, by PID
    finally:
        seen = [p for p in children(core.pid) if alive(p)] if core.poll() is None else []
        if core.poll() is None:
            core.kill()
            core.wait(10)
        for p in seen:
            if alive(p):
                os.kill(p, signal.SIGKILL)
    with pytest.raises(ServiceUnavailableError):
        request(sock, {"cmd": "status"}, timeout=2)


def test_a_core_killed_outright_takes_its_ui_with_it(tmp_path: Path, xdisplay: str) -> None:
    cfg = write_config(tmp_path)
    core = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config", str(cfg)],
                            env=ui_env(xdisplay), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ui: list[int] = []
    try:
        wait_for(lambda: bool(ui.extend(p for p in children(core.pid) if is_ui(p)) or ui),
                 timeout=30)
        core.kill()  # no chance to stop its UI itself
        core.wait(10)
        wait_for(lambda: not alive(ui[0]), timeout=10)
    finally:
        if core.poll() is None:
            core.kill()
            core.wait(10)
        for p in ui:
            if alive(p):
                os.kill(p, signal.SIGKILL)


def test_kiosk_ui_keeps_kivy_to_its_own_home_and_argv(tmp_path: Path, xdisplay: str) -> None:
    """``kiosk ui`` reads none of our argv as Kivy's and writes nothing to ~/.kivy; its
    Kivy home is under the kiosk's state directory; it logs its first frame."""
    cfg = write_config(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    core = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                             "--config", str(cfg)], env={**ui_env(xdisplay), "HOME": str(home)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tmp_path / "ui.log"
    env = {k: v for k, v in ui_env(xdisplay).items()
           if k not in ("KIVY_NO_ARGS", "KIVY_LOG_MODE", "KIVY_HOME")}  # kiosk ui sets them
    with open(log, "wb") as out:
        ui = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "ui", "--config", str(cfg),
                               "--size", "640x400"], env={**env, "HOME": str(home)},
                              stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "first frame on screen" in log.read_text(errors="replace"),
                 timeout=60)
        assert not (home / ".kivy").exists()
        assert (tmp_path / "ui" / "kivy").is_dir()
        assert "dev window 640x400" in log.read_text()  # --size was ours, not Kivy's
    finally:
        for p in (ui, core):
            p.terminate()
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def test_importing_the_ui_entry_point_does_not_import_kivy() -> None:
    code = ("import sys, ui.main, ui.supervisor, ui.theme; "
            "assert not [m for m in sys.modules if m.startswith('kivy')], 'kivy imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_kiosk_mode_ui_stops_cleanly_on_sigterm(tmp_path: Path, xdisplay: str) -> None:
    """Kiosk mode refuses a close request from the window; SIGTERM still ends it at once,
    with an exit code the supervisor reads as "stopped", not "closed by staff"."""
    cfg = write_config(tmp_path)
    log = tmp_path / "ui.log"
    with open(log, "wb") as out:
        ui = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "ui", "--config", str(cfg),
                               "--fullscreen"], env=ui_env(xdisplay), stdout=out,
                              stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "first frame on screen" in log.read_text(errors="replace"),
                 timeout=60)
        ui.terminate()
        assert ui.wait(supervisor.STOP_TIMEOUT) == 128 + signal.SIGTERM
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait(10)
