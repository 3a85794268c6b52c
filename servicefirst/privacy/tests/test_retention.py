"""Data retention: erasure candidates, anonymisation (statistics intact, personal data gone,
legal holds respected, idempotent, audit-logged), the command, the task and the page."""

import datetime
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import CharField, Count, JSONField, Sum, TextField
from django.urls import reverse
from django.utils import timezone

from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.fields import decrypt
from servicefirst.customers.models import Customer, CustomerPhone, Holding, Interaction
from servicefirst.privacy import selectors, services
from servicefirst.privacy.models import AnonymisationRecord, LegalHold
from servicefirst.privacy.plan import ERASED, PLAN
from servicefirst.servicedesk.models import RequestNote, ServiceRequest

# Fields anonymisation replaces, and the bookkeeping it touches; everything else must stay.
REPLACED = {
    (target.model.lower(), name)
    for target in PLAN
    for name in [*target.fields, *(target.per_row or {})]
}
BOOKKEEPING = {("customers.customer", "updated_at"), ("customers.customer", "version")}


def _label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}".lower()


def everything_but_personal_data() -> dict:
    """Every row of every table of the product's apps (bar the audit log and retention's own
    records), every column except those anonymisation replaces: the input of any statistic."""
    state = {}
    for model in apps.get_models():
        config = model._meta.app_config
        if not config.name.startswith("servicefirst.") or config.label in ("core", "privacy"):
            continue
        label = _label(model)
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if (label, f.name) not in REPLACED and (label, f.name) not in BOOKKEEPING
        ]
        state[label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def free_text() -> dict:
    """Every text column of every table: what personal data would live in."""
    state = {}
    for model in apps.get_models():
        if not model._meta.app_config.name.startswith("servicefirst."):
            continue
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, CharField | TextField | JSONField)
        ]
        if columns and model._meta.app_label not in ("core", "privacy"):
            state[_label(model)] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def statistics() -> dict:
    """The figures the reports are made of: customers per segment, holdings per product,
    timeline entries per kind, requests per status and category."""
    return {
        "customers": list(
            Customer.objects.values("home_branch__code", "value_tier", "lifecycle", "aum_band")
            .annotate(n=Count("pk"))
            .order_by("home_branch__code", "value_tier", "lifecycle", "aum_band")
        ),
        "holdings": list(
            Holding.objects.values("product__code", "status")
            .annotate(n=Count("pk"), total=Sum("balance"))
            .order_by("product__code", "status")
        ),
        "interactions": list(
            Interaction.objects.values("kind", "channel").annotate(n=Count("pk")).order_by("kind")
        ),
        "requests": list(
            ServiceRequest.objects.values("status", "category__code", "kind")
            .annotate(n=Count("pk"))
            .order_by("status")
        ),
        "phones": CustomerPhone.objects.count(),
    }


# --- candidates -----------------------------------------------------------------------------


def test_candidates_withdrew_everything_past_grace_no_hold_no_open_request(bank):
    # when
    candidates = set(selectors.erasure_candidates())

    # then
    assert candidates == {bank.gone}


def test_grace_days_and_as_of_move_the_line(bank):
    later = timezone.now() + datetime.timedelta(days=25)
    assert set(selectors.erasure_candidates(later)) == {bank.gone, bank.recent}
    assert set(selectors.erasure_candidates(grace_days=5)) == {bank.gone, bank.recent}
    assert set(selectors.erasure_candidates(grace_days=90)) == set()


def test_grace_days_default_from_settings(bank, settings):
    settings.RETENTION_GRACE_DAYS = 5
    assert set(selectors.erasure_candidates()) == {bank.gone, bank.recent}


def test_a_released_hold_and_a_closed_request_no_longer_protect(bank):
    services.legal_hold_release(
        actor=bank.staff.auditor.user, hold_id=LegalHold.objects.get(customer=bank.held).pk
    )
    ServiceRequest.objects.filter(customer=bank.open_request).update(status="closed")
    assert set(selectors.erasure_candidates()) == {bank.gone, bank.held, bank.open_request}


# --- anonymisation --------------------------------------------------------------------------


def test_anonymise_replaces_personal_data_and_keeps_the_rows(bank):
    gone = bank.gone
    assert decrypt(gone.id_number_encrypted)  # given: an identity number at rest

    # when
    record = services.anonymise_customer(actor=bank.staff.auditor.user, customer=gone)

    # then
    gone.refresh_from_db()
    assert (gone.name_zh, gone.name_latin, gone.pinyin_full, gone.pinyin_initials) == ("",) * 4
    assert (gone.id_number_encrypted, gone.id_number_hash, gone.id_number_last4) == ("",) * 3
    assert (gone.email, gone.home_address, gone.employer) == ("", "", "")
    assert gone.display_name == gone.number
    assert gone.id_type == "resident"
    assert gone.value_tier == "affluent"
    phones = list(gone.phones.values_list("e164", flat=True))
    assert len(phones) == 1
    assert "13800138000" not in phones[0]
    assert set(gone.interactions.values_list("summary", flat=True)) == {""}
    assert gone.interactions.count() == 3  # two entries and the request's
    assert set(gone.tasks.values_list("title", flat=True)) == {ERASED}
    req = ServiceRequest.objects.get(pk=bank.closed_request.pk)
    assert (req.subject, req.description, req.resolution) == (ERASED, "", "")
    assert set(RequestNote.objects.filter(request=req).values_list("body", flat=True)) == {ERASED}
    assert gone.holdings.count() == 2
    assert gone.consents.count() == 2
    # and nothing in any text column of the database still names or reaches them
    text = repr(free_text())
    for personal in ("张三丰", "13800138000", "zhang.sanfeng", "建国路", "武当", "张先生"):
        assert personal not in text, personal
    assert record.customer_id == gone.pk
    assert record.fields["customers.Customer.name_zh"] == 1
    assert record.fields["customers.CustomerPhone.e164"] == 1
    assert record.fields["customers.Interaction.summary"] == 3
    assert record.by == bank.staff.auditor


def test_statistics_are_identical_before_and_after(bank):
    # given
    stats, rest = statistics(), everything_but_personal_data()
    totals = {row["product__code"]: row["total"] for row in stats["holdings"]}
    assert totals["dep1y"] == Decimal("51200.50")

    # when
    result = services.retention_run(apply=True)

    # then
    assert result == {"candidates": 1, "anonymised": 1, "skipped": 0, "applied": True}
    assert statistics() == stats
    assert everything_but_personal_data() == rest
    assert Customer.objects.get(pk=bank.gone.pk).name_zh == ""


def test_anonymise_is_idempotent(bank):
    auditor = bank.staff.auditor.user
    first = services.anonymise_customer(actor=auditor, customer=bank.gone)
    text, events = free_text(), AuditEvent.objects.count()

    # when
    again = services.anonymise_customer(actor=auditor, customer=bank.gone.pk)

    # then
    assert again.pk == first.pk
    assert free_text() == text
    assert AuditEvent.objects.count() == events
    assert AnonymisationRecord.objects.count() == 1
    assert selectors.erasure_candidates().count() == 0


def test_anonymise_writes_an_audit_event(bank):
    services.anonymise_customer(actor=bank.staff.admin.user, customer=bank.gone)

    event = AuditEvent.objects.get(action=AuditEvent.Action.ANONYMISE)
    assert event.customer_id == bank.gone.pk
    assert event.actor_username == "admin"
    assert "customers.Customer.name_zh" in event.detail["fields"]
    assert event.detail["rows"] >= 10


def test_legal_hold_refuses_anonymisation_with_a_clear_message(bank):
    before = free_text()

    with pytest.raises(ValidationFailed) as exc:
        services.anonymise_customer(actor=bank.staff.auditor.user, customer=bank.held)

    assert "legal hold" in exc.value.text()
    assert "诉讼 2026-17" in exc.value.text()
    assert free_text() == before
    assert not AnonymisationRecord.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ANONYMISE).exists()


def test_job_skips_a_customer_held_after_the_list_was_read(bank):
    services.legal_hold_place(
        actor=bank.staff.auditor.user, customer_id=bank.gone.pk, reason="监管调查"
    )
    result = services.retention_run(apply=True)
    assert result["anonymised"] == 0
    assert Customer.objects.get(pk=bank.gone.pk).name_zh == "张三丰"


def test_only_if_candidate_refuses_a_customer_still_consenting(bank):
    with pytest.raises(ValidationFailed, match="no longer a candidate"):
        services.anonymise_customer(
            actor=bank.staff.auditor.user, customer=bank.consenting, only_if_candidate=True
        )


def test_only_compliance_and_administrators_may_anonymise_or_hold(bank):
    for member in (bank.staff.teller, bank.staff.bm, bank.staff.agent):
        with pytest.raises(PermissionDenied):
            services.anonymise_customer(actor=member.user, customer=bank.gone)
        with pytest.raises(PermissionDenied):
            services.legal_hold_place(actor=member.user, customer_id=bank.gone.pk, reason="x")
    assert Customer.objects.get(pk=bank.gone.pk).name_zh == "张三丰"


def test_holds_are_placed_once_released_and_audited(bank):
    auditor = bank.staff.auditor.user
    hold = services.legal_hold_place(actor=auditor, customer_id=bank.gone.pk, reason="诉讼")
    with pytest.raises(ValidationFailed, match="already under a legal hold"):
        services.legal_hold_place(actor=auditor, customer_id=bank.gone.pk, reason="again")
    with pytest.raises(ValidationFailed) as exc:
        services.legal_hold_place(actor=auditor, customer_id=bank.recent.pk, reason=" ")
    assert "reason" in exc.value.errors

    services.legal_hold_release(actor=auditor, hold_id=hold.pk)
    with pytest.raises(ValidationFailed, match="already released"):
        services.legal_hold_release(actor=auditor, hold_id=hold.pk)

    actions = list(
        AuditEvent.objects.filter(customer_id=bank.gone.pk, action__startswith="privacy.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditEvent.Action.LEGAL_HOLD_PLACE, AuditEvent.Action.LEGAL_HOLD_RELEASE]


def test_plan_names_real_models_and_fields(db):
    for target in PLAN:
        model = apps.get_model(target.model)
        for name in [*target.fields, *(target.per_row or {})]:
            model._meta.get_field(name)
        model._default_manager.filter(**{target.customer_path: 0}).exists()


# --- command and task -----------------------------------------------------------------------


def test_command_dry_run_lists_masked_and_changes_nothing(bank):
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert bank.gone.number in text
    assert "张**" in text
    assert "张三丰" not in text
    assert "1 customer(s) may be anonymised" in text
    assert Customer.objects.get(pk=bank.gone.pk).name_zh == "张三丰"


def test_command_apply_anonymises_with_progress(bank):
    out, err = io.StringIO(), io.StringIO()
    call_command("retention", "--apply", "--grace-days", "5", stdout=out, stderr=err)
    assert "Anonymised 2 of 2" in out.getvalue()
    assert "2/2 customers" in err.getvalue()
    assert AnonymisationRecord.objects.count() == 2
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ANONYMISE).first()
    assert event.actor_username == "system"
    assert event.channel == "cli"


def test_task_applies_the_job(bank):
    from servicefirst.privacy.tasks import retention_apply

    result = retention_apply.call()
    assert result["anonymised"] == 1
    assert AuditEvent.objects.get(action=AuditEvent.Action.ANONYMISE).channel == "task"


# --- the page -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_page_for_compliance_and_administrators_shows_masked_candidates(bank, client, who):
    client.force_login(getattr(bank.staff, who).user)
    response = client.get(reverse("privacy:retention"))
    assert response.status_code == 200
    html = response.content.decode()
    assert bank.gone.number in html
    assert "张**" in html
    assert "张三丰" not in html
    assert "13800138000" not in html
    assert bank.held.number in html  # the open hold
    assert reverse("privacy:retention") in html  # the menu entry


@pytest.mark.parametrize("who", ["teller", "bm", "agent"])
def test_page_is_not_there_for_other_roles(bank, client, who):
    client.force_login(getattr(bank.staff, who).user)
    assert client.get(reverse("privacy:retention")).status_code == 404
    assert client.post(reverse("privacy:anonymise"), {"customer": bank.gone.pk}).status_code == 404
    assert Customer.objects.get(pk=bank.gone.pk).name_zh == "张三丰"
    assert reverse("privacy:retention") not in client.get(reverse("home")).content.decode()


def test_page_needs_a_login(bank, client):
    response = client.get(reverse("privacy:retention"))
    assert response.status_code == 302


def test_page_places_and_releases_holds_and_anonymises_the_selected(bank, client):
    client.force_login(bank.staff.auditor.user)
    response = client.post(
        reverse("privacy:hold_place"),
        {"customer": bank.recent.number, "reason": "法院调取"},
        follow=True,
    )
    assert "Legal hold placed" in response.content.decode()
    hold = LegalHold.objects.get(customer=bank.recent, released_at__isnull=True)
    client.post(reverse("privacy:hold_release", args=[hold.pk]))
    hold.refresh_from_db()
    assert hold.released_at is not None

    response = client.post(
        reverse("privacy:anonymise"),
        {"customer": [bank.gone.pk, bank.held.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Anonymised 1 customer" in html
    assert "legal hold" in html
    assert Customer.objects.get(pk=bank.gone.pk).name_zh == ""
    assert Customer.objects.get(pk=bank.held.pk).name_zh == "孙七"
