#!/usr/bin/env python
"""The branch-day benchmark: the same simulated customers served FIFO and by our dispatching.

    .venv/bin/python bench/lobby.py                 # 20 seeded days, the table
    .venv/bin/python bench/lobby.py --json          # {"fifo": {...}, "ours": {...}}

A discrete-event simulation (`servicefirst.dispatch.simulation`) of a branch from 9:00 to
17:00 — arrival peaks at opening and lunch, lognormal service times per service, six
counters (two cash, cards + account, loans + wealth, fx + cash, one flexible teller at a cash
counter), 8 % VIP and 12 % elderly customers, the default floor settings (15-minute
commitment, 20-minute fairness guard, VIP/elderly priority points) — run through the real
dispatching code:

- FIFO: every counter fixed to its services, first come first served
  (`floor.ranking.pick(..., fifo=True)`);
- priorities only: `floor.ranking.pick` (priorities, fairness guard), nobody moved;
- ours: the same, plus the board's recommendations (`dispatch.recommend.recommend_moves`)
  followed every few minutes for the flexible teller, who goes back to their own counter's
  services when those grow.

Each figure is the mean over the days of that day's figure. The verdict line checks the
issue's condition: ours serves VIPs faster than FIFO and the ordinary customers' 90th-
percentile wait is at most 10 % worse than under FIFO.

Options: --days N (20), --seed S (1), --counters "cash;cash;cards+account;loans+wealth;
fx+cash;*cash" (";" between counters, "+" between services, "*" a flexible teller),
--check-every MIN (3, how often the manager acts on the board), --scale X (1.0, the day's
volume), --json (print only {"fifo": {...}, "ours": {...}}, each with mean_wait_s,
p90_wait_s, within_commitment, vip_mean_wait_s, ordinary_p90_wait_s, max_ordinary_wait_s).
No database is used. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    ("mean wait", "mean_wait_s", "time"),
    ("90th-percentile wait", "p90_wait_s", "time"),
    ("served within the commitment", "within_commitment", "share"),
    ("VIP mean wait", "vip_mean_wait_s", "time"),
    ("ordinary customers' p90 wait", "ordinary_p90_wait_s", "time"),
    ("longest ordinary wait (day's, mean)", "max_ordinary_wait_s", "time"),
    ("longest ordinary wait (worst day)", "worst_max_ordinary_wait_s", "time"),
    ("customers / day", "customers", "count"),
    ("VIP customers / day", "vip_customers", "count"),
    ("teller moves / day", "moves", "count"),
]


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:,.0f} s ({seconds / 60:.1f} min)"


def _cell(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "time":
        return _time(value)
    if kind == "share":
        return f"{value:.1%}"
    return f"{value:,.1f}"


def print_table(results: dict, scenario, args) -> None:
    from rich.console import Console
    from rich.table import Table

    from servicefirst.dispatch.simulation import verdict

    console = Console(width=120)
    layout = " | ".join(
        ("*" if c.flexible else "") + "+".join(c.services) for c in scenario.counters
    )
    table = Table(
        title=f"Branch day · {args.days} days, seed {args.seed} · counters: {layout}",
        caption=(
            f"commitment {scenario.commitment_s / 60:.0f} min · fairness guard "
            f"{scenario.max_wait_s / 60:.0f} min · priorities {dict(scenario.rules.vip)}, "
            f"elderly {scenario.rules.elderly} · manager acts every "
            f"{scenario.check_every_s / 60:g} min"
        ),
    )
    table.add_column("measure")
    table.add_column("FIFO", justify="right")
    table.add_column("priorities only", justify="right")
    table.add_column("ours", justify="right")
    table.add_column("ours / FIFO", justify="right")
    fifo, prio, ours = results["fifo"], results["priorities"], results["ours"]
    for label, key, kind in ROWS:
        ratio = (
            f"{ours[key] / fifo[key]:.2f}"
            if kind != "count" and fifo[key] and ours[key] is not None
            else ""
        )
        table.add_row(
            label, _cell(fifo[key], kind), _cell(prio[key], kind), _cell(ours[key], kind), ratio
        )
    console.print(table)
    ok, text = verdict(fifo, ours)
    console.print(f"{'PASS' if ok else 'FAIL'}: {text}")


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Only the FloorSettings defaults are read (no database): development keys are fine.
    os.environ.setdefault("SERVICEFIRST_DEV", "1")
    import django

    django.setup()
    from servicefirst.dispatch import simulation

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=20, help="simulated days (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--counters",
        default=simulation.DEFAULT_COUNTERS,
        help='counters, e.g. "cash;cards+account;*cash" (* = flexible teller)',
    )
    parser.add_argument(
        "--check-every",
        type=float,
        default=3,
        help="minutes between the manager's looks at the board (default 3)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="the day's volume (default 1)")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    if args.check_every <= 0 or args.scale <= 0:
        parser.error("--check-every and --scale must be positive")
    try:
        scenario = simulation.default_scenario(
            counters=args.counters, scale=args.scale, check_every_min=args.check_every
        )
    except ValueError as exc:
        parser.error(f"--counters: {exc}")

    results = simulation.run(scenario, days=args.days, seed=args.seed)
    if args.json:
        print(json.dumps(simulation.bench_json(results)))
    else:
        print_table(results, scenario, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
