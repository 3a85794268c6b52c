"""Staff confirm the published commitments binding their unit: their own unit's, the head
office's (which bind every branch), and those made to their unit; a new version needs a new
confirmation."""

import pytest

from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.culture import selectors, services
from servicefirst.culture.models import CommitmentConfirmation
from servicefirst.culture.tests.helpers import commitment, org, people, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    units = org()
    return units, people(units)


def test_my_commitments_are_my_units_the_head_offices_and_those_made_to_my_unit(bank):
    units, staff = bank
    own = commitment(units["a"], code="t-own")
    hq = commitment(units["hq"], code="t-hq")
    received = commitment(units["ops"], beneficiary_unit=units["a"], code="t-received")
    commitment(units["b"], code="t-other-branch")
    commitment(units["a"], status="discussion", code="t-draft")
    commitment(units["ops"], beneficiary_unit=units["b"], code="t-to-b")
    items = selectors.my_commitments(staff["teller_a1"].user)
    assert {i.version.commitment.code for i in items} == {"t-own", "t-hq", "t-received"}
    assert {i.version.commitment.code for i in items if i.received} == {"t-received"}
    assert own
    assert hq
    assert received


def test_confirming_is_once_per_version_and_a_new_version_needs_a_new_one(bank):
    units, staff = bank
    teller = staff["teller_a1"]
    c = commitment(units["a"])
    v1 = c.versions.get()
    first = services.commitment_confirm(actor=teller.user, version_id=v1.pk)
    assert services.commitment_confirm(actor=teller.user, version_id=v1.pk) == first
    assert all(i.confirmed_at for i in selectors.my_commitments(teller.user))
    # a new version is published: the old one retires, and it waits for confirmation
    v1.status = "retired"
    v1.save()
    v2 = version(c, status="published")
    items = selectors.my_commitments(teller.user)
    assert [(i.version.pk, i.confirmed_at) for i in items] == [(v2.pk, None)]
    services.commitment_confirm(actor=teller.user, version_id=v2.pk)
    assert CommitmentConfirmation.objects.filter(staff=teller).count() == 2


def test_only_a_published_version_binding_my_unit_is_confirmed(bank):
    units, staff = bank
    draft = commitment(units["a"], status="draft").versions.get()
    other = commitment(units["b"]).versions.get()
    with pytest.raises(ValidationFailed) as exc:
        services.commitment_confirm(actor=staff["teller_a1"].user, version_id=draft.pk)
    assert exc.value.errors == {"version": ["Only a published commitment is confirmed."]}
    with pytest.raises(NotFound):
        services.commitment_confirm(actor=staff["teller_a1"].user, version_id=other.pk)
    assert not CommitmentConfirmation.objects.exists()


def test_confirm_all_skips_what_does_not_bind_me_and_what_i_confirmed(bank):
    units, staff = bank
    mine = [commitment(units["a"]).versions.get().pk for _ in range(3)]
    other = commitment(units["b"]).versions.get().pk
    services.commitment_confirm(actor=staff["teller_a1"].user, version_id=mine[0])
    count = services.commitments_confirm_all(
        actor=staff["teller_a1"].user, version_ids=[*mine, other]
    )
    assert count == 2
    assert set(
        CommitmentConfirmation.objects.filter(staff=staff["teller_a1"]).values_list(
            "version_id", flat=True
        )
    ) == set(mine)
