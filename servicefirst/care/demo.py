"""Care prompts for the demo bank: the standard rules, and a history of prompts for the
served tickets of the past days (mostly done, some skipped), so that the branch report has
prompts to count. Run after the floor's demo history exists; idempotent (one prompt per rule
and ticket)."""

import datetime
import random

from django.db import IntegrityError, transaction
from django.utils import timezone

from servicefirst.accounts.models import Unit
from servicefirst.care import evaluation
from servicefirst.care.defaults import ensure_rules
from servicefirst.care.evaluation import Floor, Visit
from servicefirst.care.models import CarePrompt
from servicefirst.floor.models import Counter, FloorSettings, Ticket

DONE_SHARE = 0.85
RAINY_SHARE = 0.2


def demo_care(*, days: int = 14, seed: int = 7, stdout=None) -> int:
    """Raise and resolve prompts for the last `days` days' served tickets of every branch;
    returns how many prompts were created."""
    ensure_rules()
    rng = random.Random(seed)
    today = timezone.localdate()
    created = 0
    for branch in Unit.objects.filter(kind=Unit.Kind.BRANCH):
        settings = FloorSettings.objects.filter(branch=branch).first() or FloorSettings(
            branch=branch
        )
        counters = Counter.objects.filter(branch=branch, staff__isnull=False).select_related(
            "staff"
        )
        speakers = [(c.number, c.staff) for c in counters]
        rules = evaluation.active_rules(branch.pk, None)
        tickets = (
            Ticket.objects.filter(
                branch=branch,
                day__gte=today - datetime.timedelta(days=days),
                day__lt=today,
                status=Ticket.Status.DONE,
                customer__isnull=False,
                transferred_from__isnull=True,
            )
            .select_related("customer", "served_by")
            .order_by("issued_at")
        )
        by_day: dict[datetime.date, list[Ticket]] = {}
        for t in tickets:
            by_day.setdefault(t.day, []).append(t)
        for day, day_tickets in sorted(by_day.items()):
            settings.raining = rng.random() < RAINY_SHARE  # in memory only: a past day's sky
            floor = Floor(branch=branch, settings=settings, today=day, speakers=speakers)
            visits = [Visit(t.customer, t) for t in day_tickets]
            for rule, visit in evaluation.firing(rules, visits, floor):
                texts = evaluation.prompt_texts(rule, visit, floor)
                t = visit.ticket
                done = rng.random() < DONE_SHARE
                try:
                    with transaction.atomic():
                        CarePrompt.objects.create(
                            rule=rule,
                            customer=visit.customer,
                            branch=branch,
                            day=day,
                            ticket=t,
                            audience=rule.audience,
                            text_zh=texts["zh"],
                            text_en=texts["en"],
                            status=CarePrompt.Status.DONE if done else CarePrompt.Status.SKIPPED,
                            created_at=t.called_at or t.issued_at,
                            resolved_by=t.served_by,
                            resolved_at=t.finished_at,
                        )
                except IntegrityError:
                    continue
                created += 1
        if stdout is not None:
            stdout.write(f"care prompts: {branch.code} done\n")
    return created
