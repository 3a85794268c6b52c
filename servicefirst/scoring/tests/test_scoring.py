from decimal import Decimal

import pytest

from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.customers.models import Customer, Holding, Product
from servicefirst.customers.tests.factories import ProductFactory, make_customer
from servicefirst.scoring import selectors, services
from servicefirst.scoring.models import PropensityModel, Score, TrainingJob
from servicefirst.scoring.tasks import run_job


@pytest.fixture
def serving(history, deposit):
    return services.model_train(actor=None, product_code="term-deposit")


def serve_for(product: Product, model: PropensityModel) -> PropensityModel:
    """The same fitted model, serving another product (suitability tests)."""
    return PropensityModel.objects.create(
        product=product,
        version=1,
        algorithm=model.algorithm,
        features=model.features,
        status=PropensityModel.Status.SERVING,
        artifact=bytes(model.artifact),
        artifact_sha256=model.artifact_sha256,
    )


def test_scoring_every_customer_in_batches_with_reasons(serving, deposit, analyst):
    extra = make_customer(name_zh="王五")  # no campaign history at all
    job = services.job_create(actor=analyst, product_code="term-deposit", kind="score")
    run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == TrainingJob.Status.DONE
    assert job.processed == job.total == Customer.objects.count() == 601
    assert Score.objects.filter(product=deposit).count() == 601
    score = Score.objects.get(customer=extra, product=deposit)
    assert 0 < score.probability < 1
    assert score.model_version == 1
    # Scoring again replaces the scores rather than adding rows.
    assert services.scores_refresh(actor=None, product_code="term-deposit", batch_size=97) == 601
    assert Score.objects.filter(product=deposit).count() == 601
    reasons = [r for s in Score.objects.filter(product=deposit)[:200] for r in s.reasons]
    assert reasons
    assert all({"code", "effect"} <= set(r) for r in reasons)
    assert len(Score.objects.filter(product=deposit).first().reasons) <= 3


def test_the_previous_campaign_outcome_is_a_reason_in_words(serving, deposit):
    services.scores_refresh(actor=None, product_code="term-deposit")
    texts = {
        selectors.R.reason_text(r) for s in Score.objects.filter(product=deposit) for r in s.reasons
    }
    assert "previous campaign succeeded" in texts or "previous campaign did not succeed" in texts


def test_reasons_are_translated(serving, deposit):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert selectors.R.reason_text({"code": "prior_success"}) == "之前营销成功"
        assert selectors.R.reason_text({"code": "age_60_plus"}) == "年龄60岁及以上"


def test_scoring_needs_a_serving_model(deposit):
    with pytest.raises(ValidationFailed) as exc:
        services.scores_refresh(actor=None, product_code="term-deposit")
    assert "no serving model" in exc.value.errors["product_code"][0]


def test_naive_scoring_matches_batch_scoring(serving, deposit, history):
    model, fitted = selectors.serving_model(deposit)
    services.scores_refresh(actor=None, product_code="term-deposit")
    batch = Score.objects.get(customer=history[5], product=deposit).probability
    naive = services.score_one_naive(model, fitted, history[5].pk)
    assert naive.probability == pytest.approx(batch)


def test_next_best_offer_respects_suitability(serving, deposit, teller):
    fund = ProductFactory(code="fund", category=Product.Category.FUND, risk_level=3)
    risky = ProductFactory(code="risky", category=Product.Category.LOAN, risk_level=5)
    serve_for(fund, serving)
    serve_for(risky, serving)
    small = make_customer(name_zh="李四", risk_appetite="C3")
    nbo = selectors.next_best_offer(actor=teller, customer_id=small.pk)
    assert [o.product.code for o in nbo.offers] == ["term-deposit"]
    excluded = {p.code: why for p, why in nbo.excluded}
    assert "below" in excluded["fund"]  # a few ten-thousand yuan is no fund target
    assert "exceeds the customer's risk appetite C3" in excluded["risky"]
    offer = nbo.offers[0]
    assert 0 < offer.probability < 1
    assert offer.live

    wealthy = make_customer(name_zh="赵六", risk_appetite="C3", aum_band="500k-6m")
    nbo = selectors.next_best_offer(actor=teller, customer_id=wealthy.pk)
    assert {o.product.code for o in nbo.offers} == {"term-deposit", "fund"}
    assert nbo.offers[0].probability >= nbo.offers[1].probability

    unassessed = make_customer(name_zh="钱七", aum_band="500k-6m")
    nbo = selectors.next_best_offer(actor=teller, customer_id=unassessed.pk)
    assert [o.product.code for o in nbo.offers] == ["term-deposit"]
    assert "risk assessment" in {p.code: w for p, w in nbo.excluded}["fund"]


def test_next_best_offer_skips_products_held_and_uses_stored_scores(serving, deposit, teller):
    services.scores_refresh(actor=None, product_code="term-deposit")
    customer = Customer.objects.order_by("pk")[3]
    nbo = selectors.next_best_offer(actor=teller, customer_id=customer.pk)
    stored = Score.objects.get(customer=customer, product=deposit)
    assert nbo.offers[0].probability == pytest.approx(stored.probability)
    assert not nbo.offers[0].live
    assert all("text" in r for r in nbo.offers[0].reasons)
    Holding.objects.create(customer=customer, product=deposit, balance=Decimal("1000"))
    nbo = selectors.next_best_offer(actor=teller, customer_id=customer.pk)
    assert nbo.offers == []
    assert nbo.excluded[0][1] == "already held"


def test_next_best_offer_hides_customers_out_of_scope(serving, db):
    with pytest.raises(NotFound):
        selectors.next_best_offer(actor=None, customer_id=Customer.objects.first().pk)


def test_call_list_order_by_score(serving, deposit):
    services.scores_refresh(actor=None, product_code="term-deposit")
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:50])
    newcomer = make_customer(name_zh="孙八").pk
    ordered = selectors.call_list_order([newcomer, *ids], "term-deposit")
    probabilities = dict(
        Score.objects.filter(product=deposit).values_list("customer_id", "probability")
    )
    ranked = [probabilities[pk] for pk in ordered[:-1]]
    assert ranked == sorted(ranked, reverse=True)
    assert ordered[-1] == newcomer  # unscored customers go last
    assert sorted(ordered) == sorted([newcomer, *ids])
