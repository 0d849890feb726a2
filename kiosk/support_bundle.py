"""`kiosk support-bundle` (placeholder until the appliance issue lands)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise SystemExit("kiosk support-bundle is not part of this build yet")
