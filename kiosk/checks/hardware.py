"""Checks of the counter hardware: printer, call displays, GPIO buttons, sound and clips.

While the kiosk runs it holds these devices, so what it reports for them is taken from
its status (:func:`kiosk.checks.from_live`); they are opened here only when it does not.
The printer is asked through the printer driver's own status code
(:mod:`drivers.printer.status` over :mod:`drivers.printer.channels`), as the kiosk asks it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from kiosk import messages
from kiosk.checks import Probe, Result, fail, from_live, ok, warn


def printer(p: Probe) -> Result:
    from drivers.printer import settings as printer_settings
    from drivers.printer.backends import open_backend

    assert p.config is not None
    if p.live is not None:  # never query mid-job: the kiosk's own reading is the answer
        state = p.live_device("printer") or {"status": "unknown"}
        return from_live("printer", "printer", state)
    s = p.config.printer or printer_settings.parse(None)
    url, scheme = s.url, s.endpoint.scheme
    if scheme in ("preview", "dummy"):
        return ok("printer", messages.text("doctor_printer_sim", url=url))
    if scheme == "file":  # write only: nothing it could answer
        target = s.endpoint.target
        if os.path.exists(target) and os.access(target, os.W_OK):
            return warn("printer", messages.text("doctor_printer_no_status", url=url),
                        messages.text("doctor_printer_no_status_fix"))
        return fail("printer", messages.text("doctor_printer_unreachable", url=url,
                                             why=f"{target} is not there or not writable"),
                    messages.text("doctor_printer_unreachable_fix"))
    try:
        with open_backend(s).session() as session:
            reading = session.status()
    except Exception as exc:  # python-escpos raises its own errors as well as OSError
        return fail("printer", messages.text("doctor_printer_unreachable", url=url,
                                             why=f"{type(exc).__name__}: {exc}"),
                    messages.text("doctor_printer_unreachable_fix"))
    if reading is None:
        return warn("printer", messages.text("doctor_printer_not_escpos", url=url),
                    messages.text("doctor_printer_not_escpos_fix"))
    if reading.status == "ok":
        return ok("printer", messages.text("doctor_printer_ok", url=url))
    if reading.status == "paper_low":
        return warn("printer", messages.text("doctor_printer_paper_low", url=url,
                                             detail=reading.detail),
                    messages.text("doctor_printer_paper_low_fix"))
    return fail("printer", messages.text("doctor_printer_fault", url=url,
                                         status=reading.status, detail=reading.detail),
                messages.text("doctor_printer_fault_fix"))


def _open_port(url: str, baudrate: int) -> None:
    """Open and close the port without writing: a display shows nothing of it."""
    import serial

    from drivers.display.port import SerialPort

    name = SerialPort(url, baudrate)._resolve()  # the same lookup (links, globs) as the kiosk
    port = serial.serial_for_url(name, baudrate=baudrate, timeout=0, write_timeout=1)
    port.close()


def displays(p: Probe) -> Result:
    assert p.config is not None
    specs = p.config.displays or ()
    if not specs:
        return ok("displays", messages.text("doctor_displays_none"))
    for d in specs:
        if p.live is not None:
            state = p.live_device(f"display:{d.name}") or {"status": "unknown"}
            if state.get("status") != "ok":
                return from_live("displays", f"display:{d.name}", state)
            continue
        try:
            _open_port(d.url, d.baudrate)
        except Exception as exc:  # pyserial raises SerialException (an OSError) and others
            return fail("displays", messages.text("doctor_display_missing", name=d.name,
                                                  url=d.url, why=exc),
                        messages.text("doctor_display_missing_fix"))
    return ok("displays", messages.text("doctor_displays_ok",
                                        names=", ".join(d.name for d in specs)))


def gpio(p: Probe) -> Result:
    assert p.config is not None
    spec = p.config.buttons
    pins = [pin for cb in (spec.counters if spec else ())
            for pin in (*cb.pins.values(), *cb.evaluator.values())]
    if spec is None or not pins:
        return ok("gpio", messages.text("doctor_gpio_none"))
    shown = ", ".join(str(x) for x in pins)
    if p.live is not None:  # the kiosk holds the pins; it says "absent" if it could not
        state = p.live_device("buttons")
        if state is not None and state.get("status") != "ok":
            return from_live("gpio", "buttons", state)
        return ok("gpio", messages.text("doctor_gpio_ok", pins=shown))
    from gpiozero import Button
    from gpiozero.exc import BadPinFactory, GPIOPinInUse

    factory = p.pin_factory
    try:
        if factory is None and spec.pin_factory:
            from drivers.buttons import factory_by_name

            factory = factory_by_name(spec.pin_factory)
        for pin in pins:
            try:
                Button(pin, pin_factory=factory).close()
            except BadPinFactory:
                raise
            except GPIOPinInUse as exc:
                return fail("gpio", messages.text("doctor_gpio_busy", pin=pin, why=exc),
                            messages.text("doctor_gpio_busy_fix"))
            except Exception as exc:  # lgpio: "GPIO busy" when another process holds it
                return fail("gpio", messages.text("doctor_gpio_busy", pin=pin,
                                                  why=f"{type(exc).__name__}: {exc}"),
                            messages.text("doctor_gpio_busy_fix"))
    except BadPinFactory as exc:
        return warn("gpio", messages.text("doctor_gpio_absent", why=exc),
                    messages.text("doctor_gpio_absent_fix"))
    return ok("gpio", messages.text("doctor_gpio_ok", pins=shown))


def _sound_device_problem(device: str) -> str | None:
    """Why ALSA has no ``device`` (None: it is there). Read only: nothing is played."""
    aplay = shutil.which("aplay")
    if aplay is None:
        return "aplay is not installed (Debian package alsa-utils)"
    try:
        cards = Path("/proc/asound/cards").read_text()
    except OSError:
        cards = ""
    if not re.search(r"^\s*\d+\s+\[", cards, flags=re.M):
        return "no sound card (/proc/asound/cards lists none)"
    if device == "default":
        return None
    try:
        listed = subprocess.run([aplay, "-L"], capture_output=True, text=True,
                                timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"aplay -L failed: {exc}"
    names = {ln.strip() for ln in listed.splitlines() if ln and not ln[0].isspace()}
    if device in names:
        return None
    m = re.match(r"^(?:plug)?hw:(?:CARD=)?([^,]+)", device)
    if m and (re.search(rf"^\s*{re.escape(m[1])}\s+\[", cards, flags=re.M)
              or re.search(rf"\[{re.escape(m[1])}\s*\]", cards)):
        return None
    return "not listed by aplay -L"


def audio(p: Probe) -> Result:
    from drivers.audio import clips as clip_files
    from drivers.audio.pack import ClipPack
    from kiosk.settings import AudioSpec

    cfg = p.config
    assert cfg is not None
    spec = (cfg.audio or AudioSpec()).resolved(cfg.source.parent if cfg.source else None)
    if p.live is not None and (state := p.live_device("voice")) is not None \
            and state.get("status") != "ok":
        return from_live("audio", "voice", state)
    if spec.sink == "alsa" and (why := _sound_device_problem(spec.device)) is not None:
        return fail("audio", messages.text("doctor_audio_no_device", device=spec.device,
                                           why=why),
                    messages.text("doctor_audio_no_device_fix"))
    pack = ClipPack.load(spec.clips)  # reads each clip as the kiosk will: none is played
    lacking = [t for t in clip_files.TOKENS if t not in pack.clips]
    if lacking:
        found = messages.text("doctor_audio_clips_missing", count=len(lacking),
                              tokens=" ".join(lacking[:12]), dir=spec.clips)
        fix = messages.text("doctor_audio_clips_fix", dir=spec.clips)
        # a stopped kiosk that may generate them will do so at its start
        if spec.generate_missing and p.live is None:
            return warn("audio", found, fix)
        return fail("audio", found, fix)
    count = len(pack.clips)
    if spec.sink == "alsa":
        return ok("audio", messages.text("doctor_audio_ok", device=spec.device, count=count))
    return ok("audio", messages.text("doctor_audio_sim", sink=spec.sink, count=count))
