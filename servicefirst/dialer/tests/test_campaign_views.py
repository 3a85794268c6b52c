"""The campaign pages and API: who may open them, creating and editing a campaign (errors
naming the field, nothing saved), dispositions, the campaign page with its masked call list,
adding customers by hand, by file and from a segment, removing them, starting and pausing,
the do-not-call list page, and the JSON API."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.services import token_create
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.models import AuditEvent
from servicefirst.dialer import lists
from servicefirst.dialer.models import CallListEntry, Campaign, Disposition, DoNotCall
from servicefirst.dialer.tests import campaign_factories as f

pytestmark = [pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


def as_user(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def boss(db):
    return f.supervisor(name="周主管")


@pytest.fixture
def li(db):
    return f.agent(name="李小龙")


@pytest.fixture
def camp(boss, li):
    return f.campaign(boss, agents=[li], name="定期续存")


def form_data(**overrides):
    data = {
        "name": "信用卡分期",
        "mode": "predictive",
        "abandon_cap": "2.5",
        "max_attempts": "4",
        "retry_no_answer_hours": "3",
        "retry_busy_hours": "1",
        "retry_machine_hours": "24",
        "window_start": "09:30",
        "window_end": "20:00",
        "ring_timeout_s": "25",
        "purpose": "分期推荐",
        "script": "您好，我是先服银行……",
    }
    data.update(overrides)
    return data


# --- who may open what --------------------------------------------------------------------------


def test_the_campaign_pages_are_for_the_contact_centre(client, boss, li, camp):
    url = reverse("dialer:campaign_list")
    page = as_user(client, boss).get(url)
    assert page.status_code == 200
    assert 'id="new-campaign"' in page.content.decode()
    assert "定期续存" in page.content.decode()
    agent_page = as_user(client, li.user).get(url).content.decode()
    assert "定期续存" in agent_page
    assert 'id="new-campaign"' not in agent_page
    assert as_user(client, li.user).get(reverse("dialer:campaign_new")).status_code == 403
    teller = make_staff(Role.TELLER).user
    assert as_user(client, teller).get(url).status_code == 403
    stranger = f.agent()
    assert (
        as_user(client, stranger.user)
        .get(reverse("dialer:campaign_detail", args=[camp.pk]))
        .status_code
        == 404
    )


def test_the_list_shows_status_progress_and_abandonment_against_the_cap(client, boss, camp):
    x = f.customer()
    for _ in range(3):
        f.call(
            x, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), outcome="answered", campaign=camp
        )
    f.call(
        x, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), outcome="abandoned", campaign=camp
    )
    page = as_user(client, boss).get(reverse("dialer:campaign_list")).content.decode()
    assert 'data-status="active"' in page
    assert 'data-abandon="24h" data-over="1"' in page  # 25% > 3%
    assert "25.0%" in page
    assert "3.0%" in page


# --- create and edit ----------------------------------------------------------------------------


def test_a_supervisor_creates_a_campaign(client, boss, li):
    response = as_user(client, boss).post(
        reverse("dialer:campaign_new"), form_data(agents=[str(li.pk)])
    )
    c = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dialer:campaign_detail", args=[c.pk])
    assert (c.name, c.mode, str(c.abandon_cap), c.ring_timeout_s) == (
        "信用卡分期",
        "predictive",
        "0.025",
        25,
    )
    assert (c.window_start, c.window_end) == (dt.time(9, 30), dt.time(20, 0))
    assert list(c.agents.all()) == [li]
    assert c.dispositions.count() == 7


def test_errors_are_named_on_the_form_and_nothing_is_saved(client, boss):
    response = as_user(client, boss).post(
        reverse("dialer:campaign_new"),
        form_data(abandon_cap="5", ring_timeout_s="10", window_start="21:00", window_end="09:00"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="campaign-errors"' in page
    assert 'data-error-for="abandon_cap"' in page
    assert "3%" in page
    assert 'data-error-for="ring_timeout_s"' in page
    assert "15 seconds" in page
    assert 'data-error-for="window_end"' in page
    assert 'value="信用卡分期"' in page  # what was typed is kept
    assert not Campaign.objects.exists()


def test_editing_a_campaign_and_its_dispositions(client, boss, camp):
    client = as_user(client, boss)
    page = client.get(reverse("dialer:campaign_edit", args=[camp.pk])).content.decode()
    assert 'value="定期续存"' in page
    assert 'data-disposition="not_interested"' in page
    response = client.post(
        reverse("dialer:campaign_edit", args=[camp.pk]),
        form_data(name="定期续存（二期）", agents=[str(a.pk) for a in camp.agents.all()]),
    )
    assert response.status_code == 302
    camp.refresh_from_db()
    assert (camp.name, camp.crm.name) == ("定期续存（二期）", "定期续存（二期）")
    sale = Disposition.objects.get(campaign=camp, code="sale")
    client.post(
        reverse("dialer:disposition_edit", args=[camp.pk, sale.pk]),
        {
            f"d{sale.pk}-{k}": v
            for k, v in {
                "code": "sale",
                "kind": "sale",
                "label_zh": "成功办理",
                "label_en": "Sold",
                "sort_order": "10",
            }.items()
        },
    )
    sale.refresh_from_db()
    assert sale.label_zh == "成功办理"
    bad = client.post(
        reverse("dialer:disposition_add", args=[camp.pk]),
        {"new-code": "sale", "new-kind": "other", "new-label_zh": "x", "new-label_en": "x"},
    )
    assert bad.status_code == 422
    assert "already has a disposition" in bad.content.decode()
    client.post(
        reverse("dialer:disposition_add", args=[camp.pk]),
        {
            "new-code": "sms",
            "new-kind": "other",
            "new-label_zh": "已发短信",
            "new-label_en": "SMS sent",
            "new-is_final": "on",
        },
    )
    assert Disposition.objects.get(campaign=camp, code="sms").is_final


# --- the campaign page ---------------------------------------------------------------------------


def test_the_call_list_shows_masked_names_and_phones_and_records_the_look(client, boss, camp):
    c = f.customer("欧阳娜娜", phones=["13800138000"])
    lists.entries_add_customers(actor=boss, campaign_id=camp.pk, customer_ids=[c.pk])
    page = (
        as_user(client, boss)
        .get(reverse("dialer:campaign_detail", args=[camp.pk]))
        .content.decode()
    )
    assert "138****8000" in page
    assert "13800138000" not in page
    assert "欧阳娜娜" not in page
    assert c.number in page
    assert 'data-count="total">1<' in page
    assert AuditEvent.objects.filter(customer_id=c.pk, detail__drilldown="call_list").exists()


def test_hand_picking_customers(client, boss, camp):
    ok = f.customer("张三丰", phones=["13800138000"])
    no_consent = f.customer("张无忌", consents=[])
    client = as_user(client, boss)
    results = client.get(reverse("dialer:pick_search", args=[camp.pk]), {"q": "张"}, **HTMX)
    html = results.content.decode()
    assert f'value="{ok.pk}"' in html
    assert "138****8000" in html
    assert "张三丰" not in html
    response = client.post(
        reverse("dialer:entries_customers", args=[camp.pk]),
        {"customer_ids": [ok.pk, no_consent.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Added 1 customers" in page
    assert "No consent to phone calls: 1" in page
    assert list(CallListEntry.objects.values_list("customer_id", flat=True)) == [ok.pk]
    again = client.get(reverse("dialer:pick_search", args=[camp.pk]), {"q": "张三丰"}, **HTMX)
    assert "on the list" in again.content.decode()


def test_a_file_with_bad_rows_is_refused_row_by_row(client, boss, camp):
    good = f.customer("甲")
    client = as_user(client, boss)
    upload = SimpleUploadedFile(
        "名单.csv", f"客户号\n{good.number}\nC0000009999\n".encode(), content_type="text/csv"
    )
    response = client.post(reverse("dialer:entries_file", args=[camp.pk]), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="file-errors"' in page
    assert "row 3: unknown customer number C0000009999." in page
    assert not CallListEntry.objects.exists()
    upload = SimpleUploadedFile("名单.csv", f"客户号\n{good.number}\n".encode())
    response = client.post(
        reverse("dialer:entries_file", args=[camp.pk]), {"file": upload}, follow=True
    )
    assert "Added 1 customers" in response.content.decode()


def test_adding_a_segment(client, boss, camp):
    from servicefirst.insights.models import Segment

    f.customer("甲", lifecycle="current")
    segment = Segment.objects.create(
        name="Current", definition=[{"field": "lifecycle", "op": "in", "value": ["current"]}]
    )
    client = as_user(client, boss)
    page = client.get(reverse("dialer:campaign_detail", args=[camp.pk])).content.decode()
    assert f'value="{segment.pk}"' in page
    response = client.post(
        reverse("dialer:entries_segment", args=[camp.pk]), {"segment": segment.pk}, follow=True
    )
    assert "Added 1 customers" in response.content.decode()


def test_removing_an_entry_with_htmx(client, boss, camp):
    a, b = f.customer("甲"), f.customer("乙")
    lists.entries_add_customers(actor=boss, campaign_id=camp.pk, customer_ids=[a.pk, b.pk])
    entry = CallListEntry.objects.get(customer=a)
    response = as_user(client, boss).post(
        reverse("dialer:entry_remove", args=[camp.pk, entry.pk]), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-total="1"' in html
    assert f'data-entry="{entry.pk}"' not in html
    entry.refresh_from_db()
    assert entry.status == CallListEntry.Status.REMOVED
    removed = as_user(client, boss).get(
        reverse("dialer:campaign_entries", args=[camp.pk]), {"status": "removed"}, **HTMX
    )
    assert f'data-entry="{entry.pk}"' in removed.content.decode()


def test_starting_and_pausing(client, boss, li):
    c = f.campaign(boss, status=Campaign.Status.DRAFT)
    client = as_user(client, boss)
    page = client.get(reverse("dialer:campaign_detail", args=[c.pk])).content.decode()
    assert 'id="campaign-start"' in page
    assert 'id="campaign-pause"' not in page
    response = client.post(
        reverse("dialer:campaign_status", args=[c.pk]), {"action": "start"}, follow=True
    )
    assert "Add at least one agent" in response.content.decode()
    c.agents.add(li)
    response = client.post(
        reverse("dialer:campaign_status", args=[c.pk]), {"action": "start"}, follow=True
    )
    page = response.content.decode()
    assert 'data-status="active"' in page
    assert 'id="campaign-pause"' in page
    client.post(reverse("dialer:campaign_status", args=[c.pk]), {"action": "pause"})
    c.refresh_from_db()
    assert c.status == Campaign.Status.PAUSED
    assert (
        as_user(client, li.user)
        .post(reverse("dialer:campaign_status", args=[c.pk]), {"action": "start"})
        .status_code
        == 403
    )


# --- the do-not-call list -------------------------------------------------------------------------


def test_the_do_not_call_list_page(client, boss):
    f.customer("甲", phones=["13800138000"])
    client = as_user(client, boss)
    url = reverse("dialer:dnc_list")
    response = client.post(
        url, {"phone": "138 0013 8000", "reason": "request", "note": "来电要求"}, follow=True
    )
    page = response.content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page
    dnc = DoNotCall.objects.get()
    bad = client.post(url, {"phone": "123", "reason": "request"})
    assert bad.status_code == 422
    assert 'data-error-for="phone"' in bad.content.decode()
    assert 'data-dnc="' in client.get(url, {"q": "13800138000"}).content.decode()
    assert 'id="dnc-empty"' in client.get(url, {"q": "13900000000"}).content.decode()
    response = client.post(reverse("dialer:dnc_remove", args=[dnc.pk]), {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    client.post(reverse("dialer:dnc_remove", args=[dnc.pk]), {"reason": "客户书面同意"})
    dnc.refresh_from_db()
    assert not dnc.is_active()
    assert 'id="dnc-empty"' in client.get(url).content.decode()
    assert (
        f'data-dnc="{dnc.pk}" data-active="0"' in client.get(url, {"ended": "1"}).content.decode()
    )


def test_auditors_read_the_do_not_call_list_agents_do_not(client):
    auditor = make_staff(Role.COMPLIANCE_AUDITOR).user
    page = as_user(client, auditor).get(reverse("dialer:dnc_list"))
    assert page.status_code == 200
    assert 'id="dnc-add"' not in page.content.decode()
    assert (
        as_user(client, auditor)
        .post(reverse("dialer:dnc_list"), {"phone": "13800138000", "reason": "other"})
        .status_code
        == 403
    )
    assert as_user(client, f.agent().user).get(reverse("dialer:dnc_list")).status_code == 403


# --- the API ---------------------------------------------------------------------------------------


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(staff=user.staff, name='test')}"}


def api(name, *args):
    return reverse(f"api:{name}", args=args)


def test_the_api_creates_starts_fills_and_reads_a_campaign(client, boss, li):
    auth = bearer(boss)
    response = client.post(
        api("create_campaign"),
        {
            "name": "API campaign",
            "mode": "preview",
            "abandon_cap": "0.02",
            "agents": [li.pk],
            "window_start": "10:00",
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["abandon_cap"], body["window_start"], body["agents"]) == (
        "draft",
        0.02,
        "10:00",
        [li.pk],
    )
    assert {d["code"] for d in body["dispositions"]} >= {"sale", "do_not_call"}
    cid = body["id"]
    ok, flagged = f.customer("甲"), f.customer("乙", do_not_call=True)
    added = client.post(
        api("add_entries", cid),
        {"customer_ids": [ok.pk, flagged.pk]},
        content_type="application/json",
        **auth,
    ).json()
    assert added == {"source": "hand", "added": 1, "already": 0, "excluded": {"do_not_call": 1}}
    started = client.post(
        api("set_status", cid), {"action": "start"}, content_type="application/json", **auth
    )
    assert started.json()["status"] == "active"
    listed = client.get(api("list_campaigns"), **auth).json()
    assert [
        (c["id"], c["progress"]["total"], c["abandonment"]["last_24h"]["rate"]) for c in listed
    ] == [(cid, 1, 0.0)]
    detail = client.get(api("get_campaign", cid), **auth).json()
    assert detail["progress"]["by_status"] == {"pending": 1}
    patched = client.patch(
        api("update_campaign", cid), {"ring_timeout_s": 30}, content_type="application/json", **auth
    )
    assert patched.json()["ring_timeout_s"] == 30


def test_the_api_names_bad_fields_and_checks_permissions(client, boss, li):
    response = client.post(
        api("create_campaign"),
        {"name": "x", "mode": "preview", "ring_timeout_s": 5, "abandon_cap": "0.5"},
        content_type="application/json",
        **bearer(boss),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"ring_timeout_s", "abandon_cap"}
    denied = client.post(
        api("create_campaign"),
        {"name": "x", "mode": "preview"},
        content_type="application/json",
        **bearer(li.user),
    )
    assert denied.status_code == 403
    assert client.get(api("get_campaign", 999999), **bearer(boss)).status_code == 404


# --- the admin -------------------------------------------------------------------------------------


def test_the_admin_shows_campaigns_lists_and_calls_read_only_and_masked(client, boss, camp):
    c = f.customer("甲", phones=["13800138000"])
    lists.entries_add_customers(actor=boss, campaign_id=camp.pk, customer_ids=[c.pk])
    entry = CallListEntry.objects.get()
    made = f.call(c, at=dt.datetime.now(dt.UTC), campaign=camp, entry=entry)
    admin_user = make_staff(Role.ADMINISTRATOR).user
    client = as_user(client, admin_user)
    for url in (
        reverse("admin:dialer_campaign_change", args=[camp.pk]),
        reverse("admin:dialer_calllistentry_changelist"),
        reverse("admin:dialer_calllistentry_change", args=[entry.pk]),
        reverse("admin:dialer_call_changelist"),
        reverse("admin:dialer_call_change", args=[made.pk]),
        reverse("admin:dialer_donotcall_changelist"),
        reverse("admin:dialer_callback_changelist"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert "13800138000" not in html, url
        assert 'name="_save"' not in html, url  # read-only
    assert "138****8000" in client.get(reverse("admin:dialer_call_changelist")).content.decode()
    assert client.get(reverse("admin:dialer_campaign_add")).status_code == 403
