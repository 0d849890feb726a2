"""``kiosk report`` (placeholder until the Reports issue lands)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kiosk report is not part of this build yet")
