"""Real Kivy windows under Xvfb, driven by real touch events, with a real core behind.

Kivy makes one window per process, so each scenario runs in its own process::

    python -m tests.ui_harness <scenario> <out_dir> --config C --size WxH [--mode M]

It builds the real app (:class:`ui.app.KioskApp`, as ``kiosk ui`` does), steps a scenario
(a generator in :data:`SCENARIOS`) once per frame, dispatches touches through Kivy's
event loop at the widgets' window positions (``kivy.tests.common.UnitTestTouch``), saves
screenshots as PNG, and exits 0, or 1 with the traceback on stderr.

A scenario that needs the core stopped or started prints ``@<request>`` on stdout and
waits (frames keep coming) for the test to answer ``done`` on stdin; see
:class:`UiRun`. Frames are counted from Window's ``on_flip`` (after each buffer swap).

Pytest side: :class:`Xvfb` (own display number, stopped by PID) and :class:`UiRun`
(the scenario process, killed by PID if it outlives its timeout).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "ui"
Step = Generator[None, None, None]

# ------------------------------------------------------------------ the pytest side


class Xvfb:
    """An X server of our own on a free display number; ``stop()`` by PID."""

    def __init__(self, size: str = "1920x1920x24") -> None:
        self.size = size
        self.proc: subprocess.Popen[bytes] | None = None
        self.display = ""

    def start(self) -> Xvfb:
        for n in range(140, 400):
            if Path(f"/tmp/.X{n}-lock").exists() or Path(f"/tmp/.X11-unix/X{n}").exists():
                continue
            proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", self.size,
                                     "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            end = time.monotonic() + 10
            while time.monotonic() < end and proc.poll() is None:
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    self.proc, self.display = proc, f":{n}"
                    return self
                time.sleep(0.02)
            if proc.poll() is None:
                proc.kill()
            proc.wait(5)
        raise RuntimeError("no free X display number for Xvfb")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()


def ui_env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
    env.update(DISPLAY=display, PYTHONUNBUFFERED="1", KIVY_NO_ARGS="1",
               KIVY_LOG_MODE="PYTHON", LIBGL_ALWAYS_SOFTWARE="1")
    return env


class UiRun:
    """One scenario process. ``handlers`` answer its ``@request`` lines (each returns
    when the request is done); ``wait()`` returns its exit code and output."""

    def __init__(self, display: str, scenario: str, out: Path, config: Path, size: str,
                 mode: str = "customer", extra: tuple[str, ...] = ()) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.log = out / f"{scenario}-{size}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui_harness", scenario, str(out), "--config",
             str(config), "--size", size, "--mode", mode, *extra],
            cwd=ROOT, env=ui_env(display), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1)

    def wait(self, handlers: dict[str, Callable[[], None]] | None = None,
             timeout: float = 120.0) -> tuple[int, str]:
        assert self.proc.stdout is not None and self.proc.stdin is not None
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        out: list[str] = []
        end = time.monotonic() + timeout
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.0, end - time.monotonic()))
                except queue.Empty:
                    raise AssertionError(f"UI scenario hung:\n{''.join(out)[-4000:]}") from None
                if line is None:
                    break
                out.append(line)
                if line.startswith("@"):
                    name = line[1:].strip()
                    (handlers or {})[name]()
                    self.proc.stdin.write("done\n")
                    self.proc.stdin.flush()
            code = self.proc.wait(10)
        finally:
            self.kill()
        text = "".join(out)
        self.log.write_text(text, encoding="utf-8")
        return code, text

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if f is not None:
                    f.close()


def core_config(tmp: Path, printer_url: str = "dummy://", extra: str = "") -> Path:
    """A kiosk config in ``tmp`` (the KioskProcess one, with ``printer_url``)."""
    from tests.kiosk_proc import CONFIG

    text = CONFIG.format(tmp=tmp).replace('url = "dummy://"', f'url = "{printer_url}"')
    path = tmp / "kiosk.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the scenario side


class Driver:
    """What a scenario uses: the app, frames, touches, screenshots, the test's help."""

    def __init__(self, app: Any, out: Path, size: str) -> None:
        from kivy.core.window import Window

        self.app, self.out, self.size = app, out, size
        out.mkdir(parents=True, exist_ok=True)
        self.window = Window
        self.frames = 0
        self.count = 50  # repetitions for the bench scenario
        Window.bind(on_flip=self._flip)
        self._answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._stdin, daemon=True).start()

    def _flip(self, *_: Any) -> None:
        self.frames += 1  # drawn frames: Kivy draws only when something changed

    @property
    def ticks(self) -> int:
        """Frames of Kivy's main loop (drawn or not): they stop if its thread blocks."""
        from kivy.clock import Clock

        return int(Clock.frames)

    def _stdin(self) -> None:
        for line in sys.stdin:
            self._answers.put(line.strip())

    # --- waiting -----------------------------------------------------------------------
    def frame(self, n: int = 1) -> Step:
        for _ in range(n):
            yield

    def until(self, cond: Callable[[], bool], what: str, timeout: float = 15.0) -> Step:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}")
            yield

    def seconds(self, s: float) -> Step:
        end = time.monotonic() + s
        while time.monotonic() < end:
            yield

    def ask_test(self, request: str, timeout: float = 60.0) -> Step:
        """Ask the test to do ``request`` (stop-core, start-core...); frames go on."""
        print(f"@{request}", flush=True)
        end = time.monotonic() + timeout
        while True:
            try:
                if self._answers.get_nowait() == "done":
                    return
            except queue.Empty:
                pass
            if time.monotonic() > end:
                raise AssertionError(f"the test did not answer {request}")
            yield

    # --- touching ----------------------------------------------------------------------
    def tap(self, widget: Any, hold: float = 0.0) -> Step:
        """A real touch at the widget's centre, through Kivy's event loop."""
        from kivy.tests.common import UnitTestTouch

        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        if hold:
            yield from self.seconds(hold)
        else:
            yield
        touch.touch_up()
        yield

    def tap_now(self, widget: Any) -> None:
        """Touch down and up at once, within this frame."""
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(*widget.to_window(*widget.center))
        touch.touch_down()
        touch.touch_up()

    def tap_at(self, x: float, y: float) -> Step:
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(x, y)
        touch.touch_down()
        yield
        touch.touch_up()
        yield

    # --- looking -----------------------------------------------------------------------
    def shot(self, name: str) -> Step:
        """Screenshot of the window (after two frames, so the last change is drawn)."""
        yield from self.frame(3)
        path = self.out / f"{name}-{self.size}.png"
        self.window.screenshot(name=str(path))
        # Window.screenshot numbers its files (name0001.png): give it our name
        made = sorted(self.out.glob(f"{name}-{self.size}*.png"), key=os.path.getmtime)
        if made and made[-1] != path:
            made[-1].replace(path)
        print(f"screenshot {path}", flush=True)

    def screen(self, name: str) -> Any:
        return self.app.sm.get_screen(name)


# --- scenarios ------------------------------------------------------------------------


def _home(d: Driver) -> Step:
    yield from d.until(lambda: d.app.sm.current == "customer" and d.screen("customer")._cards,
                       "the customer screen with its cards", 30)
    yield from d.frame(3)  # laid out: the cards are where they are drawn


def take(d: Driver) -> Step:
    """Tap a service, wait for the confirmation, screenshot both."""
    yield from _home(d)
    yield from d.shot("start")
    cust = d.screen("customer")
    yield from d.tap(cust._cards["B"])
    yield from d.until(lambda: d.app.sm.current == "confirm", "the confirmation")
    conf = d.screen("confirm")
    assert conf.number.startswith("B"), conf.number
    assert len(conf.documents) == 4, conf.documents  # the complete list, at once
    yield from d.shot("confirm")
    print(f"ticket {conf.number}", flush=True)
    # a tap within the first second does not return; one after it does
    yield from d.tap_at(10, 10)
    assert d.app.sm.current == "confirm"
    yield from d.seconds(1.1)
    yield from d.tap_at(10, 10)
    yield from d.until(lambda: d.app.sm.current == "customer", "back to the start")


def double(d: Driver) -> Step:
    """Two quick taps, then a held finger: one ticket each time."""
    yield from _home(d)
    cust = d.screen("customer")
    card = cust._cards["A"]
    d.tap_now(card)
    d.tap_now(card)  # a second tap before the answer: the screen's guard ignores it
    yield
    yield from d.tap(card)  # and one a frame later: the guard, or the confirmation, has it
    yield from d.until(lambda: d.app.sm.current == "confirm", "the confirmation")
    first = d.screen("confirm").number
    yield from d.seconds(0.3)
    print(f"ticket {first} issued {cust.issued} ignored {cust.ignored}", flush=True)
    assert cust.issued == 1 and cust.ignored >= 1, (cust.issued, cust.ignored)
    d.screen("confirm").back()
    yield from d.until(lambda: d.app.sm.current == "customer", "the start")
    yield from d.seconds(1.1)
    yield from d.tap(card, hold=1.5)  # a finger left on the card
    yield from d.until(lambda: d.app.sm.current == "confirm", "the confirmation")
    yield from d.seconds(0.5)
    assert cust.issued == 2, cust.issued
    print(f"issued {cust.issued}", flush=True)


def restart(d: Driver) -> Step:
    """Core stopped: the calm waiting screen; core back: the start screen again."""
    yield from _home(d)
    drawn, ticks = d.frames, d.ticks
    yield from d.ask_test("stop-core")
    yield from d.until(lambda: d.app.sm.current == "waiting", "the waiting screen")
    yield from d.shot("waiting")
    waiting_drawn, waiting_ticks = d.frames, d.ticks
    yield from d.ask_test("start-core")
    yield from d.until(lambda: d.app.sm.current == "customer", "the start screen again", 30)
    print(f"drawn {drawn} -> {waiting_drawn} -> {d.frames}, "
          f"ticks {ticks} -> {waiting_ticks} -> {d.ticks}", flush=True)
    assert drawn < waiting_drawn < d.frames  # the waiting screen, then the start, drawn
    assert d.ticks > waiting_ticks + 5  # the loop ran on while the core was starting
    yield from d.seconds(1.1)
    yield from d.tap(d.screen("customer")._cards["C"])
    yield from d.until(lambda: d.app.sm.current == "confirm", "a ticket after the restart")
    print(f"ticket {d.screen('confirm').number}", flush=True)


def paper(d: Driver) -> Step:
    """The printer is out of paper: the number-on-screen message, kept longer."""
    yield from _home(d)
    yield from d.tap(d.screen("customer")._cards["A"])
    yield from d.until(lambda: d.app.sm.current == "confirm", "the confirmation")
    conf = d.screen("confirm")
    yield from d.until(lambda: conf.not_printed, "the not-printed notice", 20)
    assert conf.number in conf.failed_zh and conf.number in conf.failed_en
    assert conf.left > 8, conf.left
    yield from d.shot("not-printed")
    print(f"ticket {conf.number} not printed; back in {conf.left} s", flush=True)


def frames(d: Driver) -> Step:
    """Frames keep coming while a ticket goes to a hung printer and while the core
    restarts (counted, not timed)."""
    yield from _home(d)
    yield from d.tap(d.screen("customer")._cards["A"])
    yield from d.until(lambda: d.app.sm.current == "confirm", "the confirmation")
    drawn, ticks = d.frames, d.ticks
    yield from d.seconds(2.5)  # the printer thread is stuck on the hung printer now
    hang = (d.frames - drawn, d.ticks - ticks)
    drawn, ticks = d.frames, d.ticks
    yield from d.ask_test("restart-core")  # the test stops and starts it; we go on
    restart = (d.frames - drawn, d.ticks - ticks)
    yield from d.until(lambda: d.app.sm.current == "customer" and d.app.link.online,
                       "the core back", 30)
    print(f"during the hang: drawn {hang[0]}, ticks {hang[1]}; during the restart: "
          f"drawn {restart[0]}, ticks {restart[1]}", flush=True)
    assert hang[0] >= 2 and hang[1] > 5, hang  # the countdown redrew every second
    assert restart[0] >= 1 and restart[1] > 5, restart  # the waiting screen came


def screens(d: Driver) -> Step:
    """The start screen and the longest confirmation (A1000, a four-line list, the
    longest service name), for looking at; and the closed panel."""
    yield from _home(d)
    yield from d.shot("start")
    conf = d.screen("confirm")
    status = d.app.status
    event = {"type": "issued", "ticket": "A1000", "service": "A",
             "data": {"ahead": 12, "service_zh": "业务办理", "service_en": "Underwriting"}}
    conf.show_ticket(event, status)
    d.app.go("confirm")
    yield from d.shot("confirm-A1000")
    event = {"type": "issued", "ticket": "B012", "service": "B",
             "data": {"ahead": 2, "service_zh": "理赔", "service_en": "Claims"}}
    conf.show_ticket(event, status)
    conf._mark_not_printed()
    yield from d.shot("confirm-B012-not-printed")
    event = {"type": "issued", "ticket": "C100", "service": "C", "data": {"ahead": 0}}
    conf.show_ticket(event, status)
    yield from d.shot("confirm-C100")
    conf.back()
    cust = d.screen("customer")
    cust._show_panel("closed", d.app.t("ui_closed_title"),
                     d.app.t("ui_closed_next", next_open_zh="明天 08:30 ",
                             next_open_en="tomorrow at 08:30"))
    yield from d.shot("closed")
    cust.panel = ""
    cust.notice(d.app.t("ui_elsewhere"),
                d.app.t("ui_elsewhere_where", name_zh="车险理赔定损",
                        name_en="Motor claim assessment", where_zh="城西支公司（西湖路 8 号）",
                        where_en="the West branch, 8 Xihu Road"))
    yield from d.shot("elsewhere")


def devkeys(d: Driver) -> Step:
    """A dev window: a ticket shows in the preview corner; keys stand in for the clerks'
    buttons (1 calls next at counter 1, Shift+1 recalls, P then 3 pauses counter 3)."""
    yield from _home(d)
    yield from d.tap(d.screen("customer")._cards["A"])
    yield from d.until(lambda: d.app.sm.current == "confirm", "the confirmation")
    preview = d.app.preview
    yield from d.until(lambda: preview.opacity == 1 and preview.texture is not None,
                       "the printed ticket in the preview corner", 20)
    yield from d.shot("preview")

    def key(code: int, mods: list[str] | None = None) -> None:
        d.window.dispatch("on_key_down", code, 0, None, mods or [])
        d.window.dispatch("on_key_up", code, 0)

    def counter(cid: int) -> dict[str, Any]:
        return next(c for c in d.app.status["counters"] if c["id"] == cid)

    key(49)  # "1"
    yield from d.until(lambda: counter(1)["current"] is not None, "counter 1 calling")
    key(49, ["shift"])  # recall (the test finds it in the core's events)
    yield from d.frame(2)
    key(112)  # "p", then "3"
    key(51)
    yield from d.until(lambda: counter(3)["status"] == "paused", "counter 3 paused")
    print(f"called {counter(1)['current']} paused {counter(3)['reason']}", flush=True)
    key(282)  # F1: the staff panel
    yield from d.until(lambda: d.app.sm.current == "staff", "the staff panel")


def panel(d: Driver) -> Step:
    """Outside business hours, or before the clock is set: one calm panel, no cards."""
    yield from d.until(lambda: d.app.sm.current == "customer"
                       and d.screen("customer").panel != "", "the calm panel", 30)
    cust = d.screen("customer")
    yield from d.frame(3)
    assert cust.ids.cards.disabled and cust.ids.cards.opacity == 0
    yield from d.shot(f"panel-{cust.panel}")
    print(f"panel {cust.panel}\n{cust.panel_zh}\n{cust.panel_en}", flush=True)


def nocounter(d: Driver) -> Step:
    """Claims has no open counter: its card says so, and a touch is answered with the
    core's apology instead of a ticket nobody would call."""
    yield from _home(d)
    cust = d.screen("customer")
    card = cust._cards["B"]
    yield from d.until(lambda: card.kind == "none", "the card saying no counter is open")
    yield from d.shot("no-counter")
    yield from d.tap(card)
    yield from d.until(lambda: cust._notice is not None and cust._notice.body_zh != "",
                       "the apology")
    yield from d.shot("no-counter-touched")
    assert d.app.sm.current == "customer" and cust.issued == 0
    print(f"notice {cust._notice.body_zh} / {cust._notice.body_en}", flush=True)


def home(d: Driver) -> Step:
    """Any mode: its first screen comes up once the core answers (a screenshot of it)."""
    yield from d.until(lambda: d.app.sm.current == d.app.home_name, "the mode's screen", 30)
    yield from d.seconds(0.5)  # a kiosk window settles on the screen first
    yield from d.shot(f"home-{d.app.mode}")
    w = d.window
    print(f"home {d.app.sm.current}", flush=True)
    print(f"window {w.size[0]}x{w.size[1]} fullscreen {w.fullscreen} borderless "
          f"{w.borderless} cursor {w.show_cursor}", flush=True)


def bench(d: Driver) -> Step:
    """For bench/ui.py: touch to confirmation drawn (the ticket is committed before the
    reply that shows it), ``count`` times over the three services; then the test reads
    this process's RSS."""
    import json

    from ui import customer

    yield from _home(d)
    print(f"bench-cards {time.time()}", flush=True)
    customer.TAP_GUARD = 0.0  # one ticket after another, as fast as they come
    cust, conf = d.screen("customer"), d.screen("confirm")
    samples: list[float] = []
    split: list[tuple[float, float]] = []  # (touch to reply shown, shown to drawn)
    for i in range(d.count):
        card = cust._cards["ABC"[i % 3]]
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(*card.to_window(*card.center))
        touch.touch_down()
        yield from d.seconds(0.1)  # a finger's tap: the ticket is taken as it lifts
        t0 = time.monotonic()
        touch.touch_up()
        yield from d.until(lambda: d.app.sm.current == "confirm" and conf.drawn_at > 0,
                           "the confirmation drawn")
        samples.append((conf.drawn_at - t0) * 1000)
        split.append(((conf._shown_at - t0) * 1000, (conf.drawn_at - conf._shown_at) * 1000))
        conf.back()
        yield from d.frame(2)
    print("bench-touch " + json.dumps(samples), flush=True)
    print("bench-split " + json.dumps(split), flush=True)
    yield from d.ask_test("rss")


SCENARIOS: dict[str, Callable[[Driver], Step]] = {
    "take": take, "double": double, "restart": restart, "paper": paper, "frames": frames,
    "screens": screens, "bench": bench, "devkeys": devkeys, "panel": panel,
    "nocounter": nocounter, "home": home,
}


# --- the hall board and the staff panel (scenarios added by their screens' owner) -----
STAFF_PIN = "2468"  # its hash goes into the test config's [ui] staff_pin_hash


def _staff(d: Driver) -> Step:
    yield from d.until(lambda: d.app.sm.current == "staff" and d.app.status is not None
                       and not d.app.sm.transition.is_active, "the staff panel", 30)


def _type_pin(d: Driver, pin: str) -> Step:
    staff = d.screen("staff")
    yield from d.until(lambda: staff.pad.enabled and not staff.busy, "the PIN pad ready")
    for ch in pin:
        yield from d.tap(staff.pad.keys[ch])
    yield from d.tap(staff.pad.keys["enter"])
    yield from d.until(lambda: not staff.busy, "the PIN checked")


def _tap_choice(d: Driver, zh: str) -> Step:
    staff = d.screen("staff")
    yield from d.until(lambda: staff.dialog is not None, "a question")
    yield from d.frame(3)  # laid out before it is touched
    assert staff.dialog is not None
    button = next(b for b in staff.dialog.ids.choices.children if b.zh == zh)
    yield from d.tap(button)


def pin_lockout(d: Driver) -> Step:
    """Five wrong PINs lock the panel; even the right one is then refused."""
    yield from _staff(d)
    staff = d.screen("staff")
    yield from d.shot("staff-pin")
    for i in range(5):
        yield from _type_pin(d, "1111")
        print(f"attempt {i + 1}: {staff.message_en}", flush=True)
    assert not staff.pad.enabled and "locked" in staff.message_en, staff.message_en
    yield from d.shot("staff-pin-locked")
    staff.pad.enabled = True  # as if the pad were tapped anyway: the lock still says no
    yield from _type_pin(d, STAFF_PIN)
    assert not staff.unlocked and "locked" in staff.message_en, staff.message_en
    print(f"locked {staff.lock.remaining():.0f}", flush=True)


def pin_still_locked(d: Driver) -> Step:
    """A restarted UI: the lock is still there, the right PIN still refused."""
    yield from _staff(d)
    staff = d.screen("staff")
    assert not staff.pad.enabled and "locked" in staff.message_en, staff.message_en
    staff.pad.enabled = True
    yield from _type_pin(d, STAFF_PIN)
    assert not staff.unlocked, "unlocked during a lockout"
    yield from d.shot("staff-pin-locked-after-restart")
    print(f"still locked {staff.lock.remaining():.0f}", flush=True)


def staff_pause(d: Driver) -> Step:
    """Unlock, pause counter 2 (reason, then send its customers to counter 1)."""
    yield from _staff(d)
    staff = d.screen("staff")
    yield from _type_pin(d, STAFF_PIN)
    yield from d.until(lambda: staff.unlocked, "the panel unlocked")
    yield from d.shot("staff-counters")
    row = next(r for r in staff.ids.content.children if r.name_zh == "2号窗口")
    pause = next(b for b in row.ids.actions.children if b.zh == d.app.zh("staff_pause"))
    yield from d.tap(pause)
    yield from d.shot("staff-pause-reason")
    yield from _tap_choice(d, d.app.zh("staff_reason_break"))
    yield from d.shot("staff-pause-redirect")
    yield from _tap_choice(d, d.app.zh("staff_target_counter", counter=1))
    yield from d.until(lambda: staff.last_reply is not None, "the pause answered")
    assert staff.last_reply is not None and staff.last_reply["ok"], staff.last_reply
    yield from d.until(lambda: any(c["id"] == 2 and c["status"] == "paused"
                                   for c in staff.status["counters"]), "counter 2 paused")
    yield from d.shot("staff-paused")
    print("paused 2", flush=True)


def staff_screens(d: Driver) -> Step:
    """Every tab and a confirmation, for looking at."""
    yield from _staff(d)
    staff = d.screen("staff")
    yield from _type_pin(d, STAFF_PIN)
    yield from d.until(lambda: staff.unlocked, "the panel unlocked")
    for tab in ("queue", "devices", "priority"):
        staff.show_tab(tab)
        yield from d.shot(f"staff-{tab}")
    staff.show_tab("counters")
    yield from d.frame(3)  # laid out before it is touched
    row = next(r for r in staff.ids.content.children if r.name_zh == "1号窗口")
    close = next(b for b in row.ids.actions.children if b.zh == d.app.zh("staff_close"))
    yield from d.tap(close)
    yield from d.until(lambda: staff.dialog is not None, "the confirmation")
    yield from d.shot("staff-confirm-close")
    yield from _tap_choice(d, d.app.zh("staff_cancel"))
    assert next(c for c in staff.status["counters"] if c["id"] == 1)["status"] != "closed"
    print("cancelled", flush=True)


def pin_none(d: Driver) -> Step:
    """No staff_pin_hash configured: the pad is off and the page says how to set one."""
    yield from _staff(d)
    staff = d.screen("staff")
    assert not staff.pad.enabled and "kiosk hash-pin" in staff.message_en, staff.message_en
    yield from d.tap(staff.pad.keys["1"])
    assert staff.pad.count == 0
    yield from d.shot("staff-pin-none")
    print("no PIN set", flush=True)


def staff_idle(d: Driver) -> Step:
    """Unlocked and left alone: the panel locks itself after [ui] idle_timeout_s."""
    yield from _staff(d)
    staff = d.screen("staff")
    yield from _type_pin(d, STAFF_PIN)
    yield from d.until(lambda: staff.unlocked, "the panel unlocked")
    yield from d.until(lambda: not staff.unlocked, "the panel locked by itself",
                       staff.idle_timeout + 10)
    print("locked after idle", flush=True)


def _tap_button(d: Driver, zh: str) -> Step:
    """Tap the panel's button whose Chinese words start with ``zh`` (laid out first)."""
    staff = d.screen("staff")
    yield from d.frame(3)
    found = [w for w in staff.ids.content.walk() if getattr(w, "zh", "").startswith(zh)
             and hasattr(w, "tone")]
    assert found, f"no button {zh!r}"
    yield from d.tap(found[0])


def _answered(d: Driver, what: str) -> Step:
    staff = d.screen("staff")
    yield from d.until(lambda: staff.last_reply is not None, what)
    assert staff.last_reply is not None and staff.last_reply["ok"], staff.last_reply
    print(f"{what}: {staff.message_en}", flush=True)
    staff.last_reply = None


def staff_actions(d: Driver) -> Step:
    """Reinstate a missed ticket (confirmed once), issue a priority ticket with a reason,
    reprint the last ticket, transfer counter 1's customer to Claims (confirmed once):
    each by touch, each answered by the core."""
    yield from _staff(d)
    staff = d.screen("staff")
    yield from _type_pin(d, STAFF_PIN)
    yield from d.until(lambda: staff.unlocked, "the panel unlocked")
    staff.show_tab("queue")
    yield from d.until(lambda: bool(staff.no_shows.tickets), "today's missed tickets")
    staff.show_tab("queue")
    missed = staff.no_shows.tickets[0]
    yield from _tap_button(d, missed)
    yield from d.until(lambda: staff.dialog is not None, "the confirmation")
    yield from d.shot("staff-confirm-reinstate")
    yield from _tap_choice(d, d.app.zh("staff_confirm"))
    yield from _answered(d, f"reinstated {missed}")
    staff.show_tab("priority")
    yield from _tap_button(d, d.app.zh("staff_priority_elderly"))
    yield from _tap_button(d, "理赔")
    yield from _answered(d, "priority")
    yield from d.shot("staff-priority-issued")
    yield from d.tap(staff.ids.reprint)
    yield from _answered(d, "reprint")
    staff.show_tab("counters")  # counter 1 is serving: transfer its customer to Claims
    yield from _tap_button(d, d.app.zh("staff_transfer"))
    yield from _tap_choice(d, d.app.zh("staff_transfer_service", service_zh="理赔",
                                       service_en="Claims"))
    yield from d.until(lambda: staff.dialog is not None, "the confirmation")
    yield from d.shot("staff-confirm-transfer")
    yield from _tap_choice(d, d.app.zh("staff_confirm"))
    yield from _answered(d, "transfer")


def _hall(d: Driver) -> Step:
    yield from d.until(lambda: d.app.sm.current == "hall" and d.app.status is not None
                       and not d.app.sm.transition.is_active, "the hall board", 30)


def hall_paused(d: Driver) -> Step:
    """The hall board shows counter 2 paused with its redirect (paused by the staff
    panel in another UI process)."""
    yield from _hall(d)
    hall = d.screen("hall")
    want = d.app.zh("hall_paused_redirect", redirect=1)

    def rows() -> list[Any]:
        return list(hall.ids.counters.children)

    yield from d.until(lambda: any(r.state_zh == want for r in rows()), want, 30)
    yield from d.shot("hall-paused")
    print("hall shows " + want, flush=True)


def hall_calls(d: Driver) -> Step:
    """Calls made by the test appear as the latest call (highlighted), the one before
    moves down; a recall is a call again."""
    yield from _hall(d)
    hall = d.screen("hall")
    yield from d.ask_test("call")
    yield from d.until(lambda: hall.ticket != "" and hall.highlight, "a highlighted call")
    first = hall.ticket
    yield from d.ask_test("call-again")
    yield from d.until(lambda: hall.ticket not in ("", first), "the next call")
    assert any(first in r for r in hall.recent), hall.recent
    yield from d.shot("hall-calls")
    yield from d.ask_test("recall-first")
    yield from d.until(lambda: hall.ticket == first, "the recall on top")
    yield from d.seconds(hall.board.highlight_s + 1)
    assert not hall.highlight
    yield from d.shot("hall-calls-settled")
    print(f"latest {hall.ticket} recent {' '.join(hall.recent)}", flush=True)


def hall_mqtt(d: Driver) -> Step:
    """The board follows over MQTT (the config's broker); frames keep coming while the
    broker is down, and the board comes back with it."""
    from ui.mqtt_feed import follow

    app = d.app
    follow(app)  # this board follows the broker, not a control socket
    yield from d.ask_test("publish-state")
    yield from _hall(d)
    yield from d.until(lambda: bool(d.screen("hall").ids.counters.children), "counter rows")
    yield from d.shot("hall-mqtt")
    drawn, ticks = d.frames, d.ticks
    yield from d.ask_test("stop-broker")
    yield from d.until(lambda: app.sm.current == "waiting", "the waiting screen")
    yield from d.seconds(2.0)
    down = (d.frames - drawn, d.ticks - ticks)
    yield from d.shot("hall-mqtt-broker-down")
    yield from d.ask_test("start-broker")
    yield from d.until(lambda: app.sm.current == "hall", "the board back", 30)
    back, x0 = d.frames, d.screen("hall").marquee_x
    yield from d.seconds(1.0)  # the courtesy line scrolls: the board redraws by itself
    moved = x0 - d.screen("hall").marquee_x
    print(f"while the broker was down: drawn {down[0]}, ticks {down[1]}; in 1 s after it "
          f"came back: drawn {d.frames - back}, courtesy line moved {moved:.0f} px",
          flush=True)
    assert down[0] >= 1 and down[1] > 5, down  # the waiting screen came; the loop ran on
    assert d.frames - back >= 2 and moved > 0, (d.frames - back, moved)
    app.link.stop()


SCENARIOS.update({
    "pin_lockout": pin_lockout, "pin_still_locked": pin_still_locked,
    "staff_pause": staff_pause, "staff_screens": staff_screens,
    "staff_actions": staff_actions, "pin_none": pin_none, "staff_idle": staff_idle,
    "hall_paused": hall_paused, "hall_calls": hall_calls, "hall_mqtt": hall_mqtt,
})

# the service-quality figures on the staff panel and the hall board (issue 15)
from tests.ui_report_scenarios import SCENARIOS as _REPORT_SCENARIOS  # noqa: E402

SCENARIOS.update(_REPORT_SCENARIOS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("out", type=Path)
    p.add_argument("--config", required=True)
    p.add_argument("--size", default="800x480")
    p.add_argument("--mode", default="customer")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--kiosk", action="store_true", help="as in kiosk mode: no dev keys, "
                   "no ticket preview (the window stays a window)")
    p.add_argument("--fullscreen", action="store_true", help="kiosk mode, full screen")
    a = p.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from kiosk import config as config_mod
    from ui import main as ui_main

    cfg = config_mod.load(a.config)
    w, h = ui_main.parse_size(a.size) if a.size != "kiosk" else (800, 480)
    home = ui_main.state_dir(cfg.storage_path)
    os.environ["KIVY_HOME"] = str(home / "kivy")
    ui_main._configure_kivy((w, h), a.fullscreen, 0)
    from ui import theme

    theme.register_fonts(cfg.ui.font, home / "fonts")
    from kivy.clock import Clock
    from kivy.core.window import Window

    from ui.app import KioskApp

    def first_frame(*_: Any) -> None:
        Window.unbind(on_flip=first_frame)
        print(f"first-frame {time.time()}", flush=True)

    Window.bind(on_flip=first_frame)
    app = KioskApp(cfg, a.mode, cfg.socket_path, dev=not (a.kiosk or a.fullscreen),
                   state_dir=home)
    result = {"code": 1}
    holder: dict[str, Any] = {}

    def step(_dt: float) -> bool:
        if "gen" not in holder:
            holder["driver"] = Driver(app, a.out, a.size)
            holder["driver"].count = a.count
            holder["gen"] = SCENARIOS[a.scenario](holder["driver"])
        try:
            next(holder["gen"])
        except StopIteration:
            result["code"] = 0
            app.stop()
            return False
        except Exception:
            traceback.print_exc()
            with contextlib.suppress(Exception):
                holder["driver"].window.screenshot(name=str(a.out / f"{a.scenario}-failed.png"))
            app.stop()
            return False
        return True

    Clock.schedule_interval(step, 0)
    if os.environ.get("UI_HARNESS_PROFILE"):  # where the frames go: a cProfile dump
        import cProfile

        cProfile.runctx("app.run()", globals(), {"app": app},
                        os.environ["UI_HARNESS_PROFILE"])
    else:
        app.run()
    return result["code"]


@contextlib.contextmanager
def xvfb() -> Iterator[Xvfb]:
    x = Xvfb().start()
    try:
        yield x
    finally:
        x.stop()


if __name__ == "__main__":
    sys.exit(main())
