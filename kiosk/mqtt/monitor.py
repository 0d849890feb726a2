"""``kiosk monitor``: a live table of a branch's kiosks (placeholder until MQTT lands)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the branch broker, e.g. mqtt://broker:1883")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kiosk monitor is not part of this build yet")
