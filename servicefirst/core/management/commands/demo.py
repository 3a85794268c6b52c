"""`servicefirst demo`: load the demo bank (or find it already loaded) and print the logins."""

import shutil
import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from servicefirst.core.context import request_context
from servicefirst.core.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo bank 先服银行: branches, the Customer Care Center, staff in every role, "
        "products and at least 20,000 customers imported through the real importer. "
        "A second run reuses the loaded bank and prints the logins again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=15_000,
            help="synthetic Chinese customers to generate and import (default 15000)",
        )
        parser.add_argument(
            "--uci-rows",
            type=int,
            default=None,
            help="import only the first N rows of the bank telemarketing file (default: all)",
        )
        parser.add_argument(
            "--skip-uci", action="store_true", help="do not import the bank telemarketing file"
        )
        parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic data")

    def handle(self, *args, **options):
        width = max(shutil.get_terminal_size((140, 24)).columns, 120)
        console = Console(file=self.stdout, width=width)
        started = time.perf_counter()
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            with request_context(channel="cli"):
                try:
                    result = demo_load(
                        customers=options["customers"],
                        uci_rows=options["uci_rows"],
                        skip_uci=options["skip_uci"],
                        seed=options["seed"],
                        progress=progress,
                    )
                except FileNotFoundError as exc:
                    raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started

        if result.reused:
            console.print(
                f"The demo bank {result.bank.name_zh} / {result.bank.name_en} is already loaded; "
                "reusing it."
            )
        else:
            console.print(
                f"Loaded the demo bank {result.bank.name_zh} / {result.bank.name_en} "
                f"in {elapsed:.0f} s: "
                + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in result.counts.items())
            )
        console.print(f"{result.customers:,} customers in the database.")

        table = Table(title="Demo logins (one shared password)")
        for column in ("username", "password", "role", "unit", "languages", "UI"):
            table.add_column(column)
        for login in result.logins:
            table.add_row(
                login.username,
                login.password,
                ", ".join(login.roles),
                login.unit,
                ", ".join(login.languages),
                login.ui_language,
            )
        console.print(table)
