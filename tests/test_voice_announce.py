"""Voice: the WAV for a call has the expected length and is not silent; quick calls are
played one after another, in order, both to the WAV stand-in and through the real ALSA
path (``aplay`` into an ALSA ``file`` device, since the test machine has no sound card)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import wave
from array import array
from datetime import datetime
from pathlib import Path

import pytest

import drivers.audio as audio
from drivers.audio import clips, validate
from drivers.audio.pack import ClipPack
from drivers.audio.voice import Voice
from kiosk.commands import ReportDevice
from kiosk.config import Config
from kiosk.errors import ConfigError
from kiosk.ports import Submit
from tests.hw_fakes import Recorder, event
from tests.support import TZ, driver_parts, make_config

PHRASE = ["请", "A", "0", "1", "2", "号", "到", "3", "号", "窗口", "办理"]


def build(cfg: Config, submit: Submit) -> Voice:
    parts = driver_parts(audio, cfg, submit, "audio")
    made = parts.subscribers[0]
    assert isinstance(made, Voice)
    return made


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("clips")
    clips.generate(d)
    return d


def frames_of(path: Path) -> int:
    with wave.open(str(path)) as w:
        return w.getnframes()


def pcm(wav_bytes: bytes) -> tuple[array, int]:
    with wave.open(io.BytesIO(wav_bytes)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return array("h", w.readframes(w.getnframes())), w.getframerate()


def rms(samples: array) -> float:
    return (sum(s * s for s in samples) / max(len(samples), 1)) ** 0.5


def test_call_wav_has_the_expected_length_and_is_not_silent(clip_dir: Path) -> None:
    pack = ClipPack.load(clip_dir, volume=100, gap_ms=60, pause_ms=600)
    assert pack.tokens("请 A012 号到 3 号窗口办理") == PHRASE
    wav = pack.wav(PHRASE, repeat=2, chime=True)
    samples, rate = pcm(wav)
    # chime, pause, phrase, pause, phrase; a phrase is its clips joined by 60 ms gaps
    phrase = sum(frames_of(clips.path_of(clip_dir, t)) for t in PHRASE) + 10 * rate * 60 // 1000
    expected = frames_of(clip_dir / "chime.wav") + 2 * phrase + 2 * rate * 600 // 1000
    assert len(samples) == expected
    assert 4.0 < len(samples) / rate < 15.0
    assert rms(samples) > 500
    # no stretch of a whole second is silent: every second carries speech or the chime
    for start in range(0, len(samples) - rate, rate // 2):
        assert max(abs(s) for s in samples[start:start + rate]) > 1000, start / rate


def test_sox_agrees_the_call_is_audible(clip_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    path.write_bytes(ClipPack.load(clip_dir).wav(PHRASE))
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                         timeout=30).stderr
    stats = {k.strip(): v.strip() for k, v in
             (line.split(":", 1) for line in out.splitlines() if ":" in line)}
    assert float(stats["RMS     amplitude"]) > 0.02
    assert float(stats["Length (seconds)"]) > 4.0


def test_volume_scales_the_samples(clip_dir: Path) -> None:
    loud, _ = pcm(ClipPack.load(clip_dir, volume=100).wav(PHRASE))
    soft, _ = pcm(ClipPack.load(clip_dir, volume=25).wav(PHRASE))
    assert len(loud) == len(soft)
    assert 0.2 < rms(soft) / rms(loud) < 0.3


def voice_cfg(tmp_path: Path, clip_dir: Path, **audio: object) -> object:
    return make_config(tmp_path, audio={"clips": str(clip_dir), **audio})


def test_two_quick_calls_play_one_after_another_in_order(clip_dir: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "spoken"
    # realtime: the stand-in takes as long as a speaker would, so overlap would show
    v = build(voice_cfg(tmp_path, clip_dir, sink=f"wav://{out}", realtime=True,
                        pause_ms=100, repeat=1, chime=False), Recorder())
    log: list[tuple[str, str, float]] = []
    v.on_start = lambda a: log.append(("start", a[0], time.monotonic()))
    v.on_done = lambda a: log.append(("done", a[0], time.monotonic()))
    try:
        v.handle(event("called", "A012", 3), None)  # type: ignore[arg-type]
        v.handle(event("called", "B004", 1), None)  # type: ignore[arg-type]
        assert v.idle(60)
    finally:
        v.close()
    assert [(k, t) for k, t, _ in log] == [("start", "A012"), ("done", "A012"),
                                           ("start", "B004"), ("done", "B004")]
    assert log[2][2] >= log[1][2]  # the second began only after the first ended
    assert log[1][2] - log[0][2] > 2.0  # and the first really lasted its full length
    assert sorted(p.name for p in out.iterdir()) == ["000001-A012-c3.wav",
                                                     "000002-B004-c1.wav"]


def test_alsa_sink_plays_through_aplay_in_order(clip_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "speaker.raw"
    # A real ALSA device defined in ~/.asoundrc: the file plugin appends every PCM
    # frame aplay plays to speaker.raw (over the null device: no sound card needed).
    (tmp_path / ".asoundrc").write_text(
        'pcm.kiosktest { type file; slave.pcm "null"; format "raw"; '
        f'file "|cat >> {raw}" }}\n')
    monkeypatch.setenv("HOME", str(tmp_path))
    rec = Recorder()
    v = build(voice_cfg(tmp_path, clip_dir, sink="alsa", device="kiosktest", volume=100),
              rec)
    try:
        v.handle(event("called", "A012", 3), None)  # type: ignore[arg-type]
        v.handle(event("recalled", "A012", 3), None)  # type: ignore[arg-type]
        v.handle(event("called", "C007", 4), None)  # type: ignore[arg-type]
        assert v.idle(60)
    finally:
        v.close()
    time.sleep(0.2)  # the file plugin's cat may still be flushing
    pack = ClipPack.load(clip_dir)
    first = pack.frames(PHRASE)
    third = pack.frames(pack.tokens("请 C007 号到 4 号窗口办理"))
    data = raw.read_bytes()
    assert data.startswith(first)
    second_at = data.find(first, len(first))  # the recall: the same words again
    third_at = data.find(third, second_at + len(first))
    assert len(first) <= second_at < third_at
    assert rec.of(ReportDevice) == [ReportDevice("voice", "ok", "")]


def test_a_broken_alsa_device_is_reported_and_the_player_goes_on(
        clip_dir: Path, tmp_path: Path) -> None:
    rec = Recorder()
    v = build(voice_cfg(tmp_path, clip_dir, sink="alsa", device="no_such_device_xyz"), rec)
    try:
        v.handle(event("called", "A012", 3), None)  # type: ignore[arg-type]
        v.handle(event("called", "A013", 3), None)  # type: ignore[arg-type]
        assert v.idle(30)
    finally:
        v.close()
    reports = rec.of(ReportDevice)
    assert [r.status for r in reports] == ["error"]  # one report per change
    assert "no_such_device_xyz" in reports[0].detail


def test_quiet_hours_mute_or_soften(clip_dir: Path, tmp_path: Path) -> None:
    spec_raw = {"clips": str(clip_dir), "quiet_hours": ["12:00-13:30"]}
    lunch = datetime(2026, 11, 23, 12, 30, tzinfo=TZ)
    for quiet_volume, files in ((0, 0), (20, 1)):
        out = tmp_path / f"q{quiet_volume}"
        cfg = make_config(tmp_path, audio={**spec_raw, "sink": f"wav://{out}",
                                           "quiet_volume": quiet_volume})
        v = build(cfg, Recorder())
        assert isinstance(v, Voice)
        v.now = lambda: lunch
        v.handle(event("called", "A012", 3), None)  # type: ignore[arg-type]
        assert v.idle(30)
        v.close()
        written = sorted(out.glob("*.wav")) if out.exists() else []
        assert len(written) == files
    loud = ClipPack.load(clip_dir, volume=80).wav(PHRASE)
    soft = written[0].read_bytes()
    assert 0.2 < rms(pcm(soft)[0]) / rms(pcm(loud)[0]) < 0.3  # 20 % of 80 % = a quarter


def test_recorded_clips_in_another_format_are_converted(clip_dir: Path,
                                                        tmp_path: Path) -> None:
    mine = tmp_path / "branch-clips"
    mine.mkdir()
    for p in clip_dir.iterdir():
        (mine / p.name).write_bytes(p.read_bytes())
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(mine / "qing.wav"),
                    "synth", "0.5", "sine", "440"], check=True, timeout=30)
    pack = ClipPack.load(mine)
    assert len(pack.clips["请"]) == 2 * 22050 // 2  # 0.5 s of 16-bit mono at 22.05 kHz
    assert rms(array("h", pack.clips["请"])) > 1000


def test_clip_cli_generates_the_pack_and_keeps_recorded_clips(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    target.mkdir()
    (target / "qing.wav").write_bytes(b"recorded by the branch")
    run = subprocess.run([sys.executable, "-m", "drivers.audio.clips", str(target)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(list(target.glob("*.wav"))) == len(clips.TOKENS) == 42
    assert (target / "qing.wav").read_bytes() == b"recorded by the branch"
    assert clips.missing(target) == []


@pytest.mark.parametrize(("raw", "key"), [
    ({"sink": "pulse"}, "audio.sink"),
    ({"volume": 120}, "audio.volume"),
    ({"volume": True}, "audio.volume"),
    ({"quiet_hours": ["13:00-12:00"]}, "audio.quiet_hours[0]"),
    ({"device": ""}, "audio.device"),
    ({"loudness": 3}, "audio.loudness"),
])
def test_config_errors_name_the_key(raw: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate(raw)
    assert err.value.key == key
