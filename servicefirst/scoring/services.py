"""Writes of the scoring app: training a product's propensity model and scoring customers.

Both run as background jobs (`tasks.py`) with progress on a `TrainingJob`; both may also be
called directly (commands, tests, the benchmark). The actor needs `customer.import` at bank
scope (the marketing analysts and operations who bring in campaign data), or is None for the
system itself.
"""

from __future__ import annotations

import io
import time

import joblib
import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.services import audit_record
from servicefirst.customers.importing import fast_insert
from servicefirst.customers.models import Customer, Product
from servicefirst.scoring import data, metrics, modeling, reasons
from servicefirst.scoring import features as F
from servicefirst.scoring.models import PropensityModel, Score, TrainingJob
from servicefirst.scoring.selectors import load_model, serving_model

MIN_ROWS = 200
MIN_POSITIVES = 10
MIN_COMPARISON_ROWS = 100
BATCH = 20_000

AUDIT_TRAIN = "model.train"
AUDIT_SCORE = "model.score"


def require_manage(actor) -> None:
    if actor is not None and scope_for(actor, Action.CUSTOMER_IMPORT) != Scope.ALL:
        raise PermissionDenied(_("You may not train or run propensity models."))


def product_by_code(product_code: str) -> Product:
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        raise ValidationFailed(
            {"product_code": [_("No product with code “%(code)s”.") % {"code": product_code}]}
        )
    return product


def serialize(model: modeling.FittedModel) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def _progress(job: TrainingJob | None, processed: int, total: int, message: str = "") -> None:
    if job is None:
        return
    job.processed, job.total = processed, total
    fields = ["processed", "total"]
    if message:
        job.message = message[:500]
        fields.append("message")
    job.save(update_fields=fields)


def _start(job: TrainingJob | None) -> None:
    if job is not None:
        job.status = TrainingJob.Status.RUNNING
        job.save(update_fields=["status"])


def _finish(job: TrainingJob | None, status: str, message: str, model=None) -> None:
    if job is None:
        return
    job.status = status
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.model = model or job.model
    if status == TrainingJob.Status.DONE:
        job.processed = job.total or job.processed
    job.save(update_fields=["status", "message", "finished_at", "model", "processed"])


def _compare(serving: PropensityModel | None, validation, X, y, ids) -> dict:
    """AUC of the new version and of the serving one on the same latest rows: those of the
    validation period the serving version never saw, or the whole period if too few."""
    if serving is None:
        return {"basis": "no serving version", "promote": True}
    try:
        old = load_model(serving)
    except ValueError as exc:
        return {"basis": f"serving version unreadable: {exc}", "promote": True}
    if tuple(old.features) != F.FEATURES:
        return {"basis": "serving version uses other features", "promote": True}
    cut = modeling.validation_cut(len(y))
    rows = np.arange(cut, len(y))
    unseen = rows[np.asarray(ids)[cut:] > serving.trained_through_id]
    basis = "validation period"
    if len(unseen) >= MIN_COMPARISON_ROWS and 0 < y[unseen].sum() < len(unseen):
        rows, basis = unseen, "validation rows unseen by the serving version"
    new_auc = metrics.auc(y[rows], validation.holdout.predict(X[rows]))
    old_auc = metrics.auc(y[rows], old.predict(X[rows]))
    promote = new_auc is not None and (old_auc is None or new_auc > old_auc)
    return {
        "basis": basis,
        "rows": len(rows),
        "serving_version": serving.version,
        "new_auc": None if new_auc is None else round(new_auc, 4),
        "serving_auc": None if old_auc is None else round(old_auc, 4),
        "promote": promote,
    }


def model_train(
    *,
    actor,
    product_code: str,
    algorithm: str = modeling.HGB,
    job: TrainingJob | None = None,
) -> PropensityModel:
    """Train a new version of the product's model from its campaign history (time-ordered
    validation on the latest period, see `modeling`). The new version serves only if its AUC
    on the latest period beats the serving version's on the same rows; otherwise it is kept
    as `rejected` with the reason."""
    require_manage(actor)
    product = product_by_code(product_code)
    if algorithm not in modeling.ALGORITHMS:
        raise ValidationFailed({"algorithm": [_("Unknown algorithm.")]})
    _start(job)
    try:
        _progress(job, 0, 4, _("Reading the campaign history…"))
        ids, occurred, columns, y = data.training_history(product)
        n, positives = len(y), int(y.sum())
        cut = modeling.validation_cut(n) if n else 0
        if n < MIN_ROWS or positives < MIN_POSITIVES or not 0 < y[cut:].sum() < n - cut:
            raise ValidationFailed(
                {
                    "product_code": [
                        _(
                            "Not enough campaign history for “%(code)s”: %(rows)d calls with "
                            "%(yes)d successes (at least %(min_rows)d calls, %(min_yes)d "
                            "successes and both outcomes in the latest period are needed)."
                        )
                        % {
                            "code": product_code,
                            "rows": n,
                            "yes": positives,
                            "min_rows": MIN_ROWS,
                            "min_yes": MIN_POSITIVES,
                        }
                    ]
                }
            )
        X = F.build_matrix(columns)
        _progress(job, 1, 4, _("Fitting and validating on the latest period…"))
        fitted, validation = modeling.fit_validated(
            algorithm, X, y, data.latest_context(columns, occurred)
        )
        _progress(job, 2, 4, _("Comparing with the serving version…"))
        comparison = _compare(serving_model(product, load=False), validation, X, y, ids)
        blob = serialize(fitted)
        _progress(job, 3, 4, _("Saving…"))
        with transaction.atomic():
            Product.objects.select_for_update().filter(pk=product.pk).first()
            version = (
                PropensityModel.objects.filter(product=product).aggregate(v=Max("version"))["v"]
                or 0
            ) + 1
            if comparison["promote"]:
                status = PropensityModel.Status.SERVING
                reason = f"Promoted: {comparison['basis']}"
                if comparison.get("serving_auc") is not None:
                    reason += (
                        f"; AUC {comparison['new_auc']:.4f} > {comparison['serving_auc']:.4f}"
                        f" of v{comparison['serving_version']}"
                    )
                PropensityModel.objects.filter(
                    product=product, status=PropensityModel.Status.SERVING
                ).update(status=PropensityModel.Status.RETIRED)
            else:
                status = PropensityModel.Status.REJECTED
                reason = (
                    f"Not better on the latest period ({comparison['basis']}, "
                    f"{comparison['rows']} rows): AUC {comparison['new_auc']} vs "
                    f"{comparison['serving_auc']} of serving v{comparison['serving_version']}"
                )
            model = PropensityModel.objects.create(
                product=product,
                version=version,
                algorithm=algorithm,
                features=list(F.FEATURES),
                trained_by=staff_of(actor),
                training_rows=n,
                positives=positives,
                trained_through_id=max(ids),
                validation_start=occurred[cut],
                validation_end=occurred[-1],
                validation_rows=validation.validation_rows,
                validation_auc=validation.auc,
                validation_alift=validation.alift,
                validation_capture_at_half=validation.capture_at_half,
                comparison=comparison,
                status=status,
                status_reason=reason[:300],
                artifact=blob,
                artifact_sha256=PropensityModel.digest(blob),
            )
            audit_record(
                actor=actor,
                action=AUDIT_TRAIN,
                object_type="propensity_model",
                object_id=model.pk,
                detail={
                    "product": product.code,
                    "version": version,
                    "status": status,
                    "rows": n,
                    "validation_auc": validation.auc,
                    "comparison": comparison,
                },
            )
    except Exception as exc:
        _finish(job, TrainingJob.Status.FAILED, _error_text(exc))
        raise
    _finish(job, TrainingJob.Status.DONE, reason, model)
    return model


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(m for messages in exc.errors.values() for m in messages)
    return str(exc) or exc.__class__.__name__


def _batches(product: Product, size: int):
    """Contiguous pk ranges of active customers, `size` at a time."""
    last = 0
    base = Customer.objects.filter(merged_into__isnull=True).order_by("pk")
    while True:
        ids = list(base.filter(pk__gt=last).values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _score(model: PropensityModel, fitted, ids: list[int]):
    """(customer ids, probabilities, reasons) for these customers, vectorised."""
    order, columns = data.customer_columns(ids, model.product, fitted.context)
    if not order:
        return [], np.zeros(0), []
    X = F.build_matrix(columns)
    p = fitted.predict(X)
    return order, p, reasons.top_reasons(fitted, X, p)


def score_batch(model: PropensityModel, fitted, ids: list[int], now=None) -> list[Score]:
    """Score these customers (vectorised) and return unsaved Score rows."""
    order, p, why = _score(model, fitted, ids)
    now = now or timezone.now()
    return [
        Score(
            customer_id=pk,
            product_id=model.product_id,
            model_version=model.version,
            probability=float(p[i]),
            reasons=why[i],
            scored_at=now,
        )
        for i, pk in enumerate(order)
    ]


def scores_refresh(
    *, actor, product_code: str, job: TrainingJob | None = None, batch_size: int = BATCH
) -> int:
    """Score every active customer for the product with its serving model, in batches; the
    scores replace the previous ones batch by batch. Returns the number of customers scored."""
    require_manage(actor)
    product = product_by_code(product_code)
    found = serving_model(product)
    if found is None:
        raise ValidationFailed(
            {"product_code": [_("“%(code)s” has no serving model yet.") % {"code": product_code}]}
        )
    model, fitted = found
    _start(job)
    total = Customer.objects.filter(merged_into__isnull=True).count()
    done = 0
    started = time.monotonic()
    try:
        _progress(job, 0, total, _("Scoring…"))
        for ids in _batches(product, batch_size):
            order, p, why = _score(model, fitted, ids)
            now = timezone.now()
            rows = [
                {
                    "customer_id": pk,
                    "product_id": product.pk,
                    "model_version": model.version,
                    "probability": float(p[i]),
                    "reasons": why[i],
                    "scored_at": now,
                }
                for i, pk in enumerate(order)
            ]
            with transaction.atomic():
                Score.objects.filter(
                    product=product, customer_id__gte=ids[0], customer_id__lte=ids[-1]
                ).delete()
                fast_insert(Score, rows)  # COPY on PostgreSQL
            done += len(rows)
            _progress(job, done, total)
        audit_record(
            actor=actor,
            action=AUDIT_SCORE,
            object_type="propensity_model",
            object_id=model.pk,
            detail={"product": product.code, "version": model.version, "customers": done},
        )
    except Exception as exc:
        _finish(job, TrainingJob.Status.FAILED, _error_text(exc))
        raise
    _finish(
        job,
        TrainingJob.Status.DONE,
        _("%(n)d customers scored with version %(v)d in %(s).1f s.")
        % {"n": done, "v": model.version, "s": time.monotonic() - started},
        model,
    )
    return done


def score_one_naive(model: PropensityModel, fitted, customer_id: int) -> Score:
    """The naive baseline of the benchmark: one customer through the ORM at a time."""
    rows = score_batch(model, fitted, [customer_id])
    score = rows[0]
    Score.objects.update_or_create(
        customer_id=customer_id,
        product_id=model.product_id,
        defaults={
            "model_version": score.model_version,
            "probability": score.probability,
            "reasons": score.reasons,
            "scored_at": score.scored_at,
        },
    )
    return score


def job_create(*, actor, product_code: str, kind: str) -> TrainingJob:
    """Register a training or scoring job; the caller enqueues the task after commit."""
    require_manage(actor)
    product = product_by_code(product_code)
    if kind not in TrainingJob.Kind.values:
        raise ValidationFailed({"kind": [_("Unknown job kind.")]})
    return TrainingJob.objects.create(kind=kind, product=product, created_by=staff_of(actor))
