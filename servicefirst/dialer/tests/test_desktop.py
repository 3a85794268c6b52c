"""The agent desktop as an agent notices it: logging in and out, ready and paused with a
reason, the customer's record opening when a call connects (masked, audited once per call),
the script, the next best offer and "I offered it", closing the call with a disposition, notes
and a callback, the wrap-up timer, preview dialing with one key, callbacks, cancelling a call
not dialled yet — and who may use the desktop at all."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import PASSWORD, make_staff
from servicefirst.core.errors import PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.customers.models import Interaction
from servicefirst.dialer import callbacks, calls, desktop
from servicefirst.dialer.models import AgentState, Call, Callback, CallListEntry, Campaign
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.dialer.tests.desk_helpers import (
    HTMX,
    consenting_customer,
    number_callable_now,
    on_list,
    predictive_call,
    ready,
)

pytestmark = [pytest.mark.django_db]

NOON = f.TUESDAY_NOON


@pytest.fixture
def boss():
    return f.supervisor()


@pytest.fixture
def agent(boss):
    return f.agent(unit=boss.staff.unit, name="周晓兰")


@pytest.fixture
def predictive(boss, agent):
    return f.campaign(
        boss,
        name="Deposit renewal",
        mode=Campaign.Mode.PREDICTIVE,
        agents=[agent],
        script="您好，我是先服银行的客户经理……",
    )


@pytest.fixture
def web(client, agent):
    client.login(username=agent.user.username, password=PASSWORD)
    return client


def desk_html(web) -> str:
    response = web.get(reverse("dialer:agent_desk"))
    assert response.status_code == 200
    return response.content.decode()


def test_agent_logs_in_goes_ready_pauses_with_a_reason_and_logs_out(web, agent, predictive):
    html = web.get(reverse("dialer:agent")).content.decode()
    assert 'id="login-form"' in html
    assert "Deposit renewal" in html
    html = web.post(
        reverse("dialer:agent_login"),
        {"campaign": predictive.pk, "takes_inbound": "1"},
        **HTMX,
    ).content.decode()
    assert 'data-status="paused"' in html
    assert "Logged in to Deposit renewal" in html
    html = web.post(reverse("dialer:agent_status"), {"status": "ready"}, **HTMX).content.decode()
    assert 'id="agent-status" data-status="ready"' in html
    assert "Ready — waiting for a call" in html
    html = web.post(
        reverse("dialer:agent_status"), {"status": "paused", "reason": "lunch"}, **HTMX
    ).content.decode()
    assert "Paused · Lunch" in html
    state = AgentState.objects.get(staff=agent)
    assert (state.status, state.pause_reason, state.campaign) == ("paused", "lunch", predictive)
    web.post(reverse("dialer:agent_status"), {"status": "offline"}, **HTMX)
    state.refresh_from_db()
    assert state.status == AgentState.Status.OFFLINE
    assert state.campaign is None


def test_pausing_without_a_reason_is_refused_and_says_why(web, agent, predictive):
    ready(agent, predictive)
    html = web.post(reverse("dialer:agent_status"), {"status": "paused"}, **HTMX).content.decode()
    assert 'id="desk-error"' in html
    assert "Choose why you are pausing." in html
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.READY


def test_a_campaign_the_agent_is_not_on_cannot_be_joined(web, boss, agent):
    other = f.campaign(boss, name="Card upgrade", agents=[f.agent(unit=boss.staff.unit)])
    html = web.post(reverse("dialer:agent_login"), {"campaign": other.pk}, **HTMX).content.decode()
    assert "You are not an agent on this campaign." in html
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.OFFLINE


def test_the_customer_pops_up_when_a_predictive_call_connects(web, agent, predictive):
    ready(agent, predictive)
    zhang = f.customer("张三丰", phones=["+8613800138000"], gender="M")
    call = predictive_call(predictive, on_list(predictive, zhang))
    html = desk_html(web)
    assert f'id="call-panel" data-call="{call.pk}" data-state="connected"' in html
    assert "张先生" in html  # the greeting
    assert "138****8000" in html
    assert "13800138000" not in html
    assert 'id="customer-card"' in html
    assert zhang.number in html
    assert "您好，我是先服银行的客户经理" in html  # the script
    assert 'id="talk-timer"' in html
    for code in ("sale", "interested", "callback", "not_interested", "do_not_call"):
        assert f'data-code="{code}"' in html
    # Opening the customer is recorded once for the call, however often the desk refreshes.
    desk_html(web)
    views = AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW, customer_id=zhang.pk, detail__call=call.pk
    )
    assert views.count() == 1
    assert views.get().actor_id == agent.user_id


def test_closing_the_call_with_a_disposition_and_notes_lands_on_the_timeline(
    web, agent, predictive
):
    ready(agent, predictive)
    zhang = f.customer("张三丰")
    call = predictive_call(predictive, on_list(predictive, zhang))
    calls.on_ended(call.pk)  # the customer hung up: wrap-up
    html = desk_html(web)
    assert 'id="wrap-timer"' in html
    interested = predictive.dispositions.get(code="interested")
    html = web.post(
        reverse("dialer:call_close", args=[call.pk]),
        {"disposition": interested.pk, "notes": "想了解三年期利率", "then": "ready"},
        **HTMX,
    ).content.decode()
    assert "Call saved: Interested." in html
    assert "Ready — waiting for a call" in html
    call.refresh_from_db()
    assert call.state == Call.State.ENDED
    assert call.disposition == interested
    entry = Interaction.objects.get(customer=zhang, kind=Interaction.Kind.CAMPAIGN_CALL)
    assert "想了解三年期利率" in entry.summary
    assert "Interested" in entry.summary
    assert entry.campaign == predictive.crm
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.READY


def test_a_campaign_call_needs_a_disposition_and_keeps_what_was_typed(web, agent, predictive):
    ready(agent, predictive)
    call = predictive_call(predictive, on_list(predictive, f.customer()))
    calls.on_ended(call.pk)
    html = web.post(
        reverse("dialer:call_close", args=[call.pk]),
        {"notes": "客户在开车", "then": "ready"},
        **HTMX,
    ).content.decode()
    assert 'data-field="disposition"' in html
    assert "Choose how the call ended." in html
    assert "客户在开车" in html  # the notes are still there
    assert f'id="close-{call.pk}" hx-preserve' not in html  # the form shows its errors
    assert Call.objects.get(pk=call.pk).state == Call.State.WRAP_UP


def test_a_callback_for_myself_is_scheduled_from_the_close_form(web, agent, predictive):
    ready(agent, predictive)
    zhang = f.customer("张三丰")
    call = predictive_call(predictive, on_list(predictive, zhang))
    calls.on_ended(call.pk)
    when = timezone.localtime() + dt.timedelta(days=1)
    callback = predictive.dispositions.get(code="callback")
    web.post(
        reverse("dialer:call_close", args=[call.pk]),
        {
            "disposition": callback.pk,
            "notes": "明天下午再打",
            "callback_at": when.strftime("%Y-%m-%dT%H:%M"),
            "callback_for": "me",
            "then": "paused",
            "pause_reason": "break",
        },
        **HTMX,
    )
    cb = Callback.objects.get(customer=zhang)
    assert cb.assigned_to == agent
    assert cb.from_call_id == call.pk
    assert timezone.localtime(cb.due_at).strftime("%Y-%m-%d %H:%M") == when.strftime(
        "%Y-%m-%d %H:%M"
    )
    state = AgentState.objects.get(staff=agent)
    assert (state.status, state.pause_reason) == ("paused", "break")
    html = desk_html(web)
    assert 'id="callbacks-later"' in html
    assert "明天下午再打" in html


def test_a_callback_for_anyone_on_the_campaign(web, agent, predictive):
    ready(agent, predictive)
    zhang = f.customer("张三丰")
    call = predictive_call(predictive, on_list(predictive, zhang))
    when = timezone.localtime() + dt.timedelta(days=2)
    web.post(
        reverse("dialer:call_close", args=[call.pk]),
        {
            "disposition": predictive.dispositions.get(code="callback").pk,
            "callback_at": when.strftime("%Y-%m-%dT%H:%M"),
            "callback_for": "anyone",
            "then": "ready",
        },
        **HTMX,
    )
    assert Callback.objects.get(customer=zhang).assigned_to is None


def test_the_next_best_offer_with_its_reason_and_i_offered_it(web, agent, predictive):
    from servicefirst.customers.tests.factories import ProductFactory
    from servicefirst.insights.models import OfferEvent
    from servicefirst.scoring import services as scoring
    from servicefirst.scoring.tests.conftest import build_history

    deposit = ProductFactory(code="term-deposit", name_en="Term deposit", name_zh="定期存款")
    build_history(deposit, n=300)
    scoring.model_train(actor=None, product_code="term-deposit")
    ready(agent, predictive)
    zhang = f.customer("张三丰")
    call = predictive_call(predictive, on_list(predictive, zhang))
    html = desk_html(web)
    assert 'data-product="term-deposit"' in html
    assert 'id="offer-reason"' in html
    html = web.post(
        reverse("dialer:call_offer", args=[call.pk]), {"product": "term-deposit"}, **HTMX
    ).content.decode()
    assert 'id="offer-recorded"' in html
    event = OfferEvent.objects.get(customer=zhang)
    assert (event.stage, event.channel, event.staff, event.campaign) == (
        "offered",
        "phone",
        agent,
        predictive.crm,
    )
    assert 'id="offer-recorded"' in desk_html(web)  # stays recorded after a refresh


def test_a_birthday_today_is_a_care_hint(web, agent, predictive):
    from servicefirst.care.defaults import ensure_rules

    ensure_rules()
    ready(agent, predictive)
    today = timezone.localdate()
    born = today.replace(year=today.year - 40) if (today.month, today.day) != (2, 29) else None
    zhang = f.customer("张三丰", birth_date=born or dt.date(1984, 2, 29))
    predictive_call(predictive, on_list(predictive, zhang))
    html = desk_html(web)
    assert 'id="care-hints"' in html
    assert "birthday" in html


def test_the_desk_in_chinese(client, boss, predictive):
    li = f.agent(unit=boss.staff.unit, name="李娜", ui_language="zh-hans")
    predictive.agents.add(li)
    ready(li, predictive)
    predictive_call(predictive, on_list(predictive, f.customer("张三丰", gender="M")))
    client.login(username=li.user.username, password=PASSWORD)
    html = client.get(reverse("dialer:agent")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "张先生" in html
    assert "有意向" in html  # the campaign's dispositions in Chinese
    assert "不要再来电" in html


def test_another_agent_cannot_close_my_call(client, agent, predictive):
    ready(agent, predictive)
    call = predictive_call(predictive, on_list(predictive, f.customer()))
    other = f.agent()
    client.login(username=other.user.username, password=PASSWORD)
    response = client.post(
        reverse("dialer:call_close", args=[call.pk]),
        {"disposition": predictive.dispositions.first().pk},
        **HTMX,
    )
    assert response.status_code == 403
    assert Call.objects.get(pk=call.pk).state == Call.State.CONNECTED


@pytest.mark.parametrize("role", [Role.TELLER, Role.MARKETING_ANALYST, Role.COMPLIANCE_AUDITOR])
def test_staff_who_do_not_work_calls_cannot_open_the_desktop(client, role):
    staff = make_staff(role)
    client.login(username=staff.user.username, password=PASSWORD)
    assert client.get(reverse("dialer:agent")).status_code == 403
    assert client.post(reverse("dialer:agent_login"), {}).status_code == 403
    with pytest.raises(PermissionDenied):
        desktop.desktop(actor=staff.user)


def test_an_inbound_caller_who_is_not_identified(web, agent):
    ready(agent, takes_inbound=True)
    call = calls.offer_inbound(dial_key="in-unknown", caller="+8613900000001")
    state = calls.route_inbound(call)
    calls.connect(call.pk, state.pk)
    html = desk_html(web)
    assert 'id="caller-unknown"' in html
    assert "Inbound" in html


# --- preview --------------------------------------------------------------------------------


@pytest.fixture
def preview(boss, agent):
    return f.campaign(boss, name="Fund preview", mode=Campaign.Mode.PREVIEW, agents=[agent])


def test_preview_holds_the_next_customer_until_dialled(agent, preview):
    ready(agent, preview)
    zhang = f.customer("张三丰")
    li = f.customer("李秀英")
    first, _second = on_list(preview, zhang), on_list(preview, li)
    entry = desktop.preview_next(actor=agent.user, now=NOON)
    assert entry == first
    assert entry.status == CallListEntry.Status.IN_PROGRESS
    assert entry.attempts == 1
    # Asking again (a reload) gives the same customer, not the next one.
    assert desktop.preview_next(actor=agent.user, now=NOON) == first
    view = desktop.desktop(actor=agent.user, now=NOON)
    assert view.preview.entry == first
    assert view.preview.card.customer == zhang
    looks = AuditEvent.objects.filter(customer_id=zhang.pk, detail__view="agent preview")
    assert looks.count() == 1

    call = desktop.preview_dial(actor=agent.user, entry_id=first.pk, now=NOON)
    assert (call.state, call.mode, call.agent, call.entry) == ("queued", "preview", agent, first)
    state = AgentState.objects.get(staff=agent)
    assert state.status == AgentState.Status.RESERVED
    assert state.current_call == call
    assert desktop.held_entry(agent) is None  # dialled: no longer held
    view = desktop.desktop(actor=agent.user, now=NOON)
    assert view.call == call
    assert view.card.customer == zhang


def test_preview_skip_gives_the_customer_back_without_counting_an_attempt(agent, preview):
    ready(agent, preview)
    zhang = f.customer("张三丰")
    li = f.customer("李秀英")
    on_list(preview, zhang), on_list(preview, li)
    entry = desktop.preview_next(actor=agent.user, now=NOON)
    desktop.preview_skip(actor=agent.user, entry_id=entry.pk, now=NOON)
    entry.refresh_from_db()
    assert entry.status == CallListEntry.Status.SCHEDULED
    assert entry.attempts == 0
    assert entry.next_attempt_at == NOON + desktop.SKIP_DELAY
    # The next customer is the other one.
    assert desktop.preview_next(actor=agent.user, now=NOON).customer == li


def test_preview_needs_a_ready_agent_on_a_preview_campaign(agent, preview, predictive):
    on_list(preview, f.customer())
    with pytest.raises(ValidationFailed) as err:
        desktop.preview_next(actor=agent.user, now=NOON)
    assert "status" in err.value.errors  # logged out
    ready(agent, predictive)
    with pytest.raises(ValidationFailed) as err:
        desktop.preview_next(actor=agent.user, now=NOON)
    assert "campaign" in err.value.errors


def test_a_customer_who_may_not_be_called_is_never_previewed(agent, preview):
    ready(agent, preview)
    flagged = f.customer("赵三峰")
    flagged.do_not_call = True
    flagged.save()
    on_list(preview, flagged)
    assert desktop.preview_next(actor=agent.user, now=NOON) is None


def test_preview_on_the_page_with_one_key_dial(web, agent, preview):
    number = number_callable_now()
    if number is None:
        pytest.skip("a public holiday in China: the rules let nobody be called today")
    ready(agent, preview)
    zhang = consenting_customer("张三丰", phone=number)
    on_list(preview, zhang)
    html = desk_html(web)
    assert 'id="btn-preview-next" data-key="n"' in html
    html = web.post(reverse("dialer:preview_next"), **HTMX).content.decode()
    assert 'id="preview-panel"' in html
    assert 'id="btn-preview-dial" data-key="d"' in html
    assert "张三丰" in html
    entry = CallListEntry.objects.get(customer=zhang)
    html = web.post(reverse("dialer:preview_dial", args=[entry.pk]), **HTMX).content.decode()
    assert "Calling…" in html
    assert 'data-state="queued"' in html
    assert Call.objects.get(entry=entry).state == Call.State.QUEUED


def test_cancelling_a_call_not_dialled_yet_frees_the_agent_and_the_customer(agent, preview):
    ready(agent, preview)
    entry = on_list(preview, f.customer())
    desktop.preview_next(actor=agent.user, now=NOON)
    call = desktop.preview_dial(actor=agent.user, entry_id=entry.pk, now=NOON)
    desktop.request_hangup(actor=agent.user, call_id=call.pk, now=NOON)
    call.refresh_from_db()
    entry.refresh_from_db()
    assert call.state == Call.State.ENDED
    assert call.dialed_at is None
    assert entry.status == CallListEntry.Status.SCHEDULED
    assert entry.attempts == 0
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.READY


def test_hang_up_on_a_live_line_is_handed_to_the_dialer(agent, predictive):
    ready(agent, predictive)
    call = predictive_call(predictive, on_list(predictive, f.customer()))
    call = desktop.request_hangup(actor=agent.user, call_id=call.pk)
    assert call.hangup_requested_at is not None
    first = call.hangup_requested_at
    again = desktop.request_hangup(actor=agent.user, call_id=call.pk)
    assert again.hangup_requested_at == first  # pressing twice asks once


# --- callbacks ------------------------------------------------------------------------------


def test_a_due_callback_is_dialled_from_the_desk(agent, predictive):
    ready(agent, predictive)
    zhang = f.customer("张三丰")
    entry = on_list(predictive, zhang)
    cb = callbacks.callback_schedule(
        actor=agent.user,
        customer_id=zhang.pk,
        due_at=NOON,
        campaign_id=predictive.pk,
        entry_id=entry.pk,
        assigned_to_id=agent.pk,
        now=NOON - dt.timedelta(hours=3),
    )
    view = desktop.desktop(actor=agent.user, now=NOON + dt.timedelta(minutes=1))
    assert [c.pk for c in view.callbacks_due] == [cb.pk]
    assert view.callbacks_due[0].masked_phone.count("*") == 4
    call = desktop.callback_dial(
        actor=agent.user, callback_id=cb.pk, now=NOON + dt.timedelta(minutes=1)
    )
    assert (call.mode, call.state, call.customer, call.entry) == (
        "callback",
        "queued",
        zhang,
        entry,
    )
    assert AgentState.objects.get(staff=agent).status == AgentState.Status.RESERVED
    cb.refresh_from_db()
    assert cb.done_call == call


def test_a_callback_is_not_dialled_outside_the_calling_hours(agent, predictive):
    ready(agent, predictive)
    zhang = f.customer("张三丰")
    late = f.sh(2026, 12, 1, 21, 30)
    cb = callbacks.callback_schedule(
        actor=agent.user,
        customer_id=zhang.pk,
        due_at=late,
        campaign_id=predictive.pk,
        now=NOON,
    )
    with pytest.raises(ValidationFailed) as err:
        desktop.callback_dial(actor=agent.user, callback_id=cb.pk, now=late)
    assert "outside the calling hours" in str(err.value.errors["callback"])
    assert not Call.objects.exists()
