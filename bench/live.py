"""A live kiosk as a branch runs it: issue latency through the control socket and the
``kiosk issue`` command's whole-process wall time, with every demo driver at work.

``run()`` starts ``python -m kiosk.cli run --headless`` with the demo configuration
(``kiosk/configs/demo.toml``), its database and socket moved to a temporary directory,
and the drivers on stand-ins that do real work:

* the printer on a TCP fake printer (``tests/printer_fakes.py``) in a child process, in
  image mode: each ticket is rendered and about 98 KB are sent over loopback;
* a CD5220 display at 9600 baud on a pty, whose far end this process reads;
* the voice on a WAV sink, with the default clip pack generated at start. It is not
  realtime here: a speaker's waiting costs no CPU, while a sink that never waits makes the
  voice assemble every announcement at once, the harder case for the worker (and the
  kiosk stops without waiting out a queue of announcements). Queueing behind a running
  announcement is measured in ``bench.counter_hw``.

Figures:

* ``socket_issue_p50_ms`` / ``p99``: ``issue`` request to reply through the control
  socket (a fresh connection per request, as ``kiosk issue`` does), durable commit
  included, while every third request is a ``call-next`` that keeps the display and the
  voice busy, and the printer prints every ticket. Target p99 <= 20 ms.
* ``socket_call_next_p50_ms`` / ``p99``: the same for those ``call-next`` requests.
* ``cli_issue_wall_p50_ms`` / ``p90``: ``kiosk --socket S issue A`` (the installed console
  script) from exec to exit, against the same live kiosk. Target p50 <= 60 ms.
* ``cli_python_bare_ms``: ``python -c pass`` for comparison (the interpreter's floor).

Every process started here is stopped by its PID (SIGTERM, then SIGKILL if it hangs).

    python -m bench.live [--quick]          # prints JSON
    python -m bench.live printer            # the fake printer alone (used by run())
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.util import ROOT, ms_since, pct, quick_mode, stop_process, wait_until
from bench.util import demo_config as util_demo_config

log = logging.getLogger(__name__)


def demo_config(tmp: Path, printer_url: str, display_device: str,
                realtime_voice: bool = True) -> Path:
    """The demo file with its state in ``tmp`` and the drivers named above."""
    return util_demo_config(tmp, (
        f'[printer]\nurl = "{printer_url}"\n'
        f'\n[[displays]]\nname = "hall"\nurl = "{display_device}"\n'
        f'protocol = "cd5220"\ncounters = "all"\n'
        f'\n[audio]\nsink = "wav://{tmp}/announcements"\nclips = "{tmp}/clips"\n'
        f'realtime = {"true" if realtime_voice else "false"}\n'))


class FakePrinterProcess:
    """``python -m bench.live printer`` in a child process, so the 98 KB per ticket it
    receives do not take this process's interpreter lock from the client being timed."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.live", "printer"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("tcp://"):
            stop_process(self.proc)
            raise RuntimeError(f"the fake printer did not start: {line!r}")
        self.url = line

    def stop(self) -> None:
        stop_process(self.proc)


class PtyFarEnd:
    """Both ends of a pty; a thread reads what the display sends, as the cable would."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.device = os.ttyname(self.slave)
        self.received = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class LiveKiosk:
    """A headless kiosk process; ``ask`` sends one request through its control socket."""

    def __init__(self, config: Path, socket: Path, log_path: Path,
                 env: dict[str, str] | None = None) -> None:
        self.socket = socket
        self.log_path = log_path
        with open(log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config",
                 str(config)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})

    def ask(self, cmd: str, timeout: float = 10, **args: Any) -> dict[str, Any]:
        from kiosk.control_client import request

        return request(self.socket, {"cmd": cmd, "args": args}, timeout=timeout)

    def ready(self) -> bool:
        from kiosk.errors import ServiceUnavailableError

        if self.proc.poll() is not None:
            raise RuntimeError(f"kiosk exited with {self.proc.returncode}:\n"
                               f"{self.log_path.read_text()[-2000:]}")
        try:
            return bool(self.ask("status").get("ok"))
        except ServiceUnavailableError:
            return False

    def stop(self) -> None:
        stop_process(self.proc)


def socket_latency(kiosk: LiveKiosk, n: int) -> dict[str, float]:
    issue: list[float] = []
    call: list[float] = []
    refused = 0
    for i in range(n):
        if i % 3 == 2:
            t0 = time.perf_counter()
            kiosk.ask("call-next", counter=1 + (i // 3) % 4)  # refused if nobody waits: fine
            call.append(ms_since(t0))
            continue
        t0 = time.perf_counter()
        ok = kiosk.ask("issue", service="ABC"[i % 3]).get("ok")
        issue.append(ms_since(t0))
        refused += not ok
    if refused:
        raise RuntimeError(f"{refused} issue requests were refused")
    return {"socket_issue_p50_ms": round(pct(issue, 0.5), 2),
            "socket_issue_p99_ms": round(pct(issue, 0.99), 2),
            "socket_call_next_p50_ms": round(pct(call, 0.5), 2),
            "socket_call_next_p99_ms": round(pct(call, 0.99), 2),
            "socket_requests": len(issue) + len(call)}


def cli_wall(socket: Path, n: int) -> dict[str, float]:
    """The console script a clerk or a script would run, exec to exit."""
    script = Path(sys.executable).with_name("kiosk")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.cli"]

    def once(args: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        return ms_since(t0)

    walls = [once([*argv, "--socket", str(socket), "issue", "A"]) for _ in range(n)]
    bare = [once([sys.executable, "-c", "pass"]) for _ in range(max(3, n // 2))]
    return {"cli_issue_wall_p50_ms": round(statistics.median(walls), 1),
            "cli_issue_wall_p90_ms": round(pct(walls, 0.9), 1),
            "cli_python_bare_ms": round(statistics.median(bare), 1)}


def run(quick: bool | None = None) -> dict[str, float]:
    quick = quick_mode() if quick is None else quick
    printer = FakePrinterProcess()
    far = PtyFarEnd()
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            cfg = demo_config(tmp, printer.url, far.device, realtime_voice=False)
            kiosk = LiveKiosk(cfg, tmp / "demo.sock", tmp / "kiosk.log")
            try:
                wait_until(kiosk.ready, "the kiosk to answer", 60)
                out: dict[str, float] = {}
                out.update(socket_latency(kiosk, 60 if quick else 450))
                out.update(cli_wall(kiosk.socket, 5 if quick else 20))
                out["display_bytes_received"] = far.received
                return out
            finally:
                kiosk.stop()
    finally:
        far.close()
        printer.stop()


def _serve_printer() -> None:
    """Child process: a fake TCP printer until stdin closes or SIGTERM."""
    from tests.printer_fakes import FakeNetworkPrinter

    fake = FakeNetworkPrinter()
    sys.stdout.write(fake.url + "\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()
    finally:
        fake.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)  # script entry point only
    if sys.argv[1:2] == ["printer"]:
        _serve_printer()
    else:
        print(json.dumps(run("--quick" in sys.argv), indent=2))
