"""The register's pages: the list and its filters, a commitment with its discussion (htmx),
the lifecycle buttons, the form with the measure builder, the history, the calendars and the
alerts page; and who may see what."""

from django.urls import reverse

from servicefirst.accounts.tests.factories import PASSWORD
from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion
from servicefirst.commitments.tests import test_register_fixtures as fx
from servicefirst.commitments.tests.test_register_fixtures import draft, published

calendar, org, people = fx.calendar, fx.org, fx.people  # the shared fixtures
Status = CommitmentVersion.Status


def _login(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)
    return client


def test_the_register_lists_and_filters(client, people, calendar, org):
    published(people, calendar, org)
    draft(people, calendar, org, code="cc-english", statement_en="English calls in 30 seconds")
    _login(client, people["supervisor"])
    page = client.get(reverse("commitments:register")).content.decode()
    assert "cc-answer-20s" in page
    assert "cc-english" in page
    assert "within 20 seconds" in page
    page = client.get(reverse("commitments:register"), {"status": "draft"}).content.decode()
    assert "cc-english" in page
    assert "cc-answer-20s" not in page
    page = client.get(reverse("commitments:register"), {"q": "English"}).content.decode()
    assert "cc-english" in page
    assert "cc-answer-20s" not in page


def test_a_teller_sees_head_office_commitments_but_not_the_care_centers(
    client, people, calendar, org
):
    published(people, calendar, org)
    _login(client, people["teller"])
    page = client.get(reverse("commitments:register")).content.decode()
    assert "cc-answer-20s" not in page
    commitment = Commitment.objects.get()
    assert client.get(reverse("commitments:detail", args=[commitment.pk])).status_code == 404


def test_the_register_needs_the_view_grant(client, org):
    from servicefirst.accounts.tests.factories import make_staff

    nobody = make_staff(unit=org["branch"])  # no role at all
    _login(client, nobody)
    assert client.get(reverse("commitments:register")).status_code == 403
    client.logout()
    response = client.get(reverse("commitments:register"))
    assert response.status_code == 302  # to the login page


def test_drafting_through_the_form_with_the_measure_builder(client, people, calendar, org):
    _login(client, people["supervisor"])
    assert client.get(reverse("commitments:new")).status_code == 200
    response = client.post(
        reverse("commitments:new"),
        {
            "code": "cc-english-30s",
            "area": "contact_centre",
            "owner": org["ccc"].pk,
            "beneficiary": "customers",
            "basis": "own",
            "statement_zh": "英语热线30秒内接听",
            "statement_en": "English calls are answered within 30 seconds",
            "measure": "duration",
            "start_event": "contact.call.offered",
            "stop_event": "contact.call.answered",
            "filter_attr_0": "language",
            "filter_value_0": "en",
            "target_value": "30",
            "target_unit": "seconds",
            "goal_percent": "80",
            "warn_percent": "80",
            "calendar": calendar.pk,
        },
    )
    version = CommitmentVersion.objects.get(commitment__code="cc-english-30s")
    assert response.status_code == 302
    assert version.event_filter == {"language": "en"}
    assert version.status == Status.DRAFT


def test_the_form_shows_the_services_error_on_its_field(client, people, calendar, org):
    _login(client, people["supervisor"])
    response = client.post(
        reverse("commitments:new"),
        {
            "code": "bad",
            "area": "contact_centre",
            "owner": org["ccc"].pk,
            "beneficiary": "customers",
            "basis": "own",
            "statement_zh": "x",
            "statement_en": "x",
            "measure": "count",
            "start_event": "contact.call.answered",
            "stop_event": "",
            "target_value": "3",
            "target_unit": "minutes",
            "calendar": calendar.pk,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-error-for="target_unit"' in page
    assert "rings or times" in page
    assert not Commitment.objects.exists()


def test_an_agent_discusses_with_htmx(client, people, calendar, org):
    version = draft(people, calendar, org)
    from servicefirst.commitments import services

    services.discussion_open(actor=people["supervisor"].user, version_id=version.pk)
    _login(client, people["agent"])
    page = client.get(reverse("commitments:detail", args=[version.commitment_id])).content.decode()
    assert 'id="comment-form"' in page
    assert 'id="approve"' not in page  # agents do not approve
    response = client.post(
        reverse("commitments:comment", args=[version.pk]),
        {"text": "夜班人手够", "agrees": "yes"},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.startswith('<div class="card mb-3" id="discussion">')
    assert "夜班人手够" in fragment
    assert "1 agree" in fragment


def test_the_supervisor_approves_and_publishes_with_the_buttons(client, people, calendar, org):
    from servicefirst.commitments import services

    version = draft(people, calendar, org)
    _login(client, people["supervisor"])
    detail = reverse("commitments:detail", args=[version.commitment_id])
    client.post(reverse("commitments:transition", args=[version.pk, "open"]))
    response = client.post(reverse("commitments:transition", args=[version.pk, "approve"]))
    assert "Nobody has commented" in client.get(response.url).content.decode()
    services.comment_add(actor=people["agent"].user, version_id=version.pk, agrees=True)
    client.post(reverse("commitments:transition", args=[version.pk, "approve"]))
    client.post(reverse("commitments:transition", args=[version.pk, "publish"]))
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED
    page = client.get(detail).content.decode()
    assert 'id="new-version-form"' in page


def test_an_agent_cannot_publish(client, people, calendar, org):
    version = draft(people, calendar, org)
    _login(client, people["agent"])
    response = client.post(reverse("commitments:transition", args=[version.pk, "open"]))
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.status == Status.DRAFT


def test_a_new_version_and_its_history(client, people, calendar, org):
    v1 = published(people, calendar, org)
    _login(client, people["supervisor"])
    response = client.post(
        reverse("commitments:new_version", args=[v1.commitment_id]),
        {"change_note": "收紧到15秒"},
    )
    v2 = CommitmentVersion.objects.get(number=2)
    assert response.url == reverse("commitments:edit", args=[v2.pk])
    page = client.get(response.url).content.decode()
    assert 'value="20.00"' in page or 'value="20"' in page
    history = client.get(reverse("commitments:history", args=[v1.commitment_id])).content.decode()
    assert "收紧到15秒" in history
    assert 'data-number="1"' in history
    assert 'data-number="2"' in history


def test_calendars_are_listed_and_edited_by_a_bank_wide_manager(client, people, calendar):
    _login(client, people["supervisor"])
    page = client.get(reverse("commitments:calendars")).content.decode()
    assert "Around the clock" in page
    assert client.get(reverse("commitments:calendar_new")).status_code == 403
    client.logout()
    _login(client, people["admin"])
    form = {
        "code": "night",
        "name_zh": "夜间",
        "name_en": "Nights",
        "observe_holidays": "",
        **{f"day_{i}": "20:00-08:00" for i in range(7)},
    }
    response = client.post(reverse("commitments:calendar_new"), form)
    assert response.status_code == 302
    night = BusinessCalendar.objects.get(code="night")
    assert night.weekly_hours[0] == [["20:00", "08:00"]]
    response = client.post(
        reverse("commitments:calendar_edit", args=[night.pk]), {**form, "day_2": "25:00-26:00"}
    )
    assert response.status_code == 200
    assert "25:00" in response.content.decode()
    night.refresh_from_db()
    assert night.weekly_hours[2] == [["20:00", "08:00"]]


def test_the_alerts_page_opens(client, people):
    _login(client, people["agent"])
    response = client.get(reverse("commitments:alerts"))
    assert response.status_code == 200
    assert "My commitment alerts" in response.content.decode()


def test_the_register_in_chinese(client, people, calendar, org):
    published(people, calendar, org)
    _login(client, people["supervisor"])
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("commitments:register")).content.decode()
    assert "来电20秒内接听" in page
