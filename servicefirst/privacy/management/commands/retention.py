"""`servicefirst retention [--dry-run | --apply] [--as-of DATE] [--grace-days N] [--enqueue]`:
the data-retention job. Without --apply it only lists the erasure candidates (masked); with
--apply it anonymises them one by one, reporting progress; with --enqueue the background
workers do it (`servicefirst db_worker`)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from servicefirst.core.context import request_context
from servicefirst.privacy import selectors, services

SHOWN = 50


class Command(BaseCommand):
    help = "List (default) or anonymise (--apply) customers whose data retention has ended."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="Only list (the default).")
        mode.add_argument("--apply", action="store_true", help="Anonymise the candidates.")
        mode.add_argument("--enqueue", action="store_true", help="Let a worker apply it.")
        parser.add_argument("--as-of", help="Date (YYYY-MM-DD) or date-time; default now.")
        parser.add_argument(
            "--grace-days", type=int, help="Days after the last withdrawal (default: setting)."
        )

    def _as_of(self, value: str | None) -> datetime.datetime | None:
        if not value:
            return None
        try:
            when = datetime.datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--as-of: not a date: {value!r}") from exc
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        return when

    def handle(self, *args, apply=False, enqueue=False, as_of=None, grace_days=None, **opts):
        when = self._as_of(as_of)
        if enqueue:
            from servicefirst.privacy.tasks import retention_apply

            result = retention_apply.enqueue(
                as_of=when.isoformat() if when else None, grace_days=grace_days
            )
            self.stdout.write(f"Enqueued the retention job (task {result.id}).")
            return
        with request_context(channel="cli"):
            if not apply:
                candidates = selectors.erasure_candidates(when, grace_days)
                total = candidates.count()
                for customer in candidates.prefetch_related("phones")[:SHOWN]:
                    masked = selectors.masked_customer(customer)
                    withdrawn = customer.last_withdrawn_at
                    self.stdout.write(
                        f"{masked.number}  {masked.name or '-'}  {masked.phone or '-'}  "
                        f"consent withdrawn {withdrawn:%Y-%m-%d}"
                    )
                if total > SHOWN:
                    self.stdout.write(f"… and {total - SHOWN} more")
                self.stdout.write(
                    f"{total} customer(s) may be anonymised (dry run: nothing changed; "
                    f"--apply to anonymise)."
                )
                return

            def progress(done: int, total: int) -> None:
                self.stderr.write(f"  {done}/{total} customers")

            result = services.retention_run(
                actor=None, apply=True, as_of=when, grace_days=grace_days, progress=progress
            )
        self.stdout.write(
            f"Anonymised {result['anonymised']} of {result['candidates']} candidate(s)"
            + (
                f"; {result['skipped']} skipped (hold or no longer eligible)."
                if result["skipped"]
                else "."
            )
        )
