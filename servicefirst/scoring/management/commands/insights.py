"""`servicefirst insights <subcommand>`: analytic commands of the customer-insight issue.

Subcommands are dispatched from `SUBCOMMANDS` = {name: (add_arguments(parser), handle(command,
options))}. This module provides `backtest`, `train` and `score`; the insights app adds its own
by exposing the same dict in `servicefirst/insights/commands.py` (merged in if present).

    servicefirst insights backtest --history OLD.csv --replay NEW.csv [--json]
    servicefirst insights backtest --history FILE.csv --split-at 27690 [--json]
    servicefirst insights train --product uci-term-deposit
    servicefirst insights score --product uci-term-deposit
"""

from __future__ import annotations

import importlib
import json

from django.core.management.base import BaseCommand, CommandError

from servicefirst.core.context import request_context
from servicefirst.core.errors import ValidationFailed


def _backtest_arguments(parser) -> None:
    parser.add_argument("--history", required=True, help="UCI-format file to train on first")
    parser.add_argument("--replay", help="the later UCI-format file, replayed in month blocks")
    parser.add_argument(
        "--split-at",
        type=int,
        help="no --replay: use the first N rows of --history as history and the rest as replay",
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")


def _fmt(value) -> str:
    return "  –  " if value is None else f"{value:.3f}"


def _backtest(command: BaseCommand, options: dict) -> None:
    from servicefirst.scoring import backtest
    from servicefirst.scoring import features as F

    try:
        if options.get("replay"):
            if options.get("split_at"):
                raise CommandError("give either --replay or --split-at, not both")
            history = F.read_uci_file(options["history"])
            replay = F.read_uci_file(options["replay"])
        elif options.get("split_at"):
            history, replay = backtest.split_file(options["history"], options["split_at"])
        else:
            raise CommandError("give --replay FILE (or --split-at N)")
        result = backtest.backtest(history, replay)
    except (OSError, ValueError, KeyError) as exc:
        raise CommandError(str(exc)) from exc
    if options.get("json"):
        out = {
            "overall": result["overall"],
            "blocks": [
                {"rows": b["rows"], "model": b["model"], "baseline": b["baseline"]}
                for b in result["blocks"]
            ],
        }
        command.stdout.write(json.dumps(out))
        return
    w = command.stdout.write
    w(
        f"history {len(history[1])} rows, replay {len(replay[1])} rows in {len(result['blocks'])} month blocks"
    )
    w("block  month  rows  yes   | model AUC  ALIFT  cap@½ | baseline AUC  ALIFT  cap@½")
    for i, b in enumerate(result["blocks"], 1):
        m, lr = b["model"], b["baseline"]
        w(
            f"{i:>5}  {b['month']:<5} {b['rows']:>5} {b['positives']:>4}   |"
            f" {_fmt(m['auc'])}  {_fmt(m['alift'])}  {_fmt(m['capture_at_half'])} |"
            f" {_fmt(lr['auc'])}     {_fmt(lr['alift'])}  {_fmt(lr['capture_at_half'])}"
        )
    m, lr = result["overall"]["model"], result["overall"]["baseline"]
    w(
        f"overall                  | {_fmt(m['auc'])}  {_fmt(m['alift'])}  {_fmt(m['capture_at_half'])} |"
        f" {_fmt(lr['auc'])}     {_fmt(lr['alift'])}  {_fmt(lr['capture_at_half'])}"
    )


def _product_arguments(parser) -> None:
    parser.add_argument("--product", required=True, help="product code, e.g. uci-term-deposit")


def _train(command: BaseCommand, options: dict) -> None:
    from servicefirst.scoring import services

    with request_context(channel="cli"):
        try:
            model = services.model_train(actor=None, product_code=options["product"])
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for ms in exc.errors.values() for m in ms)) from exc
    command.stdout.write(
        f"{model.product.code} v{model.version}: {model.status} — validation AUC "
        f"{_fmt(model.validation_auc)}, ALIFT {_fmt(model.validation_alift)}, "
        f"capture@half {_fmt(model.validation_capture_at_half)}. {model.status_reason}"
    )


def _score(command: BaseCommand, options: dict) -> None:
    from servicefirst.scoring import services

    with request_context(channel="cli"):
        try:
            n = services.scores_refresh(actor=None, product_code=options["product"])
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for ms in exc.errors.values() for m in ms)) from exc
    command.stdout.write(f"{n} customers scored for {options['product']}")


SUBCOMMANDS = {
    "backtest": (_backtest_arguments, _backtest),
    "train": (_product_arguments, _train),
    "score": (_product_arguments, _score),
}


def subcommands() -> dict:
    found = dict(SUBCOMMANDS)
    try:
        extra = importlib.import_module("servicefirst.insights.commands")
    except ModuleNotFoundError as exc:
        if exc.name != "servicefirst.insights.commands":
            raise
    else:
        found.update(getattr(extra, "SUBCOMMANDS", {}))
    return found


class Command(BaseCommand):
    help = "Customer-insight analytics: backtest, train, score (and the insights app's own)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name, (add_arguments, _handle) in subcommands().items():
            add_arguments(sub.add_parser(name))

    def handle(self, *args, **options):
        _add, handle = subcommands()[options["subcommand"]]
        handle(self, options)
