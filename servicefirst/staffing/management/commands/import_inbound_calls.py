"""`manage.py import_inbound_calls [--file PATH] [--json] [--as USER]`: the real bank call-centre
month (../shared/datasets/callcenter/) imported as inbound call records; see
servicefirst/staffing/history.py for how each row becomes a call. Safe to run again: calls
already imported are skipped, and a run that stopped halfway is completed."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from servicefirst.core.context import request_context
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.staffing import history


class Command(BaseCommand):
    help = (
        "Import a bank call centre's call-by-call month (the Technion 'Anonymous Bank' format) "
        "as inbound calls. Default file: DATASETS_DIR/callcenter/"
        "data_anonymous_bank_february.txt, else ../shared/datasets/callcenter/ next to the "
        "checkout."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default="", help="The tab-separated call file.")
        parser.add_argument(
            "--json", action="store_true", help="Print the counts as one JSON object on stdout."
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Login of the supervisor acting (default: the system).",
        )

    def handle(self, *args, file, json, username, **options):
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No login “{username}”.")
        path = file or history.default_file()
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
            task = bar.add_task(f"Importing {path}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total or None)

            try:
                result = history.import_inbound_history(path, actor=actor, progress=progress)
            except (PermissionDenied, ValidationFailed) as exc:
                raise CommandError(str(exc)) from exc
        if json:
            self.stdout.write(_json_dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.source}: {result.rows} rows → {result.created} calls imported, "
            f"{result.already_imported} already there; dropped {result.phantom} phantom rows "
            f"and {result.vru_only} calls that hung up in the VRU; {result.no_talk_time} "
            f"answered calls without a reliable talk time; {result.seconds:.1f} s."
        )


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
