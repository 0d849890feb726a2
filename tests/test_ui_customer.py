"""The customer screen in a real Kivy window under Xvfb, touched like a customer touches
it, with a real ``kiosk run --headless`` behind it (scenarios: tests/ui_harness.py).

Screenshots go to artifacts/ui/ (<scenario>-<size>.png).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from kiosk import config
from kiosk.errors import ConfigError
from tests.kiosk_proc import KioskProcess
from tests.printer_fakes import FakeNetworkPrinter
from tests.ui_harness import ARTIFACTS, UiRun, core_config
from ui import theme


def run(display: str, scenario: str, core: KioskProcess, size: str = "800x480",
        mode: str = "customer", **handlers: object) -> str:
    ui = UiRun(display, scenario, ARTIFACTS, core.config, size, mode=mode)
    code, out = ui.wait({k.replace("_", "-"): v for k, v in handlers.items()})  # type: ignore[misc]
    assert code == 0, out[-5000:]
    return out


def value(out: str, word: str) -> str:
    """The word after ``word`` on the scenario's last line that has it."""
    line = [x for x in out.splitlines() if x.startswith(word + " ") or f" {word} " in x][-1]
    parts = line.split()
    return parts[parts.index(word) + 1]


def test_a_touch_takes_a_ticket_and_it_is_in_the_queue(display: str,
                                                         core: KioskProcess) -> None:
    out = run(display, "take", core)
    ticket = value(out, "ticket")
    status = core.ask("status")["status"]
    claims = next(s for s in status["services"] if s["prefix"] == "B")
    assert claims["waiting"] == 1 and ticket in claims["next_tickets"]
    assert status["issued_today"] == 1
    assert (ARTIFACTS / "confirm-800x480.png").exists()


def test_a_double_tap_and_a_held_finger_take_one_ticket_each(display: str,
                                                               core: KioskProcess) -> None:
    out = run(display, "double", core)
    assert value(out, "issued") == "2"
    status = core.ask("status")["status"]
    assert status["issued_today"] == 2  # the core agrees: two touches series, two tickets
    underwriting = next(s for s in status["services"] if s["prefix"] == "A")
    assert underwriting["waiting"] == 2


def test_the_core_away_shows_the_waiting_screen_and_the_ui_recovers(
        display: str, core: KioskProcess) -> None:
    def stop() -> None:
        assert core.terminate() == 0

    out = run(display, "restart", core, stop_core=stop, start_core=core.start)
    ticket = value(out, "ticket")
    assert ticket.startswith("C")
    status = core.ask("status")["status"]
    assert ticket in next(s for s in status["services"] if s["prefix"] == "C")["next_tickets"]
    assert (ARTIFACTS / "waiting-800x480.png").exists()


def test_out_of_paper_shows_the_number_to_note(display: str, tmp_path: Path) -> None:
    printer = FakeNetworkPrinter("paper_out")
    k = KioskProcess(core_config(tmp_path, printer.url)).start()
    try:
        out = run(display, "paper", k)
        ticket = value(out, "ticket")
        # the core committed the ticket although it did not print, and said so by field
        events = k.ask("events")["data"]
        assert any(e["type"] == "issued" and e["ticket"] == ticket for e in events)
        assert any(e["type"] == "device_status" and e["ticket"] == ticket for e in events)
    finally:
        k.ensure_stopped()
        printer.close()


def test_frames_keep_coming_while_the_printer_hangs_and_the_core_restarts(
        display: str, tmp_path: Path) -> None:
    printer = FakeNetworkPrinter("hang")  # accepts, never answers
    k = KioskProcess(core_config(tmp_path, printer.url)).start()

    def restart() -> None:
        k.terminate()
        k.start()

    try:
        out = run(display, "frames", k, restart_core=restart)
        assert "during the hang" in out
    finally:
        k.ensure_stopped()
        printer.close()


def test_dev_window_preview_and_keys(display: str, tmp_path: Path) -> None:
    k = KioskProcess(core_config(tmp_path, f"preview://{tmp_path}/tickets")).start()
    try:
        out = run(display, "devkeys", k)
        assert value(out, "called") == "A001"
        events = k.ask("events")["data"]
        assert [e["type"] for e in events if e["counter"] == 1 and e["type"] in
                ("called", "recalled")] == ["called", "recalled"]
        paused = next(c for c in k.ask("status")["status"]["counters"] if c["id"] == 3)
        assert paused["status"] == "paused" and paused["reason"] == "临时离开"
        assert (tmp_path / "tickets" / "latest.png").exists()
    finally:
        k.ensure_stopped()


def test_outside_business_hours_says_when_the_branch_opens(display: str,
                                                           tmp_path: Path) -> None:
    # open one minute a day, twelve hours from now: closed now, whatever the time
    hour = (datetime.now(ZoneInfo("Asia/Shanghai")).hour + 12) % 24
    days = "\n".join(f'{d} = ["{hour:02d}:00-{hour:02d}:01"]' for d in
                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    k = KioskProcess(core_config(tmp_path, extra=f"[hours]\n{days}\n")).start()
    try:
        out = run(display, "panel", k)
        assert value(out, "panel") == "closed"
        assert f"{hour:02d}:00 开始办理" in out and f"at {hour:02d}:00" in out
        assert k.ask("issue", service="A")["code"] == "outside_hours"  # the core agrees
    finally:
        k.ensure_stopped()


def test_before_the_clock_is_set_tickets_come_in_a_moment(display: str,
                                                         tmp_path: Path) -> None:
    extra = f'[clock]\nrequire_sync = true\nsync_flag = "{tmp_path}/synced"\n'
    k = KioskProcess(core_config(tmp_path, extra=extra)).start()
    try:
        out = run(display, "panel", k)
        assert value(out, "panel") == "unsynced"
        assert "请稍候片刻再取号" in out and "wait a moment before taking a number" in out
        assert k.ask("issue", service="A")["code"] == "clock_unsynced"  # the core agrees
    finally:
        k.ensure_stopped()


def test_a_service_with_no_open_counter_says_so_and_issues_nothing(
        display: str, core: KioskProcess) -> None:
    assert core.ask("close", counter=3)["ok"]  # the only counter for claims
    out = run(display, "nocounter", core)
    notice = [line for line in out.splitlines() if line.startswith("notice ")][-1]
    assert "抱歉" in notice and "Sorry" in notice  # the core's service_closed apology
    assert core.ask("status")["status"]["issued_today"] == 0


@pytest.mark.parametrize("size", ["800x480", "1920x1080", "1080x1920"])
def test_screenshots_at_each_size(display: str, core: KioskProcess, size: str) -> None:
    run(display, "screens", core, size)
    w, h = (int(n) for n in size.split("x"))
    for name in ("start", "confirm-A1000", "confirm-B012-not-printed", "confirm-C100",
                 "closed", "elsewhere"):
        with Image.open(ARTIFACTS / f"{name}-{size}.png") as im:
            assert im.size == (w, h), (name, im.size)
            # not a blank frame: the screen has drawn its colours
            assert len(im.convert("RGB").getcolors(1 << 20) or ()) > 20, name


@pytest.mark.parametrize(("mode", "size"), [("hall", "1920x1080"), ("staff", "800x480")])
def test_each_mode_comes_up_on_its_own_screen(display: str, core: KioskProcess, mode: str,
                                              size: str) -> None:
    assert value(run(display, "home", core, size, mode), "home") == mode


def test_kiosk_mode_fills_the_screen_without_chrome_or_cursor(display: str,
                                                              core: KioskProcess) -> None:
    ui = UiRun(display, "home", ARTIFACTS, core.config, "kiosk", extra=("--fullscreen",))
    code, out = ui.wait()
    assert code == 0, out[-3000:]
    line = [x for x in out.splitlines() if x.startswith("window ")][-1]
    assert line == "window 1920x1920 fullscreen False borderless True cursor False", line
    # drawn over the whole screen: the header's blue reaches the top right corner (a bare
    # X server once left the window at 800x480 in the middle while Kivy drew for 1920)
    with Image.open(ARTIFACTS / "home-customer-kiosk.png") as im:
        assert im.size == (1920, 1920)
        assert im.convert("RGB").getpixel((1915, 5)) == tuple(
            round(c * 255) for c in theme.hex_rgba(theme.BRAND)[:3])


# --------------------------------------------------------- no window needed for these


def test_text_colours_are_at_least_7_to_1() -> None:
    for what, (fg, bg) in theme.TEXT_PAIRS.items():
        assert theme.contrast(fg, bg) >= 7.0, what


def test_scale_follows_the_short_side_and_english_never_under_18() -> None:
    assert theme.scale_for(800, 480) == 1.0
    assert theme.scale_for(1920, 1080) == 2.25
    assert theme.scale_for(1080, 1920) == 2.25
    assert theme.en_size(24, 1.0) == 18  # 58 % would be 13.9
    assert theme.en_size(60, 1.0) == pytest.approx(34.8)


def test_the_screen_font_is_the_simplified_chinese_face(tmp_path: Path) -> None:
    from PIL import ImageFont

    regular, bold = theme.font_files(None, tmp_path)
    for f in (regular, bold):
        name = ImageFont.truetype(str(f), 20).getname()[0] or ""
        assert name.endswith(" SC") or "Zen Hei" in name, name


def _cfg(tmp_path: Path, text: str) -> config.Config:
    head = f'[storage]\npath = "{tmp_path}/k.db"\n[control]\nsocket = "{tmp_path}/c.sock"\n'
    f = tmp_path / "kiosk.toml"
    f.write_text(head + text, encoding="utf-8")
    return config.load(f)


ELSEWHERE = """[[ui.elsewhere]]
name_zh = "车险理赔定损"
name_en = "Motor claim assessment"
where_zh = "城西支公司（西湖路 8 号）"
where_en = "the West branch, 8 Xihu Road"
"""


def test_services_offered_elsewhere_are_read_and_checked(tmp_path: Path) -> None:
    assert _cfg(tmp_path, "").ui.elsewhere == ()
    e = _cfg(tmp_path, ELSEWHERE).ui.elsewhere
    assert len(e) == 1 and e[0].where_en == "the West branch, 8 Xihu Road"
    for bad, key, word in [
        (ELSEWHERE.replace('"车险理赔定损"', '""'), "ui.elsewhere[0].name_zh", "1-60"),
        (ELSEWHERE.replace("城西支公司（西湖路 8 号）", "不清楚"), "ui.elsewhere[0].where_zh",
         "forbid"),
        (ELSEWHERE + 'colour = "red"\n', "ui.elsewhere[0].colour", "not a known setting"),
        (ELSEWHERE.replace('where_en = "the West branch, 8 Xihu Road"\n', ""),
         "ui.elsewhere[0].where_en", "missing"),
        (ELSEWHERE * 7, "ui.elsewhere", "at most 6"),
    ]:
        with pytest.raises(ConfigError) as err:
            _cfg(tmp_path, bad)
        assert err.value.key == key, str(err.value)
        assert word in str(err.value), str(err.value)
