"""``kiosk support-bundle [--output PATH]``: one ``.tar.gz`` for IT, made without a fuss.

What goes in:

* ``config/kiosk.toml``: the config file with every secret masked (any key whose name
  holds password, secret, token or pin_hash; a ``*_file`` key keeps its path, and the
  file it names, e.g. the MQTT password, is never read);
* ``logs/journal.txt``: ``journalctl -u 'counter-kiosk*'`` for the last days, or, where
  there is no journal (a laptop, a container), the kiosk's own ``*.log`` files beside
  the database; ``logs/README.txt`` says which;
* ``status.json``: the running kiosk's status over the control socket (or why there is
  none);
* ``doctor.json``: ``kiosk doctor --json``;
* ``schema.json``: the database's schema version, this kiosk's, and the backups;
* ``about.json``: versions of the kiosk, Python and the OS.

Events hold no personal data (tickets, counters and times only), and none is added here.
Nothing here may stop the bundle being written: a part that cannot be had says why.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import tarfile
import time
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MASK = "***"
SECRET_KEY = re.compile(r"(password|secret|token|pin_hash)", re.I)
_ASSIGN = re.compile(r"""(?P<key>[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?P<eq>\s*=\s*)"""
                     r"""(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^,}\]\n#]+)""")
LOG_DAYS = 3
LOG_TAIL = 1 << 20  # bytes of each log file


def is_secret(key: str) -> bool:
    key = key.strip("\"'")
    return bool(SECRET_KEY.search(key)) and not key.endswith("_file")


def mask_toml(text: str) -> str:
    """``text`` with the value of every secret key replaced by ``"***"``.

    A line-wise rewrite keeps the comments IT wants to read; the result is parsed again
    and, if any secret survived (a multi-line string, say), the bundle gets the masked
    table as JSON instead, without comments.
    """
    masked = _ASSIGN.sub(lambda m: m["key"] + m["eq"] + f'"{MASK}"'
                         if is_secret(m["key"]) else m[0], text)
    try:
        if not _leaks(tomllib.loads(masked)):
            return masked
    except tomllib.TOMLDecodeError:
        pass  # e.g. a multi-line string cut in two by the rewrite
    try:
        return json.dumps(mask_data(tomllib.loads(text)), ensure_ascii=False, indent=2)
    except tomllib.TOMLDecodeError:  # not TOML at all: only the lines that name no secret
        return "\n".join(ln for ln in masked.splitlines() if not SECRET_KEY.search(ln))


def mask_data(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: MASK if is_secret(k) else mask_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_data(v) for v in data]
    return data


def _leaks(data: Any) -> bool:
    if isinstance(data, dict):
        return any((is_secret(k) and v != MASK) or _leaks(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_leaks(v) for v in data)
    return False


def journal(since_days: int = LOG_DAYS, journalctl: str | None = None) -> str | None:
    """The kiosk units' journal, or None where there is none to read."""
    exe = journalctl or shutil.which("journalctl")
    if exe is None:
        return None
    try:
        r = subprocess.run([exe, "--no-pager", "-o", "short-iso", "-u", "counter-kiosk*",
                            "--since", f"-{since_days}d", "-n", "20000"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if r.returncode != 0 or not r.stdout.strip() or r.stdout.startswith("-- No entries"):
        return None
    return r.stdout


def _tail(path: Path, limit: int = LOG_TAIL) -> bytes:
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - limit))
        return f.read()


def _schema(db: Path) -> dict[str, Any]:
    from kiosk import backup
    from kiosk.store import MIGRATIONS

    out: dict[str, Any] = {"database": str(db), "kiosk_schema": max(MIGRATIONS),
                           "backups": [p.name for p in backup.backups(db)]}
    try:
        conn = backup.read_only(db)
        try:
            out["database_schema"] = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except Exception as exc:  # a damaged database is what IT is looking into
        out["database_schema"] = None
        out["why"] = f"{type(exc).__name__}: {exc}"
    return out


def _about() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        kiosk_version = version("counter-kiosk")
    except PackageNotFoundError:
        kiosk_version = "?"
    try:
        os_release = Path("/etc/os-release").read_text()
    except OSError:
        os_release = ""
    return {"kiosk": kiosk_version, "python": platform.python_version(),
            "platform": platform.platform(), "os_release": os_release,
            "made": datetime.now().astimezone().isoformat(timespec="seconds")}


class Bundle:
    """A tar.gz written member by member from memory."""

    def __init__(self, path: Path, root: str) -> None:
        self.root = root
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the config
        os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
        self._file = os.fdopen(fd, "wb")
        self.tar = tarfile.open(fileobj=self._file, mode="w:gz")  # noqa: SIM115 - closed in close()

    def add(self, name: str, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        info = tarfile.TarInfo(f"{self.root}/{name}")
        info.size, info.mtime, info.mode = len(raw), int(time.time()), 0o600
        self.tar.addfile(info, io.BytesIO(raw))

    def json(self, name: str, data: Any) -> None:
        self.add(name, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")

    def close(self) -> None:
        self.tar.close()
        self._file.close()


def collect(output: Path, config_arg: str | None, timeout: float = 5.0,
            journalctl: str | None = None) -> Path:
    from kiosk import doctor
    from kiosk.checks import run_all
    from kiosk.cli import _config_path

    p = doctor.probe(config_arg, timeout=timeout)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    device = p.config.branch.device_id if p.config else "kiosk"
    bundle = Bundle(output, f"support-{device}-{stamp}")
    try:
        path = _config_path(config_arg)
        if path is not None:
            try:
                bundle.add("config/kiosk.toml", mask_toml(path.read_text(encoding="utf-8")))
            except OSError as exc:
                bundle.add("config/README.txt", f"{path} could not be read: {exc}\n")
        else:
            bundle.add("config/README.txt", "no config file: the built-in defaults are used\n")
        text = journal(journalctl=journalctl)
        if text is not None:
            bundle.add("logs/journal.txt", text)
            bundle.add("logs/README.txt", f"journalctl -u 'counter-kiosk*', last {LOG_DAYS} "
                       "days\n")
        else:
            state = p.config.storage_path.parent if p.config else None
            files = sorted(state.glob("*.log")) if state and state.is_dir() else []
            for f in files:
                bundle.add(f"logs/{f.name}", _tail(f))
            bundle.add("logs/README.txt", "no journal to read here; the kiosk's own log "
                       f"files from {state}: {', '.join(f.name for f in files) or 'none'}\n")
        bundle.json("status.json", p.live if p.live is not None
                    else {"running": False, "why": p.live_why})
        bundle.json("doctor.json", doctor.report(run_all(p)))
        if p.config is not None:
            bundle.json("schema.json", _schema(p.config.storage_path))
        bundle.json("about.json", _about())
    finally:
        bundle.close()
    return output


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", "-o", metavar="PATH",
                   help="where to write the archive (default: ./counter-kiosk-support-"
                        "<time>.tar.gz)")


def run(args: argparse.Namespace) -> int:
    from kiosk import messages

    output = Path(args.output or f"counter-kiosk-support-{datetime.now():%Y%m%d-%H%M%S}.tar.gz")
    collect(output, args.config)
    print(messages.text("support_bundle_written", path=output.resolve()))
    return 0
