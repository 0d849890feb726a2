"""Where announcements go: ALSA through ``aplay``, or WAV files in a directory.

Both block in :meth:`play` until the announcement is over (or, for files, written), so
the player never starts one call over another.
"""

from __future__ import annotations

import logging
import re
import subprocess
import time
from pathlib import Path
from typing import Protocol

from drivers.audio.pack import duration
from kiosk.errors import DeviceError

log = logging.getLogger(__name__)


class Sink(Protocol):
    def play(self, wav: bytes, label: str) -> None:
        """Play ``wav`` to the end; raise :class:`DeviceError` if the device fails."""


class AlsaSink:
    """``aplay -q -D DEVICE -`` with the WAV on stdin.

    aplay is part of alsa-utils on every Pi image, handles any ALSA device name
    (``default``, ``plughw:1,0``, a dmix), and a wedged device is killed by timeout.
    """

    def __init__(self, device: str = "default", aplay: str = "aplay") -> None:
        self.device, self.aplay = device, aplay

    def play(self, wav: bytes, label: str) -> None:
        limit = duration(wav) + 5.0
        try:
            proc = subprocess.run([self.aplay, "-q", "-D", self.device, "-"], input=wav,
                                  capture_output=True, timeout=limit)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"aplay on {self.device} hung for {limit:.0f} s") from None
        except OSError as exc:
            raise DeviceError(f"cannot run aplay: {exc}") from None
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            raise DeviceError(f"aplay on {self.device}: {err[-1] if err else proc.returncode}")


class WavDirSink:
    """Writes each announcement to ``DIR/NNNNNN-LABEL.wav``: the stand-in speaker.

    ``realtime`` sleeps for the clip's length, like a speaker would, so queueing can be
    seen on a laptop. Only the newest ``keep`` files are kept, so a demo left running
    for weeks cannot fill the disk.
    """

    def __init__(self, directory: Path, keep: int = 50, realtime: bool = False) -> None:
        self.dir, self.keep, self.realtime = directory, keep, realtime
        self.count = 0

    def play(self, wav: bytes, label: str) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            if self.count == 0:  # continue numbering after a restart
                nums = [int(p.name[:6]) for p in self.dir.glob("[0-9]*-*.wav")
                        if p.name[:6].isdigit()]
                self.count = max(nums, default=0)
            self.count += 1
            safe = re.sub(r"[^A-Za-z0-9_-]", "_", label)[:40]
            path = self.dir / f"{self.count:06d}-{safe}.wav"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(wav)
            tmp.replace(path)
            for old in sorted(self.dir.glob("[0-9]*-*.wav"))[:-self.keep]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            raise DeviceError(f"cannot write {self.dir}: {exc}") from None
        if self.realtime:
            time.sleep(duration(wav))


def from_url(url: str, device: str, keep: int, realtime: bool) -> AlsaSink | WavDirSink:
    if url == "alsa":
        return AlsaSink(device)
    return WavDirSink(Path(url.removeprefix("wav://")).expanduser(), keep, realtime)
