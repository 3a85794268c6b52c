"""`servicefirst import customers FILE [--mapping NAME] [--valid-only] [--json] [--as USER]`."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from servicefirst.core.context import request_context
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.customers.importing import import_customers
from servicefirst.customers.mappings import MAPPINGS


class Command(BaseCommand):
    help = (
        "Import a customer file (CSV or XLSX, UTF-8 or GBK). By default a file with any bad "
        "row is rejected and nothing is written. Mappings: " + ", ".join(MAPPINGS) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["customers"], help="What to import.")
        parser.add_argument("file", help="The CSV or XLSX file.")
        parser.add_argument(
            "--mapping",
            default="customers",
            choices=list(MAPPINGS),
            help="Column mapping: "
            + "; ".join(f"{name} = {m.label}" for name, m in MAPPINGS.items())
            + " (default: customers).",
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Import the valid rows and report the bad ones (default: all or nothing).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print one JSON object {"created", "updated", "unchanged", "errors"} on stdout.',
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Login of the member of staff acting (default: the system).",
        )

    def handle(self, *args, what, file, mapping, valid_only, json, username, **options):
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No login “{username}”.")
        err = Console(stderr=True)
        with (
            request_context(channel="cli"),
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                transient=True,
                disable=options.get("verbosity", 1) == 0,
            ) as bar,
        ):
            task = bar.add_task(f"Importing {file}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total or None)

            try:
                result = import_customers(
                    actor=actor,
                    path=file,
                    mapping=mapping,
                    valid_only=valid_only,
                    progress=progress,
                )
            except (PermissionDenied, ValidationFailed) as exc:
                raise CommandError(str(exc)) from exc
        if json:
            self.stdout.write(_json_dumps(result.as_dict()))
        else:
            self._report(result)
        if result.rejected:
            raise CommandError(
                f"Rejected: {result.bad_lines} bad row(s); nothing was imported. "
                "Fix them, or use --valid-only to import the others.",
                returncode=1,
            )

    def _report(self, result) -> None:
        out = Console(file=self.stdout, soft_wrap=True)
        out.print(
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, bad rows {result.bad_lines}"
        )
        if result.errors:
            table = Table("line", "field", "message")
            for e in result.errors[:200]:
                table.add_row(str(e.line), e.field, e.message)
            out.print(table)
            if len(result.errors) > 200:
                out.print(f"… and {len(result.errors) - 200} more; use --json for all of them.")


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
