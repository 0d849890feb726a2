"""The ``kiosk`` command against a real running service, as staff would use it."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kiosk_proc import KioskProcess, write_config


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskProcess]:
    k = KioskProcess(write_config(tmp_path_factory.mktemp("cli"))).start()
    yield k
    assert k.terminate() == 0, k.log.read_text()[-2000:]
    assert not k.socket.exists(), "socket left behind after a clean stop"


def cli(k: KioskProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--socket", str(k.socket)],
                          capture_output=True, text=True, timeout=60)


def test_socket_is_owner_only(kiosk: KioskProcess) -> None:
    mode = stat.S_IMODE(kiosk.socket.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_a_full_customer_journey(kiosk: KioskProcess) -> None:
    r = cli(kiosk, "issue", "b")
    assert r.returncode == 0 and "B001" in r.stdout and "理赔" in r.stdout
    assert cli(kiosk, "issue", "B", "--priority", "elderly").returncode == 0
    r = cli(kiosk, "call-next", "3")
    assert r.returncode == 0 and "B002" in r.stdout  # priority first
    assert "(recall 1)" in cli(kiosk, "recall", "3").stdout
    assert cli(kiosk, "no-show", "3").returncode == 0
    assert cli(kiosk, "reinstate", "B002").returncode == 0
    assert "B002" in cli(kiosk, "call-next", "3").stdout
    r = cli(kiosk, "transfer", "3", "--to-counter", "4")
    assert r.returncode == 0 and "counter 4" in r.stdout
    assert "B002" in cli(kiosk, "call-next", "4").stdout
    assert cli(kiosk, "finish", "4").returncode == 0
    r = cli(kiosk, "pause", "4", "--reason", "午休", "--redirect", "1")
    assert r.returncode == 0 and "redirect to 1" in r.stdout
    assert cli(kiosk, "resume", "4").returncode == 0
    assert cli(kiosk, "close", "2").returncode == 0
    assert cli(kiosk, "open", "2").returncode == 0
    status = cli(kiosk, "status")
    assert status.returncode == 0 and "B001" in status.stdout
    events = cli(kiosk, "events").stdout.splitlines()
    assert any("B002 called to counter 4" in line for line in events)


def test_json_output(kiosk: KioskProcess) -> None:
    r = cli(kiosk, "issue", "C", "--json")
    reply = json.loads(r.stdout)
    assert reply["ok"] and reply["events"][-1]["type"] == "issued"
    assert reply["events"][-1]["seq"] > 0
    st = json.loads(cli(kiosk, "status", "--json").stdout)
    assert {s["prefix"] for s in st["status"]["services"]} == {"A", "B", "C"}


@pytest.mark.parametrize(("args", "code", "words"), [
    (("issue", "Q"), 1, "does not offer"),
    (("call-next", "9"), 1, "no counter 9"),
    (("finish", "1"), 1, "no ticket called"),
    (("issue", "A", "--priority", "vip"), 1, "needs a reason"),
    (("pause", "1", "--redirect", "1"), 1, "cannot take redirected"),
    (("reinstate", "A999"), 1, "not found"),
])
def test_bad_commands_get_a_clear_message_and_the_service_stays_up(
        kiosk: KioskProcess, args: tuple[str, ...], code: int, words: str) -> None:
    r = cli(kiosk, *args)
    assert r.returncode == code
    assert words in r.stderr and "Traceback" not in r.stderr
    assert cli(kiosk, "status").returncode == 0


def test_usage_errors_exit_2_without_traceback(kiosk: KioskProcess) -> None:
    r = cli(kiosk, "call-next", "three")
    assert r.returncode == 2 and "invalid int value" in r.stderr
    r = cli(kiosk, "transfer", "1")
    assert r.returncode == 2 and "--to-service" in r.stderr


def test_garbage_on_the_socket_is_answered_politely(kiosk: KioskProcess) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(kiosk.socket))
        s.sendall(b"this is not json\n")
        reply = json.loads(s.makefile().readline())
    assert reply["ok"] is False and reply["code"] == "bad_command"
    assert kiosk.ask("frobnicate")["code"] == "bad_command"
    assert kiosk.ask("call-next", counter="x")["code"] == "bad_command"
    assert kiosk.ask("status")["ok"]


def test_reprint_reaches_the_printer(kiosk: KioskProcess) -> None:
    issued = cli(kiosk, "issue", "A", "--json")
    ticket = json.loads(issued.stdout)["events"][-1]["ticket"]
    r = cli(kiosk, "reprint")
    assert r.returncode == 0, r.stderr
    assert f"ticket {ticket} reprinted" in r.stdout  # recorded as an event, not a side door
    r = cli(kiosk, "reprint", ticket.lower())  # a named ticket of today
    assert r.returncode == 0 and f"{ticket} 号凭条" in r.stdout, r.stderr
    r = cli(kiosk, "reprint", "Z999")
    assert r.returncode == 1 and "not found" in r.stderr
    reprints = [e for e in json.loads(cli(kiosk, "events", "--json").stdout)["data"]
                if e["type"] == "reprinted"]
    assert [e["ticket"] for e in reprints][-2:] == [ticket, ticket]


def test_service_not_running(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "status", "--socket",
                        str(tmp_path / "none.sock")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3 and "not running" in r.stderr and "Traceback" not in r.stderr


# --- global options, start-up refusals, a light client --------------------------------


def kiosk_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("order", [
    ("--socket", "{sock}", "status"),
    ("status", "--socket", "{sock}"),
    ("--socket", "{sock}", "--json", "status"),
    ("--json", "status", "--socket", "{sock}"),
    ("--config", "{cfg}", "status"),
    ("status", "--config", "{cfg}"),
    ("--config", "{cfg}", "--json", "call-next", "9"),
], ids=" ".join)
def test_global_options_go_before_or_after_the_subcommand(kiosk: KioskProcess,
                                                          order: tuple[str, ...]) -> None:
    args = [a.format(sock=kiosk.socket, cfg=kiosk.config) for a in order]
    r = kiosk_cmd(*args)
    if "call-next" in args:
        assert r.returncode == 1 and json.loads(r.stdout)["code"] == "no_such_counter"
    elif "--json" in args:
        assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True
    else:
        assert r.returncode == 0 and "业务 / services" in r.stdout, r.stderr


def test_check_config_takes_the_global_config_option(kiosk: KioskProcess) -> None:
    r = kiosk_cmd("--config", str(kiosk.config), "check-config")
    assert r.returncode == 0 and "Configuration OK" in r.stdout, r.stderr


def test_a_client_command_does_not_load_the_storage_layer(kiosk: KioskProcess) -> None:
    code = ("import sys; from kiosk.cli import main; rc = main(['--socket', sys.argv[1], "
            "'status']); print(rc, sorted(m for m in ('sqlite3', 'sqlite_utils', "
            "'kiosk.store', 'kiosk.service', 'kiosk.config', 'msgspec') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code, str(kiosk.socket)], capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.splitlines()[-1] == "0 []", r.stdout + r.stderr


def test_a_database_from_a_newer_version_exits_4_with_what_to_do(tmp_path: Path) -> None:
    import sqlite3

    cfg = write_config(tmp_path)
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        db.execute("PRAGMA user_version = 999")
    db.close()
    r = kiosk_cmd("run", "--headless", "--config", str(cfg))
    assert r.returncode == 4, r.stderr
    assert "数据库" in r.stderr and "database" in r.stderr.lower()
    assert "999" in r.stderr and "Traceback" not in r.stderr


def test_a_database_that_is_not_sqlite_exits_4_without_a_traceback(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    (tmp_path / "kiosk.db").write_bytes(b"this is not a database\n" * 400)
    r = kiosk_cmd("run", "--headless", "--config", str(cfg))
    assert r.returncode == 4, r.stderr
    assert "数据库" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("name", ["长" * 40 + ".sock", "kiosk.db", ""])
def test_run_checks_socket_the_way_check_config_checks_it(tmp_path: Path, name: str) -> None:
    # --socket bypassed the config's checks: a 120-byte CJK path gave a raw
    # "AF_UNIX path too long" traceback
    cfg = write_config(tmp_path)
    (tmp_path / "kiosk.db").write_bytes(b"")  # the database's place: never a socket
    before = (tmp_path / "kiosk.db").stat()
    r = kiosk_cmd("run", "--headless", "--config", str(cfg), "--socket", str(tmp_path / name))
    assert r.returncode == 2, r.stderr
    assert "--socket" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "kiosk.db").stat().st_ino == before.st_ino


def test_a_reader_that_goes_away_early_gets_no_traceback(kiosk: KioskProcess) -> None:
    for _ in range(30):
        assert cli(kiosk, "issue", "C").returncode == 0
    cmd = [sys.executable, "-m", "kiosk.cli", "events", "--socket", str(kiosk.socket)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None and p.stderr is not None
        p.stdout.read(10)
        p.stdout.close()  # like `kiosk events | head -1`
        err = p.stderr.read().decode()
        rc = p.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert rc in (0, 141)


def test_kiosk_watch_prints_the_status_then_a_line_per_event(kiosk: KioskProcess) -> None:
    import queue
    import threading

    w = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "watch", "--socket",
                          str(kiosk.socket)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    lines: queue.Queue[str] = queue.Queue()
    try:
        out = w.stdout
        assert out is not None
        threading.Thread(target=lambda: [lines.put(x) for x in iter(out.readline, "")],
                         daemon=True).start()
        head = [lines.get(timeout=30) for _ in range(2)]
        assert head[0].startswith("营业日")
        assert "今日取号" in head[0]  # the status comes first, as `kiosk status` prints it
        ticket = json.loads(cli(kiosk, "issue", "C", "--json").stdout)["events"][-1]["ticket"]
        seen = ""
        while f"ticket {ticket} issued" not in seen:
            seen = lines.get(timeout=30)
        assert seen.startswith("#") and "已取号" in seen  # describe(): seq, time, both languages
    finally:
        w.terminate()  # by its PID; a watch runs until stopped
        w.wait(30)
        assert w.stdout is not None and w.stderr is not None
        w.stdout.close()
        w.stderr.close()
