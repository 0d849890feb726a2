"""The staff PIN lockout: 5 failures lock, the lock survives a restart, a corrupt file
locks, and no clock jump unlocks forever or locks forever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.staffpin import hash_pin, verify_pin
from ui.pinlock import FILE_NAME, PinLock, lock_path

HASH = hash_pin("2468", n=2**10)


class Clocks:
    """A wall clock, a boot clock and a boot id the test moves by hand."""

    def __init__(self) -> None:
        self.wall = 1_800_000_000.0
        self.boot = 500.0
        self.boot_id = "boot-1"

    def lock(self, path: Path) -> PinLock:
        return PinLock(path, wall=lambda: self.wall, boot=lambda: self.boot,
                       boot_id=lambda: self.boot_id)

    def pass_(self, s: float) -> None:
        self.wall += s
        self.boot += s

    def reboot(self, downtime: float = 60.0) -> None:
        self.wall += downtime
        self.boot = 5.0
        self.boot_id = f"{self.boot_id}+"


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / FILE_NAME


def five_wrong(lock: PinLock) -> None:
    results = [lock.check("0000", HASH, verify_pin) for _ in range(5)]
    assert [r.result for r in results] == ["wrong"] * 4 + ["locked"]
    assert [r.left for r in results[:4]] == [4, 3, 2, 1]


def test_five_failures_lock_and_even_the_right_pin_waits(clocks: Clocks, path: Path) -> None:
    lock = clocks.lock(path)
    five_wrong(lock)
    assert lock.locked
    attempt = lock.check("2468", HASH, verify_pin)
    assert attempt.result == "locked" and attempt.remaining_s == pytest.approx(300)
    clocks.pass_(299)
    assert lock.check("2468", HASH, verify_pin).result == "locked"
    clocks.pass_(2)
    assert lock.check("2468", HASH, verify_pin).result == "ok"
    assert lock.failures == 0


def test_right_pin_clears_the_count(clocks: Clocks, path: Path) -> None:
    lock = clocks.lock(path)
    for _ in range(4):
        lock.check("1", HASH, verify_pin)
    assert lock.check("2468", HASH, verify_pin).result == "ok"
    assert lock.check("1", HASH, verify_pin).left == 4


def test_no_hash_is_locked_whatever_is_typed(clocks: Clocks, path: Path) -> None:
    lock = clocks.lock(path)
    assert lock.check("2468", None, verify_pin).result == "no_pin"
    assert lock.failures == 0


def test_lock_survives_a_restart(clocks: Clocks, path: Path) -> None:
    five_wrong(clocks.lock(path))
    clocks.pass_(100)
    again = clocks.lock(path)  # a restarted UI, same boot
    assert again.remaining() == pytest.approx(200)
    assert again.check("2468", HASH, verify_pin).result == "locked"


def test_failures_below_the_limit_survive_a_restart(clocks: Clocks, path: Path) -> None:
    lock = clocks.lock(path)
    for _ in range(3):
        lock.check("1", HASH, verify_pin)
    again = clocks.lock(path)
    assert again.check("1", HASH, verify_pin).left == 1
    assert again.check("1", HASH, verify_pin).result == "locked"


def test_lock_survives_a_reboot_by_the_wall_clock(clocks: Clocks, path: Path) -> None:
    five_wrong(clocks.lock(path))
    clocks.reboot(downtime=60)
    lock = clocks.lock(path)
    assert lock.remaining() == pytest.approx(240)
    clocks.pass_(241)
    assert not lock.locked


def test_second_lock_in_a_row_is_longer(clocks: Clocks, path: Path) -> None:
    lock = clocks.lock(path)
    five_wrong(lock)
    clocks.pass_(301)
    for _ in range(4):
        assert lock.check("1", HASH, verify_pin).result == "wrong"
    assert lock.check("1", HASH, verify_pin).remaining_s == pytest.approx(600)


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"failures": 0}', b"\xff\xfe",
                                     b'{"failures": -1, "locks": 0, "lock": null}',
                                     b'{"failures": 0, "locks": 0, "lock": {"length": 1e9, '
                                     b'"start_wall": 0, "until_wall": 0, "until_boot": 0}}'])
def test_corrupt_file_is_locked(clocks: Clocks, path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    lock = clocks.lock(path)
    assert lock.check("2468", HASH, verify_pin).result == "locked"
    # ...for one lock length, not forever, and the file is sound again
    json.loads(path.read_text())
    clocks.pass_(301)
    assert lock.check("2468", HASH, verify_pin).result == "ok"


def test_unreadable_file_is_locked(clocks: Clocks, path: Path) -> None:
    path.mkdir(parents=True)  # a directory where the file should be: reading fails
    lock = clocks.lock(path)
    assert lock.locked


def test_wall_clock_jump_within_a_boot_changes_nothing(clocks: Clocks, path: Path) -> None:
    lock = clocks.lock(path)
    five_wrong(lock)
    clocks.wall += 10 * 365 * 86400  # NTP steps ten years ahead
    assert lock.remaining() == pytest.approx(300)
    clocks.wall -= 20 * 365 * 86400  # and then twenty back
    assert lock.remaining() == pytest.approx(300)
    clocks.boot += 301
    assert not lock.locked


def test_wall_clock_back_after_a_reboot_does_not_lock_forever(clocks: Clocks,
                                                               path: Path) -> None:
    five_wrong(clocks.lock(path))
    clocks.reboot()
    clocks.wall -= 10 * 365 * 86400  # the RTC lost its battery: 2016
    lock = clocks.lock(path)
    assert lock.remaining() == pytest.approx(300)  # one full lock from now...
    clocks.pass_(301)
    assert not lock.locked  # ...and no longer
    assert lock.check("2468", HASH, verify_pin).result == "ok"


def test_wall_clock_ahead_after_a_reboot_ends_one_lock_only(clocks: Clocks,
                                                             path: Path) -> None:
    lock = clocks.lock(path)
    five_wrong(lock)
    clocks.reboot()
    clocks.wall += 10 * 365 * 86400
    lock = clocks.lock(path)
    assert not lock.locked
    # the next five wrong PINs lock again, for longer (the locks in a row are kept)
    for _ in range(4):
        lock.check("1", HASH, verify_pin)
    assert lock.check("1", HASH, verify_pin).remaining_s == pytest.approx(600)


def test_file_is_replaced_atomically_and_nothing_else_is_left(clocks: Clocks,
                                                               path: Path) -> None:
    lock = clocks.lock(path)
    lock.check("1", HASH, verify_pin)
    assert [p.name for p in path.parent.iterdir()] == [FILE_NAME]
    assert json.loads(path.read_text())["failures"] == 1


def test_lock_path_is_beside_the_database(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "kiosk.db") == tmp_path / FILE_NAME
