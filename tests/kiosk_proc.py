"""Run a real ``kiosk run --headless`` subprocess for end-to-end tests."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.control_client import request
from kiosk.errors import ServiceUnavailableError

CONFIG = """\
[branch]
device_id = "kiosk-test"
[storage]
path = "{tmp}/kiosk.db"
[control]
socket = "{tmp}/control.sock"
[printer]
url = "dummy://"
[audio]
sink = "wav://{tmp}/announcements"
clips = "{tmp}/clips"
generate_missing = false
[[counters]]
id = 1
services = ["A"]
[[counters]]
id = 2
services = ["A"]
[[counters]]
id = 3
services = ["B"]
[[counters]]
id = 4
services = ["C"]
"""


def write_config(tmp: Path, extra: str = "") -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(CONFIG.format(tmp=tmp) + extra, encoding="utf-8")
    return path


class KioskProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.socket = config.parent / "control.sock"
        self.log = config.parent / "kiosk.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> KioskProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config",
                 str(self.config)], stdout=log, stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiosk exited with {self.proc.returncode}:\n"
                                   f"{self.log.read_text()[-3000:]}")
            try:
                if self.ask("status").get("ok"):
                    return self
            except ServiceUnavailableError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"kiosk did not come up:\n{self.log.read_text()[-3000:]}")

    def ask(self, cmd: str, **args: Any) -> dict[str, Any]:
        return request(self.socket, {"cmd": cmd, "args": args}, timeout=10)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, and the exit code; a kiosk still running after ``timeout`` s is hung:
        it is killed (a test never leaves a process behind) and the test fails."""
        return self.signal(signal.SIGTERM, timeout)

    def signal(self, sig: int, timeout: float = 15.0, tid: int | None = None) -> int:
        """Send ``sig`` to the kiosk (to its thread ``tid`` if given) and wait for it to
        exit; kill it and fail if it is still running after ``timeout`` s."""
        assert self.proc is not None
        if tid is None:
            self.proc.send_signal(sig)
        else:
            tgkill(self.proc.pid, tid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"kiosk ignored signal {sig} for {timeout} s:\n"
                                 f"{self.log.read_text()[-2000:]}") from None

    def threads(self) -> list[int]:
        """The kernel thread ids of the kiosk, the main thread (= pid) first."""
        assert self.proc is not None
        tids = sorted(int(t) for t in os.listdir(f"/proc/{self.proc.pid}/task"))
        tids.remove(self.proc.pid)
        return [self.proc.pid, *tids]

    def ensure_stopped(self) -> None:
        """For teardown: kill the kiosk if it is still running."""
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


def tgkill(pid: int, tid: int, sig: int) -> None:
    """Send ``sig`` to one thread of a process, as the kernel may do with any signal."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.tgkill(pid, tid, sig) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
