"""Checks of the machine and the kiosk's own files: config, service, clock, disk, the
system log's size limit (SD-card wear) and the database."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from kiosk import messages
from kiosk.checks import Probe, Result, fail, ok, warn

MIB = 1 << 20
DISK_FAIL = 32 * MIB  # a busy day writes a few MB; a backup needs the database's size again
DISK_WARN = 256 * MIB
DISK_WARN_PERCENT = 10
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.I)


def size_text(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - the loop always returns


def parse_size(text: str) -> int | None:
    """journald's sizes: ``64M``, ``1G``, ``512K`` (powers of 1024), or bytes."""
    m = _SIZE.match(text)
    if not m:
        return None
    return int(float(m[1]) * 1024 ** " KMGT".index((m[2] or " ").upper()))


def config(p: Probe) -> Result:
    if p.config_error is not None or p.config is None:
        return fail("config", messages.text("doctor_config_bad", error=p.config_error),
                    messages.text("doctor_config_bad_fix", path=p.config_path or "FILE"))
    return ok("config", messages.text("doctor_config_ok",
                                      source=p.config.source or "built-in defaults"))


def service(p: Probe) -> Result:
    assert p.config is not None
    if p.live is not None:
        return ok("service", messages.text("doctor_service_running",
                                           socket=p.config.socket_path))
    return warn("service", messages.text("doctor_service_stopped", why=p.live_why),
                messages.text("doctor_service_stopped_fix"))


def clock(p: Probe) -> Result:
    cfg = p.config
    assert cfg is not None
    now = datetime.now(cfg.branch.tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    if cfg.sync_flag.exists():
        return ok("clock", messages.text("doctor_clock_ok", now=now))
    if cfg.require_sync:
        return fail("clock", messages.text("doctor_clock_unsynced", now=now),
                    messages.text("doctor_clock_fix"))
    return warn("clock", messages.text("doctor_clock_unsynced_warn", now=now),
                messages.text("doctor_clock_fix"))


def _existing(path: Path) -> Path:
    for d in (path, *path.parents):
        if d.exists():
            return d
    return Path("/")


def disk(p: Probe) -> Result:
    from kiosk.backup import backups_dir

    assert p.config is not None
    db = p.config.storage_path
    where = _existing(db.parent)
    st = p.statvfs(str(where))
    free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
    percent = round(100 * free / total) if total else 0
    db_size = db.stat().st_size if db.is_file() else 0
    args = {"dir": db.parent, "free": size_text(free), "percent": percent}
    fix = messages.text("doctor_disk_fix", backups=backups_dir(db))
    if free < max(DISK_FAIL, 2 * db_size):
        return fail("disk", messages.text("doctor_disk_low", **args), fix)
    if free < DISK_WARN or percent < DISK_WARN_PERCENT:
        return warn("disk", messages.text("doctor_disk_low", **args), fix)
    return ok("disk", messages.text("doctor_disk_ok", **args))


def _journal_limit(dropin: Path) -> str | None:
    try:
        text = dropin.read_text()
    except OSError:
        return None
    found = re.findall(r"^\s*SystemMaxUse\s*=\s*(\S+)\s*$", text, flags=re.M)
    return found[-1] if found else None


def _journal_used(journalctl: str | None) -> int | None:
    if journalctl is None:
        return None
    try:
        out = subprocess.run([journalctl, "--disk-usage"], capture_output=True, text=True,
                             timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"take up (\S+) in the file system", out)
    return parse_size(m[1]) if m else None


def journal(p: Probe) -> Result:
    """SD-card wear: journald has a size limit (the installer's drop-in) and keeps to it."""
    limit = _journal_limit(p.journald_dropin)
    if limit is None or parse_size(limit) is None:
        return warn("journal", messages.text("doctor_journal_unlimited",
                                             dropin=p.journald_dropin),
                    messages.text("doctor_journal_fix", dropin=p.journald_dropin))
    used = _journal_used(p.journalctl)
    used_text = size_text(used) if used is not None else "?"
    limit_bytes = parse_size(limit)
    assert limit_bytes is not None
    if used is not None and used > limit_bytes * 1.1:  # journald rotates in whole files
        return warn("journal", messages.text("doctor_journal_over", used=used_text,
                                             limit=limit),
                    messages.text("doctor_journal_over_fix", limit=limit))
    return ok("journal", messages.text("doctor_journal_ok", limit=limit, used=used_text))


def database(p: Probe) -> Result:
    """``PRAGMA integrity_check`` and the schema version, on a read-only connection."""
    from kiosk import backup, store_check
    from kiosk.store import MIGRATIONS

    assert p.config is not None
    path = p.config.storage_path
    try:
        path.stat()
    except FileNotFoundError:
        return ok("database", messages.text("doctor_db_absent", path=path))
    except OSError as exc:  # e.g. the state directory is the kiosk user's alone
        return fail("database", messages.text("doctor_db_unreadable", path=path,
                                              why=exc.strerror or exc),
                    messages.text("doctor_db_unreadable_fix"))
    try:
        conn = backup.read_only(path)
        try:
            problems = backup.integrity(conn)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            events = (conn.execute("SELECT count(*) FROM events").fetchone()[0]
                      if problems == ["ok"] and version >= 1 else 0)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            problems = [f"{exc} [{name}]"]
        else:
            return fail("database", messages.text("doctor_db_unreadable", path=path, why=exc),
                        messages.text("doctor_db_unreadable_fix"))
    except OSError as exc:
        return fail("database", messages.text("doctor_db_unreadable", path=path, why=exc),
                    messages.text("doctor_db_unreadable_fix"))
    if problems != ["ok"]:
        return fail("database", messages.text("doctor_db_corrupt", path=path,
                                              detail="; ".join(problems)),
                    store_check.restore_hint(path))
    latest = max(MIGRATIONS)
    if version > latest:
        return fail("database", messages.text("doctor_db_new_schema", version=version,
                                              latest=latest),
                    messages.text("doctor_db_new_schema_fix"))
    if version < latest:
        return warn("database", messages.text("doctor_db_old_schema", version=version,
                                              latest=latest))
    newest = backup.newest(path)
    return ok("database", messages.text("doctor_db_ok", version=version, events=events,
                                        backup=newest.name if newest else "-"))
