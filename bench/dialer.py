#!/usr/bin/env python
"""The dialer benchmark: simulated campaign days paced by each strategy of the product.

    .venv/bin/python bench/dialer.py                    # 10 days at 10, 30 and 100 agents
    .venv/bin/python bench/dialer.py --json             # {"results": [...]}
    .venv/bin/python bench/dialer.py --plot var/bench/dialer.svg

A discrete-event simulation (`servicefirst.dialer.simulation`) of 8-hour days — answer 30 %
after 5-15 s of ringing, busy 10 %, no answer after a 20 s ring, talk times resampled from
the real call durations of the bank telemarketing file, exponential wrap-up with mean 30 s,
the 2-second abandonment rule — run through the product's own pacers
(`servicefirst.dialer.pacing`): preview, progressive 1:1, a fixed ratio, an emulation of
VICIdial's adaptive pacing and ours, at a 3 % cap (and ours and VICIdial at 1 %). Every
strategy meets the same customers (common random numbers). The oracle row — our decision
rule told each agent's true remaining busy time — is the ceiling, for reference.

Options: --days N (10), --agents "10,30,100", --quick (2 days), --seed S (1), --jobs J
(worker processes, default: the CPUs, at most 4), --durations PATH (the CSV with a
`duration` column; default datasets/bank-marketing/bank-additional-train.csv), --no-oracle,
--json (print only {"results": [{"agents", "strategy", "cap", "occupancy",
"talk_min_per_agent_hour", "abandon_rate", "worst_day_abandon_rate"}, ...]}; the oracle is
not among them), --plot PATH (.svg drawn here, .html with plotly; .png needs kaleido),
--save PATH (every run's figures, daily ones too, as JSON), --load PATH (print and plot
saved runs without simulating again).
No database and no Django settings are used. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DURATIONS = ROOT / "datasets" / "bank-marketing" / "bank-additional-train.csv"
STRATEGIES = ("preview", "progressive", "ratio", "vicidial", "ours")
# The bar for ours at a 3 % cap (occupancy by number of agents).
TARGETS = {10: 0.895, 30: 0.93, 100: 0.965}
COLOURS = {
    "preview": "#8c8c8c",
    "progressive": "#1f77b4",
    "ratio": "#ff7f0e",
    "vicidial": "#d62728",
    "ours": "#2ca02c",
    "oracle": "#9467bd",
}

_TALK = None


def _talk(path: str):
    global _TALK
    if _TALK is None:
        import numpy as np

        from servicefirst.dialer.durations import talk_durations

        _TALK = np.asarray(talk_durations(path), dtype=float)
    return _TALK


def _job(spec: tuple) -> dict:
    strategy, agents, cap, days, seed, path = spec
    from servicefirst.dialer import simulation

    result = simulation.run(
        strategy, agents=agents, days=days, talk=_talk(path), cap=cap, seed=seed
    )
    row = result.as_json()
    row["seconds"] = round(result.seconds, 2)
    row["daily_abandon_rates"] = [round(d.abandon_rate, 5) for d in result.days]
    row["daily_occupancy"] = [round(d.occupancy, 5) for d in result.days]
    return row


def plan(agents: list[int], *, days: int, seed: int, path: str, oracle: bool) -> list[tuple]:
    specs = []
    for n in agents:
        for strategy in STRATEGIES:
            specs.append((strategy, n, 0.03, days, seed, path))
        specs.append(("vicidial", n, 0.01, days, seed, path))
        specs.append(("ours", n, 0.01, days, seed, path))
        if oracle:
            specs.append(("oracle", n, 0.03, days, seed, path))
    # the long runs first, so that the workers finish together
    cost = {"ours": 10, "oracle": 10}
    return sorted(specs, key=lambda s: -(cost.get(s[0], 1) * s[1]))


def run_all(specs: list[tuple], jobs: int) -> list[dict]:
    if jobs <= 1:
        return [_job(s) for s in specs]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_job, specs))


# --------------------------------------------------------------------------- output


def _order(row: dict) -> tuple:
    names = (*STRATEGIES, "oracle")
    return (row["agents"], -row["cap"], names.index(row["strategy"]))


def verdicts(rows: list[dict]) -> list[tuple[bool, str]]:
    out = []
    for n in sorted({r["agents"] for r in rows}):
        by = {(r["strategy"], r["cap"]): r for r in rows if r["agents"] == n}
        ours, prog, vici = (
            by.get(("ours", 0.03)),
            by.get(("progressive", 0.03)),
            by.get(("vicidial", 0.03)),
        )
        if not (ours and prog and vici):
            continue
        target = TARGETS.get(n)
        ok = (
            ours["worst_day_abandon_rate"] <= 0.03
            and ours["occupancy"] > prog["occupancy"]
            and ours["occupancy"] > vici["occupancy"]
            and (target is None or ours["occupancy"] >= target)
        )
        bar = f" (bar {target:.1%})" if target else ""
        out.append(
            (
                ok,
                f"{n} agents: ours {ours['occupancy']:.2%}{bar}, worst day "
                f"{ours['worst_day_abandon_rate']:.2%} (cap 3%); progressive "
                f"{prog['occupancy']:.2%}, VICIdial {vici['occupancy']:.2%} (worst day "
                f"{vici['worst_day_abandon_rate']:.2%})",
            )
        )
    return out


def print_table(rows: list[dict], args, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    for n in sorted({r["agents"] for r in rows}):
        group = sorted((r for r in rows if r["agents"] == n), key=_order)
        base = next(r for r in group if r["strategy"] == "progressive")
        table = Table(
            title=f"Outbound campaign · {n} agents · {args.days} days of 8 h, seed {args.seed}",
            caption="occupancy = (talk + wrap-up) / logged-in time; abandoned = abandoned / "
            "live-answered; ÷ progressive = occupancy over progressive's",
        )
        for col, justify in (
            ("strategy", "left"),
            ("cap", "right"),
            ("occupancy", "right"),
            ("talk min / agent-hour", "right"),
            ("abandoned (all days)", "right"),
            ("worst day", "right"),
            ("÷ progressive", "right"),
            ("run s", "right"),
        ):
            table.add_column(col, justify=justify)
        for r in group:
            name = r["strategy"] + (" (reference)" if r["strategy"] == "oracle" else "")
            table.add_row(
                name,
                f"{r['cap']:.0%}",
                f"{r['occupancy']:.2%}",
                f"{r['talk_min_per_agent_hour']:.1f}",
                f"{r['abandon_rate']:.2%}",
                f"{r['worst_day_abandon_rate']:.2%}",
                f"{r['occupancy'] / base['occupancy']:.3f}",
                f"{r['seconds']:.0f}",
            )
        console.print(table)
    for ok, text in verdicts(rows):
        console.print(f"{'PASS' if ok else 'FAIL'}: {text}")
    console.print(f"{len(rows)} runs in {elapsed:.0f} s with {args.jobs} worker(s).")


def _svg(rows: list[dict], path: Path) -> None:
    sizes = sorted({r["agents"] for r in rows})
    pw, ph, ml, mt, mb = 330, 300, 60, 50, 55
    width, height = ml + len(sizes) * (pw + 70) + 150, mt + ph + mb
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{ml}" y="22" font-size="15">Occupancy against abandonment '
        "(filled: all days, hollow: worst day)</text>",
    ]
    for i, n in enumerate(sizes):
        group = [r for r in rows if r["agents"] == n]
        xmax = max(0.035, max(r["worst_day_abandon_rate"] for r in group) * 1.08)
        ylo = min(r["occupancy"] for r in group) - 0.01
        yhi = max(r["occupancy"] for r in group) + 0.01
        x0 = ml + i * (pw + 70)

        def sx(v: float, x0: float = x0, xmax: float = xmax) -> float:
            return x0 + v / xmax * pw

        def sy(v: float, ylo: float = ylo, yhi: float = yhi) -> float:
            return mt + (yhi - v) / (yhi - ylo) * ph

        parts.append(
            f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>'
        )
        parts.append(f'<text x="{x0 + pw / 2}" y="{mt - 8}" text-anchor="middle">{n} agents</text>')
        for cap in (0.01, 0.03):
            parts.append(
                f'<line x1="{sx(cap):.1f}" y1="{mt}" x2="{sx(cap):.1f}" y2="{mt + ph}" '
                'stroke="#d62728" stroke-dasharray="4 3"/>'
            )
            parts.append(
                f'<text x="{sx(cap) + 3:.1f}" y="{mt + 12}" fill="#d62728">cap {cap:.0%}</text>'
            )
        for k in range(5):
            v = xmax * k / 4
            parts.append(
                f'<text x="{sx(v):.1f}" y="{mt + ph + 16}" text-anchor="middle">{v:.1%}</text>'
            )
            u = ylo + (yhi - ylo) * k / 4
            parts.append(f'<text x="{x0 - 4}" y="{sy(u) + 4:.1f}" text-anchor="end">{u:.1%}</text>')
        parts.append(
            f'<text x="{x0 + pw / 2}" y="{mt + ph + 34}" text-anchor="middle">abandoned / '
            "live-answered</text>"
        )
        for r in group:
            c = COLOURS[r["strategy"]]
            x1, x2, y = sx(r["abandon_rate"]), sx(r["worst_day_abandon_rate"]), sy(r["occupancy"])
            shape = "rect" if r["cap"] == 0.01 else "circle"
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" stroke="{c}"/>'
            )
            # the worst day (hollow) first, so that the all-days marker stays visible on top
            if shape == "circle":
                parts.append(
                    f'<circle cx="{x2:.1f}" cy="{y:.1f}" r="5" fill="white" stroke="{c}"/>'
                )
                parts.append(f'<circle cx="{x1:.1f}" cy="{y:.1f}" r="5" fill="{c}"/>')
            else:
                parts.append(
                    f'<rect x="{x2 - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="white" '
                    f'stroke="{c}"/>'
                )
                parts.append(
                    f'<rect x="{x1 - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{c}"/>'
                )
    lx = ml + len(sizes) * (pw + 70)
    for j, name in enumerate((*STRATEGIES, "oracle")):
        y = mt + 10 + j * 20
        parts.append(f'<circle cx="{lx + 6}" cy="{y}" r="5" fill="{COLOURS[name]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{y + 4}">{name}</text>')
    y = mt + 10 + 6 * 20 + 10
    parts.append(f'<circle cx="{lx + 6}" cy="{y}" r="5" fill="#555"/>')
    parts.append(f'<text x="{lx + 16}" y="{y + 4}">3 % cap</text>')
    parts.append(f'<rect x="{lx + 2}" y="{y + 16}" width="8" height="8" fill="#555"/>')
    parts.append(f'<text x="{lx + 16}" y="{y + 24}">1 % cap</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def write_plot(rows: list[dict], path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        _svg(rows, path)
        return str(path)
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sizes = sorted({r["agents"] for r in rows})
    fig = make_subplots(rows=1, cols=len(sizes), subplot_titles=[f"{n} agents" for n in sizes])
    for i, n in enumerate(sizes, start=1):
        for r in (r for r in rows if r["agents"] == n):
            label = f"{r['strategy']} {r['cap']:.0%}"
            fig.add_trace(
                go.Scatter(
                    x=[r["abandon_rate"], r["worst_day_abandon_rate"]],
                    y=[r["occupancy"]] * 2,
                    mode="lines+markers",
                    marker={
                        "color": COLOURS[r["strategy"]],
                        "symbol": ["circle", "circle-open"]
                        if r["cap"] == 0.03
                        else ["square", "square-open"],
                        "size": 9,
                    },
                    name=label,
                    legendgroup=label,
                    showlegend=i == 1,
                ),
                row=1,
                col=i,
            )
        fig.update_xaxes(title_text="abandoned / live-answered", tickformat=".1%", row=1, col=i)
        fig.update_yaxes(tickformat=".1%", row=1, col=i)
    fig.update_layout(title="Occupancy against abandonment (filled: all days, open: worst day)")
    if suffix in (".html", ".htm"):
        fig.write_html(str(path), include_plotlyjs="cdn")
        return str(path)
    try:
        fig.write_image(str(path))
    except Exception as exc:  # kaleido missing, most likely
        raise SystemExit(f"cannot write {path.name} ({exc}); use a .svg or .html path") from exc
    return str(path)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=None, help="days per run (default 10)")
    parser.add_argument("--agents", default="10,30,100", help='team sizes, e.g. "10,30,100"')
    parser.add_argument("--quick", action="store_true", help="2 days per run")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4))
    parser.add_argument("--durations", default=str(DEFAULT_DURATIONS), help="call-length CSV")
    parser.add_argument("--no-oracle", action="store_true", help="skip the reference ceiling")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    parser.add_argument("--plot", type=Path, help="write occupancy against abandonment here")
    parser.add_argument("--save", type=Path, help="also write every run's figures here (JSON)")
    parser.add_argument("--load", type=Path, help="print/plot the runs saved by --save instead")
    args = parser.parse_args(argv)
    if args.days is None:
        args.days = 2 if args.quick else 10
    if args.days < 1:
        parser.error("--days must be at least 1")
    try:
        agents = sorted({int(a) for a in args.agents.split(",") if a.strip()})
    except ValueError:
        parser.error("--agents: comma-separated whole numbers, e.g. 10,30,100")
    if not agents or min(agents) < 1:
        parser.error("--agents: at least one team of at least one agent")
    if not Path(args.durations).exists():
        parser.error(f"--durations: {args.durations} does not exist")
    args.jobs = max(1, args.jobs)

    started = time.perf_counter()
    if args.load:
        saved = json.loads(args.load.read_text(encoding="utf-8"))
        rows, elapsed = saved["runs"], saved["seconds"]
        args.days, args.seed, args.jobs = saved["days"], saved["seed"], saved["jobs"]
    else:
        specs = plan(
            agents, days=args.days, seed=args.seed, path=args.durations, oracle=not args.no_oracle
        )
        rows = sorted(run_all(specs, args.jobs), key=_order)
        elapsed = time.perf_counter() - started
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        saved = {
            "days": args.days,
            "seed": args.seed,
            "jobs": args.jobs,
            "seconds": elapsed,
            "runs": rows,
        }
        args.save.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    if args.json:
        keys = (
            "agents",
            "strategy",
            "cap",
            "occupancy",
            "talk_min_per_agent_hour",
            "abandon_rate",
            "worst_day_abandon_rate",
        )
        results = [{k: r[k] for k in keys} for r in rows if r["strategy"] in STRATEGIES]
        print(json.dumps({"results": results}))
    else:
        print_table(rows, args, elapsed)
    if args.plot:
        written = write_plot(rows, args.plot)
        if not args.json:
            print(f"plot: {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
