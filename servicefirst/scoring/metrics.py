"""Ranking metrics for propensity models, as used by Moro, Cortez and Rita (2014).

- **AUC**: area under the ROC curve (ties counted half), 0.5 = random.
- **ALIFT**: area under the cumulative LIFT (gains) curve with both axes normalised to [0, 1]
  (x: share of the customers called, best-scored first; y: share of all successes reached),
  as in Moro et al. and their rminer package. Random ordering gives 0.5; a perfect ordering
  gives 1 − p/2, p being the success rate. (Rescaled to (A − A_random)/(A_ideal − A_random)
  it would equal the Gini coefficient 2·AUC − 1, so we report the paper's unscaled area.)
- **capture_at_half**: the share of all successes found among the best-scored half of the
  customers (Moro et al.: 79 % on the bank's private data).

All three return None when the labels hold a single class.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def _valid(y: np.ndarray) -> bool:
    return y.size > 0 and 0 < int(y.sum()) < y.size


def auc(y, p) -> float | None:
    y = np.asarray(y)
    return float(roc_auc_score(y, p)) if _valid(y) else None


def _ordered(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    # Best-scored first; stable, so ties keep file order.
    return y[np.argsort(-np.asarray(p, dtype=float), kind="stable")]


def alift(y, p) -> float | None:
    y = np.asarray(y, dtype=float)
    if not _valid(y):
        return None
    gains = np.concatenate([[0.0], np.cumsum(_ordered(y, p)) / y.sum()])
    x = np.linspace(0.0, 1.0, gains.size)
    return float(np.sum((gains[1:] + gains[:-1]) * np.diff(x)) / 2.0)


def capture_at_half(y, p) -> float | None:
    y = np.asarray(y, dtype=float)
    if not _valid(y):
        return None
    half = int(np.ceil(y.size / 2))
    return float(_ordered(y, p)[:half].sum() / y.sum())


def summary(y, p) -> dict:
    def r(v):
        return None if v is None else round(v, 4)

    return {
        "auc": r(auc(y, p)),
        "alift": r(alift(y, p)),
        "capture_at_half": r(capture_at_half(y, p)),
    }
