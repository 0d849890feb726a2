"""The clip pack: one WAV per spoken token, and the espeak-ng generator for the default.

A call is assembled from clips, never synthesised at call time, so it starts at once.
The installer runs ``python -m drivers.audio.clips DIR``; a branch may replace any file
with a recorded human voice of the same name (any rate or channels: the loader
converts with sox).

Debian's espeak-ng 1.51 reads Chinese characters in its ``cmn`` voice with tone digits
spoken in English, so the generator feeds tone-numbered pinyin to the
``cmn-latn-pinyin`` voice instead, and uses ``cmn`` only for Latin letter names.
"""

from __future__ import annotations

import argparse
import io
import logging
import math
import shutil
import subprocess
import sys
import wave
from array import array
from pathlib import Path

log = logging.getLogger(__name__)

RATE, WIDTH, CHANNELS = 22050, 2, 1  # espeak-ng's native format: no conversion needed
CHIME = "chime"
_WORDS = {"请": ("qing", "qing3"), "号": ("hao", "hao4"), "到": ("dao", "dao4"),
          "窗口": ("chuangkou", "chuang1kou3"), "办理": ("banli", "ban4li3")}
_DIGITS = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")

# token -> (file stem, espeak voice, text to speak)
TOKENS: dict[str, tuple[str, str, str]] = {
    **{zh: (stem, "cmn-latn-pinyin", pinyin) for zh, (stem, pinyin) in _WORDS.items()},
    **{str(d): (str(d), "cmn-latn-pinyin", p) for d, p in enumerate(_DIGITS)},
    **{chr(c): (chr(c), "cmn", chr(c)) for c in range(ord("A"), ord("Z") + 1)},
    CHIME: (CHIME, "", ""),
}


def path_of(clip_dir: Path, token: str) -> Path:
    return clip_dir / f"{TOKENS[token][0]}.wav"


def missing(clip_dir: Path) -> list[str]:
    return [t for t in TOKENS if not path_of(clip_dir, t).is_file()]


def trim(samples: array, threshold: int = 300, margin: int = RATE // 100) -> array:
    """Cut espeak's leading and trailing silence so tokens join without gaps."""
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    if not loud:
        return samples
    return samples[max(0, loud[0] - margin): loud[-1] + margin]


def write_wav(path: Path, samples: array) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(WIDTH)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def chime() -> array:
    """A soft two-tone "ding-dong" so people look up before the number is said."""
    out = array("h")
    for freq in (660.0, 550.0):
        n = int(RATE * 0.35)
        out.extend(int(9000 * math.exp(-4 * i / n) * math.sin(2 * math.pi * freq * i / RATE))
                   for i in range(n))
    return out


def speak(voice: str, text: str, timeout: float = 20.0) -> array:
    proc = subprocess.run(["espeak-ng", "-v", voice, "-s", "190", "--stdout", text],
                          capture_output=True, timeout=timeout, check=True)
    # --stdout carries a streaming header with a bogus length; readframes stops at the
    # real end of the bytes, so reading "all" frames is safe.
    with wave.open(io.BytesIO(proc.stdout)) as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (RATE, WIDTH, CHANNELS):
            raise RuntimeError(f"espeak-ng gave an unexpected format: {w.getparams()}")
        return array("h", w.readframes(w.getnframes()))


def generate(clip_dir: Path, force: bool = False) -> list[str]:
    """Write the default pack into ``clip_dir``; keeps existing (recorded) clips unless
    ``force``. Returns the tokens written."""
    clip_dir.mkdir(parents=True, exist_ok=True)
    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng is not installed (apt install espeak-ng)")
    written = []
    for token, (_stem, voice, text) in TOKENS.items():
        path = path_of(clip_dir, token)
        if path.exists() and not force:
            continue
        samples = chime() if token == CHIME else trim(speak(voice, text))
        tmp = path.with_suffix(".tmp")
        write_wav(tmp, samples)
        tmp.replace(path)  # never leave a half-written clip for the loader
        written.append(token)
    log.info("generated %d clips in %s", len(written), clip_dir)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drivers.audio.clips",
                                 description="Generate the default voice clip pack.")
    ap.add_argument("dir", type=Path, help="where to write the WAV clips")
    ap.add_argument("--force", action="store_true", help="overwrite existing clips")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # CLI entry point only
    try:
        written = generate(args.dir, args.force)
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        log.error("clip generation failed: %s", exc)
        return 1
    log.info("%d written, %d kept", len(written), len(TOKENS) - len(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
