"""Load a clip pack into memory and assemble announcements from it with ``wave``.

Everything slow happens at load: reading files, converting recorded clips of another
format with sox, applying the volume. Assembling a call is then a join of byte strings,
so playback starts within a millisecond or two of the event.
"""

from __future__ import annotations

import io
import logging
import subprocess
import wave
from array import array
from pathlib import Path

from drivers.audio.clips import CHANNELS, RATE, TOKENS, WIDTH, path_of

log = logging.getLogger(__name__)


def _read(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (RATE, WIDTH, CHANNELS):
            return w.readframes(w.getnframes())
    # A recorded clip in another format (44.1 kHz stereo...): let sox convert it once.
    proc = subprocess.run(["sox", str(path), "-t", "raw", "-r", str(RATE), "-e", "signed",
                           "-b", str(8 * WIDTH), "-c", str(CHANNELS), "-L", "-"],
                          capture_output=True, timeout=30, check=True)
    return proc.stdout


def scale(frames: bytes, volume: int) -> bytes:
    """Software gain, 0-100 %: works on every ALSA device, no mixer control needed."""
    if volume >= 100:
        return frames
    samples = array("h", frames)
    g = volume / 100
    return array("h", (int(s * g) for s in samples)).tobytes()


class ClipPack:
    """Clips by token, already at one format and volume."""

    def __init__(self, clips: dict[str, bytes], gap_ms: int = 60, pause_ms: int = 600) -> None:
        self.clips, self.gap_ms, self.pause_ms = clips, gap_ms, pause_ms
        self.gap = bytes(WIDTH * CHANNELS * (RATE * gap_ms // 1000))
        self.pause = bytes(WIDTH * CHANNELS * (RATE * pause_ms // 1000))
        self.vocabulary = sorted(clips, key=len, reverse=True)  # longest match first

    @classmethod
    def load(cls, clip_dir: Path, volume: int = 100, **kw: int) -> ClipPack:
        clips: dict[str, bytes] = {}
        for token in TOKENS:
            path = path_of(clip_dir, token)
            if not path.is_file():
                continue
            try:
                clips[token] = scale(_read(path), volume)
            except (OSError, EOFError, wave.Error, subprocess.SubprocessError) as exc:
                log.error("voice clip %s is unusable: %s", path, exc)
        return cls(clips, **kw)

    def at_volume(self, volume: int) -> ClipPack:
        scaled = {t: scale(f, volume) for t, f in self.clips.items()}
        return ClipPack(scaled, self.gap_ms, self.pause_ms)

    def tokens(self, text: str) -> list[str]:
        """Split catalogue text ("请 A012 号到 3 号窗口办理") into clip tokens."""
        out: list[str] = []
        i = 0
        while i < len(text):
            if text[i].isspace():
                i += 1
                continue
            hit = next((t for t in self.vocabulary if text.startswith(t, i)), None)
            if hit is None:
                log.warning("no voice clip for %r; skipped", text[i])
                i += 1
                continue
            out.append(hit)
            i += len(hit)
        return out

    def frames(self, phrase: list[str], repeat: int = 2, chime: bool = True) -> bytes:
        said = self.gap.join(self.clips[t] for t in phrase if t in self.clips)
        parts = [self.clips["chime"]] if chime and "chime" in self.clips else []
        parts += [said] * repeat
        return self.pause.join(parts)

    def wav(self, phrase: list[str], repeat: int = 2, chime: bool = True) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(CHANNELS)
            w.setsampwidth(WIDTH)
            w.setframerate(RATE)
            w.writeframes(self.frames(phrase, repeat, chime))
        return buf.getvalue()


def duration(wav_bytes: bytes) -> float:
    with wave.open(io.BytesIO(wav_bytes)) as w:
        return w.getnframes() / w.getframerate()
