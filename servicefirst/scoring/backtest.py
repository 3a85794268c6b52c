"""The backtest behind `servicefirst insights backtest`: replay a later campaign file month by
month, as the product would live through it. No database.

1. Train on the whole history file.
2. Cut the replay file into month blocks in file order (a block ends where the `month` value
   changes; the file is in time order).
3. For each block: score it with the current model BEFORE looking at its outcomes, measure,
   then add the block (with its outcomes) to the training data and refit.

The same is done, in the same run, for the logistic-regression baseline. Per block and overall
(all replayed rows pooled) it reports AUC, ALIFT and capture_at_half (see `metrics`).
"""

from __future__ import annotations

import numpy as np

from servicefirst.scoring import features as F
from servicefirst.scoring import metrics, modeling

MODELS = {"model": modeling.HGB, "baseline": modeling.LOGISTIC}


def month_blocks(months: list) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(months) + 1):
        if i == len(months) or months[i] != months[start]:
            blocks.append((start, i))
            start = i
    return blocks


def backtest(history: tuple[dict, np.ndarray], replay: tuple[dict, np.ndarray], progress=None):
    """`history` and `replay` are (columns, labels) from `features.read_uci_file`. Returns
    `{"overall": {...}, "blocks": [{"rows", "month", "positives", "model", "baseline"}]}`."""
    h_cols, h_y = history
    r_cols, r_y = replay
    if len(h_y) == 0 or len(r_y) == 0:
        raise ValueError("both the history and the replay file need rows")
    X_train = F.build_matrix(h_cols)
    y_train = np.asarray(h_y)
    X_replay = F.build_matrix(r_cols)
    y_replay = np.asarray(r_y)
    pooled = {name: np.zeros(len(y_replay)) for name in MODELS}
    blocks = []
    spans = month_blocks(list(r_cols["month"]))
    for number, (a, b) in enumerate(spans, 1):
        block = {"rows": b - a, "month": r_cols["month"][a], "positives": int(y_replay[a:b].sum())}
        for name, algorithm in MODELS.items():
            estimator = modeling.fit(algorithm, X_train, y_train)
            p = modeling.raw_proba(estimator, X_replay[a:b])
            pooled[name][a:b] = p
            block[name] = metrics.summary(y_replay[a:b], p)
        blocks.append(block)
        X_train = np.vstack([X_train, X_replay[a:b]])
        y_train = np.concatenate([y_train, y_replay[a:b]])
        if progress:
            progress(number, len(spans))
    overall = {name: metrics.summary(y_replay, pooled[name]) for name in MODELS}
    return {"overall": overall, "blocks": blocks}


def split_file(path, at: int) -> tuple[tuple[dict, np.ndarray], tuple[dict, np.ndarray]]:
    """One UCI file as (history = its first `at` rows, replay = the rest)."""
    columns, labels = F.read_uci_file(path)
    if not 0 < at < len(labels):
        raise ValueError(f"--split-at must be between 1 and {len(labels) - 1}")
    return (F.take(columns, slice(0, at)), labels[:at]), (
        F.take(columns, slice(at, None)),
        labels[at:],
    )
