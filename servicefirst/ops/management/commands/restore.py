"""`servicefirst restore PATH [--force]`: restore a backup made by `servicefirst backup` into
the configured database. The checksum in the manifest is verified first; a database that is
not empty is refused unless --force; row counts are compared with the manifest afterwards.
Stop the web servers and workers first. See servicefirst/ops/backup.py."""

from django.core.management.base import BaseCommand, CommandError

from servicefirst.core.context import request_context
from servicefirst.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup (made by `servicefirst backup`) into the configured database."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file (its .manifest.json beside it).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that is not empty.",
        )

    def handle(self, *args, path, force=False, **options):
        with request_context(channel="cli"):
            try:
                result = backup_restore(path=path, force=force, progress=self.stderr.write)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        total = sum(result.row_counts.get(t, 0) for t in result.manifest.get("row_counts", {}))
        if result.counts_match:
            self.stdout.write(
                f"Restored {result.path.name} (made {result.manifest.get('created_at')}): "
                f"row counts match the manifest ({len(result.manifest.get('row_counts', {}))} "
                f"tables, {total} rows)."
            )
            return
        lines = [
            f"  {table}: manifest {expected}, restored {actual}"
            for table, (expected, actual) in result.mismatches.items()
        ]
        raise CommandError(
            f"Restored {result.path.name}, but the row counts differ from the manifest:\n"
            + "\n".join(lines)
        )
