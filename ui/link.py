"""The UI's link to the running core: a watch stream in, commands out, never blocking
Kivy's thread.

* A watch thread keeps ``{"cmd": "watch"}`` open (status on connect, then one line per
  committed event) and reconnects by itself, with backoff, when the core stops or
  restarts. It reports ``online(status)``, ``event(event, status)`` and ``offline()``.
* A command thread sends :meth:`CoreLink.send` requests, one after another, over one
  persistent :class:`kiosk.control_client.Connection` (re-opened by itself).

Every callback is handed to ``post`` (Kivy's ``Clock.schedule_once`` in the app), so
screens only ever run on Kivy's thread. The core never waits for the UI: a UI that falls
too far behind is cut off by the core (``watch_behind``) and simply reconnects, getting a
fresh status.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Generator
from functools import partial
from pathlib import Path
from typing import Any, cast

from kiosk import messages
from kiosk.control_client import Connection, watch_lines
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

Reply = dict[str, Any]
OnReply = Callable[[Reply], None]
Post = Callable[[Callable[[], None]], None]

BACKOFF_FIRST = 0.1  # s between reconnection attempts, doubling up to BACKOFF_MAX
BACKOFF_MAX = 2.0
CONNECT_TIMEOUT = 3.0
COMMAND_TIMEOUT = 10.0


def kivy_post(fn: Callable[[], None]) -> None:
    """Run ``fn`` on Kivy's thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def unavailable(why: str = "") -> Reply:
    """The reply a screen gets for a command while the core is away."""
    t = messages.text("service_unavailable")
    return {"ok": False, "code": "service_unavailable", "message_zh": t.zh,
            "message_en": t.en, "detail": why}


class CoreLink:
    """See the module docstring. ``on_online(status)``, ``on_event(event, status)`` and
    ``on_offline()`` are called through ``post``."""

    def __init__(self, socket: Path, on_online: Callable[[Reply], None],
                 on_event: Callable[[Reply, Reply], None], on_offline: Callable[[], None],
                 post: Post = kivy_post) -> None:
        self.socket = Path(socket)
        self._on_online, self._on_event, self._on_offline = on_online, on_event, on_offline
        self._post = post
        self._stop = threading.Event()
        self._commands: queue.Queue[tuple[str, dict[str, Any], OnReply | None] | None] = \
            queue.Queue()
        self.online = False  # as last posted (read on Kivy's thread)
        self.connects = 0  # successful watch connections, for tests and the bench
        self._threads = [threading.Thread(target=self._watch, name="ui-watch", daemon=True),
                         threading.Thread(target=self._work, name="ui-commands", daemon=True)]

    def start(self) -> CoreLink:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        """Stop both threads. The command thread ends at once; the watch thread ends at
        its next line or reconnection attempt (it is a daemon, so it never holds up the
        process's exit)."""
        self._stop.set()
        self._commands.put(None)
        self._threads[1].join(COMMAND_TIMEOUT)

    def send(self, cmd: str, args: dict[str, Any] | None = None,
             on_reply: OnReply | None = None) -> None:
        """Queue ``{"cmd": cmd, "args": args}``; ``on_reply(reply)`` runs on Kivy's
        thread. Never blocks."""
        self._commands.put((cmd, dict(args or {}), on_reply))

    # --- threads ----------------------------------------------------------------------
    def _set_online(self, status: Reply) -> None:
        self.online = True
        self._on_online(status)

    def _set_offline(self) -> None:
        self.online = False
        self._on_offline()

    def _watch(self) -> None:
        delay = BACKOFF_FIRST
        announced_offline = False
        first = True
        while not self._stop.is_set():
            lost = False
            try:
                lines = cast(Generator[bytes, None, None],
                             watch_lines(self.socket, timeout=CONNECT_TIMEOUT))
                try:
                    for raw in lines:
                        if self._stop.is_set():
                            return
                        msg = json.loads(raw)
                        if msg.get("watch") == "status":
                            self.connects += 1
                            delay = BACKOFF_FIRST
                            announced_offline = False
                            first = False
                            self._post(partial(self._set_online, msg["status"]))
                        elif "event" in msg:
                            self._post(partial(self._on_event, msg["event"], msg["status"]))
                        elif msg.get("ok") is False:
                            # "stopping": the core is going away; "watch_behind": we were
                            # too slow and reconnect at once for a fresh status
                            log.info("watch ended: %s", msg.get("code"))
                            lost = msg.get("code") != "watch_behind"
                            break
                    else:
                        lost = True  # the stream ended: the core stopped or crashed
                finally:
                    lines.close()
            except (KioskError, OSError, ValueError) as exc:
                log.debug("watch: %s", exc)
                lost = True
            if self._stop.is_set():
                return
            if lost and (first or not announced_offline):
                announced_offline, first = True, False
                log.info("the kiosk core is away; waiting for it")
                self._post(self._set_offline)
            if lost:
                self._stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    def _work(self) -> None:
        conn = Connection(self.socket, timeout=COMMAND_TIMEOUT)
        try:
            while True:
                item = self._commands.get()
                if item is None or self._stop.is_set():
                    return
                cmd, args, on_reply = item
                try:
                    reply = conn.request({"cmd": cmd, "args": args})
                except (KioskError, OSError) as exc:
                    log.info("%s not sent: %s", cmd, exc)
                    conn.close()
                    reply = unavailable(str(exc))
                if on_reply is not None:
                    self._post(partial(on_reply, reply))
        finally:
            conn.close()
