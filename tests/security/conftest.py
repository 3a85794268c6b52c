"""The fixture bank for the security tests: the demo bank (small), loaded once for the whole
tests/security package inside one transaction that is rolled back at the end, plus one object
of every kind the pages and the API take an id of.

- `sec_bank.users[role]`: one login per role (the demo's, branch roles at branch A, bj-cy);
- `sec_bank.ids[key]`: the id (or code, token) an URL argument is filled with — objects of
  branch A where an object belongs to a branch;
- `sec_bank.owner[key]`: the unit (and relationship manager) owning that object, so the walk
  knows whether a unit-scoped role may see it;
- `sec_bank.other[key]`: the same kinds at branch B (sh-pd), for the object-level tests;
- `sec_bank.customer`: a customer of branch A with a known phone and identity number
  (`PHONE`, `ID_NUMBER`), relationship manager rm.bj.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.db import transaction

from servicefirst.accounts.models import Role, Staff, Unit

PHONE = "13812345678"
PHONE_MASKED = "138****5678"
ID_NUMBER_BIRTH = datetime.date(1980, 5, 17)

# The demo's login for each role (branch roles at bj-cy, branch A).
USERNAMES = {
    Role.TELLER: "teller.bj",
    Role.LOBBY_MANAGER: "lobby.bj",
    Role.BRANCH_MANAGER: "bm.bj",
    Role.RELATIONSHIP_MANAGER: "rm.bj",
    Role.CC_AGENT: "agent1",
    Role.CC_SUPERVISOR: "supervisor",
    Role.MARKETING_ANALYST: "analyst",
    Role.BACK_OFFICE: "backoffice",
    Role.COMPLIANCE_AUDITOR: "auditor",
    Role.ADMINISTRATOR: "admin",
}
BRANCH_A, BRANCH_B = "bj-cy", "sh-pd"


@dataclass
class SecurityBank:
    users: dict = field(default_factory=dict)  # role -> User
    staff: dict = field(default_factory=dict)  # role -> Staff
    units: dict = field(default_factory=dict)  # code -> Unit
    ids: dict = field(default_factory=dict)  # key -> url value (branch A objects)
    owner: dict = field(default_factory=dict)  # key -> {"unit": id, "rm": id}
    other: dict = field(default_factory=dict)  # key -> object of branch B
    customer: object = None
    id_number: str = ""


def _first(qs):
    return qs.order_by("pk").first()


def _build(tmp_path) -> SecurityBank:
    from django.test import override_settings

    from servicefirst.core.demo import demo_load
    from servicefirst.customers.tests.factories import make_customer, resident_id

    # Small: enough of every kind, quick to load.
    with override_settings(VAR_DIR=tmp_path):
        demo_load(customers=60, skip_uci=True, var_dir=tmp_path)

    bank = SecurityBank()
    bank.units = {u.code: u for u in Unit.objects.all()}
    a, b = bank.units[BRANCH_A], bank.units[BRANCH_B]
    for role, username in USERNAMES.items():
        staff = Staff.objects.select_related("user", "unit").get(user__username=username)
        bank.staff[role], bank.users[role] = staff, staff.user
    rm = bank.staff[Role.RELATIONSHIP_MANAGER]

    bank.id_number = resident_id(ID_NUMBER_BIRTH, seq=321)
    bank.customer = make_customer(
        name_zh="安全测",
        phones=[PHONE],
        id_number=bank.id_number,
        home_branch=a,
        relationship_manager=rm,
    )
    ids, owner, _other = bank.ids, bank.owner, bank.other
    ids["customer"] = bank.customer.pk
    owner["customer"] = {"unit": a.pk, "rm": rm.pk}
    ids["branch"] = a.code
    owner["branch"] = {"unit": a.pk}
    ids["unit"] = a.code
    owner["unit"] = {"unit": a.pk}
    _top_up(bank, a, b)
    _pick_objects(bank, a, b)
    return bank


def _choice(model, field: str):
    return model._meta.get_field(field).choices[0][0]


def _top_up(bank: SecurityBank, a: Unit, b: Unit) -> None:
    """One object of each kind the demo does not make (or not at both branches)."""
    import datetime as dt

    from django.utils import timezone

    from servicefirst.customers.models import ImportJob, Product
    from servicefirst.dialer.models import Call, Callback, CallListEntry, Campaign, DoNotCall
    from servicefirst.floor.models import Appointment, Service
    from servicefirst.insights.models import ClassificationJob, OutreachList, Segment
    from servicefirst.scoring.models import TrainingJob
    from servicefirst.servicedesk.models import RequestTransfer, ServiceRequest

    now = timezone.now()
    back_office = bank.staff[Role.BACK_OFFICE]
    analyst = bank.staff[Role.MARKETING_ANALYST]
    agent = bank.staff[Role.CC_AGENT]
    customer = bank.customer
    if not ImportJob.objects.exists():
        ImportJob.objects.create(
            created_by=back_office, file_name="c.csv", file_path="/nonexistent", mapping="customers"
        )
    segment = Segment.objects.order_by("pk").first() or Segment.objects.create(
        name="安全测试", definition=[], created_by=analyst
    )
    if not OutreachList.objects.exists():
        OutreachList.objects.create(
            segment=segment,
            purpose=_choice(OutreachList, "purpose"),
            channel=_choice(OutreachList, "channel"),
            created_by=analyst,
        )
    if not ClassificationJob.objects.exists():
        ClassificationJob.objects.create(created_by=analyst)
    if not TrainingJob.objects.exists():
        TrainingJob.objects.create(
            kind=_choice(TrainingJob, "kind"),
            product=Product.objects.order_by("pk").first(),
            created_by=analyst,
        )
    for branch in (a, b):
        if not Appointment.objects.filter(branch=branch).exists():
            Appointment.objects.create(
                branch=branch,
                service=Service.objects.order_by("pk").first(),
                slot_start=now + dt.timedelta(days=1),
                reference=f"SEC{branch.pk:05d}",
                name="安全测",
                phone="13800000000",
            )
        request = ServiceRequest.objects.filter(unit=branch).order_by("pk").first()
        if request is not None and not RequestTransfer.objects.filter(to_unit=branch).exists():
            RequestTransfer.objects.create(
                request=request,
                from_unit=bank.units["ccc"],
                to_unit=branch,
                reason="安全测试",
                sent_by=agent,
            )
    # A waiting ticket at each branch (the demo's history is served and done).
    from servicefirst.care.models import CarePrompt, CarePromptRule
    from servicefirst.core.errors import ValidationFailed
    from servicefirst.floor.issuing import ticket_issue
    from servicefirst.floor.models import Ticket

    for branch in (a, b):
        if Ticket.objects.filter(branch=branch, status=Ticket.Status.WAITING).exists():
            continue
        for code in Service.objects.order_by("pk").values_list("code", flat=True):
            try:
                ticket_issue(branch_id=branch.pk, service_code=code)
                break
            except ValidationFailed:
                continue
    rule = CarePromptRule.objects.order_by("pk").first()
    if rule is not None and not CarePrompt.objects.filter(branch=a).exists():
        CarePrompt.objects.create(
            rule=rule,
            customer=customer,
            branch=a,
            audience=_choice(CarePrompt, "audience"),
            text_zh="安全测试",
            text_en="security test",
        )
    if not DoNotCall.objects.exists():
        DoNotCall.objects.create(
            phone="+8613800000001", reason=_choice(DoNotCall, "reason"), added_by=agent
        )
    campaign = Campaign.objects.order_by("pk").first()
    entry = CallListEntry.objects.filter(campaign=campaign).order_by("pk").first()
    if campaign is not None and not Call.objects.exists():
        Call.objects.create(
            direction=_choice(Call, "direction"),
            mode=_choice(Call, "mode"),
            campaign=campaign,
            entry=entry,
            customer=customer,
            phone="+8613812345678",
            agent=agent,
            requested_by=agent,
            state=_choice(Call, "state"),
            dial_key="sec-call-1",
        )
    if campaign is not None and not Callback.objects.exists():
        Callback.objects.create(
            campaign=campaign,
            entry=entry,
            customer=customer,
            phone="+8613812345678",
            due_at=now + dt.timedelta(hours=1),
            assigned_to=agent,
            created_by=agent,
        )


def _put(bank, key, obj, unit_id=None, value=None):
    if obj is None:
        return
    bank.ids[key] = value if value is not None else obj.pk
    if unit_id is not None:
        bank.owner[key] = {"unit": unit_id}


def _pick_objects(bank: SecurityBank, a: Unit, b: Unit) -> None:  # noqa: PLR0915
    from django.utils import timezone

    from servicefirst.care.models import CarePrompt, CarePromptRule
    from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion
    from servicefirst.culture import services as culture_services
    from servicefirst.culture.models import Assignment, Question, Questionnaire, Response
    from servicefirst.customers.models import Customer, ImportJob
    from servicefirst.dialer.models import (
        Call,
        Callback,
        CallListEntry,
        Campaign,
        Disposition,
        DoNotCall,
    )
    from servicefirst.floor.models import Appointment, Counter, Service, Ticket
    from servicefirst.floor.views_public import ticket_token
    from servicefirst.insights.models import (
        ClassificationJob,
        ClassificationRule,
        OutreachList,
        Segment,
    )
    from servicefirst.lobby.models import FollowUp, Handoff
    from servicefirst.remedies.models import GiftGrant, RemedyCase
    from servicefirst.satisfaction.models import SurveyInvitation
    from servicefirst.scoring.models import TrainingJob
    from servicefirst.servicedesk.models import RequestTransfer, ServiceRequest

    put = lambda key, obj, unit_id=None, value=None: _put(bank, key, obj, unit_id, value)  # noqa: E731

    # The branch floor.
    ticket = _first(Ticket.objects.filter(branch=a))
    put("ticket", ticket, a.pk)
    if ticket is not None:
        put("ticket_token", ticket, a.pk, ticket_token(ticket))
    bank.other["ticket"] = _first(Ticket.objects.filter(branch=b, status="waiting")) or _first(
        Ticket.objects.filter(branch=b)
    )
    put("appointment", _first(Appointment.objects.filter(branch=a)), a.pk)
    appointment = _first(Appointment.objects.filter(branch=a))
    if appointment is not None:
        put("appointment_reference", appointment, a.pk, appointment.reference)
    bank.other["appointment"] = _first(Appointment.objects.filter(branch=b))
    put("counter", _first(Counter.objects.filter(branch=a)), a.pk)
    bank.other["counter"] = _first(Counter.objects.filter(branch=b))
    rule = _first(CarePromptRule.objects.filter(branch=a)) or _first(CarePromptRule.objects.all())
    put("care_rule", rule, getattr(rule, "branch_id", None))
    if rule is not None and rule.branch_id is None:
        bank.owner["care_rule"] = {"all": True}  # a bank-wide rule: only bank-wide managers
    prompt = _first(CarePrompt.objects.filter(branch=a, status=CarePrompt.Status.OPEN)) or _first(
        CarePrompt.objects.filter(branch=a)
    )
    put("care_prompt", prompt, a.pk)
    waiting = _first(Ticket.objects.filter(branch=a, status=Ticket.Status.WAITING))
    put("waiting_ticket", waiting, a.pk)
    service = _first(Service.objects.all())
    put("service_code", service, None, service.code if service else None)
    bank.ids["tomorrow"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    bank.owner["care_center"] = {"unit": bank.units["ccc"].pk}
    relative = _first(Customer.objects.exclude(pk=bank.customer.pk).filter(merged_into=None))
    put("relative_number", relative, None, relative.number if relative else None)
    put("relative", relative)
    # The lobby.
    handoff = _first(Handoff.objects.filter(branch=a))
    put("handoff", handoff, a.pk)
    if handoff is not None:  # the assigned relationship manager may close it too
        bank.owner["handoff"]["or_staff"] = handoff.assigned_to_id
    bank.other["handoff"] = _first(Handoff.objects.filter(branch=b))
    followup = _first(FollowUp.objects.filter(branch=a))
    put("followup", followup, a.pk)
    if followup is not None:
        bank.owner["followup"]["or_staff"] = followup.assigned_to_id
    bank.other["followup"] = _first(FollowUp.objects.filter(branch=b))
    # Service requests and remedies.
    put("request", _first(ServiceRequest.objects.filter(unit=a)), a.pk)
    request = _first(ServiceRequest.objects.filter(unit=a))
    if request is not None:
        put("request_token", request, a.pk, request.public_token)
    bank.other["request"] = _first(ServiceRequest.objects.filter(unit=b))
    put("transfer", _first(RequestTransfer.objects.filter(to_unit=a)), a.pk)
    bank.other["transfer"] = _first(RequestTransfer.objects.filter(to_unit=b))
    put("remedy", _first(RemedyCase.objects.filter(unit=a)), a.pk)
    bank.other["remedy"] = _first(RemedyCase.objects.filter(unit=b))
    put("grant", _first(GiftGrant.objects.filter(unit=a)), a.pk)
    bank.other["grant"] = _first(GiftGrant.objects.filter(unit=b))
    # Commitments.
    commitment = _first(Commitment.objects.filter(owner=a)) or _first(Commitment.objects.all())
    put("commitment", commitment, getattr(commitment, "owner_id", None))
    if commitment is not None:
        put("commitment_code", commitment, commitment.owner_id, commitment.code)
        put(
            "version",
            _first(CommitmentVersion.objects.filter(commitment=commitment)),
            commitment.owner_id,
        )
    put("calendar", _first(BusinessCalendar.objects.all()))
    # Culture.
    questionnaire = _first(Questionnaire.objects.all())
    put("questionnaire", questionnaire, getattr(questionnaire, "unit_id", None))
    put("question", _first(Question.objects.filter(questionnaire=questionnaire)))
    put("assignment", _first(Assignment.objects.all()))
    response = _first(Response.objects.filter(staff__isnull=False))
    put("response", response)
    if response is not None:  # one's own sitting: only its staff member may open it
        bank.owner["response"] = {"staff": response.staff_id}
    hiring = _first(Questionnaire.objects.filter(purpose=Questionnaire.Purpose.HIRING))
    if hiring is not None:  # a candidate invited now: the one-time link is shown only once
        candidate, token = culture_services.candidate_invite(
            actor=bank.users[Role.ADMINISTRATOR],
            questionnaire_id=hiring.pk,
            name="安全测",
            contact="candidate@example.com",
            position="柜员",
        )
        put("candidate_response", candidate, candidate.unit_id)
        bank.ids["candidate_token"] = token
    # Satisfaction.
    invitation = _first(SurveyInvitation.objects.filter(unit=a)) or _first(
        SurveyInvitation.objects.all()
    )
    put("invitation", invitation, getattr(invitation, "unit_id", None))
    if invitation is not None:
        put("survey_token", invitation, None, invitation.token)
        # the member of staff who served the customer may open the hand-over page too
        bank.owner.setdefault("invitation", {})["or_staff"] = invitation.staff_id
    put("staff_member", bank.staff[Role.TELLER], a.pk)
    bank.other["staff_member"] = _first(Staff.objects.filter(unit=b))
    # The contact centre.
    campaign = _first(Campaign.objects.all())
    put("campaign", campaign)
    put("disposition", _first(Disposition.objects.filter(campaign=campaign)))
    put("entry", _first(CallListEntry.objects.filter(campaign=campaign)))
    put("callback", _first(Callback.objects.all()))
    call = _first(Call.objects.all())
    put("call", call)
    if call is not None:  # the agent desktop: only the call's own agent
        put("agent_call", call, None)
        bank.owner["agent_call"] = {"staff": call.agent_id}
    if call is not None:  # click-to-dial status: only whoever placed the call
        put("my_call", call, None)
        bank.owner["my_call"] = {"staff": call.requested_by_id}
    put("dnc", _first(DoNotCall.objects.all()))
    # Insight, scoring, imports.
    put("segment", _first(Segment.objects.all()))
    put("outreach", _first(OutreachList.objects.all()))
    put("insight_rule", _first(ClassificationRule.objects.all()))
    put("classification_job", _first(ClassificationJob.objects.all()))
    put("training_job", _first(TrainingJob.objects.all()))
    job = _first(ImportJob.objects.all())
    put("import_job", job)
    if job is not None:  # the import page shows one's own imports only
        bank.owner["import_job"] = {"staff": job.created_by_id}
    # Data retention: a legal hold on the bank's test customer.
    from servicefirst.privacy.models import LegalHold

    hold = LegalHold.objects.create(
        customer=bank.customer, reason="审计保全", placed_by=bank.staff[Role.COMPLIANCE_AUDITOR]
    )
    put("legal_hold", hold)


@pytest.fixture(scope="module")
def sec_bank(django_db_setup, django_db_blocker, tmp_path_factory):
    """Loaded once per module, inside a transaction rolled back after the module's last test
    (each test then runs in a savepoint of its own). Not "package": tests/security is not a
    Python package, and a package-scoped fixture there would live to the end of the session —
    its open transaction under every test that follows."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(tmp_path_factory.mktemp("secbank"))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
