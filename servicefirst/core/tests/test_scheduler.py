"""The periodic-job scheduler: each job enqueued once per period, remembered in the database so
that a restart (or a second scheduler) does not run a period twice."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from servicefirst.core import scheduler
from servicefirst.core.models import ScheduledRun
from servicefirst.core.scheduler import Job, run_due

pytestmark = pytest.mark.django_db

GREETINGS = "servicefirst.lobby.tasks.greetings_schedule"


def local(day: str, hhmm: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(f"{day}T{hhmm}"))


def test_the_registered_jobs_are_sound():
    assert scheduler.validate() == []
    greetings = next(j for j in scheduler.JOBS if j.task == GREETINGS)
    assert (greetings.daily_at, greetings.pass_day) == ("08:00", True)


def test_a_broken_job_list_is_reported():
    problems = scheduler.validate(
        [
            Job("a", "servicefirst.nowhere.task", every_minutes=5),
            Job("a", GREETINGS, daily_at="08:00"),
        ]
    )
    assert any("cannot import" in p for p in problems)
    assert any("duplicate" in p for p in problems)
    with pytest.raises(ValueError, match="exactly one"):
        Job("b", GREETINGS)
    with pytest.raises(ValueError, match="exactly one"):
        Job("b", GREETINGS, daily_at="08:00", every_minutes=5)


def test_a_daily_job_is_enqueued_once_per_day_from_its_time():
    jobs = [Job("greet", GREETINGS, daily_at="08:00", pass_day=True)]
    assert run_due(local("2026-09-25", "07:59"), jobs) == []
    first = run_due(local("2026-09-25", "08:00"), jobs)
    assert [(r.job, r.period) for r in first] == [("greet", "2026-09-25")]
    assert run_due(local("2026-09-25", "08:01"), jobs) == []
    assert run_due(local("2026-09-25", "23:59"), jobs) == []
    # the task received the day as an ISO string
    task = DBTaskResult.objects.get()
    assert task.task_path == GREETINGS
    assert task.args_kwargs["args"] == ["2026-09-25"]
    # the next day it is due again
    assert len(run_due(local("2026-09-26", "09:30"), jobs)) == 1
    assert DBTaskResult.objects.count() == 2


def test_an_every_n_minutes_job_is_enqueued_once_per_period():
    jobs = [Job("tick", GREETINGS, every_minutes=15, pass_day=True)]
    assert [r.period for r in run_due(local("2026-09-25", "10:03"), jobs)] == ["2026-09-25T10:00"]
    assert run_due(local("2026-09-25", "10:14"), jobs) == []
    assert [r.period for r in run_due(local("2026-09-25", "10:15"), jobs)] == ["2026-09-25T10:15"]
    assert ScheduledRun.objects.count() == 2


def test_a_restarted_scheduler_does_not_run_a_period_twice(monkeypatch):
    # given a job due all day, and a scheduler that already ran (its state is in the database)
    monkeypatch.setattr(
        scheduler, "JOBS", [Job("daily", GREETINGS, every_minutes=1440, pass_day=True)]
    )
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "enqueued daily" in out.getvalue()
    # when it is started again
    again = StringIO()
    call_command("scheduler", "--once", stdout=again)
    # then nothing more was enqueued
    assert again.getvalue() == ""
    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_the_worker_runs_the_enqueued_greetings(transactional_db):
    from servicefirst.customers.models import Consent
    from servicefirst.customers.tests.factories import make_customer
    from servicefirst.lobby.models import Greeting

    customer = make_customer(name_zh="张三丰", phones=["13800138000"], birth_date="1980-09-25")
    Consent.objects.create(customer=customer, kind="marketing", source="开户表格")
    run_due(
        local("2026-09-25", "08:00"), [Job("greet", GREETINGS, daily_at="08:00", pass_day=True)]
    )
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    assert set(Greeting.objects.values_list("occasion", flat=True)) == {
        "birthday",
        "Mid-Autumn Festival",
    }
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_jobs_can_be_listed():
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "lobby.greetings" in out.getvalue()
    assert "daily at 08:00" in out.getvalue()
