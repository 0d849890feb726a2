"""Bench: from a clerk's button press to the display bytes written and the audio started.

The whole real path runs: gpiozero ``Button`` on a ``MockFactory`` pin, the press
guard, the ``KioskService`` worker with a SQLite ``Store`` (WAL, FULL sync) in a temp
dir, the fan-out threads, a CD5220 display writing to a pty through pyserial, and the
voice assembling the call from its clip pack and handing it to the WAV stand-in sink.

    python -m bench.counter_hw            # prints JSON; target p99 <= 30 ms
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gpiozero import Device
from gpiozero.pins.mock import MockFactory

import drivers.audio
import drivers.buttons
from drivers.display import build_one, parse
from kiosk import commands as c
from kiosk import config as config_mod
from kiosk.bootstrap import driver_context
from kiosk.service import KioskService
from kiosk.store import Store

PIN = 17


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _config(tmp: Path) -> config_mod.Config:
    raw = config_mod.merge(config_mod.DEFAULTS, {
        "storage": {"path": str(tmp / "kiosk.db")},
        "control": {"socket": str(tmp / "control.sock")},
        "audio": {"clips": str(tmp / "clips"), "sink": f"wav://{tmp / 'spoken'}", "keep": 5},
        # every press is answered before the next, so the interval guard can be 0 here
        "buttons": {"min_interval": 0, "counters": [{"counter": 1, "call_next": PIN}]},
    })
    return config_mod.from_dict(raw)


def run(presses: int = 200) -> dict[str, float]:
    """Press call-next ``presses`` times; return p50/p99 latencies in milliseconds."""
    saved_factory = Device.pin_factory
    factory = MockFactory()
    master, slave = os.openpty()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cfg = _config(tmp)
        ticket: dict[str, Any] = {"id": None, "t0": 0.0}
        shown, spoken = threading.Event(), threading.Event()
        lat_display: list[float] = []
        lat_audio: list[float] = []

        def on_write(data: bytes) -> None:
            if ticket["id"] and ticket["id"].encode() in data and not shown.is_set():
                lat_display.append((time.perf_counter() - ticket["t0"]) * 1000)
                shown.set()

        def on_start(item: tuple[str, int, str]) -> None:
            if item[0] == ticket["id"] and not spoken.is_set():
                lat_audio.append((time.perf_counter() - ticket["t0"]) * 1000)
                spoken.set()

        def discard() -> None:  # the far end of the cable: keep the pty from filling
            while True:
                try:
                    if not os.read(master, 4096):
                        return
                except OSError:
                    return

        threading.Thread(target=discard, daemon=True).start()
        store = Store(cfg.storage_path)
        svc = KioskService(cfg, store)
        display = build_one(parse([{"url": os.ttyname(slave), "protocol": "cd5220",
                                    "counters": [1]}])[0], svc.submit)
        display.on_write = on_write
        voice = drivers.audio.build(driver_context(cfg, svc.submit, "audio")).subscribers[0]
        voice.on_start = on_start
        svc.add_subscriber(display)
        svc.add_subscriber(voice)
        board = drivers.buttons.build(driver_context(cfg, svc.submit, "buttons"),
                                      pin_factory=factory).inputs[0]
        svc.start()
        display.wait_ready()
        pin = factory.pin(PIN)
        try:
            for _ in range(presses):
                reply = svc.submit(c.Issue("A"), "bench").result(5)
                voice.idle(30)
                shown.clear()
                spoken.clear()
                ticket["id"] = reply.events[-1].ticket
                ticket["t0"] = time.perf_counter()
                pin.drive_low()
                pin.drive_high()
                if not (shown.wait(5) and spoken.wait(5)):
                    raise RuntimeError(f"press for {ticket['id']} was not shown and spoken")
                # FIFO queue: once this answers, the press's future (and its guard
                # release, run in the done-callback) has completed too
                svc.submit(c.GetStatus(), "bench").result(5)
        finally:
            board.close()
            svc.stop()
            store.close()
            os.close(master)
            os.close(slave)
            factory.reset()
            Device.pin_factory = saved_factory
    return {
        "presses": float(presses),
        "press_to_display_p50_ms": round(statistics.median(lat_display), 3),
        "press_to_display_p99_ms": round(_percentile(lat_display, 0.99), 3),
        "press_to_audio_p50_ms": round(statistics.median(lat_audio), 3),
        "press_to_audio_p99_ms": round(_percentile(lat_audio, 0.99), 3),
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)  # script entry point only
    print(json.dumps(run(), indent=2))
