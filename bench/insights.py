#!/usr/bin/env python
"""The customer-insight benchmark: scoring every customer for a product, next to the naive
baseline (one customer at a time through the ORM), and, when the insights app provides them
(`servicefirst.insights.bench_parts`), classification and segment previews.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_bench_insights SERVICEFIRST_DEV=1 \\
        .venv/bin/python bench/insights.py --n 1000000 --json

Run it on a database of its own. What it does:

1. `migrate`; if the database has no UCI campaign history, imports
   `datasets/bank-marketing/bank-additional-train.csv` through the real importer
   (mapping "uci-bank-marketing") and trains the term-deposit model (`services.model_train`).
2. Tops the customer table up to N customers (source "bench-insights"): copies of the UCI
   customers' profiles, each with a copy of a campaign call (not tied to the product's
   campaign, so it is no training data), written with the importer's `fast_insert`
   (COPY on PostgreSQL). Existing bench customers are reused.
3. score_s: `services.scores_refresh` for every customer (batches of 20,000: features,
   calibrated probability, top-3 reasons, scores replaced with COPY).
4. naive_score_s: `services.score_one_naive` customer by customer (ORM reads, one prediction,
   `update_or_create`) on a sample of --naive customers (default 2,000), extrapolated to N
   (printed as such; with --naive 0 it is null).
5. classify_s / segment_preview_p95_ms: `classify_seconds(n)` / `segment_preview_p95_ms()`
   (its default number of previews) from `servicefirst.insights.bench_parts` if that module
   exists, else null.

Options: --n N (default 1,000,000 on PostgreSQL, 100,000 on SQLite), --naive K,
--json (print only the JSON object: {"customers", "score_s", "naive_score_s", "classify_s",
"segment_preview_p95_ms"}; more keys may be added), --drop (delete the bench customers at the
end).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UCI = ROOT / "datasets" / "bank-marketing" / "bank-additional-train.csv"
SOURCE = "bench-insights"
PRODUCT = "uci-term-deposit"


def log(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, flush=True)
    else:
        print(message, file=sys.stderr, flush=True)


def ensure_model(quiet: bool):
    from servicefirst.customers.importing import import_customers
    from servicefirst.customers.models import Interaction, Product
    from servicefirst.scoring import services
    from servicefirst.scoring.selectors import serving_model

    history = Interaction.objects.filter(campaign__code=PRODUCT).exists()
    if not history:
        log(quiet, f"importing {UCI.name} through the importer…")
        import_customers(actor=None, path=UCI, mapping="uci-bank-marketing")
    product = Product.objects.get(code=PRODUCT)
    model = serving_model(product, load=False)
    if model is None:
        log(quiet, "training the term-deposit model…")
        model = services.model_train(actor=None, product_code=PRODUCT)
    return product, model


def top_up(n: int, quiet: bool) -> int:
    """Add bench customers (copies of UCI customers and their last call) up to n in all."""
    from django.db import transaction

    from servicefirst.customers.importing import fast_insert
    from servicefirst.customers.models import Customer, Interaction

    active = Customer.objects.filter(merged_into__isnull=True)
    have = active.count()
    if have >= n:
        return have
    templates = list(
        Interaction.objects.filter(campaign__code=PRODUCT)
        .order_by("id")
        .values_list(
            "occurred_at",
            "outcome",
            "detail",
            "customer__birth_date",
            "customer__occupation",
            "customer__work_nature",
            "customer__marital_status",
            "customer__education",
        )
    )
    start = Customer.objects.filter(source=SOURCE).count()
    need = n - have
    chunk = 50_000
    t0 = time.perf_counter()
    for offset in range(0, need, chunk):
        count = min(chunk, need - offset)
        last_pk = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        customers, calls = [], []
        for k in range(count):
            i = start + offset + k
            occurred, outcome, detail, birth, occupation, work, marital, education = templates[
                i % len(templates)
            ]
            customers.append(
                {
                    "number": f"B{i:011d}",
                    "name_latin": f"Bench client {i}",
                    "birth_date": birth,
                    "occupation": occupation,
                    "work_nature": work,
                    "marital_status": marital,
                    "education": education,
                    "source": SOURCE,
                    "source_key": str(i),
                }
            )
            calls.append((occurred, outcome, detail))
        with transaction.atomic():
            fast_insert(Customer, customers)
            ids = list(
                Customer.objects.filter(pk__gt=last_pk, source=SOURCE)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            fast_insert(
                Interaction,
                [
                    {
                        "customer_id": pk,
                        "kind": Interaction.Kind.CAMPAIGN_CALL,
                        "occurred_at": occurred,
                        "channel": "phone",
                        "outcome": outcome,
                        "detail": detail,
                    }
                    for pk, (occurred, outcome, detail) in zip(ids, calls, strict=True)
                ],
            )
        log(quiet, f"  {have + offset + count:,} customers ({time.perf_counter() - t0:.0f} s)")
    return active.count()


def naive_seconds(product, model, sample: int, n: int, quiet: bool) -> float | None:
    from servicefirst.customers.models import Customer
    from servicefirst.scoring import services
    from servicefirst.scoring.selectors import load_model

    if sample <= 0:
        return None
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:sample])
    t0 = time.perf_counter()
    for pk in ids:
        fitted = load_model(model)  # cached after the first customer, as a server would
        services.score_one_naive(model, fitted, pk)
    elapsed = time.perf_counter() - t0
    log(quiet, f"naive: {len(ids)} customers in {elapsed:.1f} s, extrapolated to {n:,}")
    return elapsed / len(ids) * n


def insights_parts(n: int) -> dict:
    figures = {"classify_s": None, "segment_preview_p95_ms": None}
    try:
        parts = importlib.import_module("servicefirst.insights.bench_parts")
    except ModuleNotFoundError as exc:
        if exc.name != "servicefirst.insights.bench_parts":
            raise
        return figures
    if hasattr(parts, "classify_seconds"):
        figures["classify_s"] = parts.classify_seconds(n)
    if hasattr(parts, "segment_preview_p95_ms"):
        figures["segment_preview_p95_ms"] = parts.segment_preview_p95_ms()  # its own query count
    return figures


def run(n: int | None, naive: int, quiet: bool, drop: bool) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from servicefirst.core.context import request_context
    from servicefirst.customers.models import Customer
    from servicefirst.scoring import services

    call_command("migrate", verbosity=0)
    if n is None:
        n = 1_000_000 if connection.vendor == "postgresql" else 100_000
    with request_context(channel="cli"):
        product, model = ensure_model(quiet)
        log(quiet, f"customers: topping up to {n:,}…")
        total = top_up(n, quiet)
        t0 = time.perf_counter()
        scored = services.scores_refresh(actor=None, product_code=PRODUCT)
        score_s = time.perf_counter() - t0
        log(quiet, f"scored {scored:,} customers in {score_s:.1f} s ({scored / score_s:,.0f}/s)")
        naive_s = naive_seconds(product, model, naive, total, quiet)
        figures = {
            "customers": total,
            "score_s": round(score_s, 2),
            "naive_score_s": None if naive_s is None else round(naive_s, 1),
        }
        figures.update(insights_parts(total))
        if drop:
            Customer.objects.filter(source=SOURCE).delete()
    return figures


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int)
    parser.add_argument("--naive", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args(argv)
    import django

    django.setup()
    figures = run(args.n, args.naive, args.json, args.drop)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
