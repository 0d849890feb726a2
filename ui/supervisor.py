"""Runs the touchscreen beside the core under ``kiosk run``: ``kiosk ui`` as a child
process, restarted when it crashes, stopped by PID.

The UI is a process of its own so that a crash in it (Kivy, a GL driver, a font) never
stops the core, the printer or the clerks' buttons; the core never waits for it. A UI
that exits 0 was closed by staff (leaving kiosk mode) and stays closed until the kiosk
restarts; any other exit is a crash and the UI is started again after a pause that
doubles up to :data:`BACKOFF_MAX` (reset once it has run :data:`HEALTHY_AFTER` s), so a
UI that cannot start costs the core nothing.

Where no screen exists (no ``DISPLAY`` / ``WAYLAND_DISPLAY`` and no ``/dev/dri`` card this
user may open with a connected output, e.g. over SSH) it says so in plain words and the
kiosk runs headless. Without X or Wayland, the child is told to use SDL's KMS/DRM driver.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk import messages

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0  # s before the first restart
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0  # s of running after which a crash starts the backoff again
STOP_TIMEOUT = 5.0  # s between SIGTERM and SIGKILL
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the thread that started it is gone, so a
    core killed outright (SIGKILL, OOM) never leaves its UI behind to meet the next
    core's UI (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _connected(card: Path, sysfs: Path) -> bool:
    """Whether a DRM card has an output with something plugged in (if sysfs says)."""
    outputs = list(sysfs.glob(f"{card.name}-*/status"))
    if not outputs:
        return True  # no connector information: let SDL try
    for status in outputs:
        try:
            if status.read_text().strip() == "connected":
                return True
        except OSError:
            continue
    return False


def has_display(env: Mapping[str, str] | None = None, dri: Path = Path("/dev/dri"),
                sysfs: Path = Path("/sys/class/drm")) -> bool:
    """Whether a screen can be opened: X or Wayland, or a usable KMS/DRM card."""
    env = os.environ if env is None else env
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return True
    for card in sorted(dri.glob("card[0-9]*")):
        if os.access(card, os.R_OK | os.W_OK) and _connected(card, sysfs):
            return True
    return False


class UiSupervisor:
    def __init__(self, config: str | None, socket: Path, mode: str = "customer",
                 argv: Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None, dri: Path = Path("/dev/dri"),
                 sysfs: Path = Path("/sys/class/drm")) -> None:
        self.config, self.socket, self.mode = config, Path(socket), mode
        self._argv = list(argv) if argv is not None else None
        self._env = dict(os.environ if env is None else env)
        self._dri, self._sysfs = dri, sysfs
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0  # UI processes started (tests)

    def command(self) -> list[str]:
        if self._argv is not None:
            return list(self._argv)
        cmd = [sys.executable, "-m", "kiosk.cli", "ui", "--mode", self.mode,
               "--socket", str(self.socket)]
        if self.config:
            cmd += ["--config", str(self.config)]
        return cmd

    def start(self) -> bool:
        """Start supervising; False (and a plain log line) where there is no screen."""
        if not has_display(self._env, self._dri, self._sysfs):
            log.warning("%s", messages.text("ui_no_screen"))
            return False
        if not (self._env.get("DISPLAY") or self._env.get("WAYLAND_DISPLAY")):
            self._env.setdefault("SDL_VIDEODRIVER", "kmsdrm")
        self._thread = threading.Thread(target=self._run, name="ui-supervisor", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stop.is_set():
            started = time.monotonic()
            with self._lock:
                if self._stop.is_set():
                    return
                try:
                    self.proc = subprocess.Popen(self.command(), env=self._env,
                                                 preexec_fn=_die_with_parent)
                except OSError as exc:
                    log.error("the touchscreen could not be started: %s", exc)
                    self.proc = None
                else:
                    self.starts += 1
                    log.info("touchscreen started (pid %d)", self.proc.pid)
            code = self.proc.wait() if self.proc is not None else -1
            if self._stop.is_set():
                return
            if code == 0:
                log.info("the touchscreen was closed by staff; it stays closed until the "
                         "kiosk restarts")
                return
            if time.monotonic() - started > HEALTHY_AFTER:
                delay = BACKOFF_FIRST
            log.warning("%s (exit code %s)", messages.text("ui_restarting", seconds=int(delay)),
                        code)
            self._stop.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    def stop(self) -> None:
        """Stop the UI by its PID: SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT`."""
        self._stop.set()
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("the touchscreen (pid %d) did not stop; killing it", proc.pid)
                proc.kill()
                proc.wait(STOP_TIMEOUT)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
