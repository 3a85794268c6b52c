"""`servicefirst backup [--output PATH]`: back the configured database up (PostgreSQL: pg_dump
custom format; SQLite: the online backup API) with a manifest next to it. Progress goes to
stderr; the backup's path is the one line on stdout. See servicefirst/ops/backup.py."""

from django.core.management.base import BaseCommand, CommandError

from servicefirst.core.context import request_context
from servicefirst.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the configured database (with a manifest: checksum, migrations, row counts)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="File to write, or a directory for the default name "
            "(default: settings.BACKUP_DIR, var/backups/).",
        )

    def handle(self, *args, output=None, **options):
        with request_context(channel="cli"):
            try:
                result = backup_create(output=output, progress=self.stderr.write)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(str(result.path))
