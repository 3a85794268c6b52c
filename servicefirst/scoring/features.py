"""The one feature builder used by training, scoring and the backtest.

Only what the bank knows BEFORE a contact goes in: the customer's profile (age, occupation,
marital status, education, credit situation, wealth bands, products already held), earlier
campaigns (previous contacts, days since the last one, its outcome), how and when the contact
is made (contact type, month, day of the week, contacts so far in this campaign) and the
economic context of the period. The call's `duration` is known only after the call: it is
never read here (`FORBIDDEN`).

Everything is columnar: `build_matrix(columns)` takes a dict of equal-length sequences keyed
by `RAW_COLUMNS` and returns a float matrix (categoricals as small integer codes, unknown →
NaN), ready for `HistGradientBoostingClassifier(categorical_features=CATEGORICAL_MASK)`.
The same columns come from a UCI file (`columns_from_uci_rows`) or from the database
(`servicefirst.scoring.selectors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

FORBIDDEN = frozenset({"duration", "y"})

JOBS = (
    "admin.",
    "blue-collar",
    "entrepreneur",
    "housemaid",
    "management",
    "retired",
    "self-employed",
    "services",
    "student",
    "technician",
    "unemployed",
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

CATEGORIES: dict[str, tuple[str, ...]] = {
    "job": JOBS,
    "marital": ("married", "single", "divorced", "widowed"),
    "education": (
        "illiterate",
        "basic.4y",
        "basic.6y",
        "basic.9y",
        "high.school",
        "professional.course",
        "university.degree",
    ),
    "default": ("no", "yes"),
    "housing": ("no", "yes"),
    "loan": ("no", "yes"),
    "contact": ("cellular", "telephone"),
    "month": MONTHS,
    "day_of_week": WEEKDAYS,
    "poutcome": ("nonexistent", "failure", "success"),
    "aum_band": ("lt50k", "50k-500k", "500k-6m", "gt6m"),
    "income_band": ("lt50k", "50k-100k", "100k-300k", "300k-1m", "gt1m"),
}
NUMERIC = (
    "age",
    "campaign",
    "pdays",
    "previous",
    "products_held",
    "emp.var.rate",
    "cons.price.idx",
    "cons.conf.idx",
    "euribor3m",
    "nr.employed",
)
FEATURES: tuple[str, ...] = NUMERIC + tuple(CATEGORIES)
RAW_COLUMNS = FEATURES
CATEGORICAL_MASK = np.array([name in CATEGORIES for name in FEATURES])
INDEX = {name: i for i, name in enumerate(FEATURES)}
# The same for every customer contacted in a period: the month, the weekday and the economy.
CONTEXT = (
    "month",
    "day_of_week",
    "emp.var.rate",
    "cons.price.idx",
    "cons.conf.idx",
    "euribor3m",
    "nr.employed",
)

# Features explained together, in words staff understand (see `reasons.py`).
GROUPS: dict[str, tuple[str, ...]] = {
    "age": ("age",),
    "job": ("job",),
    "marital": ("marital",),
    "education": ("education",),
    "prior": ("previous", "pdays", "poutcome"),
    "contact": ("contact",),
    "timing": ("month", "day_of_week"),
    "economy": ("emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed"),
    "credit": ("default", "housing", "loan", "products_held"),
    "wealth": ("aum_band", "income_band"),
    "campaign": ("campaign",),
}

# The UCI file's job names; customers from elsewhere are placed by their nature of work.
WORK_NATURE_TO_JOB = {
    "retired": "retired",
    "student": "student",
    "unemployed": "unemployed",
    "household": "housemaid",
    "self_employed": "self-employed",
    "business_owner": "entrepreneur",
}


def _codes(values: Sequence, vocab: tuple[str, ...]) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    out = np.full(arr.shape[0], np.nan)
    for code, value in enumerate(vocab):
        out[arr == value] = code
    return out


def build_matrix(columns: dict[str, Sequence]) -> np.ndarray:
    """The model matrix (rows × FEATURES) from raw columns. Missing columns are all-unknown."""
    forbidden = FORBIDDEN & set(columns)
    if forbidden:
        raise ValueError(f"not known before the contact: {sorted(forbidden)}")
    n = len(next(iter(columns.values()))) if columns else 0
    matrix = np.full((n, len(FEATURES)), np.nan)
    for j, name in enumerate(FEATURES):
        values = columns.get(name)
        if values is None:
            continue
        if name in CATEGORIES:
            matrix[:, j] = _codes(values, CATEGORIES[name])
        else:
            matrix[:, j] = np.asarray(values, dtype=float)
    return matrix


def columns_from_uci_rows(rows: Iterable[dict]) -> tuple[dict[str, list], np.ndarray]:
    """Raw columns and labels (1 = subscribed) from rows of a UCI bank-additional file.
    `duration` is dropped; pdays 999 means "never contacted" and becomes missing."""
    columns: dict[str, list] = {name: [] for name in FEATURES}
    labels: list[int] = []
    for row in rows:
        for name in FEATURES:
            if name == "products_held":
                value = (row.get("housing") == "yes") + (row.get("loan") == "yes")
            elif name in ("aum_band", "income_band"):
                value = None
            else:
                value = row.get(name)
                if name == "pdays" and str(value) == "999":
                    value = None
            columns[name].append(value)
        labels.append(1 if row.get("y") == "yes" else 0)
    return columns, np.asarray(labels, dtype=np.int8)


def read_uci_file(path) -> tuple[dict[str, list], np.ndarray]:
    """A UCI bank-marketing CSV (semicolon-separated, quoted) as columns and labels."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        return columns_from_uci_rows(reader)


def take(columns: dict[str, list], index) -> dict[str, list]:
    """Rows `index` (a slice or index array) of every column."""
    if isinstance(index, slice):
        return {k: v[index] for k, v in columns.items()}
    return {k: [v[i] for i in index] for k, v in columns.items()}


def concat(a: dict[str, list], b: dict[str, list]) -> dict[str, list]:
    return {k: list(a[k]) + list(b[k]) for k in a}


def baseline_row(matrix: np.ndarray) -> np.ndarray:
    """The population baseline used to explain scores: the median of each numeric feature and
    the most frequent code of each categorical (NaN when a column is all unknown)."""
    base = np.full(matrix.shape[1], np.nan)
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        known = column[~np.isnan(column)]
        if known.size == 0:
            continue
        if CATEGORICAL_MASK[j]:
            values, counts = np.unique(known, return_counts=True)
            base[j] = values[np.argmax(counts)]
        else:
            base[j] = float(np.median(known))
    return base
