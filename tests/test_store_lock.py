"""One kiosk per database: the store's exclusive lock, tried from real child processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.errors import StoreError, StoreLockedError
from kiosk.store import MIGRATIONS, Store
from tests.kiosk_proc import KioskProcess, write_config
from tests.support import wait_for

ROOT = Path(__file__).parent.parent

# Holds the store until a release file appears; writes "won <pid>" or "refused <pid>".
CHILD = """
import os, sys, time
from pathlib import Path
from kiosk.errors import StoreLockedError
from kiosk.store import Store
db, go, out, release = (Path(a) for a in sys.argv[1:5])
out.with_suffix(".ready").touch()
while not go.exists():
    time.sleep(0.001)
try:
    store = Store(db)
except StoreLockedError as exc:
    out.write_text(f"refused {exc.pid}")
    sys.exit(0)
out.write_text(f"won {os.getpid()}")
while not release.exists():
    time.sleep(0.01)
store.close()
"""


def spawn(tmp: Path, name: str, db: Path, go: Path, release: Path) -> subprocess.Popen[bytes]:
    with open(tmp / f"{name}.err", "wb") as err:
        return subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(go),
                                 str(tmp / f"{name}.out"), str(release)],
                                cwd=ROOT, stderr=err)


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:  # stop whatever is left, by PID
        if p.poll() is None:
            p.kill()
        p.wait(10)


def test_a_second_store_in_another_process_is_refused_naming_the_holder(
        tmp_path: Path, children: list[subprocess.Popen[bytes]]) -> None:
    db, go, release = tmp_path / "kiosk.db", tmp_path / "go", tmp_path / "release"
    go.touch()
    holder = spawn(tmp_path, "holder", db, go, release)
    children.append(holder)
    assert wait_for(lambda: (tmp_path / "holder.out").exists(), 30)
    assert (tmp_path / "holder.out").read_text() == f"won {holder.pid}"

    with pytest.raises(StoreLockedError) as info:
        Store(db)
    assert info.value.pid == str(holder.pid)
    assert f"PID {holder.pid}" in str(info.value) and str(db) in str(info.value)
    assert isinstance(info.value, StoreError)

    # and the other way round: while this process holds it, a child is refused
    release.touch()
    assert holder.wait(30) == 0
    mine = Store(db)
    try:
        child = spawn(tmp_path, "second", db, go, release)
        children.append(child)
        assert child.wait(30) == 0
        assert (tmp_path / "second.out").read_text() == f"refused {os.getpid()}"
    finally:
        mine.close()
    Store(db).close()  # close() released it


def test_a_killed_holder_does_not_block_the_next_start(
        tmp_path: Path, children: list[subprocess.Popen[bytes]]) -> None:
    db, go = tmp_path / "kiosk.db", tmp_path / "go"
    go.touch()
    holder = spawn(tmp_path, "holder", db, go, tmp_path / "release")
    children.append(holder)
    assert wait_for(lambda: (tmp_path / "holder.out").exists(), 30)
    holder.send_signal(signal.SIGKILL)  # a power cut for that process: no close()
    holder.wait(30)
    Store(db).close()  # the kernel dropped the lock with the process; the file stays


def test_ten_simultaneous_first_starts_one_wins_none_tracebacks(
        tmp_path: Path, children: list[subprocess.Popen[bytes]]) -> None:
    db, go, release = tmp_path / "kiosk.db", tmp_path / "go", tmp_path / "release"
    for i in range(10):
        children.append(spawn(tmp_path, f"c{i}", db, go, release))
    # every child has imported the kiosk and waits: then all start at once
    assert wait_for(lambda: all((tmp_path / f"c{i}.ready").exists() for i in range(10)), 60)
    go.touch()
    assert wait_for(lambda: all((tmp_path / f"c{i}.out").exists() for i in range(10)), 60)
    release.touch()
    codes = [p.wait(30) for p in children]
    errors = [(tmp_path / f"c{i}.err").read_text() for i in range(10)]
    assert not any("Traceback" in e for e in errors), errors
    assert codes == [0] * 10
    results = [(tmp_path / f"c{i}.out").read_text().split() for i in range(10)]
    winners = [pid for verdict, pid in results if verdict == "won"]
    assert len(winners) == 1, results
    assert sorted(results) == sorted([["won", winners[0]]] + [["refused", winners[0]]] * 9)

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == max(MIGRATIONS)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"events", "outbox", "meta"} <= tables
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'install_id'").fetchone()[0] == 1
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_in_memory_stores_need_no_lock() -> None:
    a, b = Store(":memory:"), Store(":memory:")
    a.close()
    b.close()


@pytest.mark.slow
def test_a_second_kiosk_on_the_same_database_does_not_start(tmp_path: Path) -> None:
    first = KioskProcess(write_config(tmp_path)).start()
    try:
        other = tmp_path / "other"  # its own socket, the same database
        other.mkdir()
        config = write_config(other)
        config.write_text(config.read_text().replace(str(other / "kiosk.db"),
                                                     str(tmp_path / "kiosk.db")))
        assert first.proc is not None
        with pytest.raises(RuntimeError, match=f"PID {first.proc.pid}") as info:
            KioskProcess(config).start()
        # refused with the store's exit code, which the unit does not restart on
        assert "kiosk exited with 4" in str(info.value)
        assert "Traceback" not in (other / "kiosk.log").read_text()
        reply = first.ask("issue", service="A")
        assert reply["ok"] and reply["events"][-1]["ticket"] == "A001"
    finally:
        assert first.terminate() == 0
