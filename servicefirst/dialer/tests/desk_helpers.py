"""Builders for the agent-desktop, board and click-to-dial tests.

Pages call the services without a `now`, so a page test that dials must use a number the
rules let us call at the real moment the test runs: `number_callable_now` picks one in a
time zone where it is daytime (Shanghai, London, New York or Honolulu cover the clock), with
an hour to spare. On a Chinese public holiday nobody may be called anywhere (the rules use
China's calendar); it then returns None."""

import datetime as dt
import itertools

from django.db.models import F
from django.utils import timezone

from servicefirst.customers.models import Consent
from servicefirst.customers.tests.factories import make_customer
from servicefirst.dialer import agents, compliance, lists
from servicefirst.dialer.models import AgentState, CallListEntry, Campaign

ZONES = (("+86138", 8), ("+447911", 6), ("+1212555", 4), ("+1808234", 4))
_seq = itertools.count(1000)
HTMX = {"HTTP_HX_REQUEST": "true"}


def number_callable_now(policy: compliance.Policy | None = None) -> str | None:
    policy = policy or compliance.Policy()
    n = next(_seq)
    now = timezone.now()
    for prefix, digits in ZONES:
        number = f"{prefix}{n % 10**digits:0{digits}d}"
        contact = compliance.Contact(
            customer_id=0, phone=number, phone_consent=True, marketing_consent=True
        )
        if all(
            compliance.may_dial(contact, [], policy, t) for t in (now, now + dt.timedelta(hours=1))
        ):
            return number
    return None


def consenting_customer(name="王五", *, phone: str, **data):
    c = make_customer(name_zh=name, phones=[phone], **data)
    for kind in (Consent.Kind.PHONE, Consent.Kind.MARKETING):
        Consent.objects.create(customer=c, kind=kind, source="开户表格")
    return c


def on_list(campaign: Campaign, customer) -> CallListEntry:
    return CallListEntry.objects.create(
        campaign=campaign,
        customer=customer,
        phone=customer.phones.first().e164,
        source=CallListEntry.Source.HAND,
    )


def ready(staff, campaign: Campaign | None = None, *, takes_inbound: bool = False) -> AgentState:
    agents.agent_login(
        actor=staff.user,
        campaign_id=campaign.pk if campaign else None,
        takes_inbound=takes_inbound,
    )
    return agents.agent_set_status(actor=staff.user, status=AgentState.Status.READY)


def predictive_call(campaign: Campaign, entry: CallListEntry, at=None):
    """Drive one predictive call as the dialer process does, up to the agent: written DIALING,
    ringing, answered by a person, an agent reserved, put through. Returns the call."""
    from servicefirst.dialer import calls

    at = at or timezone.now() - dt.timedelta(seconds=10)
    # The dialer's claim: one more attempt, the entry being called.
    CallListEntry.objects.filter(pk=entry.pk).update(
        status=CallListEntry.Status.IN_PROGRESS, attempts=F("attempts") + 1, last_call_at=at
    )
    call = calls.queue_outbound(entries=[entry], mode="predictive", at=at)[0]
    calls.on_ringing(call.pk, at=at + dt.timedelta(seconds=1))
    calls.on_answered(call.pk, at=at + dt.timedelta(seconds=8))
    state = agents.claim_agent(campaign_id=campaign.pk, at=at + dt.timedelta(seconds=8))
    assert state is not None, "no agent was ready"
    return calls.connect(call.pk, state.pk, at=at + dt.timedelta(seconds=9))


def claim(campaign: Campaign, now) -> CallListEntry:
    return lists.claim_entries(campaign, 1, now=now)[0]
