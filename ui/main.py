"""``kiosk ui``: argparse and start of the Kivy app (placeholder until the UI issue)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=["customer", "hall", "staff"], default="customer")
    p.add_argument("--size", metavar="WxH")
    p.add_argument("--fullscreen", action="store_true")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("the touchscreen is not part of this build yet")
