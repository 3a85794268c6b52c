"""The seed catalogue and its demo load: at least 150 commitments of a Chinese retail bank,
each one a valid version (event kinds and filter attributes the bank records), each figure
either sourced or marked as the bank's own choice; loaded published, idempotently."""

from collections import Counter

import pytest

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import BankFactory, UnitFactory, make_staff
from servicefirst.commitments import services
from servicefirst.commitments.catalogue import CALENDARS, CATALOGUE, CATEGORIES
from servicefirst.commitments.demo import demo_commitments, ensure_calendars
from servicefirst.commitments.events import KINDS
from servicefirst.commitments.models import Commitment, CommitmentVersion, DiscussionComment

Status = CommitmentVersion.Status
DEMO_UNITS = {
    "hq": (Unit.Kind.HEAD_OFFICE, "second"),
    "bj-cy": (Unit.Kind.BRANCH, "first"),
    "sh-pd": (Unit.Kind.BRANCH, "first"),
    "gz-th": (Unit.Kind.BRANCH, "first"),
    "ccc": (Unit.Kind.CARE_CENTER, "first"),
    "ops": (Unit.Kind.OPERATIONS, "second"),
    "cards": (Unit.Kind.CARDS, "second"),
    "loans": (Unit.Kind.LOANS, "second"),
    "it": (Unit.Kind.IT, "second"),
    "wealth": (Unit.Kind.WEALTH, "second"),
    "compliance": (Unit.Kind.COMPLIANCE, "second"),
    "marketing": (Unit.Kind.MARKETING, "second"),
}


@pytest.fixture
def demo_org(db):
    bank = BankFactory(code="sfb-demo")
    units = {}
    hq = None
    for code, (kind, line) in DEMO_UNITS.items():
        units[code] = UnitFactory(bank=bank, code=code, kind=kind, line=line, parent=hq)
        hq = hq or units[code]
    make_staff(Role.ADMINISTRATOR, unit=units["it"], username="admin")
    make_staff(Role.CC_SUPERVISOR, unit=units["ccc"], username="supervisor")
    for name in ("agent1", "agent2", "agent.en"):
        make_staff(Role.CC_AGENT, unit=units["ccc"], username=name)
    make_staff(Role.BRANCH_MANAGER, unit=units["bj-cy"], username="bm.bj")
    make_staff(Role.BRANCH_MANAGER, unit=units["sh-pd"], username="bm.sh")
    make_staff(Role.TELLER, unit=units["bj-cy"], username="teller.bj")
    return units


def test_the_catalogue_has_at_least_150_commitments_with_unique_codes():
    assert len(CATALOGUE) >= 150
    codes = [e.code for e in CATALOGUE]
    assert len(set(codes)) == len(codes)
    areas = Counter(e.area for e in CATALOGUE)
    for area in Commitment.Area.values:
        assert areas[area] > 0, f"no commitment in {area}"


def test_every_entry_measures_events_the_bank_records():
    for e in CATALOGUE:
        assert e.start_event in KINDS, e.code
        for kind in (e.stop_event, e.pause_event, e.resume_event, *e.cancel_events):
            assert not kind or kind in KINDS, (e.code, kind)
        for attr in e.event_filter:
            assert attr in KINDS[e.start_event].attrs, (e.code, attr)
        assert e.calendar in CALENDARS, e.code
        assert e.owner in DEMO_UNITS, e.code
        assert len(e.statement_zh) <= 300
        assert len(e.statement_en) <= 300


def test_every_figure_is_sourced_or_marked_as_our_own():
    for e in CATALOGUE:
        assert e.basis in Commitment.Basis.values, e.code
        if e.basis != Commitment.Basis.OWN:
            assert e.source, f"{e.code} claims {e.basis} without a source"
    regulation = {e.code: e for e in CATALOGUE if e.basis == "regulation"}
    # The regulator's complaint limits: simple complaints in 15 days, complex in 30.
    assert regulation["complaint-simple-15d"].target_value == 15
    assert "消费投诉处理管理办法" in regulation["complaint-simple-15d"].source
    assert regulation["complaint-complex-30d"].target_value == 30
    assert regulation["credit-dispute-20d"].target_value == 20
    # The bank's own tighter promise is marked as its own choice.
    assert next(e for e in CATALOGUE if e.code == "complaint-simple-7wd").basis == "own"


def test_second_line_commitments_are_made_to_a_first_line_unit():
    internal = [e for e in CATALOGUE if e.area == "internal"]
    assert {e.owner for e in internal} >= {"ops", "cards", "loans", "it", "wealth", "compliance"}
    for e in internal:
        assert e.beneficiary_unit in ("bj-cy", "sh-pd", "gz-th", "ccc"), e.code


def test_every_request_category_has_a_first_response_and_a_resolution_promise():
    codes = {e.code for e in CATALOGUE}
    for category in CATEGORIES:
        assert f"request-{category}-first-4h" in codes


def test_every_entry_passes_the_registers_own_checks(db):
    calendars = ensure_calendars()
    for e in CATALOGUE:
        services.validate_version(
            {
                "statement_zh": e.statement_zh,
                "statement_en": e.statement_en,
                "measure": e.measure,
                "start_event": e.start_event,
                "stop_event": e.stop_event,
                "pause_event": e.pause_event,
                "resume_event": e.resume_event,
                "cancel_events": list(e.cancel_events),
                "event_filter": e.event_filter,
                "target_value": e.target_value,
                "target_unit": e.target_unit,
                "goal_percent": e.goal_percent,
                "warn_percent": e.warn_percent,
                "calendar": calendars[e.calendar],
            }
        )


def test_the_demo_load_publishes_the_catalogue_and_shows_the_lifecycle(demo_org):
    counts = demo_commitments()
    assert counts["calendars"] == len(CALENDARS)
    assert counts["published"] == len(CATALOGUE)
    published = CommitmentVersion.objects.filter(status=Status.PUBLISHED)
    assert published.count() == len(CATALOGUE)
    assert not published.filter(published_by=None).exists()
    assert published.get(commitment__code="complaint-simple-15d").commitment.basis == "regulation"
    # A head-office commitment covers the branches; a second-line one is made to a branch.
    assert Commitment.objects.get(code="wait-cash").owner.code == "hq"
    card = Commitment.objects.get(code="card-to-branch-bj-cy")
    assert (card.owner.code, card.beneficiary_unit.code) == ("cards", "bj-cy")
    # The lifecycle is visible: versions in discussion with comments, a draft, a history.
    assert CommitmentVersion.objects.filter(status=Status.DISCUSSION).count() == 2
    assert CommitmentVersion.objects.filter(status=Status.DRAFT).count() == 1
    assert DiscussionComment.objects.filter(agrees=False).exists()
    history = Commitment.objects.get(code="cc-80-20").versions.order_by("number")
    assert [v.status for v in history] == [Status.RETIRED, Status.PUBLISHED]

    before = CommitmentVersion.objects.count()
    again = demo_commitments()
    assert CommitmentVersion.objects.count() == before
    assert again["commitments"] == 0


def test_the_demo_load_skips_what_a_partial_organisation_cannot_own(db):
    bank = BankFactory(code="tiny")
    UnitFactory(bank=bank, code="ccc", kind=Unit.Kind.CARE_CENTER, parent=None)
    demo_commitments()
    owners = set(Commitment.objects.values_list("owner__code", flat=True))
    assert owners == {"ccc"}
    assert not Commitment.objects.filter(beneficiary_unit__isnull=False).exists()
