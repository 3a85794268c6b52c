from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.models import Customer, ImportJob

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer(client):
    staff = make_staff(Role.BACK_OFFICE)
    client.force_login(staff.user)
    return staff


def upload(client, name="customers_bad.csv", **data):
    return client.post(
        reverse("customers:import"),
        {
            "file": SimpleUploadedFile(name, (DATA / name).read_bytes(), "text/csv"),
            "mapping": "customers",
            **data,
        },
    )


def test_import_page_needs_the_import_permission(client):
    client.force_login(make_staff(Role.TELLER).user)
    assert client.get(reverse("customers:import")).status_code == 403


def test_form_shows_mappings(client, officer):
    response = client.get(reverse("customers:import"))
    assert response.status_code == 200
    for name in ("customers", "uci-bank-marketing", "churn-modelling", "bank-churners"):
        assert f'value="{name}"' in response.content.decode()


# The worker closes connections that are inside a transaction: run these with real commits.
@pytest.mark.django_db(transaction=True)
def test_upload_runs_as_a_task_and_the_status_page_reports_every_bad_row(client, officer, settings):
    from django_tasks_db.models import DBTaskResult

    response = upload(client)
    assert DBTaskResult.objects.count() == 1  # enqueued once the job was committed
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customers:import_status", args=[job.pk])
    assert Path(job.file_path).parent == Path(settings.MEDIA_ROOT) / "imports"
    assert job.created_by == officer
    assert job.status == ImportJob.Status.PENDING

    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "progress-bar" in page

    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REJECTED
    assert Customer.objects.count() == 0

    partial = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    for line, field in ((3, "phones"), (4, "id_number"), (5, "name_zh"), (7, "customer_number")):
        assert f'data-line="{line}" data-field="{field}"' in partial


@pytest.mark.django_db(transaction=True)
def test_valid_only_upload_imports_the_valid_rows(client, officer):
    response = upload(client, valid_only="on")
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert job.result["created"] == 1
    assert Customer.objects.count() == 1
    page = client.get(response.url).content.decode()
    assert 'data-count="created">1<' in page


def test_wrong_file_type_is_refused_with_a_field_error(client, officer):
    response = client.post(
        reverse("customers:import"),
        {"file": SimpleUploadedFile("x.pdf", b"%PDF"), "mapping": "customers"},
    )
    assert response.status_code == 200
    assert 'data-field="file"' in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_someone_elses_job_is_not_shown(client, officer):
    other = make_staff(Role.BACK_OFFICE)
    job = ImportJob.objects.create(
        created_by=other, file_name="a.csv", file_path="/nonexistent", mapping="customers"
    )
    assert client.get(reverse("customers:import_status", args=[job.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_can_be_run_again_and_continues(client, officer, settings):
    settings.IMPORT_BATCH_SIZE = 1
    response = upload(client, name="customers_good.csv")
    job = ImportJob.objects.get()
    # as if the worker had died after writing the first row
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        processed_rows=1,
        result={"phase": "writing", "written": 1, "created": 1, "updated": 0, "unchanged": 0},
    )
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    page = client.get(response.url).content.decode()
    assert 'id="import-resume"' in page
    assert client.post(response.url).status_code == 302
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    # the first row was skipped as already written: only rows 2 and 3 were created now
    assert Customer.objects.count() == 2
    assert job.result["created"] == 3
