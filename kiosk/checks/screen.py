"""The touchscreen check: can Kivy draw on this machine's display without a desktop?

The screen is Kivy on SDL2's KMS/DRM video driver (docs/appliance.md). SDL drops that
driver silently, and falls back to X11 ("Couldn't connect to X server"), when the
libraries it opens at run time are missing or there is no DRM device, so those are
what is checked: the SDL2 that Kivy uses lists ``KMSDRM`` among its video drivers
(asked through ctypes, nothing is initialised or drawn), ``libdrm``, ``libgbm``, EGL and
GLES load, and ``/dev/dri/card*`` exists. On a machine where the screen unit is not
enabled (a headless kiosk, a laptop) a problem is only a warning.
"""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import os
from pathlib import Path

from kiosk import messages
from kiosk.checks import Probe, Result, fail, ok, warn

DRIVER = "kmsdrm"
LIBRARIES = ("libdrm.so.2", "libgbm.so.1", "libEGL.so.1", "libGLESv2.so.2")
DRI = "/dev/dri/card*"
UI_ENABLED = Path("/etc/systemd/system/multi-user.target.wants/counter-kiosk-ui.service")


def kivy_sdl() -> str | None:
    """The SDL2 library bundled with the installed Kivy wheel, if there is one."""
    spec = importlib.util.find_spec("kivy")
    if spec is None or spec.origin is None:
        return None
    site = os.path.dirname(os.path.dirname(spec.origin))
    found = sorted(glob.glob(os.path.join(site, "Kivy.libs", "libSDL2-2*.so*")))
    return found[0] if found else None


def video_drivers(library: str) -> list[str]:
    sdl = ctypes.CDLL(library)
    sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
    return [sdl.SDL_GetVideoDriver(i).decode().lower()
            for i in range(sdl.SDL_GetNumVideoDrivers())]


def _problem(p: Probe) -> tuple[str, messages.Bilingual] | None:
    if importlib.util.find_spec("kivy") is None:
        return "no_kivy", messages.text("doctor_screen_no_kivy")
    library = p.extra.get("sdl", kivy_sdl()) or "libSDL2-2.0.so.0"  # a source build: Debian's
    try:
        drivers = video_drivers(library)
    except OSError as exc:
        return "libs", messages.text("doctor_screen_libs", libs=library, why=exc)
    if DRIVER not in drivers:
        return "driver", messages.text("doctor_screen_no_kmsdrm", sdl=library,
                                       drivers=", ".join(drivers))
    missing = []
    for name in p.extra.get("libraries", LIBRARIES):
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    if missing:
        return "libs", messages.text("doctor_screen_libs", libs=", ".join(missing),
                                     why="not found")
    if not glob.glob(p.extra.get("dri", DRI)):
        return "drm", messages.text("doctor_screen_no_drm", dri=p.extra.get("dri", DRI))
    return None


def screen(p: Probe) -> Result:
    found = _problem(p)
    if found is None:
        return ok("screen", messages.text("doctor_screen_ok"))
    what, text = found
    fix = {"no_kivy": messages.text("doctor_screen_no_kivy_fix"),
           "libs": messages.text("doctor_screen_libs_fix"),
           "driver": messages.text("doctor_screen_no_kmsdrm_fix"),
           "drm": messages.text("doctor_screen_no_drm_fix")}[what]
    enabled: Path = p.extra.get("ui_enabled", UI_ENABLED)
    return fail("screen", text, fix) if enabled.exists() else warn("screen", text, fix)
