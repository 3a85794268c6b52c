"""The `servicefirst` console command: Django's manage.py plus the project's own subcommands.

servicefirst migrate
servicefirst demo            # load the demo bank
servicefirst import customers FILE [--mapping NAME] [--valid-only] [--json]
servicefirst bench customers [--json]
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
