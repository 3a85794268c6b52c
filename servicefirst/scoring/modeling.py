"""Fitting propensity models: a gradient-boosting model with a calibrated probability, and
the logistic-regression baseline. Pure numpy/scikit-learn, no database.

`fit_validated(X, y)` is the training recipe (time-ordered): the rows are in time order; the
last `VALIDATION_SHARE` of them (the most recent period) are held out, a model is fitted on
the earlier rows and its AUC measured on the held-out period; a sigmoid (Platt) calibration
is fitted on the held-out predictions; then the model is refitted on all the rows and served
with that calibration.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from servicefirst.scoring import features as F
from servicefirst.scoring import metrics

VALIDATION_SHARE = 0.12
HGB = "hist_gradient_boosting"
LOGISTIC = "logistic_regression"


class FillEmptyColumns(BaseEstimator, TransformerMixin):
    """Columns with no known value at all in training become 0 (the binning of
    HistGradientBoosting cannot handle an all-missing numeric column)."""

    def fit(self, X, y=None):
        self.empty_ = np.isnan(X).all(axis=0)
        return self

    def transform(self, X):
        X = np.array(X, dtype=float, copy=True)
        X[:, self.empty_] = 0.0
        return X


def make_hgb():
    return make_pipeline(
        FillEmptyColumns(),
        HistGradientBoostingClassifier(
            categorical_features=F.CATEGORICAL_MASK,
            learning_rate=0.05,
            max_iter=200,
            max_leaf_nodes=8,
            min_samples_leaf=100,
            l2_regularization=1.0,
            random_state=0,
        ),
    )


def make_logistic():
    """The baseline: one-hot categoricals, standard-scaled numerics (median-imputed, with a
    missing-value indicator), L2 logistic regression."""
    categorical = np.where(F.CATEGORICAL_MASK)[0]
    numeric = np.where(~F.CATEGORICAL_MASK)[0]
    columns = ColumnTransformer(
        [
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1, keep_empty_features=True),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                numeric,
            ),
        ]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=2000))


ALGORITHMS = {HGB: make_hgb, LOGISTIC: make_logistic}


def fit(algorithm: str, X: np.ndarray, y: np.ndarray):
    estimator = ALGORITHMS[algorithm]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        estimator.fit(X, y)
    return estimator


def raw_proba(estimator, X: np.ndarray) -> np.ndarray:
    # One OpenMP thread: on this 2-core machine the threaded tree predictor is several
    # times slower than a single thread (thread start-up per tree outweighs the work).
    with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return estimator.predict_proba(X)[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass
class FittedModel:
    """What is serialized into `PropensityModel.artifact`."""

    algorithm: str
    features: tuple[str, ...]
    estimator: object
    calibration: tuple[float, float] = (1.0, 0.0)  # p = sigmoid(a·logit(raw) + b)
    baseline: np.ndarray = field(default_factory=lambda: np.zeros(0))
    context: dict = field(default_factory=dict)  # the latest period's month and economy

    def predict(self, X: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * _logit(raw_proba(self.estimator, X)) + b)))


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if not 0 < y.sum() < y.size:
        return (1.0, 0.0)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw).reshape(-1, 1), y)
    return (float(lr.coef_[0, 0]), float(lr.intercept_[0]))


@dataclass
class Validation:
    rows: int
    validation_rows: int
    auc: float | None
    alift: float | None
    capture_at_half: float | None
    holdout: object  # the model fitted on the earlier rows only


def validation_cut(n: int) -> int:
    return n - max(1, int(round(n * VALIDATION_SHARE)))


def fit_validated(algorithm: str, X: np.ndarray, y: np.ndarray, context: dict | None = None):
    """(served FittedModel, Validation) — see the module docstring."""
    cut = validation_cut(len(y))
    holdout = fit(algorithm, X[:cut], y[:cut])
    raw_valid = raw_proba(holdout, X[cut:])
    y_valid = y[cut:]
    scores = metrics.summary(y_valid, raw_valid)
    final = fit(algorithm, X, y)
    model = FittedModel(
        algorithm=algorithm,
        features=F.FEATURES,
        estimator=final,
        calibration=_platt(raw_valid, y_valid),
        baseline=F.baseline_row(X[cut:]),
        context=context or {},
    )
    validation = Validation(
        rows=len(y),
        validation_rows=len(y_valid),
        auc=scores["auc"],
        alift=scores["alift"],
        capture_at_half=scores["capture_at_half"],
        holdout=FittedModel(algorithm, F.FEATURES, holdout, model.calibration),
    )
    return model, validation
