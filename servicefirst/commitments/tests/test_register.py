"""The register's lifecycle: draft → discussion → approved → published → retired, who may do
each step, and the checks on a version's measure."""

import pytest

from servicefirst.commitments import services
from servicefirst.commitments.models import CommitmentVersion, DiscussionComment
from servicefirst.commitments.tests import test_register_fixtures as fx
from servicefirst.commitments.tests.test_register_fixtures import draft, draft_data, published
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent

Status = CommitmentVersion.Status
calendar, org, people = fx.calendar, fx.org, fx.people  # the shared fixtures


def _errors(exc_info) -> dict:
    return exc_info.value.errors


def test_a_supervisor_drafts_a_commitment_with_its_first_version(people, calendar, org):
    version = draft(people, calendar, org)
    assert version.number == 1
    assert version.status == Status.DRAFT
    assert version.commitment.owner == org["ccc"]
    assert version.created_by == people["supervisor"]
    assert AuditEvent.objects.filter(action="commitment.create").exists()


def test_the_whole_lifecycle_up_to_publication(people, calendar, org):
    sup = people["supervisor"].user
    version = draft(people, calendar, org)
    version = services.discussion_open(actor=sup, version_id=version.pk)
    assert version.status == Status.DISCUSSION
    assert version.discussion_opened_at is not None
    services.comment_add(
        actor=people["agent"].user, version_id=version.pk, text="能做到。", agrees=True
    )
    version = services.version_approve(actor=sup, version_id=version.pk)
    assert version.status == Status.APPROVED
    assert version.approved_by == people["supervisor"]
    version = services.version_publish(actor=sup, version_id=version.pk)
    assert version.status == Status.PUBLISHED
    assert version.published_at is not None
    version = services.version_retire(actor=sup, version_id=version.pk)
    assert version.status == Status.RETIRED
    assert version.retired_at is not None


def test_steps_out_of_order_are_refused_and_change_nothing(people, calendar, org):
    sup = people["supervisor"].user
    version = draft(people, calendar, org)
    with pytest.raises(ValidationFailed) as exc:
        services.version_approve(actor=sup, version_id=version.pk)
    assert "status" in _errors(exc)
    with pytest.raises(ValidationFailed):
        services.version_publish(actor=sup, version_id=version.pk)
    with pytest.raises(ValidationFailed):
        services.comment_add(actor=people["agent"].user, version_id=version.pk, text="?")
    version.refresh_from_db()
    assert version.status == Status.DRAFT


def test_approval_needs_the_staff_heard_first(people, calendar, org):
    sup = people["supervisor"].user
    version = draft(people, calendar, org)
    services.discussion_open(actor=sup, version_id=version.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.version_approve(actor=sup, version_id=version.pk)
    assert "heard" in _errors(exc)["status"][0]
    version.refresh_from_db()
    assert version.status == Status.DISCUSSION


def test_a_majority_against_needs_a_reason_which_joins_the_discussion(people, calendar, org):
    sup = people["supervisor"].user
    version = draft(people, calendar, org)
    services.discussion_open(actor=sup, version_id=version.pk)
    services.comment_add(actor=people["agent"].user, version_id=version.pk, agrees=False)
    services.comment_add(actor=people["agent2"].user, version_id=version.pk, agrees=False)
    services.comment_add(actor=people["agent3"].user, version_id=version.pk, agrees=True)
    tally = services.tally(version)
    assert (tally.agree, tally.disagree) == (1, 2)
    assert tally.silent == 1  # the supervisor has not said

    with pytest.raises(ValidationFailed) as exc:
        services.version_approve(actor=sup, version_id=version.pk)
    assert "2 disagree and 1 agree" in _errors(exc)["reason"][0]

    services.version_approve(actor=sup, version_id=version.pk, reason="监管要求，必须执行")
    version.refresh_from_db()
    assert version.status == Status.APPROVED
    assert version.comments.filter(text__contains="监管要求").exists()


def test_the_latest_agreement_of_each_member_counts(people, calendar, org):
    sup = people["supervisor"].user
    version = draft(people, calendar, org)
    services.discussion_open(actor=sup, version_id=version.pk)
    agent = people["agent"].user
    services.comment_add(actor=agent, version_id=version.pk, agrees=False)
    services.comment_add(actor=agent, version_id=version.pk, text="想通了", agrees=True)
    services.comment_add(actor=agent, version_id=version.pk, text="补充一句")
    tally = services.tally(version)
    assert (tally.agree, tally.disagree, tally.comments) == (1, 0, 3)


def test_only_staff_of_the_owning_unit_discuss(people, calendar, org):
    sup = people["supervisor"].user
    version = draft(people, calendar, org)
    services.discussion_open(actor=sup, version_id=version.pk)
    # A branch teller may not even see a Care Center commitment…
    with pytest.raises(NotFound):
        services.comment_add(actor=people["teller"].user, version_id=version.pk, agrees=True)
    # …and the back office, who sees nothing of it either.
    with pytest.raises(NotFound):
        services.comment_add(actor=people["backoffice"].user, version_id=version.pk, text="x")
    assert not DiscussionComment.objects.exists()


def test_head_office_commitments_are_discussed_by_the_branches_below(people, calendar, org):
    admin = people["admin"].user
    version = services.commitment_create(
        actor=admin,
        data=draft_data(
            calendar,
            org["hq"],
            code="wait-cash",
            area="counters",
            statement_zh="现金业务15分钟内叫号",
            statement_en="Cash customers are called within 15 minutes",
            start_event="floor.ticket.issued",
            stop_event="floor.ticket.called",
            event_filter={"service": "cash"},
            target_value="15",
            target_unit="minutes",
        ),
    )
    services.discussion_open(actor=admin, version_id=version.pk)
    services.comment_add(actor=people["teller"].user, version_id=version.pk, agrees=True)
    services.comment_add(actor=people["other_teller"].user, version_id=version.pk, agrees=False)
    assert services.tally(version).agree == 1
    # The administrator (IT, below head office too) cannot discuss: the role has no grant.
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=admin, version_id=version.pk, agrees=True)


def test_an_agent_may_not_draft_or_publish(people, calendar, org):
    agent = people["agent"].user
    with pytest.raises(PermissionDenied):
        services.commitment_create(actor=agent, data=draft_data(calendar, org["ccc"]))
    version = draft(people, calendar, org)
    with pytest.raises(PermissionDenied):
        services.discussion_open(actor=agent, version_id=version.pk)
    with pytest.raises(PermissionDenied):
        services.version_retire(actor=agent, version_id=version.pk)


def test_a_supervisor_may_not_draft_for_another_unit(people, calendar, org):
    with pytest.raises(ValidationFailed) as exc:
        services.commitment_create(
            actor=people["supervisor"].user, data=draft_data(calendar, org["branch"])
        )
    assert "owner" in _errors(exc)


def test_a_branch_manager_cannot_touch_the_care_centers_commitments(people, calendar, org):
    version = published(people, calendar, org)
    with pytest.raises(NotFound):
        services.version_new(
            actor=people["manager"].user, commitment_id=version.commitment_id, change_note="x"
        )


def test_publishing_a_new_version_retires_the_one_before(people, calendar, org):
    sup = people["supervisor"].user
    v1 = published(people, calendar, org)
    v2 = services.version_new(
        actor=sup, commitment_id=v1.commitment_id, change_note="目标由20秒收紧到15秒"
    )
    assert v2.number == 2
    assert v2.status == Status.DRAFT
    assert v2.statement_zh == v1.statement_zh  # a copy of the published one
    assert v2.change_note == "目标由20秒收紧到15秒"
    services.draft_edit(
        actor=sup,
        version_id=v2.pk,
        data=draft_data(
            calendar, org["ccc"], target_value="15", statement_en="Answered within 15 seconds"
        ),
    )
    services.discussion_open(actor=sup, version_id=v2.pk)
    services.comment_add(actor=people["agent"].user, version_id=v2.pk, agrees=True)
    services.version_approve(actor=sup, version_id=v2.pk)
    # v1 is still the one measured until v2 is published.
    v1.refresh_from_db()
    assert v1.status == Status.PUBLISHED
    services.version_publish(actor=sup, version_id=v2.pk)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == Status.RETIRED
    assert v1.retired_at == v2.published_at
    assert v2.status == Status.PUBLISHED
    assert (
        CommitmentVersion.objects.filter(
            commitment_id=v1.commitment_id, status=Status.PUBLISHED
        ).count()
        == 1
    )


def test_one_new_version_at_a_time(people, calendar, org):
    sup = people["supervisor"].user
    v1 = published(people, calendar, org)
    services.version_new(actor=sup, commitment_id=v1.commitment_id, change_note="a")
    with pytest.raises(ValidationFailed) as exc:
        services.version_new(actor=sup, commitment_id=v1.commitment_id, change_note="b")
    assert "still" in _errors(exc)["change_note"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.version_new(actor=sup, commitment_id=v1.commitment_id, change_note="")


def test_only_a_draft_is_edited(people, calendar, org):
    version = published(people, calendar, org)
    with pytest.raises(ValidationFailed) as exc:
        services.draft_edit(
            actor=people["supervisor"].user,
            version_id=version.pk,
            data=draft_data(calendar, org["ccc"]),
        )
    assert "status" in _errors(exc)


def test_the_history_shows_what_changed(people, calendar, org):
    sup = people["supervisor"].user
    v1 = published(people, calendar, org)
    v2 = services.version_new(actor=sup, commitment_id=v1.commitment_id, change_note="收紧")
    services.draft_edit(
        actor=sup, version_id=v2.pk, data=draft_data(calendar, org["ccc"], target_value="15")
    )
    rows = services.version_history(v1.commitment)
    assert [r["version"].number for r in rows] == [1, 2]
    assert rows[0]["changes"] == []
    assert [(c["field"], c["before"], c["after"]) for c in rows[1]["changes"]] == [
        ("target_value", "20", "15")
    ]
    assert len(rows[0]["comments"]) == 1  # the agent's agreement on version 1


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"statement_zh": ""}, "statement_zh", "Chinese"),
        ({"statement_en": "  "}, "statement_en", "English"),
        ({"start_event": "ticket.issued"}, "start_event", "not an event"),
        ({"stop_event": ""}, "stop_event", "stops it"),
        ({"stop_event": "contact.call.offered"}, "stop_event", "same event"),
        ({"target_unit": "rings"}, "target_unit", "time unit"),
        ({"target_value": "0"}, "target_value", "more than zero"),
        ({"target_value": "abc"}, "target_value", "number"),
        ({"goal_percent": "120"}, "goal_percent", "1 to 100"),
        ({"goal_percent": "0"}, "goal_percent", "1 to 100"),
        ({"warn_percent": 100}, "warn_percent", "1 to 99"),
        ({"warn_percent": 0}, "warn_percent", "1 to 99"),
        ({"calendar": ""}, "calendar", "calendar"),
        ({"event_filter": {"service": "cash"}}, "event_filter", "not an attribute"),
        ({"pause_event": "request.waiting_customer"}, "resume_event", "both"),
        ({"cancel_events": ["nope.event"]}, "cancel_events", "not an event"),
        ({"measure": "count", "target_unit": "rings"}, "stop_event", "leave the stop empty"),
        (
            {"measure": "count", "stop_event": "", "target_unit": "minutes"},
            "target_unit",
            "rings or times",
        ),
        (
            {"measure": "count", "stop_event": "", "target_unit": "rings"},
            "start_event",
            "carries no count",
        ),
        ({"basis": "regulation", "source": ""}, "source", "Name the rule"),
        ({"beneficiary": "unit"}, "beneficiary_unit", "Choose the unit"),
        ({"area": "nowhere"}, "area", "area"),
        ({"code": ""}, "code", "code"),
    ],
)
def test_a_bad_version_is_refused_naming_the_field(people, calendar, org, over, field, words):
    with pytest.raises(ValidationFailed) as exc:
        draft(people, calendar, org, **over)
    errors = _errors(exc)
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert not CommitmentVersion.objects.exists()


def test_a_count_of_rings_is_valid(people, calendar, org):
    version = draft(
        people,
        calendar,
        org,
        measure="count",
        start_event="contact.call.answered",
        stop_event="",
        target_value="3",
        target_unit="rings",
    )
    assert services.target_words(version) == "by the third ring"


def test_a_filter_on_the_start_events_attributes_is_kept(people, calendar, org):
    version = draft(people, calendar, org, event_filter={"language": "en, yue"})
    assert version.event_filter == {"language": ["en", "yue"]}


def test_a_duplicate_code_is_refused(people, calendar, org):
    draft(people, calendar, org)
    with pytest.raises(ValidationFailed) as exc:
        draft(people, calendar, org)
    assert "exists" in _errors(exc)["code"][0]


def test_target_words(people, calendar, org):
    version = draft(people, calendar, org, target_value="15", target_unit="minutes")
    assert services.target_words(version) == "within 15 minutes"
    version.target_unit, version.target_value = "working_days", 1
    assert services.target_words(version) == "within 1 working day"
    version.target_unit = "hours"
    assert services.target_words(version) == "within 1 hour"  # a 24/7 calendar
