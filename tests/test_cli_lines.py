"""What the ``kiosk`` command prints for staff: every line comes from the catalogue,
Chinese first, English second (no wording of its own in kiosk/cli.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from kiosk import cli, messages

ROOT = Path(__file__).parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def event(kind: str, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "day": "2026-11-23", "ts": "2026-11-23T09:15:02+08:00", **kw}


@pytest.mark.parametrize(("e", "line"), [
    (event("day_started"), "营业日 2026-11-23 开始 / business day 2026-11-23 started"),
    (event("issued", ticket="A004", seq=7, data={"service_zh": "业务办理", "ahead": 3,
                                                  "wait_minutes": 12}),
     "#7 09:15:02 已取号 A004（业务办理），前面 3 位，约 12 分钟 / ticket A004 issued, "
     "3 ahead, ~12 min"),
    (event("issued", ticket="B001", data={"service_zh": "理赔", "ahead": 0, "wait_minutes": 0,
                                          "priority": "elderly"}),
     "已取号 B001（理赔），前面 0 位，约 0 分钟，优先：elderly / ticket B001 issued, 0 ahead, "
     "~0 min, priority: elderly"),
    (event("called", ticket="A001", counter=2), "请 A001 号到 2 号窗口 / A001 called to counter 2"),
    (event("recalled", ticket="A001", counter=2, data={"recalls": 2}),
     "再次呼叫 A001 号到 2 号窗口（第 2 次） / A001 recalled to counter 2 (recall 2)"),
    (event("transferred", ticket="A001", data={"from_counter": 1, "to_counter": 4}),
     "A001 号从 1 号窗口转到 4 号窗口 / A001 transferred from counter 1 to counter 4"),
    (event("transferred", ticket="A001", data={"from_counter": 1, "to_service": "C"}),
     "A001 号从 1 号窗口转办 C 业务 / A001 transferred from counter 1 to service C"),
    (event("paused", counter=2, data={"redirect": 1, "stranded": ["B"]}),
     "2 号窗口暂停服务，请到 1 号窗口；B 业务暂无开放窗口 / counter 2 paused, redirect to 1; "
     "no open counter left for B"),
    (event("paused", counter=2, data={}), "2 号窗口暂停服务 / counter 2 paused"),
    (event("device_status", data={"device": "printer", "status": "ok", "detail": ""}),
     "设备 printer：ok / device printer: ok"),
    (event("device_status", data={"device": "printer", "status": "paper_out",
                                  "detail": "paper end"}),
     "设备 printer：paper_out paper end / device printer: paper_out paper end"),
    (event("device_status", ticket="A007", data={"device": "printer", "status": "paper_out",
                                                 "detail": "paper end"}),
     "设备 printer：paper_out paper end（涉及 A007 号） / device printer: paper_out paper end "
     "(ticket A007)"),
    (event("reprinted", ticket="A007", data={"number": 7}),
     "已补打 A007 号凭条 / ticket A007 reprinted"),
    (event("rated", ticket="A001", data={"score": "good"}),
     "A001 号评价：good / A001 rated good"),
    (event("something_new"), "事件 something_new / event something_new"),
])
def test_event_lines_are_bilingual_chinese_first(e: dict[str, Any], line: str) -> None:
    assert cli.describe(e) == line


@pytest.mark.parametrize("kind", ["no_show", "reinstated", "finished", "resumed", "opened",
                                  "closed"])
def test_every_event_kind_has_its_own_line(kind: str) -> None:
    line = cli.describe(event(kind, ticket="A001", counter=1, data={"why": "clerk"}))
    zh, en = line.split(" / ")
    assert CJK.search(zh) and not CJK.search(en)
    assert "A001" in line or "1" in line
    assert "something" not in line and kind not in zh  # not the fallback "event <type>"


def test_status_lines_come_from_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    cli._print_status({
        "day": "2026-11-23", "issued_today": 5,
        "services": [{"prefix": "A", "name_zh": "业务办理", "name_en": "Policy services",
                      "waiting": 2, "wait_minutes": 8, "next_tickets": ["A004", "A005"]}],
        "counters": [{"id": 1, "services": ["A", "B"], "status": "paused", "redirect": 2,
                      "current": None}],
        "devices": {"printer": {"status": "ok"}},
    })
    assert capsys.readouterr().out.splitlines() == [
        "营业日 / business day: 2026-11-23   今日取号 / issued today: 5",
        "业务 / services:",
        "  A 业务办理 / Policy services: 等候 2 人，约 8 分钟 / 2 waiting, ~8 min; "
        "下一位 / next: A004 A005",
        "窗口 / counters:",
        "  1 [A/B] 暂停服务 / paused -> 2: -",
        "设备 / device printer: ok",
    ]


def test_the_command_has_no_wording_of_its_own() -> None:
    # Chinese text in a string literal of the command's modules means a user-facing line
    # that bypasses the catalogue (docstrings are documentation, not output).
    for name in ("cli.py", "control_client.py"):
        tree = ast.parse((ROOT / "kiosk" / name).read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr)}
        lines = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant)
                 and isinstance(n.value, str) and id(n) not in docstrings
                 and CJK.search(n.value)]
        assert lines == [], f"kiosk/{name}: user-facing text outside the catalogue at {lines}"


def test_cli_keys_are_in_the_catalogue() -> None:
    tree = ast.parse((ROOT / "kiosk" / "cli.py").read_text())
    keys = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and n.value.startswith("cli_")}
    assert len(keys) > 20
    assert keys <= set(messages.CATALOGUE), keys - set(messages.CATALOGUE)
