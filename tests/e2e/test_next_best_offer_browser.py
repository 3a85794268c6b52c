"""Browser: the next best offer card on the Customer 360 (loaded by htmx), with the reasons in
words and the products held back by suitability."""

import pytest
from playwright.sync_api import expect

from servicefirst.customers.models import Product
from servicefirst.customers.tests.factories import ProductFactory
from servicefirst.scoring import services
from servicefirst.scoring.tests.conftest import build_history

pytestmark = pytest.mark.browser


@pytest.fixture
def serving(e2e_customers):
    deposit = ProductFactory(code="term-deposit", name_en="Term deposit", name_zh="定期存款")
    build_history(deposit, n=400)
    model = services.model_train(actor=None, product_code="term-deposit")
    fund = ProductFactory(
        code="equity-fund",
        name_en="Equity fund",
        name_zh="股票基金",
        category=Product.Category.FUND,
        risk_level=4,
    )
    # The same fitted model serves the fund too: the card must still hold it back.
    services.PropensityModel.objects.create(
        product=fund,
        version=1,
        algorithm=model.algorithm,
        features=model.features,
        status="serving",
        artifact=bytes(model.artifact),
        artifact_sha256=model.artifact_sha256,
    )
    return model


def test_next_best_offer_card_on_the_customer_360(page, live_server, e2e_customers, serving, login):
    zhang = e2e_customers["张三丰"]
    login(page, "teller")
    page.goto(f"{live_server.url}/customers/{zhang.pk}/")
    card = page.locator("#offer-card")
    expect(card).to_be_visible()
    offer = card.locator(".offer").first
    expect(offer).to_have_attribute("data-product", "term-deposit")
    expect(offer).to_contain_text("Term deposit")
    expect(offer.locator(".offer-probability")).to_contain_text("%")
    expect(offer.locator(".offer-reasons li").first).to_be_visible()
    # Risk appetite not assessed: the R4 fund is not offered, and the card says why.
    expect(card.locator("#not-offered")).to_contain_text("Equity fund")
    expect(card.locator("#not-offered")).to_contain_text("risk assessment")
    assert card.locator(".offer[data-product=equity-fund]").count() == 0
