"""The message catalogue: every code has courteous bilingual text and no forbidden phrase."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from kiosk import messages

KIOSK = Path(__file__).parent.parent / "kiosk"
# Kept although no code reads it yet, each with the reason.
RESERVED = {
    # the touchscreen shows it, with the number in large type, for a ticket whose printer
    # device event says it did not print (drivers/printer/subscriber.py documents this)
    "print_failed",
}


def codes_used_in_code() -> set[str]:
    found: set[str] = set()
    for path in KIOSK.rglob("*.py"):
        found |= set(re.findall(r'(?:_Reject|Rejected)\(\s*"([a-z_]+)"', path.read_text()))
        found |= set(re.findall(r'_error_reply\(\s*"([a-z_]+)"', path.read_text()))
    return found


def test_every_rejection_code_has_a_message() -> None:
    used = codes_used_in_code()
    assert len(used) > 20  # the scan really found the codes
    assert used <= set(messages.CATALOGUE), used - set(messages.CATALOGUE)


def string_literals() -> set[str]:
    """Every string constant in the kiosk, the drivers and the screens, the catalogue aside.
    A key is used when code names it; a rejection code is named where the core raises it."""
    found: set[str] = set()
    root = KIOSK.parent
    for path in [*root.joinpath("kiosk").rglob("*.py"), *root.joinpath("drivers").rglob("*.py"),
                 *root.joinpath("ui").rglob("*.py")]:
        if path == KIOSK / "messages.py":
            continue
        found |= {n.value for n in ast.walk(ast.parse(path.read_text()))
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    for path in root.joinpath("ui").rglob("*.kv"):  # the screens' layouts name keys too
        found |= set(re.findall(r"""["']([a-z][a-z0-9_]*)["']""", path.read_text()))
    return found


def test_every_catalogue_key_is_used() -> None:
    unused = set(messages.CATALOGUE) - string_literals() - RESERVED
    assert unused == set(), f"dead catalogue entries: use or remove {sorted(unused)}"
    assert set(messages.CATALOGUE) >= RESERVED


def test_a_refusal_is_worded_outside_the_core() -> None:
    class Refusal:  # what kiosk.core.Rejected looks like to the shell
        code, params = "counter_paused", {"counter": 3}

    m = messages.rejection(Refusal())
    assert m == messages.text("counter_paused", counter=3)
    assert m.zh.startswith("3号窗口") and "Counter 3" in m.en


def test_a_clause_joins_both_languages() -> None:
    joined = messages.Bilingual("甲", "a") + messages.Bilingual("乙", "b")
    assert joined == messages.Bilingual("甲乙", "ab")


@pytest.mark.parametrize("key", sorted(messages.CATALOGUE))
def test_no_forbidden_phrases_and_both_languages(key: str) -> None:
    zh, en = messages.CATALOGUE[key]
    for phrase in messages.FORBIDDEN_PHRASES:
        assert phrase not in zh and phrase not in en
    assert re.search(r"[\u4e00-\u9fff]", zh), "Chinese text first"
    assert en.strip() and not re.search(r"[\u4e00-\u9fff]", en), "English second"
    # one call with the union of both sides' parameters fills both without a gap
    fields = {f for t in (zh, en) for _, f, _, _ in string.Formatter().parse(t) if f}
    filled = messages.text(key, **{f: "X" for f in fields})
    assert "{" not in filled.zh and "{" not in filled.en


def test_refusals_apologise_and_say_what_to_do() -> None:
    for key in ("no_such_service", "outside_hours", "service_closed", "no_opening_soon"):
        zh, en = messages.CATALOGUE[key]
        assert "抱歉" in zh and "Sorry" in en
        assert "请" in zh or "欢迎再来" in zh
