"""Bench: from a clerk's button press to the number on the display's wire and the call
started by the audio sink, with and without an announcement already playing.

The whole real path runs: gpiozero ``Button`` on a ``MockFactory`` pin, the press guard,
the ``KioskService`` worker with a SQLite ``Store`` (WAL, FULL sync) in a temp dir, the
fan-out threads, a CD5220 display writing to a pty through pyserial, and the voice
assembling the call from its clip pack and handing it to a sink.

Display: ``press_to_display_write_*`` stops when the bytes are in the kernel (the
display's ``on_write`` hook). ``press_to_display_wire_*`` stops when the frame holding the
ticket number has crossed the cable: this process reads the far end of the pty and
models the UART at the configured baud (9,600 by default), each byte taking 10 bits and
waiting for the bytes written before it.

Audio: ``press_to_audio_*`` stops when the *sink* starts the call: the WAV sink creating
the file it writes the samples to (seen through inotify), or, for ``press_to_aplay_*``,
an aplay stand-in process (the sink runs it exactly as it runs ``aplay``) that has read
its first 4 KB of samples from stdin. The voice uses the default clip pack, each clip
cut to its first 40 ms, said once with 20 ms gaps, so that an announcement lasts well
under a second (the code path is the one a full pack takes; a default announcement,
said twice after a chime, lasts about 9.6 s).

* ``..._idle_...``: the voice is idle at the press (a WAV sink that does not wait) and the
  display quiet (its last call's flash over, the cable empty).
* ``..._busy_...``: a realtime sink (it takes as long as a speaker would) is playing the
  previous call; the press comes at a random point in it, so the figure includes waiting
  for it to end. The display may still be flashing the previous call then, as in a
  branch. ``..._busy_beyond_end_...`` is the part after that announcement ended:
  the kiosk's own delay (target p99 <= 30 ms). ``announcement_s`` is its length.

    python -m bench.counter_hw [--quick]     # prints JSON
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import logging
import os
import random
import select
import statistics
import struct
import sys
import tempfile
import threading
import time
import wave
from array import array
from pathlib import Path
from typing import Any

from gpiozero import Device
from gpiozero.pins.mock import MockFactory

import drivers.audio
import drivers.buttons
from bench.util import pct, quick_mode
from drivers.audio import clips as clip_files
from drivers.audio.sinks import AlsaSink, WavDirSink
from drivers.audio.voice import Voice
from drivers.display import build_one, parse
from kiosk import commands as c
from kiosk import config as config_mod
from kiosk.bootstrap import driver_context
from kiosk.service import Accepted, KioskService
from kiosk.store import Store

PIN = 17
CLIP_MS = 40
IN_CREATE, IN_MOVED_TO = 0x100, 0x80

STANDIN = """#!{python} -S
# Stands in for aplay: note the moment the first samples are in, then take as long as
# the clip would on a speaker.
import sys, time
first = sys.stdin.buffer.read(4096)
start = time.monotonic()
rest = sys.stdin.buffer.read()
import io, wave
with wave.open(io.BytesIO(first + rest)) as w:
    length = w.getnframes() / w.getframerate()
with open({log!r}, "a") as f:
    f.write(f"{{start}} {{length}}\\n")
time.sleep(length)
"""


def _config(tmp: Path) -> config_mod.Config:
    raw = config_mod.merge(config_mod.DEFAULTS, {
        "storage": {"path": str(tmp / "kiosk.db")},
        "control": {"socket": str(tmp / "control.sock")},
        "audio": {"clips": str(tmp / "clips"), "sink": f"wav://{tmp / 'spoken'}", "keep": 5,
                  "repeat": 1, "pause_ms": 0, "gap_ms": 20},
        # every press is answered before the next, so the interval guard can be 0 here
        "buttons": {"min_interval": 0, "counters": [{"counter": 1, "call_next": PIN}]},
    })
    return config_mod.from_dict(raw)


def _short_clips(directory: Path) -> None:
    """The default pack, each clip cut to its first ``CLIP_MS``."""
    clip_files.generate(directory)
    for path in directory.glob("*.wav"):
        with wave.open(str(path)) as w:
            params = w.getparams()
            frames = w.readframes(params.framerate * CLIP_MS // 1000)
        samples = array("h", frames)
        with wave.open(str(path), "wb") as w:
            w.setparams(params)
            w.writeframes(samples.tobytes())


class SinkWatch:
    """inotify on the WAV sink's directory: when each call's file was created (the sink
    starts writing samples) and when it was complete (the realtime wait starts)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0 or self.libc.inotify_add_watch(
                self.fd, str(directory).encode(), IN_CREATE | IN_MOVED_TO) < 0:
            raise OSError(ctypes.get_errno(), "inotify")
        self.dir = directory
        self.created: dict[str, float] = {}
        self.complete: dict[str, float] = {}
        self.cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop:
            if not select.select([self.fd], [], [], 0.1)[0]:
                continue
            now = time.monotonic()
            buf = os.read(self.fd, 65536)
            i = 0
            while i < len(buf):
                _wd, mask, _cookie, size = struct.unpack_from("iIII", buf, i)
                name = buf[i + 16:i + 16 + size].rstrip(b"\0").decode()
                i += 16 + size
                ticket = name[7:].split("-")[0]  # NNNNNN-A001-c1.tmp / .wav
                with self.cond:
                    if mask & IN_CREATE and name.endswith(".tmp"):
                        self.created.setdefault(ticket, now)
                    elif mask & IN_MOVED_TO and name.endswith(".wav"):
                        self.complete.setdefault(ticket, now)
                        self.cond.notify_all()
                    self.cond.notify_all()

    def wait_created(self, ticket: str, timeout: float = 30) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: ticket in self.created, timeout):
                raise RuntimeError(f"the sink never started {ticket}")
            return self.created[ticket]

    def length(self, ticket: str, timeout: float = 30) -> float:
        """Seconds of sound in ``ticket``'s file, once it is complete."""
        with self.cond:
            if not self.cond.wait_for(lambda: ticket in self.complete, timeout):
                raise RuntimeError(f"the sink never finished writing {ticket}")
        path = next(self.dir.glob(f"*-{ticket}-c*.wav"))
        with wave.open(io.BytesIO(path.read_bytes())) as w:
            return w.getnframes() / w.getframerate()

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        os.close(self.fd)


class Wire:
    """The far end of the display's pty, with a UART model: when did the frame holding a
    given text finish arriving at the display, at ``baud``?"""

    def __init__(self, baud: int) -> None:
        self.master, self.slave = os.openpty()
        self.byte_s = 10 / baud  # start bit, 8 data bits, stop bit
        self.line_free = 0.0
        self.last_rx = 0.0
        self.tail = b""
        self.want: bytes | None = None
        self.arrived = 0.0
        self.seen = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def expect(self, text: str) -> None:
        self.seen.clear()
        self.want = text.encode()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            now = self.last_rx = time.monotonic()
            # the UART sends these bytes once the ones before have gone
            start = max(self.line_free, now)
            self.line_free = start + len(data) * self.byte_s
            self.tail = (self.tail + data)[-512:]
            if self.want and self.want in self.tail and not self.seen.is_set():
                # shown once the line holding the number has arrived (its CR), which
                # may be before the rest of this chunk
                at = data.find(self.want)
                cr = data.find(b"\r", at) if at >= 0 else -1
                upto = cr + 1 if cr >= 0 else len(data)
                self.arrived = start + upto * self.byte_s
                self.tail = b""
                self.seen.set()

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def _stats(prefix: str, values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {f"{prefix}_p50_ms": round(statistics.median(values), 2),
            f"{prefix}_p99_ms": round(pct(values, 0.99), 2)}


def run(presses: int | None = None, busy: int | None = None,
        quick: bool | None = None) -> dict[str, float]:
    """Press call-next; return the latencies in milliseconds (see the module doc)."""
    quick = quick_mode() if quick is None else quick
    presses = presses if presses is not None else (4 if quick else 60)
    busy = busy if busy is not None else (2 if quick else 30)
    rng = random.Random(10)
    saved_factory = Device.pin_factory
    factory = MockFactory()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cfg = _config(tmp)
        _short_clips(tmp / "clips")
        spec = parse([{"url": "/dev/null", "protocol": "cd5220", "counters": [1]}])[0]
        wire = Wire(spec.baudrate)
        watch = SinkWatch(tmp / "spoken")
        standin_log = tmp / "aplay.log"
        standin = tmp / "aplay"
        standin.write_text(STANDIN.format(python=sys.executable, log=str(standin_log)))
        standin.chmod(0o755)
        written: dict[str, Any] = {"want": b"", "at": 0.0, "frame": 0}
        wrote = threading.Event()

        def on_write(data: bytes) -> None:
            if written["want"] and written["want"] in data and not wrote.is_set():
                written["at"] = time.monotonic()
                written["frame"] = max(written["frame"], len(data))
                wrote.set()

        store = Store(cfg.storage_path)
        svc = KioskService(cfg, store)
        display = build_one(parse([{"url": os.ttyname(wire.slave), "protocol": "cd5220",
                                    "counters": [1]}])[0], svc.submit)
        display.on_write = on_write
        voice = drivers.audio.build(driver_context(cfg, svc.submit, "audio")).subscribers[0]
        assert isinstance(voice, Voice)
        svc.add_subscriber(display)
        svc.add_subscriber(voice)
        board = drivers.buttons.build(driver_context(cfg, svc.submit, "buttons"),
                                      pin_factory=factory).inputs[0]
        svc.start()
        display.wait_ready()
        pin = factory.pin(PIN)
        quiet = 1.2 * spec.flash_ms / 1000  # no byte for this long: no flash step pending
        figures: dict[str, list[float]] = {k: [] for k in (
            "write_idle", "wire_idle", "audio_idle", "write_busy", "wire_busy", "audio_busy",
            "beyond_busy", "aplay_busy", "aplay_beyond", "announcement")}

        def press(when: float = 0.0) -> tuple[str, float]:
            """Issue a ticket, press call-next at ``when`` (monotonic) or now; the display
            figures are recorded here, the audio ones by the caller."""
            reply = svc.submit(c.Issue("A"), "bench").result(5)
            ticket = reply.events[-1].ticket if isinstance(reply, Accepted) else None
            if ticket is None:
                raise RuntimeError(f"issue refused: {reply}")
            written["want"] = ticket.encode()
            wrote.clear()
            wire.expect(ticket)
            if not when:
                time.sleep(0.02)  # let the issue's own redraw reach the cable first
            # idle: the display is quiet, its last call's flash over and the cable empty
            # (a clerk's presses are seconds apart); busy: press at ``when``, whatever is
            # still on its way
            while (left := (when or max(wire.line_free, wire.last_rx + quiet))
                    - time.monotonic()) > 0:
                time.sleep(min(left, 0.05))
            t0 = time.monotonic()
            pin.drive_low()
            pin.drive_high()
            if not (wrote.wait(5) and wire.seen.wait(5)):
                raise RuntimeError(f"press for {ticket} was not shown")
            phase = "busy" if when else "idle"
            figures[f"write_{phase}"].append((written["at"] - t0) * 1000)
            figures[f"wire_{phase}"].append((wire.arrived - t0) * 1000)
            # FIFO queue: once this answers, the press's future (and its guard release,
            # run in the done-callback) has completed too
            svc.submit(c.GetStatus(), "bench").result(5)
            return ticket, t0

        try:
            voice.sink = WavDirSink(tmp / "spoken", keep=5, realtime=False)
            for _ in range(presses):
                voice.idle(30)
                ticket, t0 = press()
                figures["audio_idle"].append((watch.wait_created(ticket) - t0) * 1000)
            voice.idle(30)
            voice.sink = WavDirSink(tmp / "spoken", keep=5, realtime=True)
            ticket, _ = press()
            started = watch.wait_created(ticket)
            length = watch.length(ticket)
            end = watch.complete[ticket] + length  # the realtime wait follows the write
            for _ in range(busy):
                ticket, t0 = press(started + rng.uniform(0.05, 0.9) * length)
                started = watch.wait_created(ticket)
                figures["audio_busy"].append((started - t0) * 1000)
                figures["beyond_busy"].append((started - end) * 1000)
                figures["announcement"].append(length * 1000)
                length = watch.length(ticket)
                end = watch.complete[ticket] + length
            voice.idle(30)
            voice.sink = AlsaSink("default", aplay=str(standin))
            plays: list[list[float]] = []

            def next_play() -> tuple[float, float]:
                """The stand-in's (start, length) for the call just made."""
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    text = standin_log.read_text() if standin_log.exists() else ""
                    lines = text.split("\n")[:-1]  # whole lines only: it may be mid-write
                    if len(lines) > len(plays):
                        plays.append([float(x) for x in lines[len(plays)].split()])
                        return plays[-1][0], plays[-1][1]
                    time.sleep(0.002)
                raise RuntimeError("the aplay stand-in never started")

            press()
            started, length = next_play()
            for _ in range(max(1, busy // 2)):
                # the stand-in is playing the previous call for ``length`` seconds
                ticket, t0 = press(started + rng.uniform(0.05, 0.9) * length)
                end = started + length
                started, length = next_play()
                figures["aplay_busy"].append((started - t0) * 1000)
                figures["aplay_beyond"].append((started - end) * 1000)
            voice.idle(30)
        finally:
            board.close()
            svc.stop()
            store.close()
            watch.close()
            wire.close()
            factory.reset()
            Device.pin_factory = saved_factory
    out: dict[str, float] = {"presses_idle": presses, "presses_busy": busy,
                             "display_baud": spec.baudrate,
                             "display_frame_bytes": written["frame"],
                             # what the cable alone adds to the frame showing the number
                             "display_frame_wire_ms": round(
                                 written["frame"] * 10 / spec.baudrate * 1000, 1),
                             "announcement_s": round(statistics.median(
                                 figures["announcement"]) / 1000, 2)}
    out |= _stats("press_to_display_write_idle", figures["write_idle"])
    out |= _stats("press_to_display_wire_idle", figures["wire_idle"])
    out |= _stats("press_to_display_write_busy", figures["write_busy"])
    out |= _stats("press_to_display_wire_busy", figures["wire_busy"])
    out |= _stats("press_to_audio_idle", figures["audio_idle"])
    out |= _stats("press_to_audio_busy", figures["audio_busy"])
    out |= _stats("press_to_audio_busy_beyond_end", figures["beyond_busy"])
    out |= _stats("press_to_aplay_busy", figures["aplay_busy"])
    out |= _stats("press_to_aplay_busy_beyond_end", figures["aplay_beyond"])
    return out


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)  # script entry point only
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
