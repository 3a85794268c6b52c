"""Writes of outbound campaigns: create and change a campaign (its purpose, script, product,
agents, dialing mode, abandoned-call cap, retry rules and calling window), start, pause and
finish it, and its dispositions.

Every function is atomic, takes a keyword-only `actor` holding `campaign.manage` (bank-wide,
or for campaigns of the actor's own unit), validates every field it is given — bad input raises
ValidationFailed naming the field and changes nothing — and records the change in the audit
log (object types "campaign" and "disposition", before → after).

Each campaign has a twin `customers.Campaign` (`Campaign.crm`, made here with a unique code):
the customer's timeline entries of campaign calls point at it, next to imported campaigns.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, role_scope, scope_for, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record, sequence_allocate
from servicefirst.customers.models import Campaign as CrmCampaign
from servicefirst.customers.models import Product
from servicefirst.dialer import compliance
from servicefirst.dialer.models import MAX_ABANDON_CAP, Campaign, Disposition

MIN_ABANDON_CAP = Decimal("0.001")
MAX_RING_S = 60
MAX_ATTEMPTS = 20
MAX_RETRY_HOURS = 720  # 30 days
TEXT_MAX = 20_000  # purpose, script
NAME_MAX = 120
LABEL_MAX = 60
CRM_CODE_SEQUENCE = "dialer_campaign"

# The fields campaign_create / campaign_update accept (status changes go through
# campaign_set_status; the twin and the author are set here).
FIELDS = (
    "name",
    "purpose",
    "script",
    "product",
    "unit",
    "mode",
    "abandon_cap",
    "max_attempts",
    "retry_no_answer_hours",
    "retry_busy_hours",
    "retry_machine_hours",
    "window_start",
    "window_end",
    "call_on_holidays",
    "ring_timeout_s",
    "agents",
)

# Disposition kinds whose outcome is fixed: these close the entry (or keep it open) whatever
# the flag says; only "other" lets the campaign choose.
FINAL_KINDS = frozenset(
    {
        Disposition.Kind.SALE,
        Disposition.Kind.INTERESTED,
        Disposition.Kind.NOT_INTERESTED,
        Disposition.Kind.WRONG_NUMBER,
        Disposition.Kind.DO_NOT_CALL,
    }
)
OPEN_KINDS = frozenset({Disposition.Kind.CALLBACK, Disposition.Kind.NO_ANSWER})

# (code, kind, Chinese label, English label) of a new campaign's dispositions.
DEFAULT_DISPOSITIONS = (
    ("sale", Disposition.Kind.SALE, "成交", "Sale"),
    ("interested", Disposition.Kind.INTERESTED, "有意向", "Interested"),
    ("callback", Disposition.Kind.CALLBACK, "约定回电", "Call back"),
    ("not_interested", Disposition.Kind.NOT_INTERESTED, "不感兴趣", "Not interested"),
    ("wrong_number", Disposition.Kind.WRONG_NUMBER, "号码错误", "Wrong number"),
    ("do_not_call", Disposition.Kind.DO_NOT_CALL, "不要再来电", "Do not call again"),
    ("no_answer", Disposition.Kind.NO_ANSWER, "无人接听/答录机", "No answer / machine"),
)

# Status changes: action → (statuses it may start from, status it leads to).
TRANSITIONS = {
    "start": (
        (Campaign.Status.DRAFT, Campaign.Status.PAUSED),
        Campaign.Status.ACTIVE,
    ),
    "pause": ((Campaign.Status.ACTIVE,), Campaign.Status.PAUSED),
    "finish": (
        (Campaign.Status.DRAFT, Campaign.Status.ACTIVE, Campaign.Status.PAUSED),
        Campaign.Status.FINISHED,
    ),
}


# --- permissions ---------------------------------------------------------------------------


def may_manage(actor, campaign: Campaign | None = None) -> bool:
    """Whether the actor may manage campaigns (this one: bank-wide, or of their own unit)."""
    scope = scope_for(actor, Action.CAMPAIGN_MANAGE)
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE:
        return False
    if campaign is None:
        return True
    staff = staff_of(actor)
    return staff is not None and campaign.unit_id == staff.unit_id


def _require_manage(actor, campaign: Campaign | None = None) -> None:
    if not may_manage(actor, campaign):
        raise PermissionDenied(_("You may not manage outbound campaigns."))


def _campaign_locked(actor, campaign_id) -> Campaign:
    try:
        pk = int(campaign_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such campaign.")) from None
    campaign = Campaign.objects.select_for_update().filter(pk=pk).first()
    if campaign is None:
        raise NotFound(_("No such campaign."))
    _require_manage(actor, campaign)
    return campaign


def works_calls(staff: Staff) -> bool:
    """Whether a member of staff may work calls (the agent desktop)."""
    return any(role_scope(r, Action.CALL_WORK) > Scope.NONE for r in staff.role_codes)


# --- validation ----------------------------------------------------------------------------


def _int(value, name: str, lo: int, hi: int, errors: dict) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return None
    if not lo <= number <= hi:
        errors[name] = [_("Enter a number from %(lo)d to %(hi)d.") % {"lo": lo, "hi": hi}]
        return None
    return number


def _time(value, name: str, errors: dict) -> datetime.time | None:
    if isinstance(value, datetime.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    text = str(value or "").strip()
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", text):
        try:
            parsed = datetime.time.fromisoformat(text.zfill(5) if len(text) == 4 else text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(second=0, microsecond=0)
    errors[name] = [_("Enter a time as HH:MM.")]
    return None


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on", "y", "是"}


def _cap(value, errors: dict) -> Decimal | None:
    try:
        cap = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors["abandon_cap"] = [_("Enter the cap as a fraction, e.g. 0.03 for 3%.")]
        return None
    if not cap.is_finite() or not MIN_ABANDON_CAP <= cap <= MAX_ABANDON_CAP:
        errors["abandon_cap"] = [
            _("The abandoned-call cap must be between 0.1% and 3% (the legal maximum).")
        ]
        return None
    return cap.quantize(Decimal("0.001"))


def _agents(value, errors: dict) -> list[Staff] | None:
    if value in (None, ""):
        return []
    if isinstance(value, (str, int)):
        value = [v for v in re.split(r"[\s,]+", str(value)) if v]
    ids = []
    for item in value:
        pk = getattr(item, "pk", item)
        try:
            ids.append(int(pk))
        except (TypeError, ValueError):
            errors["agents"] = [_("“%(value)s” is not a member of staff.") % {"value": item}]
            return None
    ids = list(dict.fromkeys(ids))
    found = {s.pk: s for s in Staff.objects.filter(pk__in=ids).prefetch_related("roles")}
    problems = []
    for pk in ids:
        staff = found.get(pk)
        if staff is None:
            problems.append(_("No member of staff with id %(id)s.") % {"id": pk})
        elif not works_calls(staff):
            problems.append(
                _("%(name)s does not work calls (needs an agent or supervisor role).")
                % {"name": staff.name}
            )
    if problems:
        errors["agents"] = problems
        return None
    return [found[pk] for pk in ids]


def _product(value, errors: dict) -> Product | None:
    if value in (None, ""):
        return None
    if isinstance(value, Product):
        return value
    text = str(value).strip()
    product = Product.objects.filter(code=text).first()
    if product is None and text.isdigit():
        product = Product.objects.filter(pk=int(text)).first()
    if product is None:
        errors["product"] = [_("No such product.")]
    return product


def _unit(value, errors: dict) -> Unit | None:
    if value in (None, ""):
        return None
    if isinstance(value, Unit):
        return value
    unit = Unit.objects.filter(pk=int(value)).first() if str(value).isdigit() else None
    if unit is None:
        unit = Unit.objects.filter(code=str(value).strip()).first()
    if unit is None:
        errors["unit"] = [_("No such unit.")]
    return unit


def _text(value, name: str, limit: int, errors: dict) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors[name] = [_("Keep it to %(n)d characters.") % {"n": limit}]
    return text


def campaign_clean(data: dict[str, Any], current: Campaign | None = None) -> dict[str, Any]:
    """Validate the given fields (all of them for a new campaign). Returns cleaned values by
    field name (`product`, `unit` objects, `agents` a list of Staff); raises ValidationFailed
    naming every bad field."""
    unknown = sorted(set(data) - set(FIELDS))
    errors: dict[str, list] = {}
    if unknown:
        errors["__all__"] = [_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}]
    out: dict[str, Any] = {}
    if current is None or "name" in data:
        name = _text(data.get("name"), "name", NAME_MAX, errors)
        if not name and "name" not in errors:
            errors["name"] = [_("Give the campaign a name.")]
        out["name"] = name
    for name in ("purpose", "script"):
        if name in data:
            out[name] = _text(data[name], name, TEXT_MAX, errors)
    if "product" in data:
        out["product"] = _product(data["product"], errors)
    if "unit" in data:
        out["unit"] = _unit(data["unit"], errors)
    if current is None or "mode" in data:
        mode = str(data.get("mode") or "").strip()
        if mode not in Campaign.Mode.values:
            errors["mode"] = [_("Choose preview, progressive or predictive.")]
        out["mode"] = mode
    if "abandon_cap" in data:
        out["abandon_cap"] = _cap(data["abandon_cap"], errors)
    if "max_attempts" in data:
        out["max_attempts"] = _int(data["max_attempts"], "max_attempts", 1, MAX_ATTEMPTS, errors)
    for name in ("retry_no_answer_hours", "retry_busy_hours", "retry_machine_hours"):
        if name in data:
            out[name] = _int(data[name], name, 1, MAX_RETRY_HOURS, errors)
    for name in ("window_start", "window_end"):
        if name in data:
            out[name] = _time(data[name], name, errors)
    if "call_on_holidays" in data:
        out["call_on_holidays"] = _bool(data["call_on_holidays"])
    if "ring_timeout_s" in data:
        minimum = compliance.Policy().min_ring_s
        ring = _int(data["ring_timeout_s"], "ring_timeout_s", 0, 10_000, errors)
        if ring is not None and ring < minimum:
            errors["ring_timeout_s"] = [
                _("Let a call ring at least %(n)d seconds.") % {"n": minimum}
            ]
        elif ring is not None and ring > MAX_RING_S:
            errors["ring_timeout_s"] = [_("Ring for at most %(n)d seconds.") % {"n": MAX_RING_S}]
        out["ring_timeout_s"] = ring
    if "agents" in data:
        out["agents"] = _agents(data["agents"], errors)
    # The calling window, as it will be after this change.
    start = out.get("window_start") or (current.window_start if current else None)
    end = out.get("window_end") or (current.window_end if current else None)
    start = start or Campaign._meta.get_field("window_start").default
    end = end or Campaign._meta.get_field("window_end").default
    if "window_start" not in errors and "window_end" not in errors:
        legal = compliance.Policy()
        if not start < end:
            errors["window_end"] = [_("The calling window must end after it starts.")]
        elif start < legal.window_start or end > legal.window_end:
            errors["window_start" if start < legal.window_start else "window_end"] = [
                _("Calls are allowed only between %(start)s and %(end)s, customer's local time.")
                % {
                    "start": legal.window_start.strftime("%H:%M"),
                    "end": legal.window_end.strftime("%H:%M"),
                }
            ]
    if errors:
        raise ValidationFailed(errors)
    return out


def _audit_value(name: str, value):
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return str(value)
    if name == "agents":
        return sorted(s.pk for s in value)
    if isinstance(value, (Product, Unit)):
        return value.code
    return value


def _current_values(campaign: Campaign) -> dict[str, Any]:
    values = {name: getattr(campaign, name) for name in FIELDS if name != "agents"}
    values["agents"] = list(campaign.agents.all())
    return values


def _crm_code(name: str) -> str:
    """A unique code for the twin customers.Campaign: call-<n>[-<ascii name>]."""
    slug = slugify(name)[:24].strip("-")
    while True:
        n = sequence_allocate(CRM_CODE_SEQUENCE)[0]
        code = f"call-{n:04d}" + (f"-{slug}" if slug else "")
        if not CrmCampaign.objects.filter(code=code).exists():
            return code


def default_dispositions() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "kind": kind,
            "label_zh": zh,
            "label_en": en,
            "is_final": kind not in OPEN_KINDS,
            "sort_order": (i + 1) * 10,
        }
        for i, (code, kind, zh, en) in enumerate(DEFAULT_DISPOSITIONS)
    ]


# --- campaigns -----------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, actor, data: dict[str, Any]) -> Campaign:
    """A new campaign (in draft) with its twin for the timeline and the default dispositions.
    Fields not given take the model's defaults (3% cap, 09:00–21:00, 20 s ring...)."""
    _require_manage(actor)
    cleaned = campaign_clean(data)
    staff = staff_of(actor)
    unit = cleaned.pop("unit", None) or (staff.unit if staff else None)
    if not may_manage(actor, Campaign(unit=unit)):
        raise ValidationFailed({"unit": [_("You may only run campaigns of your own unit.")]})
    agents = cleaned.pop("agents", [])
    crm = CrmCampaign.objects.create(
        code=_crm_code(cleaned["name"]), name=cleaned["name"], product=cleaned.get("product")
    )
    campaign = Campaign(crm=crm, unit=unit, created_by=staff, **cleaned)
    campaign.save()
    campaign.agents.set(agents)
    Disposition.objects.bulk_create(
        [Disposition(campaign=campaign, **d) for d in default_dispositions()]
    )
    values = _current_values(campaign)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="campaign",
        object_id=campaign.pk,
        detail={
            "created": campaign.name,
            "crm": crm.code,
            "after": {name: _audit_value(name, v) for name, v in values.items()},
        },
    )
    return campaign


@transaction.atomic
def campaign_update(*, actor, campaign_id, data: dict[str, Any]) -> Campaign:
    """Change the given fields of a campaign (any status but finished). Recorded before →
    after; the twin's name and product follow."""
    campaign = _campaign_locked(actor, campaign_id)
    if campaign.status == Campaign.Status.FINISHED:
        raise ValidationFailed({"__all__": [_("A finished campaign cannot be changed.")]})
    current = _current_values(campaign)
    cleaned = campaign_clean(data, current=campaign)
    if cleaned.get("unit") is not None and not may_manage(actor, Campaign(unit=cleaned["unit"])):
        raise ValidationFailed({"unit": [_("You may only run campaigns of your own unit.")]})
    changed = [
        name
        for name in cleaned
        if _audit_value(name, cleaned[name]) != _audit_value(name, current[name])
    ]
    if not changed:
        return campaign
    for name in changed:
        if name != "agents":
            setattr(campaign, name, cleaned[name])
    campaign.save()
    if "agents" in changed:
        campaign.agents.set(cleaned["agents"])
    if {"name", "product"} & set(changed):
        CrmCampaign.objects.filter(pk=campaign.crm_id).update(
            name=campaign.name, product=campaign.product
        )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="campaign",
        object_id=campaign.pk,
        detail={
            "campaign": campaign.name,
            "before": {name: _audit_value(name, current[name]) for name in changed},
            "after": {name: _audit_value(name, cleaned[name]) for name in changed},
        },
    )
    return campaign


@transaction.atomic
def campaign_set_status(*, actor, campaign_id, action: str) -> Campaign:
    """Start (from draft or paused), pause (a running campaign) or finish a campaign.
    Starting needs at least one agent and one disposition; the first start dates the twin."""
    campaign = _campaign_locked(actor, campaign_id)
    if action not in TRANSITIONS:
        raise ValidationFailed({"action": [_("Choose start, pause or finish.")]})
    sources, target = TRANSITIONS[action]
    if campaign.status not in sources:
        raise ValidationFailed(
            {
                "action": [
                    _("The campaign is %(status)s: it cannot be %(action)s.")
                    % {
                        "status": campaign.get_status_display().lower(),
                        "action": {
                            "start": pgettext("campaign", "started"),
                            "pause": _("paused"),
                            "finish": pgettext("campaign", "finished"),
                        }[action],
                    }
                ]
            }
        )
    if target == Campaign.Status.ACTIVE:
        problems = []
        if not campaign.agents.exists():
            problems.append(_("Add at least one agent before starting the campaign."))
        if not campaign.dispositions.exists():
            problems.append(_("Add at least one disposition before starting the campaign."))
        if problems:
            raise ValidationFailed({"action": problems})
    before = campaign.status
    campaign.status = target
    campaign.save(update_fields=["status", "updated_at"])
    if target == Campaign.Status.ACTIVE:
        CrmCampaign.objects.filter(pk=campaign.crm_id, started_on__isnull=True).update(
            started_on=timezone.localdate()
        )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="campaign",
        object_id=campaign.pk,
        detail={
            "campaign": campaign.name,
            "status": action,
            "before": {"status": before},
            "after": {"status": target},
        },
    )
    return campaign


# --- dispositions --------------------------------------------------------------------------

DISPOSITION_FIELDS = ("code", "kind", "label_zh", "label_en", "is_final", "sort_order")


def disposition_clean(
    data: dict[str, Any], campaign: Campaign, current: Disposition | None = None
) -> dict[str, Any]:
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    unknown = sorted(set(data) - set(DISPOSITION_FIELDS))
    if unknown:
        errors["__all__"] = [_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}]
    if current is None or "code" in data:
        code = str(data.get("code") or "").strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,29}", code):
            errors["code"] = [_("Use up to 30 lower-case letters, digits, hyphens or underscores.")]
        else:
            taken = Disposition.objects.filter(campaign=campaign, code=code)
            if current is not None:
                taken = taken.exclude(pk=current.pk)
            if taken.exists():
                errors["code"] = [_("This campaign already has a disposition with this code.")]
        out["code"] = code
    if current is None or "kind" in data:
        kind = str(data.get("kind") or "").strip()
        if kind not in Disposition.Kind.values:
            errors["kind"] = [_("Choose what kind of result this is.")]
        out["kind"] = kind
    for name in ("label_zh", "label_en"):
        if current is None or name in data:
            label = str(data.get(name) or "").strip()
            if not label:
                errors[name] = [_("Give the label shown to agents.")]
            elif len(label) > LABEL_MAX:
                errors[name] = [_("Keep it to %(n)d characters.") % {"n": LABEL_MAX}]
            out[name] = label
    if "sort_order" in data:
        out["sort_order"] = _int(data["sort_order"], "sort_order", 0, 1000, errors)
    kind = out.get("kind") or (current.kind if current else "")
    if kind in FINAL_KINDS:
        out["is_final"] = True
    elif kind in OPEN_KINDS:
        out["is_final"] = False
    elif "is_final" in data or current is None:
        out["is_final"] = _bool(data.get("is_final", True))
    if errors:
        raise ValidationFailed(errors)
    return out


@transaction.atomic
def disposition_add(*, actor, campaign_id, data: dict[str, Any]) -> Disposition:
    """Add a disposition to a campaign. Sale, interested, not interested, wrong number and do
    not call always close the entry; callback and no answer never do; "other" as chosen."""
    campaign = _campaign_locked(actor, campaign_id)
    if campaign.status == Campaign.Status.FINISHED:
        raise ValidationFailed({"__all__": [_("A finished campaign cannot be changed.")]})
    cleaned = disposition_clean(data, campaign)
    if "sort_order" not in cleaned:
        last = campaign.dispositions.order_by("-sort_order").first()
        cleaned["sort_order"] = (last.sort_order + 10) if last else 10
    disposition = Disposition.objects.create(campaign=campaign, **cleaned)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="disposition",
        object_id=disposition.pk,
        detail={"campaign": campaign.pk, "added": cleaned},
    )
    return disposition


@transaction.atomic
def disposition_update(*, actor, disposition_id, data: dict[str, Any]) -> Disposition:
    """Change a disposition's code, kind, labels, order or (for "other") whether it closes the
    entry. Calls already made keep it."""
    disposition = (
        Disposition.objects.select_for_update().filter(pk=disposition_id).first()
        if str(disposition_id).isdigit()
        else None
    )
    if disposition is None:
        raise NotFound(_("No such disposition."))
    campaign = _campaign_locked(actor, disposition.campaign_id)
    if campaign.status == Campaign.Status.FINISHED:
        raise ValidationFailed({"__all__": [_("A finished campaign cannot be changed.")]})
    cleaned = disposition_clean(data, campaign, current=disposition)
    changed = [n for n, v in cleaned.items() if getattr(disposition, n) != v]
    if not changed:
        return disposition
    before = {n: getattr(disposition, n) for n in changed}
    for name in changed:
        setattr(disposition, name, cleaned[name])
    disposition.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="disposition",
        object_id=disposition.pk,
        detail={
            "campaign": campaign.pk,
            "before": before,
            "after": {n: cleaned[n] for n in changed},
        },
    )
    return disposition
