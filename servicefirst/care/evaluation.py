"""Which care rules fire for which customers at a branch now, and what the prompts say.

Evaluated set-wise for a list of visits (one customer at a counter, or every customer in the
hall): the floor's state (rain, counters on duty and the languages of their tellers) is read
once, first visits with two grouped queries, and each condition rule with one query over all
the customers. Nothing here writes; `services` creates the prompt rows."""

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.db.models import Min, Q
from django.utils import timezone, translation
from django.utils.translation import get_language_info, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff, Unit
from servicefirst.care.models import Audience, CarePromptRule
from servicefirst.customers.models import Customer, Interaction
from servicefirst.floor.models import Counter, FloorSettings, Ticket
from servicefirst.insights import conditions as cond

log = logging.getLogger(__name__)

PLACEHOLDERS = ("name", "age", "tier", "branch", "language", "tellers")
LANGUAGE_PLACEHOLDERS = ("language", "tellers")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
TEXT_LANGUAGES = {"zh": "zh-hans", "en": "en"}

# Languages Django does not name (its list covers the written languages).
EXTRA_LANGUAGE_NAMES = {
    "yue": _("Cantonese"),
    "nan": _("Hokkien"),
    "wuu": _("Shanghainese"),
    "hak": _("Hakka"),
}


def language_name(code: str) -> str:
    """The language's name in the active interface language ("English" / "英语")."""
    code = (code or "").strip().lower()
    if code in EXTRA_LANGUAGE_NAMES:
        return str(EXTRA_LANGUAGE_NAMES[code])
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def is_chinese(code: str) -> bool:
    return not code or code.strip().lower().split("-")[0].split("_")[0] in ("zh", "cmn")


def _primary(code: str) -> str:
    return code.strip().lower().split("-")[0].split("_")[0]


@dataclass
class Visit:
    """A customer in the branch now; `ticket` is the first ticket of the visit (before any
    transfer), or None when the customer was met without one."""

    customer: Customer
    ticket: Ticket | None = None


@dataclass
class Floor:
    branch: Unit
    settings: FloorSettings
    today: datetime.date
    speakers: list[tuple[int, Staff]] = field(default_factory=list)  # (counter, teller) on duty

    @property
    def day_start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.today, datetime.time.min))

    def vip_tiers(self, rule: CarePromptRule) -> set[str]:
        if rule.tiers:
            return set(rule.tiers)
        points = self.settings.vip_priority or {}
        return {tier for tier, value in points.items() if value}

    def elderly_age(self, rule: CarePromptRule) -> int:
        return rule.min_age or self.settings.elderly_age

    def speakers_of(self, code: str) -> list[tuple[int, Staff]]:
        want = _primary(code)
        return [
            (number, staff)
            for number, staff in self.speakers
            if any(_primary(str(lang)) == want for lang in staff.languages or [])
        ]


def floor_state(branch: Unit) -> Floor:
    settings = FloorSettings.objects.filter(branch=branch).first() or FloorSettings(branch=branch)
    counters = (
        Counter.objects.filter(branch=branch, is_open=True, paused=False, staff__isnull=False)
        .select_related("staff")
        .order_by("number")
    )
    return Floor(
        branch=branch,
        settings=settings,
        today=timezone.localdate(),
        speakers=[(c.number, c.staff) for c in counters],
    )


def active_rules(branch_id: int, audience: str | None) -> list[CarePromptRule]:
    """Rules in use at the branch for the audience (None: every audience)."""
    rules = CarePromptRule.objects.filter(is_active=True).filter(
        Q(branch__isnull=True) | Q(branch_id=branch_id)
    )
    if audience:
        rules = rules.filter(audience__in=(audience, Audience.BOTH))
    return list(rules)


def is_birthday(birth: datetime.date | None, today: datetime.date) -> bool:
    if birth is None:
        return False
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    # Born on 29 February: wished on 28 February in the years without one.
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def age_on(birth: datetime.date | None, today: datetime.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def language_needed(visit: Visit) -> str:
    """The language the customer prefers when it is not Chinese, else ""."""
    for code in (visit.customer.preferred_language, visit.ticket.language if visit.ticket else ""):
        if code and not is_chinese(code):
            return code.strip().lower()
    return ""


def _returning_customers(visits: list[Visit], floor: Floor) -> set[int]:
    """Customers with an earlier branch visit: a ticket before this visit's, or a visit on
    their timeline before today."""
    ids = {v.customer.pk for v in visits}
    first_ticket = dict(
        Ticket.objects.filter(customer_id__in=ids)
        .order_by()
        .values("customer_id")
        .annotate(first=Min("issued_at"))
        .values_list("customer_id", "first")
    )
    visited = set(
        Interaction.objects.filter(
            customer_id__in=ids, kind=Interaction.Kind.VISIT, occurred_at__lt=floor.day_start
        ).values_list("customer_id", flat=True)
    )
    returning = set()
    for visit in visits:
        cutoff = visit.ticket.issued_at if visit.ticket else floor.day_start
        first = first_ticket.get(visit.customer.pk)
        if visit.customer.pk in visited or (first is not None and first < cutoff):
            returning.add(visit.customer.pk)
    return returning


def _matching(rule: CarePromptRule, ids: set[int]) -> set[int]:
    """The customers among `ids` meeting the rule's condition list (one query)."""
    try:
        q = cond.compile_q(rule.conditions, live=True)
        return set(Customer.objects.filter(pk__in=ids).filter(q).values_list("pk", flat=True))
    except Exception:  # a rule saved before its field disappeared: it must not stop the floor
        log.exception("care rule %s: conditions could not be evaluated", rule.pk)
        return set()


def firing(
    rules: list[CarePromptRule], visits: list[Visit], floor: Floor
) -> list[tuple[CarePromptRule, Visit]]:
    """(rule, visit) for every rule that fires for a visit, in rule order."""
    if not rules or not visits:
        return []
    ids = {v.customer.pk for v in visits}
    returning = (
        _returning_customers(visits, floor)
        if any(r.trigger == CarePromptRule.Trigger.FIRST_VISIT for r in rules)
        else set()
    )
    matching = {r.pk: _matching(r, ids) for r in rules if r.conditions}
    out = []
    for rule in rules:
        for visit in visits:
            if rule.conditions and visit.customer.pk not in matching[rule.pk]:
                continue
            if _fires(rule, visit, floor, returning):
                out.append((rule, visit))
    return out


def _fires(rule: CarePromptRule, visit: Visit, floor: Floor, returning: set[int]) -> bool:
    T = CarePromptRule.Trigger
    customer = visit.customer
    if rule.trigger == T.RAINING:
        return floor.settings.raining
    if rule.trigger == T.BIRTHDAY:
        return is_birthday(customer.birth_date, floor.today)
    if rule.trigger == T.ELDERLY:
        age = age_on(customer.birth_date, floor.today)
        if age is not None:
            return age >= floor.elderly_age(rule)
        return bool(visit.ticket and visit.ticket.priority_reason == Ticket.Reason.ELDERLY)
    if rule.trigger == T.LANGUAGE:
        return bool(language_needed(visit))
    if rule.trigger == T.FIRST_VISIT:
        return customer.pk not in returning
    if rule.trigger == T.VIP:
        return customer.value_tier in floor.vip_tiers(rule)
    return rule.trigger == T.CONDITIONS  # the condition list (checked above) is the trigger


# --- the words ------------------------------------------------------------------------------


def tellers_words(floor: Floor, code: str) -> str:
    """ "Counter 3, 王芳 speaks it" in the active language."""
    speakers = floor.speakers_of(code)
    if not speakers:
        return gettext("no teller on duty speaks it")
    names = gettext("; ").join(
        gettext("Counter %(number)s, %(name)s") % {"number": number, "name": staff.name}
        for number, staff in speakers
    )
    return ngettext("%(tellers)s speaks it", "%(tellers)s speak it", len(speakers)) % {
        "tellers": names
    }


def render(template: str, values: dict[str, str]) -> str:
    """Fill {placeholders}; anything else is left as written."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def placeholder_values(rule: CarePromptRule, visit: Visit, floor: Floor) -> dict[str, str]:
    """The placeholder values in the active language."""
    customer = visit.customer
    age = age_on(customer.birth_date, floor.today)
    values = {
        "name": customer.display_name,
        "age": "" if age is None else str(age),
        "tier": str(customer.get_value_tier_display()),
        "branch": str(floor.branch),
    }
    code = language_needed(visit)
    if code:
        values["language"] = language_name(code)
        values["tellers"] = tellers_words(floor, code)
    else:
        values["language"] = values["tellers"] = ""
    return values


def prompt_texts(rule: CarePromptRule, visit: Visit, floor: Floor) -> dict[str, str]:
    """{"zh": ..., "en": ...}: the message in each language, filled in that language (a
    message written in one language only is used for both)."""
    texts = {}
    for key, lang in TEXT_LANGUAGES.items():
        template = getattr(rule, f"message_{key}") or rule.message_zh or rule.message_en
        with translation.override(lang):
            texts[key] = render(template, placeholder_values(rule, visit, floor))[:400]
    return texts


def placeholder_errors(template: str, trigger: str) -> list[str]:
    """Messages for placeholders a rule cannot fill."""
    errors = []
    for name in PLACEHOLDER_RE.findall(template or ""):
        if name not in PLACEHOLDERS:
            errors.append(
                gettext("Unknown placeholder {%(name)s}; use %(known)s.")
                % {"name": name, "known": ", ".join("{" + p + "}" for p in PLACEHOLDERS)}
            )
        elif name in LANGUAGE_PLACEHOLDERS and trigger != CarePromptRule.Trigger.LANGUAGE:
            errors.append(
                gettext("{%(name)s} can only be used in a language rule.") % {"name": name}
            )
    return errors
