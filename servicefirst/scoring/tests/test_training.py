import numpy as np
import pytest

from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.scoring import features as F
from servicefirst.scoring import modeling, services
from servicefirst.scoring.models import PropensityModel, TrainingJob
from servicefirst.scoring.selectors import load_model, serving_model
from servicefirst.scoring.tasks import run_job


class NoiseClassifier:
    """A useless model: random probabilities (picklable, module level)."""

    classes_ = np.array([0, 1])

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        p = np.random.default_rng(len(X)).random(len(X))
        return np.column_stack([1 - p, p])


@pytest.fixture
def noise(monkeypatch):
    monkeypatch.setitem(modeling.ALGORITHMS, "noise", NoiseClassifier)
    return "noise"


def test_duration_is_refused_as_a_feature():
    with pytest.raises(ValueError, match="duration"):
        F.build_matrix({"age": [30], "duration": [100]})
    assert "duration" not in F.FEATURES


def test_first_version_serves_with_time_ordered_validation(history, deposit, analyst):
    model = services.model_train(actor=analyst, product_code="term-deposit")
    assert model.version == 1
    assert model.status == PropensityModel.Status.SERVING
    assert model.training_rows == 600
    assert model.validation_rows == 72  # the latest 12 %
    assert model.validation_start.month == 6  # the most recent month, not a random sample
    assert model.validation_auc > 0.6
    assert model.features == list(F.FEATURES)
    fitted = load_model(model)
    assert fitted.context["month"] == "jun"
    assert AuditEvent.objects.filter(action="model.train", object_id=str(model.pk)).exists()


def test_a_worse_model_is_refused_and_the_serving_one_kept(history, deposit, analyst, noise):
    good = services.model_train(actor=analyst, product_code="term-deposit")
    worse = services.model_train(actor=analyst, product_code="term-deposit", algorithm=noise)
    assert worse.version == 2
    assert worse.status == PropensityModel.Status.REJECTED
    assert "Not better on the latest period" in worse.status_reason
    comparison = worse.comparison
    assert comparison["promote"] is False
    assert comparison["new_auc"] < comparison["serving_auc"]
    good.refresh_from_db()
    assert good.status == PropensityModel.Status.SERVING
    assert serving_model(deposit, load=False) == good


def test_a_better_model_replaces_the_serving_one(history, deposit, analyst, noise):
    first = services.model_train(actor=analyst, product_code="term-deposit", algorithm=noise)
    assert first.status == PropensityModel.Status.SERVING
    second = services.model_train(actor=analyst, product_code="term-deposit")
    assert second.status == PropensityModel.Status.SERVING
    assert second.comparison["new_auc"] > second.comparison["serving_auc"]
    first.refresh_from_db()
    assert first.status == PropensityModel.Status.RETIRED
    assert PropensityModel.objects.filter(status="serving").count() == 1


def test_a_tampered_artifact_is_not_loaded(history, deposit):
    model = services.model_train(actor=None, product_code="term-deposit")
    PropensityModel.objects.filter(pk=model.pk).update(artifact=b"not the model")
    model.refresh_from_db()
    with pytest.raises(ValueError, match="checksum"):
        load_model(model)


def test_training_needs_history_and_permission(deposit, teller):
    with pytest.raises(PermissionDenied):
        services.model_train(actor=teller, product_code="term-deposit")
    with pytest.raises(ValidationFailed) as exc:
        services.model_train(actor=None, product_code="term-deposit")
    assert "Not enough campaign history" in exc.value.errors["product_code"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.model_train(actor=None, product_code="nope")
    assert "product_code" in exc.value.errors
    assert not PropensityModel.objects.exists()


def test_training_job_runs_in_the_background_with_progress(history, deposit, analyst):
    job = services.job_create(actor=analyst, product_code="term-deposit", kind="train")
    assert job.status == TrainingJob.Status.PENDING
    result = run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == TrainingJob.Status.DONE
    assert job.percent == 100
    assert job.model.version == result["version"] == 1
    assert job.finished_at is not None


def test_failed_training_job_says_why(deposit, analyst):
    job = services.job_create(actor=analyst, product_code="term-deposit", kind="train")
    assert run_job.call(job.pk) == {"status": "failed"}
    job.refresh_from_db()
    assert job.status == TrainingJob.Status.FAILED
    assert "Not enough campaign history" in job.message
