"""Real telemarketing call lengths, for the telephony simulator and the dialer benchmark.

The UCI Bank Marketing file records, for every call a Portuguese bank's agents made, how long
the customer stayed on the line (`duration`, seconds). A call of 0 s never reached a
conversation, so only durations > 0 are kept: they are the talk times of answered calls.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from django.conf import settings


def bank_marketing_file() -> Path:
    return Path(settings.DATASETS_DIR) / "bank-marketing" / "bank-additional-train.csv"


@functools.cache
def talk_durations(path: str | None = None) -> tuple[float, ...]:
    """Every positive call duration (seconds) in the file, in file order."""
    source = Path(path) if path else bank_marketing_file()
    if not source.exists():
        raise FileNotFoundError(
            f"The bank telemarketing file is not at {source}: set DATASETS_DIR in the settings."
        )
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        if "duration" not in (reader.fieldnames or []):
            raise ValueError(f"{source} has no 'duration' column.")
        values = []
        for line, row in enumerate(reader, start=2):
            try:
                seconds = float(row["duration"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{source}, line {line}: duration {row['duration']!r}") from exc
            if seconds > 0:
                values.append(seconds)
    return tuple(values)
