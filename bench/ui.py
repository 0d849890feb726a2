"""The touchscreen's figures, in real windows under Xvfb with a real ``kiosk run
--headless`` behind them (Mesa's software GL here; a Pi draws with its GPU).

* ``ui_touch_to_confirm_p50_ms`` / ``p99``: from a touch on a service card until the
  buffer swap that first shows the confirmation; the ticket is committed before the
  core's reply, which is what shows it. Taken one after another, ``count`` times, in the
  scenario process of tests/ui_harness.py (the app as ``kiosk ui`` builds it).
* ``ui_cold_start_first_frame_ms``: a real ``kiosk ui`` process, from its start (the
  kernel's start time of the process) to its first frame on screen, as it logs it;
  ``ui_cold_start_wall_ms`` the same seen from here (spawn to that log line).
  ``ui_start_to_cards_ms``: from the spawn of the scenario process until the customer
  screen shows its cards (the core's status has arrived and is drawn).
* ``ui_rss_mb``: resident memory of the UI process after the touches (``VmRSS``), and
  ``ui_rss_idle_mb`` of the ``kiosk ui`` process at rest on its start screen.
  ``ui_rss_software_gl_mb`` is the part in Mesa's software rasteriser and LLVM (read from
  ``/proc/PID/smaps``), which a Pi drawing with its GPU does not load;
  ``ui_rss_without_software_gl_mb`` the rest.

    python -m bench.ui [--quick]
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import pct
from tests.kiosk_proc import KioskProcess
from tests.ui_harness import ROOT, UiRun, Xvfb, core_config, ui_env

log = logging.getLogger(__name__)


# Mesa's software rasteriser (llvmpipe) and the LLVM it compiles shaders with: what this
# machine draws with under Xvfb, and what a Pi's GPU driver (v3d) does not load.
SOFTWARE_GL = ("libLLVM", "swrast_dri", "libz3", "libgallium")
MAPPING = re.compile(r"[0-9a-f]+-[0-9a-f]+ ")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for pid {pid}")


def software_gl_mb(pid: int) -> float:
    """Resident memory of the software GL libraries' mappings (``/proc/PID/smaps``)."""
    kb, mapped = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if MAPPING.match(line):  # a mapping's header; its fields follow
            mapped = any(name in line for name in SOFTWARE_GL)
        elif line.startswith("Rss:") and mapped:
            kb += int(line.split()[1])
    return round(kb / 1024, 1)


def _cold_start(display: str, config: Path, tmp: Path) -> dict[str, Any]:
    """One real ``kiosk ui``: its logged first frame, then its RSS at rest."""
    out = tmp / "ui.log"
    t0 = time.time()
    with open(out, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "ui", "--config",
                                 str(config), "--size", "800x480"], cwd=ROOT,
                                env=ui_env(display), stdout=f, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            m = re.search(r"first frame on screen (\d+) ms", out.read_text(errors="replace"))
            if m:
                wall = (time.time() - t0) * 1000
                time.sleep(3.0)  # at rest on its start screen
                return {"ui_cold_start_first_frame_ms": int(m[1]),
                        "ui_cold_start_wall_ms": round(wall), "ui_rss_idle_mb": rss_mb(proc.pid)}
            if proc.poll() is not None:
                raise RuntimeError(f"kiosk ui exited: {out.read_text()[-2000:]}")
            time.sleep(0.02)
        raise TimeoutError("kiosk ui drew no frame within 60 s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def run(quick: bool = False) -> dict[str, Any]:
    count = 20 if quick else 100
    figures: dict[str, Any] = {}
    x = Xvfb().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ui-") as d:
            tmp = Path(d)
            core = KioskProcess(core_config(tmp)).start()
            try:
                figures.update(_cold_start(x.display, core.config, tmp))
                rss: dict[str, float] = {}
                t0 = time.time()
                ui = UiRun(x.display, "bench", tmp / "out", core.config, "800x480",
                           extra=("--count", str(count), "--kiosk"))
                code, out = ui.wait({"rss": lambda: rss.update(
                    mb=rss_mb(ui.proc.pid), gl=software_gl_mb(ui.proc.pid))}, timeout=300)
                if code != 0:
                    raise RuntimeError(f"bench scenario failed:\n{out[-3000:]}")
                cards = float(re.findall(r"bench-cards (\S+)", out)[-1])
                samples = json.loads(re.findall(r"bench-touch (\[.*\])", out)[-1])
            finally:
                core.terminate()
    finally:
        x.stop()
    samples.sort()
    figures.update({
        "ui_touch_to_confirm_p50_ms": round(statistics.median(samples), 1),
        "ui_touch_to_confirm_p99_ms": round(pct(samples, 99), 1),
        "ui_touch_to_confirm_max_ms": round(samples[-1], 1),
        "ui_touches": len(samples),
        "ui_start_to_cards_ms": round((cards - t0) * 1000),
        "ui_rss_mb": rss["mb"],
        "ui_rss_software_gl_mb": rss["gl"],
        "ui_rss_without_software_gl_mb": round(rss["mb"] - rss["gl"], 1),
    })
    return figures


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    for k, v in run(p.parse_args().quick).items():
        print(f"{k:36} {v}")
