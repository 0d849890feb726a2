"""Memory of the headless service as a branch sees it: after printing, not before.

``run()`` starts ``python -m kiosk.cli run --headless`` with the demo configuration
(``kiosk/configs/demo.toml``: image mode, the built-in services and counters), its
database, socket and announcements moved to a temporary directory and its printer on a
TCP fake printer (``tests/printer_fakes.py``) that answers status as Epson's reference
says. Tickets are issued over the control socket and counted once their bytes (cut
included) have reached the fake printer; then the process's ``VmRSS`` is read from
``/proc``. The process is stopped by its PID with SIGTERM (killed if it hangs).

Figures (MB = 2**20 bytes): ``rss_ready_mb`` (the first status answer), then after
1 and 100 printed tickets, and ``rss_settled_mb`` a few seconds later with the printer
idle, split into its anonymous and file-backed parts. ``python -m bench.memory`` prints
them as JSON, plus the largest mappings of
``/proc/PID/smaps`` (``--maps``). Target: <= 60 MB after 100 tickets.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.util import ROOT
from bench.util import demo_config as util_demo_config
from kiosk.control_client import request
from kiosk.errors import ServiceUnavailableError
from tests.printer_fakes import FakeNetworkPrinter

log = logging.getLogger(__name__)
MB = 1024 * 1024


def demo_config(tmp: Path, printer_url: str) -> Path:
    """The demo file with its state in ``tmp`` and its printer at ``printer_url``."""
    return util_demo_config(tmp, (
        f'[printer]\nurl = "{printer_url}"\n'
        f'\n[audio]\nsink = "wav://{tmp}/announcements"\nclips = "{tmp}/clips"\n'))


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident set size of ``pid`` (``VmRSS`` of ``/proc/PID/status``), or one of its
    parts: ``RssAnon`` (heap, Python objects) or ``RssFile`` (mapped files: libraries
    and the font files FreeType maps; clean pages the kernel can drop and read again)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"no {field} for {pid}")


def top_mappings(pid: int, n: int = 15) -> list[tuple[str, float]]:
    """The ``n`` largest resident mappings of ``pid``, summed by file (anon = heap etc.)."""
    sizes: dict[str, int] = {}
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if not head:
            continue
        if "-" in head[0] and not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else "[anon]"
        elif head[0] == "Rss:":
            sizes[name] = sizes.get(name, 0) + int(head[1]) * 1024
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:n]
    return [(k, round(v / MB, 2)) for k, v in ranked]


def _until(done: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


class DemoKiosk:
    """``kiosk run --headless`` on a config file, stopped by PID."""

    def __init__(self, config: Path, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self.socket = config.parent / "demo.sock"
        with open(log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config",
                 str(config)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def ask(self, cmd: str, **args: object) -> dict[str, object]:
        return request(self.socket, {"cmd": cmd, "args": args}, timeout=10)

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"kiosk exited with {self.proc.returncode}")
        try:
            return bool(self.ask("status").get("ok"))
        except ServiceUnavailableError:
            return False

    def logged(self, text: str) -> bool:
        return text in self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def run(tickets: int = 100, settle_s: float = 3.0, maps: bool = False) -> dict[str, float]:
    out: dict[str, float] = {}
    fake = FakeNetworkPrinter()
    with tempfile.TemporaryDirectory(prefix="kiosk-mem-") as tmp:
        kiosk = DemoKiosk(demo_config(Path(tmp), fake.url), Path(tmp) / "kiosk.log")
        try:
            _until(kiosk.ready, "the kiosk to answer", 60)
            pid = kiosk.proc.pid
            out["rss_ready_mb"] = rss_mb(pid)
            for i in range(tickets):
                reply = kiosk.ask("issue", service="ABC"[i % 3])
                if not reply.get("ok"):
                    raise RuntimeError(f"issue refused: {reply}")
                if i == 0:
                    _until(lambda: len(fake.jobs) >= 1, "the first ticket")
                    out["rss_after_1_ticket_mb"] = rss_mb(pid)
            _until(lambda: len(fake.jobs) >= tickets, f"{tickets} tickets")
            out[f"rss_after_{tickets}_tickets_mb"] = rss_mb(pid)
            time.sleep(settle_s)
            out["rss_settled_mb"] = rss_mb(pid)
            out["rss_settled_anon_mb"] = rss_mb(pid, "RssAnon")
            out["rss_settled_file_mb"] = rss_mb(pid, "RssFile")
            if maps:
                for name, mb in top_mappings(pid):
                    out[f"map {name}"] = mb
        except Exception:
            log.error("kiosk log:\n%s", (Path(tmp) / "kiosk.log").read_text()[-3000:])
            raise
        finally:
            kiosk.stop()
            fake.close()
    return {k: round(v, 1) for k, v in out.items()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100)
    ap.add_argument("--maps", action="store_true", help="also the largest smaps mappings")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(run(a.tickets, maps=a.maps), indent=2))
