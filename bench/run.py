"""Run every benchmark and print the figures as JSON and as a table, with the targets.

    python -m bench.run            # all sections
    python -m bench.run core       # one section

Targets are printed beside the figures, never asserted: benchmarks inform, tests decide.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
from typing import Any

SECTIONS = ("core", "store", "control", "printer", "counter_hw")
TARGETS: dict[str, str] = {
    "core_commands_per_s": ">= 50000",
    "durable_issue_p99_ms": "<= 20",
    "restart_5000_ms": "<= 1000",
    "rss_after_replay_mb": "<= 60",
    "rss_settled_3s_later_mb": "<= 60",
}


def main(argv: list[str]) -> int:
    wanted = argv or list(SECTIONS)
    results: dict[str, Any] = {"machine": f"{platform.machine()} {platform.python_version()}"}
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        results[name] = module.run()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print()
    print(f"{'section':<12} {'figure':<34} {'value':>12}  target")
    for name in wanted:
        for key, value in results[name].items():
            target = TARGETS.get(key, "")
            if not target and key.endswith("p99_ms"):
                target = "<= 30"
            print(f"{name:<12} {key:<34} {value:>12}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
