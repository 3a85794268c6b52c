"""`servicefirst token create USERNAME [--name NAME] [--days N]`: an API bearer token, shown once."""

from django.core.management.base import BaseCommand, CommandError

from servicefirst.accounts.models import Staff
from servicefirst.accounts.services import token_create


class Command(BaseCommand):
    help = "Create an API token for a member of staff (printed once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=90, help="validity in days (0 = no expiry)")

    def handle(self, *args, **options):
        staff = Staff.objects.filter(user__username=options["username"]).first()
        if staff is None:
            raise CommandError(f"No member of staff has the login {options['username']!r}.")
        self.stdout.write(
            token_create(staff=staff, name=options["name"], days=options["days"] or None)
        )
