#!/usr/bin/env python
"""The customer benchmark as a script: the same code as `servicefirst bench customers`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_bench python bench/customers.py --n 1000000 --json

Options: --n N (default 1,000,000 on PostgreSQL, 100,000 on SQLite), --queries Q (300),
--scan-queries S (60), --json (print only the JSON object), --search-only (reuse the last
full run), --force. The import is compared with PostgreSQL's raw COPY of the same rows into
indexed copies of the customer tables (`copy_rows_per_s`, the ratio's baseline) and, shown
too, a COPY of the file into a bare text table (`copy_bare_rows_per_s`). See bench/README.md.
"""

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A benchmark runs on a throwaway database: development keys are fine unless set.
    os.environ.setdefault("SERVICEFIRST_DEV", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["servicefirst", "bench", "customers", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
