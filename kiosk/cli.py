"""The ``kiosk`` command: run the service, check a config, and control a running kiosk.

Global options (``--socket``, ``--config``, ``--json``) may come before or after the
subcommand, as in git and docker: ``kiosk --socket S status`` = ``kiosk status --socket S``.

Exit codes:

* 0 - done (the command was accepted; ``run``: stopped cleanly on SIGTERM or SIGINT)
* 1 - the queue rules refused the command (the reason is printed)
* 2 - bad usage, a bad config, or a control socket path that cannot be used
* 3 - the service is not reachable (not running)
* 4 - the database cannot be used (locked by another kiosk, damaged, not writable, or
  written by a newer version); ``run`` refuses to start until someone acts, so a
  supervisor should not restart it in a tight loop on this code
* 130 - interrupted (Ctrl-C in a client command)

The client path imports only the standard library and the small ``kiosk`` modules it
needs (no SQLite layer, no config parser unless the socket must be looked up; logging,
signals and threads only for ``run``), and builds the parser of the one subcommand given,
so a client command starts fast (``python -X importtime -m kiosk.cli status`` shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import messages
from kiosk.errors import (
    ConfigError,
    KioskError,
    ServiceUnavailableError,
    SocketPathError,
    StoreError,
)

if TYPE_CHECKING:
    import signal

    from kiosk import config as config_mod

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_STORAGE = 0, 1, 2, 3, 4
SYSTEM_CONFIG = Path("/etc/counter-kiosk/kiosk.toml")


def _config_path(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    if os.environ.get("KIOSK_CONFIG"):
        return Path(os.environ["KIOSK_CONFIG"])
    return SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None


def _load(arg: str | None) -> config_mod.Config:
    from kiosk import config as config_mod
    from kiosk.bootstrap import validate_drivers

    cfg = config_mod.load(_config_path(arg))
    validate_drivers(cfg)
    return cfg


# ----------------------------------------------------------------------------- run


class StopSignals:
    """Wait in the main thread for SIGTERM or SIGINT, whichever thread the kernel hands the
    signal to.

    A process-directed signal may be delivered to any thread. CPython's C-level handler then
    only flags it, and runs the Python handler when the *main* thread next runs bytecode; a
    main thread asleep in ``Event.wait()`` without a timeout never does, so SIGTERM was
    sometimes ignored under load. ``signal.set_wakeup_fd`` makes the C handler also write a
    byte to a socket the main thread is reading, which wakes it wherever the signal landed.
    (``sigwait`` with the signals blocked would work too, but child processes such as
    ``aplay`` would inherit the blocked mask and ignore SIGTERM.)

    Install it before anything else starts, so a signal that arrives during start-up is
    kept rather than killing the process half-built.
    """

    def __init__(self, signals: tuple[signal.Signals, ...] | None = None) -> None:
        import signal
        import socket

        if signals is None:
            signals = (signal.SIGTERM, signal.SIGINT)
        self.received: list[int] = []
        self._r, self._w = socket.socketpair()
        self._w.setblocking(False)  # set_wakeup_fd needs a non-blocking fd
        self._r.settimeout(1.0)  # belt and braces: look at ``received`` at least every second
        self._old = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        self._old_fd = signal.set_wakeup_fd(self._w.fileno(), warn_on_full_buffer=False)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.received.append(signum)

    def wait(self) -> int:
        """Block until a stop signal has arrived; return its number."""
        import contextlib

        while not self.received:
            with contextlib.suppress(TimeoutError):
                self._r.recv(64)
        return self.received[0]

    def close(self) -> None:
        import signal

        signal.set_wakeup_fd(self._old_fd)
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._r.close()
        self._w.close()


def cmd_run(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from kiosk import bootstrap, systemd

    log = logging.getLogger("kiosk")

    signals = StopSignals()
    try:
        logging.basicConfig(level=args.log_level.upper(), stream=sys.stdout,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        cfg = _load(args.config)
        socket_path = Path(args.socket) if args.socket else None
        if socket_path is not None:  # the same checks as control.socket in the file
            from kiosk.config_paths import check_socket

            check_socket("--socket", socket_path, cfg.storage_path)
        # before the start, not after it: the estimate renders one ticket, and the printer's
        # warm-up thread shares the kept font faces, which two threads must not draw with
        # at once. Only a serial link renders anything, so USB and TCP kiosks pay nothing.
        if (slow := _wire_advice(cfg)) is not None:
            log.warning("%s", slow)
        kiosk = _start(bootstrap, cfg, socket_path)
        stop = threading.Event()
        systemd.start_watchdog(kiosk.service.healthy, stop)
        systemd.notify("READY=1")
        log.info("counter-kiosk ready: %s, %d services, %d counters, control socket %s",
                 cfg.branch.name_en, len(cfg.services), len(cfg.counters),
                 kiosk.control.path if kiosk.control else "-")
        screens = None
        if not args.headless and kiosk.control is not None:
            from ui.supervisor import UiSupervisor

            screens = UiSupervisor(config=args.config, socket=kiosk.control.path)
            screens.start()  # says so and stays headless where there is no display
        got = signals.wait()
        stop.set()
        systemd.notify("STOPPING=1")
        log.info("stopping on %s", signal.Signals(got).name)
        if screens is not None:
            screens.stop()
        kiosk.stop()
        return EXIT_OK
    finally:
        signals.close()


def _start(bootstrap: Any, cfg: config_mod.Config, socket_path: Path | None) -> Any:
    """Build and start the kiosk; a raw SQLite error becomes a :class:`StoreError`, so it
    gets exit code 4 and a message instead of a traceback."""
    import sqlite3

    try:
        kiosk = bootstrap.build(cfg, socket_path=socket_path)
        kiosk.start()
    except sqlite3.Error as exc:
        raise StoreError(f"{cfg.storage_path}: {type(exc).__name__}: {exc}") from exc
    return kiosk


def cmd_ui(args: argparse.Namespace) -> int:
    from ui import main as ui_main

    return ui_main.run(args)


def cmd_monitor(args: argparse.Namespace) -> int:
    from kiosk.mqtt import monitor

    return monitor.run(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk import doctor

    return doctor.run(args)


def cmd_backup(args: argparse.Namespace) -> int:
    from kiosk import backup

    return backup.run(args)


def cmd_support_bundle(args: argparse.Namespace) -> int:
    from kiosk import support_bundle

    return support_bundle.run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from kiosk.report import cli as report_cli

    return report_cli.run(args)


def cmd_hash_pin(_args: argparse.Namespace) -> int:
    from kiosk import staffpin

    return staffpin.main()


def cmd_check_config(args: argparse.Namespace) -> int:
    from kiosk import config as config_mod

    if not (args.file or args.config):
        raise ConfigError("check-config", "no config file given",
                          "name it: kiosk check-config FILE")
    cfg = _load(args.file or args.config)
    days = [d for d, iv in zip(config_mod.WEEKDAYS, cfg.hours.weekly, strict=True) if iv]
    t = messages.text
    print(f"{t('cli_config_ok')}: {cfg.source}")
    print(f"  {t('cli_label_branch')}: {cfg.branch.name_zh} / {cfg.branch.name_en} "
          f"({cfg.branch.timezone})")
    services = ", ".join(f"{s.prefix} {s.name_zh}" for s in cfg.services.values())
    print(f"  {t('cli_label_services')}: {services}")
    counters = ", ".join(f"{c.id}:{'/'.join(c.services)}" for c in cfg.counters.values())
    print(f"  {t('cli_label_counters')}: {counters}")
    print(f"  {t('cli_label_open_on')}: {', '.join(days)}; "
          f"{t('cli_label_holidays')}: {len(cfg.hours.holidays)}")
    print(f"  {t('cli_label_storage')}: {cfg.storage_path}; "
          f"{t('cli_label_socket')}: {cfg.socket_path}")
    if (slow := _wire_advice(cfg)) is not None:  # a warning: the config is still valid
        print(f"  {slow.zh}\n  {slow.en}")
    return EXIT_OK


def _wire_advice(cfg: config_mod.Config) -> messages.Bilingual | None:
    """The warning for a ticket too slow on the printer's link, if it is (issue 11)."""
    try:
        from drivers.printer import settings, wire
    except ModuleNotFoundError as exc:
        if exc.name and "drivers.printer".startswith(exc.name):
            return None  # no printer driver in this build
        raise
    try:
        return wire.advice(cfg.printer or settings.parse(None), cfg)
    except (KioskError, OSError, ValueError) as exc:  # e.g. no CJK font for image mode
        return messages.text("printer_wire_unknown", why=exc)


# ------------------------------------------------------------------- client commands


def describe(e: dict[str, Any]) -> str:
    """One readable line per event, Chinese first."""
    t, d = messages.text, e.get("data") or {}
    kind, tk, ctr = e["type"], e.get("ticket"), e.get("counter")
    if kind == "day_started":
        line = t("cli_event_day_started", day=e["day"])
    elif kind == "issued":
        line = t("cli_event_issued", ticket=tk, service_zh=d.get("service_zh", ""),
                 ahead=d.get("ahead"), wait_minutes=d.get("wait_minutes"))
        if d.get("priority"):
            line += t("cli_event_issued_priority", priority=d["priority"])
    elif kind == "recalled":
        line = t("cli_event_recalled", ticket=tk, counter=ctr, recalls=d.get("recalls"))
    elif kind == "no_show":
        line = t("cli_event_no_show", ticket=tk, why=d.get("why"))
    elif kind == "transferred":
        frm = d.get("from_counter")
        line = (t("cli_event_transferred_counter", ticket=tk, from_counter=frm,
                  to_counter=d["to_counter"]) if d.get("to_counter") else
                t("cli_event_transferred_service", ticket=tk, from_counter=frm,
                  to_service=d.get("to_service")))
    elif kind == "paused":
        line = t("cli_event_paused", counter=ctr)
        if d.get("redirect"):
            line += t("cli_event_paused_redirect", redirect=d["redirect"])
        if d.get("stranded"):
            line += t("cli_event_paused_stranded", services=", ".join(d["stranded"]))
    elif kind == "device_status":
        detail = f" {d['detail']}" if d.get("detail") else ""
        line = t("cli_event_device_status", device=d.get("device"), status=d.get("status"),
                 detail=detail)
        if tk:  # the ticket the device could not handle (e.g. one that did not print)
            line += t("cli_event_device_ticket", ticket=tk)
    elif kind == "rated":
        line = t("cli_event_rated", ticket=tk, score=d.get("score"))
    elif kind in _PLAIN_EVENTS:
        line = t(_PLAIN_EVENTS[kind], ticket=tk, counter=ctr)
    else:
        line = t("cli_event_other", type=kind)
    prefix = f"#{e['seq']} {e['ts'][11:19]} " if e.get("seq") else ""
    return prefix + str(line)


# events whose line needs only the ticket and the counter
_PLAIN_EVENTS = {"called": "cli_event_called", "reinstated": "cli_event_reinstated",
                 "finished": "cli_event_finished", "resumed": "cli_event_resumed",
                 "opened": "cli_event_opened", "closed": "cli_event_closed",
                 "reprinted": "cli_event_reprinted"}
_COUNTER_STATUS = {"open": "cli_counter_open", "paused": "cli_counter_paused",
                   "closed": "cli_counter_closed"}


def _print_status(st: dict[str, Any]) -> None:
    t = messages.text
    print(f"{t('cli_label_day')}: {st['day'] or '-'}   "
          f"{t('cli_label_issued_today')}: {st['issued_today']}")
    print(f"{t('cli_label_services')}:")
    for s in st["services"]:
        nxt = " ".join(s["next_tickets"]) or "-"
        waiting = t("cli_waiting", waiting=s["waiting"], minutes=s["wait_minutes"])
        print(f"  {s['prefix']} {s['name_zh']} / {s['name_en']}: {waiting}; "
              f"{t('cli_label_next')}: {nxt}")
    print(f"{t('cli_label_counters')}:")
    for c in st["counters"]:
        extra = f" -> {c['redirect']}" if c.get("redirect") else ""
        key = _COUNTER_STATUS.get(c["status"])
        status = t(key) if key else c["status"]
        print(f"  {c['id']} [{'/'.join(c['services'])}] {status}{extra}: "
              f"{c['current'] or '-'}")
    for name, dev in sorted(st["devices"].items()):
        print(f"{t('cli_label_device')} {name}: {dev['status']} "
              f"{dev.get('detail', '')}".rstrip())


def _socket(args: argparse.Namespace) -> Path:
    if args.socket:
        return Path(args.socket)
    if os.environ.get("KIOSK_SOCKET"):
        return Path(os.environ["KIOSK_SOCKET"])
    from kiosk import config as config_mod  # only here: a client with --socket skips it

    return config_mod.load(_config_path(args.config)).socket_path


def _wire(args: argparse.Namespace) -> dict[str, Any]:
    names = ("service", "priority", "counter", "ticket", "to_service", "to_counter", "reason",
             "redirect", "day")
    return {"cmd": args.command,
            "args": {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}}


def cmd_client(args: argparse.Namespace) -> int:
    from kiosk.control_client import request

    reply = request(_socket(args), _wire(args))
    if args.json:
        print(json.dumps(reply, ensure_ascii=False, indent=2))
    elif not reply.get("ok"):
        print(f"{reply.get('message_zh', '')}\n{reply.get('message_en', '')}", file=sys.stderr)
    elif args.command == "status":
        _print_status(reply["status"])
    elif args.command == "events":
        for e in reply.get("data", []):
            print(describe(e))
    else:
        for e in reply["events"]:
            if e["type"] != "day_started":
                print(describe(e))
        if not reply["events"]:
            print(messages.text("cli_no_change"))
    return EXIT_OK if reply.get("ok") else EXIT_REJECTED


def cmd_watch(args: argparse.Namespace) -> int:
    """Follow the kiosk: its status, then one line per event as it happens (``--json``:
    the raw lines) until the service closes the stream or Ctrl-C."""
    from kiosk.control_client import watch_lines

    for data in watch_lines(_socket(args)):
        msg = json.loads(data)
        if args.json:
            sys.stdout.write(data.decode())
            sys.stdout.flush()  # a pipe is block-buffered: a follower wants each line now
        elif "event" in msg:
            print(describe(msg["event"]), flush=True)
        elif msg.get("ok"):
            _print_status(msg["status"])
            sys.stdout.flush()
        if msg.get("ok") is False:  # a refusal, or the notice that ends the stream
            if not args.json:
                print(f"{msg.get('message_zh', '')}\n{msg.get('message_en', '')}",
                      file=sys.stderr)
            return EXIT_UNAVAILABLE if msg.get("code") in _WATCH_ENDS else EXIT_REJECTED
    print(messages.text("cli_watch_closed"), file=sys.stderr)
    return EXIT_UNAVAILABLE


_WATCH_ENDS = frozenset({"stopping", "watch_behind", "busy"})


# ----------------------------------------------------------------------------- parser


def _global_options(p: argparse.ArgumentParser, default: Any) -> None:
    """The options accepted before the subcommand and after it. After it they default to
    SUPPRESS, so that an option given before the subcommand is not reset to None."""
    p.add_argument("--socket", default=default, help="control socket path (default: from "
                   "the config; for run, overrides control.socket)")
    p.add_argument("--config", default=default, help="TOML config (default: $KIOSK_CONFIG, "
                   "/etc/counter-kiosk/kiosk.toml, else built-in demo defaults)")
    p.add_argument("--json", action="store_true", default=False if default is None else default,
                   help="print the raw JSON reply (client commands)")


_COUNTER_COMMANDS = {"call-next": "call the next customer", "recall": "call again",
                     "no-show": "mark the called ticket as no-show",
                     "finish": "finish the current customer",
                     "resume": "resume a paused counter", "open": "open a counter",
                     "close": "close a counter"}
COMMANDS = ("run", "check-config", "hash-pin", "issue", *_COUNTER_COMMANDS, "reinstate",
            "transfer", "pause", "status", "events", "reprint", "watch", "ui", "monitor",
            "doctor", "backup", "support-bundle", "report")


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with ``only`` the root and that one subcommand: building all
    eighteen costs a client several milliseconds, and it needs one."""
    p = argparse.ArgumentParser(prog="kiosk", description="counter-kiosk: take-a-number kiosk")
    _global_options(p, None)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, func: Any = cmd_client) -> argparse.ArgumentParser | None:
        if only is not None and name != only:
            return None
        sp = sub.add_parser(name, help=help_)
        _global_options(sp, argparse.SUPPRESS)
        sp.set_defaults(func=func)
        return sp

    if run := add("run", "run the kiosk service", cmd_run):
        run.add_argument("--headless", action="store_true", help="no touchscreen UI")
        run.add_argument("--log-level", default="info",
                         choices=["debug", "info", "warning", "error"])
    if chk := add("check-config", "validate a config file and exit", cmd_check_config):
        chk.add_argument("file", nargs="?", help="the config file (default: --config)")
    if only in (None, "hash-pin"):  # takes no global options
        pin = sub.add_parser("hash-pin", help="hash a staff PIN for [ui] staff_pin_hash")
        pin.set_defaults(func=cmd_hash_pin)
    if iss := add("issue", "take a ticket"):
        iss.add_argument("service", type=str.upper)
        iss.add_argument("--priority", metavar="REASON",
                         help="priority ticket: elderly, disabled or urgent")
    for name, help_ in _COUNTER_COMMANDS.items():
        if sp := add(name, help_):
            sp.add_argument("counter", type=int)
    if rei := add("reinstate", "bring a no-show ticket back"):
        rei.add_argument("ticket", type=str.upper)
    if tr := add("transfer", "pass the current customer on, keeping their place"):
        tr.add_argument("counter", type=int)
        target = tr.add_mutually_exclusive_group(required=True)
        target.add_argument("--to-service", type=str.upper)
        target.add_argument("--to-counter", type=int)
    if pa := add("pause", "pause a counter"):
        pa.add_argument("counter", type=int)
        pa.add_argument("--reason")
        pa.add_argument("--redirect", type=int, metavar="N", help="send customers to counter N")
    add("status", "show the live queue and counters")
    if ev := add("events", "show today's events"):
        ev.add_argument("--day", help="YYYY-MM-DD")
    if rp := add("reprint", "reprint a ticket of today, marked as a copy"):
        rp.add_argument("ticket", nargs="?", type=str.upper,
                        help="the ticket (default: the last issued)")
    add("watch", "follow the status and every event as it happens (Ctrl-C to stop)",
        cmd_watch)
    if ui := add("ui", "open a touchscreen (customer, hall board or staff panel)", cmd_ui):
        from ui import main as ui_main  # argparse only: Kivy is imported when it runs

        ui_main.add_arguments(ui)
    if mon := add("monitor", "live table of a branch's kiosks, read from MQTT", cmd_monitor):
        from kiosk.mqtt import monitor

        monitor.add_arguments(mon)
    if doc := add("doctor", "check the kiosk and explain what to fix", cmd_doctor):
        from kiosk import doctor

        doctor.add_arguments(doc)
    if bak := add("backup", "copy the database to a backup now", cmd_backup):
        from kiosk import backup

        backup.add_arguments(bak)
    if sb := add("support-bundle", "collect config, logs and checks into one archive for IT",
                 cmd_support_bundle):
        from kiosk import support_bundle

        support_bundle.add_arguments(sb)
    if rep := add("report", "service-quality figures for a day, shift, week or month",
                  cmd_report):
        from kiosk.report import cli as report_cli

        report_cli.add_arguments(rep)
    return p


_VALUED = ("--socket", "--config")  # the global options that take a value


def command_in(argv: list[str]) -> str | None:
    """The subcommand named in ``argv``, or None if it cannot be told without parsing
    (then the whole parser is built, and its usage message is the one shown)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--":
            return None
        elif arg.startswith("-"):
            # "--sock X" is argparse's abbreviation of "--socket X": its value is skipped
            skip = "=" not in arg and len(arg) > 2 and any(o.startswith(arg) for o in _VALUED)
        else:
            return arg if arg in COMMANDS else None
    return None


def _say(key: str, exc: Exception) -> None:
    print(f"{messages.text(key)}: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(command_in(argv)).parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        _say("cli_config_error", exc)
        return EXIT_USAGE
    except SocketPathError as exc:
        _say("socket_path_unusable", exc)
        return EXIT_USAGE
    except ServiceUnavailableError as exc:
        _say("cli_unreachable", exc)
        return EXIT_UNAVAILABLE
    except StoreError as exc:
        advice = messages.text("storage_unusable")
        print(f"{advice.zh}\n{advice.en}\n{exc}", file=sys.stderr)
        import logging

        logging.getLogger("kiosk").error("database unusable: %s", exc)
        return EXIT_STORAGE
    except KioskError as exc:
        _say("cli_error", exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kiosk events | head`: the reader has gone; say nothing more, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
