"""Small helpers shared by the bench scripts: percentiles, the quick switch, processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK_ENV = "KIOSK_BENCH_QUICK"  # set by ``python -m bench.run --quick``
DEMO = ROOT / "kiosk" / "configs" / "demo.toml"


def demo_config(tmp: Path, drivers: str) -> Path:
    """The demo file with its state in ``tmp`` and the driver tables in ``drivers``
    (TOML) appended: what a branch would run, with nothing written outside ``tmp``."""
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace("~/.local/state/counter-kiosk/demo.db", f"{tmp}/demo.db")
    text = text.replace("~/.local/state/counter-kiosk/demo.sock", f"{tmp}/demo.sock")
    if str(tmp) not in text:
        raise RuntimeError("demo.toml no longer names its storage and socket paths")
    path = tmp / "demo.toml"
    path.write_text(text + "\n" + drivers, encoding="utf-8")
    return path


def quick_mode() -> bool:
    """Fewer iterations, so the whole run fits in 30 s (e.g. on a Pi)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def wait_until(done: Callable[[], bool], what: str, timeout: float = 30.0,
               step: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(step)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process by its PID and wait; SIGKILL it if it does not exit."""
    if proc.poll() is not None:
        return
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
