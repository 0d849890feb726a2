"""``kiosk ui``: argparse and start of the Kivy app.

Kivy is imported only inside :func:`run`, after ``KIVY_NO_ARGS`` (Kivy must not read our
argv), ``KIVY_HOME`` (a private directory under the kiosk's state directory, so nothing is
written to ``~/.kivy``) and ``KIVY_LOG_MODE=PYTHON`` (Kivy logs through ``logging`` like
the rest of the kiosk) are set, and after the window's size and mode are in Kivy's Config.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
MODES = ("customer", "hall", "staff")
DEFAULT_SIZE = (800, 480)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=list(MODES), default="customer")
    p.add_argument("--size", metavar="WxH", help="window size (default: [ui] <mode>_size, "
                   "else 800x480; ignored with --fullscreen)")
    p.add_argument("--fullscreen", action="store_true",
                   help="kiosk mode: full screen, no cursor, no window chrome "
                   "(default: [ui] fullscreen)")
    p.add_argument("--windowed", action="store_true",
                   help="a dev window even if [ui] fullscreen is set")
    p.add_argument("--mqtt", action="store_true",
                   help="hall board only: follow the kiosk over MQTT (retained state and "
                   "events; [mqtt] url and [ui] hall_follow) instead of the control socket, "
                   "e.g. on a second Pi on the hall wall")


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})x(\d{2,5})\s*", text)
    if not m:
        raise SystemExit(f"--size {text!r}: give it as WxH, e.g. 800x480")
    return int(m[1]), int(m[2])


def state_dir(storage_path: Path) -> Path:
    """Where the UI keeps its own files (Kivy's home, the font copy): beside the store."""
    d = storage_path.parent / "ui"
    try:
        d.mkdir(parents=True, exist_ok=True)
        return d
    except OSError:
        d = Path(tempfile.gettempdir()) / f"counter-kiosk-ui-{os.getuid()}"
        d.mkdir(parents=True, exist_ok=True)
        return d


def _configure_kivy(size: tuple[int, int], fullscreen: bool, rotation: int) -> None:
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "rotation", str(rotation))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    # no multisampling: text is antialiased in its own textures, and MSAA made each frame
    # 2-3 times as costly under a software rasteriser (and costs GPU memory on a Pi)
    Config.set("graphics", "multisamples", "0")
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    # a reply from the core, posted from another thread, wakes the loop at once instead
    # of waiting out the frame's sleep
    Config.set("kivy", "kivy_clock", "interrupt")
    # a right click must not leave red multitouch dots on a dev window
    Config.set("input", "mouse", "mouse,disable_multitouch")


def _stop_on_signals() -> None:
    """SIGTERM and SIGINT end the app cleanly, even in kiosk mode (where a close request
    from the window is refused). Installed before the window exists, so SDL keeps its
    hands off them (it takes over only signals left at their default)."""

    def stop(signum: int, _frame: object) -> None:
        from kivy.app import App
        from kivy.clock import Clock

        app = App.get_running_app()
        if app is None:
            raise SystemExit(128 + signum)
        Clock.schedule_once(lambda _dt: app.terminate(128 + signum), 0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def run(args: argparse.Namespace) -> int:
    from kiosk import cli

    if not logging.getLogger().handlers:
        logging.basicConfig(level=getattr(args, "log_level", "info").upper(),
                            stream=sys.stdout,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = cli._load(args.config)
    socket = cli._socket(args)
    mode: str = args.mode
    if args.mqtt and (mode != "hall" or not cfg.mqtt.enabled):
        raise SystemExit("--mqtt: only the hall board follows a kiosk over MQTT, and it "
                         "needs [mqtt] url in the config (--mode hall --mqtt)")
    fullscreen = (args.fullscreen or cfg.ui.fullscreen) and not args.windowed
    configured: Any = getattr(cfg.ui, f"{mode}_size")
    size = parse_size(args.size) if args.size else tuple(configured or DEFAULT_SIZE)
    home = state_dir(cfg.storage_path)
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_HOME"] = str(home / "kivy")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    _configure_kivy((int(size[0]), int(size[1])), fullscreen, cfg.ui.rotation)
    _stop_on_signals()

    from ui import theme

    theme.register_fonts(cfg.ui.font, home / "fonts")
    from ui.app import KioskApp

    log.info("touchscreen: %s mode, %s, core at %s", mode,
             "kiosk (full screen)" if fullscreen else f"dev window {size[0]}x{size[1]}",
             socket)
    app = KioskApp(cfg, mode, socket, dev=not fullscreen, state_dir=home,
                   follow_mqtt=args.mqtt)
    try:
        app.run()
    except Exception:
        if not app.stopping:
            raise
        # a window event still in flight while the app is torn down (a resize after
        # leaving full screen): the stop was asked for, so it stands
        log.debug("error while the window closed after a stop", exc_info=True)
    return app.exit_code  # 0: closed by staff; 128+N: stopped by signal N
