"""The commitment register: create a commitment, draft and discuss its versions, approve,
publish and retire them; and the reads the register's pages and API share.

Every write takes a keyword-only `actor` (the logged-in user), checks the permission matrix
(`Action.COMMITMENT_*`), is atomic, writes an audit event, and raises `ValidationFailed`
naming the field when the input is wrong (nothing is changed then).

Scopes (UNIT):
- view: commitments owned by the actor's unit or a unit above it (a head-office commitment
  binds every branch), or received by the actor's unit (`beneficiary_unit`);
- discuss: only staff of the owning unit and the units below it, whatever their scope;
- manage / publish: commitments owned by the actor's unit or a unit below it.
ALL lets view, manage and publish anywhere in the bank.

The lifecycle of a version: draft → discussion → approved → published → retired. Approving
needs the discussion to have been opened and at least one comment or agreement; when more of
the owning unit's staff disagree than agree, the approver must give a reason, which is added
to the discussion for everyone to read (a majority against does not block a manager who
explains why; it cannot be overridden silently). Publishing retires the version published
before, in the same transaction.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from servicefirst.accounts.models import Staff, Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.accounts.selectors import unit_chain, units_below
from servicefirst.commitments.events import KINDS
from servicefirst.commitments.models import (
    BusinessCalendar,
    Case,
    Commitment,
    CommitmentVersion,
    DiscussionComment,
)
from servicefirst.commitments.signals import case_breached
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.services import audit_record

Status = CommitmentVersion.Status
TargetUnit = CommitmentVersion.TargetUnit
TIME_UNITS = (
    TargetUnit.SECONDS,
    TargetUnit.MINUTES,
    TargetUnit.HOURS,
    TargetUnit.DAYS,
    TargetUnit.WORKING_DAYS,
)
COUNT_UNITS = (TargetUnit.RINGS, TargetUnit.TIMES)
IN_PROGRESS = (Status.DRAFT, Status.DISCUSSION, Status.APPROVED)

# The version fields a draft carries (and the history page compares).
VERSION_FIELDS = (
    "statement_zh",
    "statement_en",
    "measure",
    "start_event",
    "stop_event",
    "cancel_events",
    "pause_event",
    "resume_event",
    "event_filter",
    "target_value",
    "target_unit",
    "goal_percent",
    "warn_percent",
    "calendar",
    "remedy",
)
COMMITMENT_FIELDS = ("area", "owner", "beneficiary", "beneficiary_unit", "basis", "source")


# --- permissions -------------------------------------------------------------------------------


def _staff(actor) -> Staff | None:
    return staff_of(actor)


def visible_filter(actor) -> Q | None:
    """Commitments the actor may see; None when none."""
    scope = scope_for(actor, Action.COMMITMENT_VIEW)
    if scope == Scope.NONE:
        return None
    if scope == Scope.ALL:
        return Q()
    staff = _staff(actor)
    return Q(owner_id__in=unit_chain(staff.unit_id)) | Q(beneficiary_unit_id=staff.unit_id)


def _in_scope(actor, action: str, commitment: Commitment) -> bool:
    scope = scope_for(actor, action)
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE:
        return False
    staff = _staff(actor)
    return commitment.owner_id in units_below(staff.unit_id)


def can_manage(actor, commitment: Commitment) -> bool:
    return _in_scope(actor, Action.COMMITMENT_MANAGE, commitment)


def can_publish(actor, commitment: Commitment) -> bool:
    return _in_scope(actor, Action.COMMITMENT_PUBLISH, commitment)


def can_discuss(actor, commitment: Commitment) -> bool:
    """Only staff of the owning unit (and of the units below it) discuss its commitments."""
    if scope_for(actor, Action.COMMITMENT_DISCUSS) == Scope.NONE:
        return False
    staff = _staff(actor)
    return staff.unit_id in units_below(commitment.owner_id)


def owner_choices(actor) -> list[Unit]:
    """Units the actor may create commitments for."""
    scope = scope_for(actor, Action.COMMITMENT_MANAGE)
    if scope == Scope.NONE:
        return []
    staff = _staff(actor)
    units = Unit.objects.order_by("code")
    if scope == Scope.ALL:
        return list(units.filter(bank_id=staff.unit.bank_id) if staff else units)
    return list(units.filter(pk__in=units_below(staff.unit_id)))


def _commitment_for(actor, commitment_id: int, *, lock: bool = False) -> Commitment:
    qs = commitments_visible(actor)
    if lock:
        qs = qs.select_for_update()
    commitment = qs.filter(pk=commitment_id).first()
    if commitment is None:
        raise NotFound(_("No such commitment."))
    return commitment


def _version_for(actor, version_id: int, *, lock: bool = False) -> CommitmentVersion:
    version = CommitmentVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound(_("No such commitment version."))
    commitment = _commitment_for(actor, version.commitment_id, lock=lock)
    if lock:
        version = CommitmentVersion.objects.select_for_update().get(pk=version_id)
    version.commitment = commitment
    return version


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_status(version: CommitmentVersion, *statuses: str, field: str = "status") -> None:
    if version.status not in statuses:
        wanted = ", ".join(str(Status(s).label) for s in statuses)
        raise ValidationFailed(
            {
                field: [
                    _("Version %(n)s is %(status)s; this needs it to be: %(wanted)s.")
                    % {
                        "n": version.number,
                        "status": version.get_status_display(),
                        "wanted": wanted,
                    }
                ]
            }
        )


# --- validation ---------------------------------------------------------------------------------


def _decimal(value, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if not number.is_finite():
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    return number


def _kind(value: str, field: str, errors: dict, *, required: bool) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            errors.setdefault(field, []).append(_("Choose an event."))
        return ""
    if value not in KINDS:
        errors.setdefault(field, []).append(
            _("“%(kind)s” is not an event the bank records.") % {"kind": value}
        )
    return value


def _event_filter(value, start_event: str, errors: dict) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors.setdefault("event_filter", []).append(_("Give the filter as attribute → value(s)."))
        return {}
    allowed = KINDS[start_event].attrs if start_event in KINDS else ()
    out: dict[str, Any] = {}
    for key, wanted in value.items():
        if key not in allowed:
            errors.setdefault("event_filter", []).append(
                _("“%(attr)s” is not an attribute of “%(kind)s” (it has: %(attrs)s).")
                % {
                    "attr": key,
                    "kind": start_event,
                    "attrs": ", ".join(allowed) or pgettext("attributes", "none"),
                }
            )
            continue
        if isinstance(wanted, list | tuple):
            values = [str(v).strip() for v in wanted if str(v).strip()]
        else:
            values = [s.strip() for s in str(wanted).split(",") if s.strip()]
        if not values:
            errors.setdefault("event_filter", []).append(
                _("Give a value for “%(attr)s”.") % {"attr": key}
            )
            continue
        out[key] = values[0] if len(values) == 1 else values
    return out


def validate_version(data: dict) -> dict:
    """The fields of a version, checked and normalised; ValidationFailed names every bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for field, label in (("statement_zh", _("Chinese")), ("statement_en", _("English"))):
        text = str(data.get(field) or "").strip()
        if not text:
            errors[field] = [_("Write the statement in %(lang)s.") % {"lang": label}]
        elif len(text) > 300:
            errors[field] = [_("At most 300 characters.")]
        out[field] = text
    measure = str(data.get("measure") or "")
    if measure not in CommitmentVersion.Measure.values:
        errors["measure"] = [_("Choose a time between two events or a count.")]
    out["measure"] = measure
    start = _kind(data.get("start_event"), "start_event", errors, required=True)
    stop = _kind(data.get("stop_event"), "stop_event", errors, required=False)
    pause = _kind(data.get("pause_event"), "pause_event", errors, required=False)
    resume = _kind(data.get("resume_event"), "resume_event", errors, required=False)
    cancel_raw = data.get("cancel_events") or []
    if isinstance(cancel_raw, str):
        cancel_raw = [c for c in cancel_raw.replace(",", " ").split() if c]
    cancel = []
    for kind in cancel_raw:
        kind = _kind(kind, "cancel_events", errors, required=False)
        if kind and kind not in cancel:
            cancel.append(kind)
    unit = str(data.get("target_unit") or "")
    if measure == CommitmentVersion.Measure.DURATION:
        if not stop and "stop_event" not in errors:
            errors["stop_event"] = [_("A time between two events needs the event that stops it.")]
        if stop and stop == start:
            errors["stop_event"] = [_("The clock cannot start and stop at the same event.")]
        if unit not in TIME_UNITS:
            errors["target_unit"] = [
                _("A time needs a time unit (seconds, minutes, hours, days or working days).")
            ]
    elif measure == CommitmentVersion.Measure.COUNT:
        if stop:
            errors["stop_event"] = [_("A count is carried by one event: leave the stop empty.")]
        if unit not in COUNT_UNITS:
            errors["target_unit"] = [_("A count needs a count unit (rings or times).")]
        if start in KINDS and KINDS[start].value is None:
            errors.setdefault("start_event", []).append(
                _("“%(kind)s” carries no count to measure.") % {"kind": start}
            )
        if pause or resume:
            errors["pause_event"] = [_("A count has no clock to pause.")]
    if bool(pause) != bool(resume) and "pause_event" not in errors:
        field = "resume_event" if pause else "pause_event"
        errors[field] = [
            _("Give both the event that pauses the clock and the one that resumes it.")
        ]
    out.update(
        start_event=start,
        stop_event=stop,
        pause_event=pause,
        resume_event=resume,
        cancel_events=cancel,
        target_unit=unit,
    )
    out["event_filter"] = _event_filter(data.get("event_filter"), start, errors)
    target = _decimal(data.get("target_value"), "target_value", errors)
    if target is not None and target <= 0:
        errors["target_value"] = [_("The target must be more than zero.")]
    elif target is not None and target >= Decimal("1e8"):
        errors["target_value"] = [_("The target is too large.")]
    out["target_value"] = target
    goal = _decimal(data.get("goal_percent", 95), "goal_percent", errors)
    if goal is not None and not (1 <= goal <= 100):
        errors["goal_percent"] = [_("The attainment goal is a percentage from 1 to 100.")]
    out["goal_percent"] = goal
    warn = _decimal(data.get("warn_percent", 80), "warn_percent", errors)
    if warn is not None and (warn != warn.to_integral_value() or not (1 <= warn <= 99)):
        errors["warn_percent"] = [_("Warn at a whole percentage of the target from 1 to 99.")]
    out["warn_percent"] = int(warn) if warn is not None and "warn_percent" not in errors else None
    calendar = data.get("calendar") or data.get("calendar_id")
    if isinstance(calendar, BusinessCalendar):
        out["calendar"] = calendar
    else:
        found = None
        if calendar not in (None, ""):
            lookup = {"pk": calendar} if str(calendar).isdigit() else {"code": calendar}
            found = BusinessCalendar.objects.filter(**lookup).first()
        if found is None:
            errors["calendar"] = [_("Choose the calendar the clock runs on.")]
        out["calendar"] = found
    remedy = data.get("remedy", True)
    out["remedy"] = (
        remedy if isinstance(remedy, bool) else str(remedy).lower() in ("1", "true", "on", "yes")
    )
    out["change_note"] = str(data.get("change_note") or "").strip()[:300]
    if errors:
        raise ValidationFailed(errors)
    return out


def _validate_commitment(data: dict, *, creating: bool) -> dict:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if creating:
        code = slugify(str(data.get("code") or "").strip())[:40]
        if not code:
            errors["code"] = [_("Give the commitment a short code (letters, digits, dashes).")]
        elif Commitment.objects.filter(code=code).exists():
            errors["code"] = [_("A commitment with this code exists already.")]
        out["code"] = code
    area = str(data.get("area") or "")
    if area not in Commitment.Area.values:
        errors["area"] = [_("Choose an area.")]
    out["area"] = area
    owner = data.get("owner") or data.get("owner_id")
    owner_unit = owner if isinstance(owner, Unit) else None
    if owner_unit is None and owner not in (None, ""):
        lookup = {"pk": owner} if str(owner).isdigit() else {"code": owner}
        owner_unit = Unit.objects.filter(**lookup).first()
    if owner_unit is None:
        errors["owner"] = [_("Choose the owning unit.")]
    out["owner"] = owner_unit
    beneficiary = str(data.get("beneficiary") or Commitment.Beneficiary.CUSTOMERS)
    if beneficiary not in Commitment.Beneficiary.values:
        errors["beneficiary"] = [_("Choose customers or a first-line unit.")]
    out["beneficiary"] = beneficiary
    bunit = data.get("beneficiary_unit") or data.get("beneficiary_unit_id")
    bunit_obj = bunit if isinstance(bunit, Unit) else None
    if bunit_obj is None and bunit not in (None, ""):
        lookup = {"pk": bunit} if str(bunit).isdigit() else {"code": bunit}
        bunit_obj = Unit.objects.filter(**lookup).first()
    if beneficiary == Commitment.Beneficiary.UNIT:
        if bunit_obj is None:
            errors["beneficiary_unit"] = [_("Choose the unit this commitment is made to.")]
        elif owner_unit is not None and bunit_obj.pk == owner_unit.pk:
            errors["beneficiary_unit"] = [_("A unit does not make a commitment to itself.")]
        out["beneficiary_unit"] = bunit_obj
    else:
        out["beneficiary_unit"] = None
    basis = str(data.get("basis") or Commitment.Basis.OWN)
    if basis not in Commitment.Basis.values:
        errors["basis"] = [_("Choose the basis.")]
    out["basis"] = basis
    source = str(data.get("source") or "").strip()
    if basis != Commitment.Basis.OWN and not source:
        errors["source"] = [_("Name the rule, standard or promise this figure comes from.")]
    if len(source) > 300:
        errors["source"] = [_("At most 300 characters.")]
    out["source"] = source
    if errors:
        raise ValidationFailed(errors)
    return out


# --- writes -------------------------------------------------------------------------------------


def _audit(actor, action: str, version: CommitmentVersion, **detail) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="commitment_version",
        object_id=version.pk,
        detail={"commitment": version.commitment.code, "version": version.number, **detail},
    )


@transaction.atomic
def commitment_create(*, actor, data: dict) -> CommitmentVersion:
    """A new commitment with its first version, a draft. Returns the draft."""
    _require(
        scope_for(actor, Action.COMMITMENT_MANAGE) > Scope.NONE,
        _("You may not draft commitments."),
    )
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    version: dict = {}
    try:
        fields = _validate_commitment(data, creating=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        version = validate_version(data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    if fields["owner"].pk not in {u.pk for u in owner_choices(actor)}:
        raise ValidationFailed({"owner": [_("You may not draft commitments for this unit.")]})
    staff = _staff(actor)
    commitment = Commitment.objects.create(created_by=staff, **fields)
    draft = CommitmentVersion.objects.create(
        commitment=commitment, number=1, status=Status.DRAFT, created_by=staff, **version
    )
    _audit(actor, "commitment.create", draft)
    return draft


create_commitment = commitment_create


@transaction.atomic
def draft_edit(*, actor, version_id: int, data: dict) -> CommitmentVersion:
    """Change a draft (and the commitment's area, beneficiary and basis, which are not
    versioned)."""
    version = _version_for(actor, version_id, lock=True)
    commitment = version.commitment
    _require(can_manage(actor, commitment), _("You may not edit this commitment."))
    _require_status(version, Status.DRAFT)
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    cleaned: dict = {}
    try:
        fields = _validate_commitment({"owner": commitment.owner, **data}, creating=False)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        cleaned = validate_version(data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    if fields["owner"].pk != commitment.owner_id and fields["owner"].pk not in {
        u.pk for u in owner_choices(actor)
    }:
        raise ValidationFailed({"owner": [_("You may not move commitments to this unit.")]})
    for name, value in fields.items():
        setattr(commitment, name, value)
    commitment.save()
    for name, value in cleaned.items():
        setattr(version, name, value)
    version.save()
    _audit(actor, "commitment.edit", version)
    return version


edit_draft = draft_edit


@transaction.atomic
def version_new(*, actor, commitment_id: int, change_note: str) -> CommitmentVersion:
    """A draft copy of the published version (or of the latest one), to change and discuss."""
    commitment = _commitment_for(actor, commitment_id, lock=True)
    _require(can_manage(actor, commitment), _("You may not edit this commitment."))
    note = (change_note or "").strip()
    if not note:
        raise ValidationFailed({"change_note": [_("Say what the new version changes.")]})
    versions = commitment.versions.all()
    busy = versions.filter(status__in=IN_PROGRESS).first()
    if busy is not None:
        raise ValidationFailed(
            {
                "change_note": [
                    _("Version %(n)s is still %(status)s: finish or retire it first.")
                    % {"n": busy.number, "status": busy.get_status_display()}
                ]
            }
        )
    base = versions.filter(status=Status.PUBLISHED).first() or versions.order_by("-number").first()
    number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = CommitmentVersion.objects.create(
        commitment=commitment,
        number=number,
        status=Status.DRAFT,
        created_by=_staff(actor),
        change_note=note[:300],
        **{f: getattr(base, f) for f in VERSION_FIELDS},
    )
    _audit(actor, "commitment.new_version", draft, based_on=base.number if base else None)
    return draft


new_version = version_new


@transaction.atomic
def discussion_open(*, actor, version_id: int) -> CommitmentVersion:
    version = _version_for(actor, version_id, lock=True)
    _require(can_manage(actor, version.commitment), _("You may not edit this commitment."))
    _require_status(version, Status.DRAFT)
    validate_version({f: getattr(version, f) for f in VERSION_FIELDS})
    version.status = Status.DISCUSSION
    version.discussion_opened_at = timezone.now()
    version.save(update_fields=["status", "discussion_opened_at"])
    _audit(actor, "commitment.discussion_open", version)
    return version


open_discussion = discussion_open


@transaction.atomic
def comment_add(
    *, actor, version_id: int, text: str = "", agrees: bool | None = None
) -> DiscussionComment:
    """A comment and/or an agreement from a member of the owning unit's staff. Each comment is
    kept; the latest agreement of each member of staff is the one counted."""
    version = _version_for(actor, version_id)
    _require(
        can_discuss(actor, version.commitment),
        _("Only staff of the owning unit discuss this commitment."),
    )
    _require_status(version, Status.DISCUSSION)
    text = (text or "").strip()
    if not text and agrees is None:
        raise ValidationFailed({"text": [_("Write a comment, or agree or disagree.")]})
    if len(text) > 2000:
        raise ValidationFailed({"text": [_("At most 2000 characters.")]})
    comment = DiscussionComment.objects.create(
        version=version, staff=_staff(actor), text=text, agrees=agrees
    )
    _audit(actor, "commitment.comment", version, agrees=agrees)
    return comment


comment = comment_add


@dataclass
class Tally:
    agree: int
    disagree: int
    silent: int
    comments: int

    @property
    def staff(self) -> int:
        return self.agree + self.disagree + self.silent


def tally(version: CommitmentVersion) -> Tally:
    """The owning unit's staff (and the units below it) on this version: the latest agreement
    of each counts; those who said nothing (or only commented) are silent."""
    members = set(
        Staff.objects.filter(
            unit_id__in=units_below(version.commitment.owner_id), user__is_active=True
        ).values_list("pk", flat=True)
    )
    latest: dict[int, bool] = {}
    count = 0
    for staff_id, agrees in version.comments.order_by("created_at", "id").values_list(
        "staff_id", "agrees"
    ):
        count += 1
        if agrees is not None:
            latest[staff_id] = agrees
    agree = sum(1 for s, a in latest.items() if a and s in members)
    disagree = sum(1 for s, a in latest.items() if not a and s in members)
    return Tally(
        agree=agree, disagree=disagree, silent=len(members) - agree - disagree, comments=count
    )


@transaction.atomic
def version_approve(*, actor, version_id: int, reason: str = "") -> CommitmentVersion:
    version = _version_for(actor, version_id, lock=True)
    _require(can_publish(actor, version.commitment), _("You may not approve this commitment."))
    _require_status(version, Status.DISCUSSION)
    if version.discussion_opened_at is None:
        raise ValidationFailed({"status": [_("The discussion was never opened.")]})
    counts = tally(version)
    if counts.comments == 0:
        raise ValidationFailed(
            {"status": [_("Nobody has commented or agreed yet: the staff must be heard first.")]}
        )
    reason = (reason or "").strip()
    if counts.disagree > counts.agree and not reason:
        raise ValidationFailed(
            {
                "reason": [
                    _("%(d)s disagree and %(a)s agree: give the reason for approving all the same.")
                    % {"d": counts.disagree, "a": counts.agree}
                ]
            }
        )
    if reason:
        DiscussionComment.objects.create(
            version=version,
            staff=_staff(actor),
            text=_("Approved: %(reason)s") % {"reason": reason[:1900]},
            agrees=None,
        )
    version.status = Status.APPROVED
    version.approved_at = timezone.now()
    version.approved_by = _staff(actor)
    version.save(update_fields=["status", "approved_at", "approved_by"])
    _audit(
        actor,
        "commitment.approve",
        version,
        agree=counts.agree,
        disagree=counts.disagree,
        silent=counts.silent,
        reason=reason,
    )
    return version


approve = version_approve


@transaction.atomic
def version_publish(*, actor, version_id: int) -> CommitmentVersion:
    """Publish an approved version; the version published before it is retired first (one
    published version per commitment), in the same transaction."""
    version = _version_for(actor, version_id, lock=True)
    _require(can_publish(actor, version.commitment), _("You may not publish this commitment."))
    _require_status(version, Status.APPROVED)
    now = timezone.now()
    previous = list(
        CommitmentVersion.objects.select_for_update().filter(
            commitment_id=version.commitment_id, status=Status.PUBLISHED
        )
    )
    for old in previous:
        old.status = Status.RETIRED
        old.retired_at = now
        old.save(update_fields=["status", "retired_at"])
    version.status = Status.PUBLISHED
    version.published_at = now
    version.published_by = _staff(actor)
    version.save(update_fields=["status", "published_at", "published_by"])
    _audit(actor, "commitment.publish", version, retired=[v.number for v in previous])
    return version


publish = version_publish


@transaction.atomic
def version_retire(*, actor, version_id: int) -> CommitmentVersion:
    """Stop a published version binding (nothing is measured for the commitment then), or
    drop a draft that will not go ahead."""
    version = _version_for(actor, version_id, lock=True)
    _require(can_publish(actor, version.commitment), _("You may not retire this commitment."))
    _require_status(version, Status.PUBLISHED, *IN_PROGRESS)
    version.status = Status.RETIRED
    version.retired_at = timezone.now()
    version.save(update_fields=["status", "retired_at"])
    _audit(actor, "commitment.retire", version)
    return version


retire = version_retire


# --- calendars ----------------------------------------------------------------------------------

WEEKDAYS = 7


def can_edit_calendars(actor) -> bool:
    """Calendars are shared by every commitment of the bank: bank-wide managers edit them."""
    return scope_for(actor, Action.COMMITMENT_MANAGE) == Scope.ALL


def parse_periods(text: str, field: str, errors: dict) -> list[list[str]]:
    """ "09:00-12:00, 13:00-17:00" → [["09:00", "12:00"], ["13:00", "17:00"]]."""
    out = []
    for part in str(text or "").replace("，", ",").replace("–", "-").split(","):
        part = part.strip()
        if not part:
            continue
        bits = [b.strip() for b in part.split("-")]
        ok = len(bits) == 2
        if ok:
            for b in bits:
                try:
                    datetime.datetime.strptime(b, "%H:%M")  # noqa: DTZ007 - a time of day
                except ValueError:
                    ok = False
        if not ok or bits[0] == bits[1]:
            errors.setdefault(field, []).append(
                _("“%(part)s” is not a period like 09:00-17:00.") % {"part": part}
            )
            continue
        out.append(
            [f"{int(bits[0][:-3]):02d}:{bits[0][-2:]}", f"{int(bits[1][:-3]):02d}:{bits[1][-2:]}"]
        )
    return out


def _calendar_fields(data: dict, *, calendar: BusinessCalendar | None) -> dict:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if calendar is None:
        code = slugify(str(data.get("code") or ""))[:30]
        if not code:
            errors["code"] = [_("Give the calendar a short code.")]
        elif BusinessCalendar.objects.filter(code=code).exists():
            errors["code"] = [_("A calendar with this code exists already.")]
        out["code"] = code
    for field in ("name_zh", "name_en"):
        value = str(data.get(field) or "").strip()
        if not value:
            errors[field] = [_("Give the calendar a name.")]
        out[field] = value[:60]
    out["always_open"] = bool(data.get("always_open"))
    out["observe_holidays"] = bool(data.get("observe_holidays"))
    weekly = data.get("weekly_hours")
    if isinstance(weekly, list) and all(isinstance(d, list) for d in weekly):
        out["weekly_hours"] = weekly
    else:
        out["weekly_hours"] = [
            parse_periods(data.get(f"day_{i}", ""), f"day_{i}", errors) for i in range(WEEKDAYS)
        ]
    for field in ("makeup_day_hours", "holiday_hours"):
        value = data.get(field)
        out[field] = value if isinstance(value, list) else parse_periods(value, field, errors)
    closed = data.get("extra_closed_days") or []
    if isinstance(closed, str):
        closed = [d for d in closed.replace(",", " ").split() if d]
    days = []
    for day in closed:
        try:
            days.append(datetime.date.fromisoformat(str(day)).isoformat())
        except ValueError:
            errors.setdefault("extra_closed_days", []).append(
                _("“%(day)s” is not a date like 2027-01-04.") % {"day": day}
            )
    out["extra_closed_days"] = days
    if not out["always_open"] and not any(out["weekly_hours"]) and "day_0" not in errors:
        errors.setdefault("day_0", []).append(
            _("Give the opening hours of at least one day, or tick around the clock.")
        )
    try:  # the calendar helper's own checks, when they are there
        from servicefirst.commitments import calendar as calendar_module

        check = getattr(calendar_module, "validate_calendar_fields", None)
    except ImportError:
        check = None
    if check is not None and not errors:
        try:
            check(
                out["weekly_hours"],
                out["makeup_day_hours"],
                out["holiday_hours"],
                out["extra_closed_days"],
                always_open=out["always_open"],
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return out


@transaction.atomic
def calendar_save(*, actor, data: dict, calendar_id: int | None = None) -> BusinessCalendar:
    _require(can_edit_calendars(actor), _("You may not edit business calendars."))
    calendar = None
    if calendar_id is not None:
        calendar = BusinessCalendar.objects.select_for_update().filter(pk=calendar_id).first()
        if calendar is None:
            raise NotFound(_("No such calendar."))
    fields = _calendar_fields(data, calendar=calendar)
    if calendar is None:
        calendar = BusinessCalendar.objects.create(**fields)
    else:
        for name, value in fields.items():
            setattr(calendar, name, value)
        calendar.save()
    audit_record(
        actor=actor,
        action="commitment.calendar_save",
        object_type="business_calendar",
        object_id=calendar.pk,
        detail={"code": calendar.code},
    )
    return calendar


# --- reads (the register's pages and API) ------------------------------------------------------


def commitments_visible(actor) -> QuerySet[Commitment]:
    where = visible_filter(actor)
    if where is None:
        return Commitment.objects.none()
    return Commitment.objects.filter(where)


def commitment_get(*, actor, commitment_id: int) -> Commitment:
    commitment = (
        commitments_visible(actor)
        .select_related("owner", "beneficiary_unit")
        .filter(pk=commitment_id)
        .first()
    )
    if commitment is None:
        raise NotFound(_("No such commitment."))
    return commitment


def register_list(
    *,
    actor,
    area: str = "",
    owner: str = "",
    status: str = "",
    beneficiary: str = "",
    q: str = "",
) -> list[tuple[Commitment, CommitmentVersion | None]]:
    """The register, filtered: each commitment with its current version (the published one,
    else the latest)."""
    qs = commitments_visible(actor).select_related("owner", "beneficiary_unit")
    if area:
        qs = qs.filter(area=area)
    if owner:
        qs = qs.filter(owner_id=owner) if str(owner).isdigit() else qs.filter(owner__code=owner)
    if beneficiary == Commitment.Beneficiary.CUSTOMERS:
        qs = qs.filter(beneficiary=beneficiary)
    elif beneficiary:
        qs = (
            qs.filter(beneficiary_unit_id=beneficiary)
            if str(beneficiary).isdigit()
            else qs.filter(beneficiary_unit__code=beneficiary)
        )
    if status:
        qs = qs.filter(versions__status=status).distinct()
    if q:
        qs = qs.filter(
            Q(code__icontains=q)
            | Q(versions__statement_zh__icontains=q)
            | Q(versions__statement_en__icontains=q)
        ).distinct()
    commitments = list(qs.order_by("area", "code"))
    versions: dict[int, CommitmentVersion] = {}
    for version in (
        CommitmentVersion.objects.filter(commitment_id__in=[c.pk for c in commitments])
        .select_related("calendar")
        .order_by("commitment_id", "number")
    ):
        current = versions.get(version.commitment_id)
        if (
            current is None
            or current.status != Status.PUBLISHED
            or version.status == Status.PUBLISHED
        ):
            versions[version.commitment_id] = version
    return [(c, versions.get(c.pk)) for c in commitments]


def published_for_customers() -> QuerySet[CommitmentVersion]:
    """The published versions of commitments made to customers (the public page, the API)."""
    return (
        CommitmentVersion.objects.filter(
            status=Status.PUBLISHED, commitment__beneficiary=Commitment.Beneficiary.CUSTOMERS
        )
        .exclude(commitment__area=Commitment.Area.INTERNAL)
        .select_related("commitment", "calendar")
        .order_by("commitment__area", "commitment__code")
    )


def version_history(commitment: Commitment) -> list[dict]:
    """Every version, oldest first, with what changed from the one before and its discussion."""
    versions = list(
        commitment.versions.select_related(
            "calendar", "created_by", "approved_by", "published_by"
        ).order_by("number")
    )
    comments: dict[int, list[DiscussionComment]] = {}
    for c in DiscussionComment.objects.filter(version__in=versions).select_related("staff"):
        comments.setdefault(c.version_id, []).append(c)
    out = []
    previous = None
    for version in versions:
        changes = []
        if previous is not None:
            for field in VERSION_FIELDS:
                before, after = getattr(previous, field), getattr(version, field)
                if before != after:
                    label = CommitmentVersion._meta.get_field(field).verbose_name
                    changes.append(
                        {
                            "field": field,
                            "label": label,
                            "before": display_value(previous, field),
                            "after": display_value(version, field),
                        }
                    )
        out.append(
            {"version": version, "changes": changes, "comments": comments.get(version.pk, [])}
        )
        previous = version
    return out


def display_value(version: CommitmentVersion, field: str) -> str:
    value = getattr(version, field)
    if field in ("start_event", "stop_event", "pause_event", "resume_event"):
        return kind_label(value) if value else "—"
    if field == "cancel_events":
        return ", ".join(kind_label(k) for k in value) or "—"
    if field == "event_filter":
        return filter_words(value) or "—"
    if field in ("measure", "target_unit"):
        return getattr(version, f"get_{field}_display")()
    if field == "target_value":
        return number(value)
    if field == "goal_percent":
        return f"{number(value)}%"
    if field == "warn_percent":
        return f"{value}%"
    if field == "remedy":
        return _("yes") if value else _("no")
    return str(value) if value not in (None, "") else "—"


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def filter_words(event_filter: dict) -> str:
    parts = []
    for key, value in (event_filter or {}).items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key} = {' / '.join(str(v) for v in values)}")
    return "; ".join(parts)


def number(value) -> str:
    """15.00 → "15", 0.50 → "0.5"."""
    if value is None:
        return ""
    d = Decimal(str(value))
    text = format(d.normalize(), "f")
    return text


def target_words(version: CommitmentVersion) -> str:
    """The target in plain words: "within 15 minutes", "by the third ring", "within 1 working
    day"; hours on a business calendar are working hours."""
    value = Decimal(str(version.target_value))
    n = number(value)
    count = int(value) if value == value.to_integral_value() else 2
    unit = version.target_unit
    if unit == TargetUnit.RINGS:
        if value == value.to_integral_value() and int(value) in range(1, 7):
            return _("by the %(ordinal)s ring") % {"ordinal": _ordinal(int(value))}
        return _("within %(n)s rings") % {"n": n}
    if unit == TargetUnit.TIMES:
        return ngettext("at most %(n)s time", "at most %(n)s times", count) % {"n": n}
    if unit == TargetUnit.SECONDS:
        return ngettext("within %(n)s second", "within %(n)s seconds", count) % {"n": n}
    if unit == TargetUnit.MINUTES:
        return ngettext("within %(n)s minute", "within %(n)s minutes", count) % {"n": n}
    if unit == TargetUnit.HOURS:
        if version.calendar_id and not version.calendar.always_open:
            return ngettext("within %(n)s working hour", "within %(n)s working hours", count) % {
                "n": n
            }
        return ngettext("within %(n)s hour", "within %(n)s hours", count) % {"n": n}
    if unit == TargetUnit.WORKING_DAYS:
        return ngettext("within %(n)s working day", "within %(n)s working days", count) % {"n": n}
    return ngettext("within %(n)s day", "within %(n)s days", count) % {"n": n}


def _ordinal(n: int) -> str:
    # Looked up at call time so the active language applies.
    return {
        1: pgettext("ring", "first"),
        2: pgettext("ring", "second"),
        3: pgettext("ring", "third"),
        4: pgettext("ring", "fourth"),
        5: pgettext("ring", "fifth"),
        6: pgettext("ring", "sixth"),
    }[n]


def goal_words(version: CommitmentVersion) -> str:
    return _("in %(goal)s%% of cases") % {"goal": number(version.goal_percent)}


def attribute_customer(*, subjects: list[str], customer_id: int) -> list[int]:
    """The cases of these subjects that started before their customer was known (a web enquiry
    linked to the customer afterwards) become the customer's. Those already breached are
    announced again through `signals.case_breached` after the commit, so that the remedy a
    breach of a promise to a customer calls for opens now. Returns the ids of the cases
    changed. (A case the engine has not written yet keeps the customer of its start event.)"""
    rows = Case.objects.filter(subject__in=list(subjects), customer_id__isnull=True)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return []
    Case.objects.filter(pk__in=ids).update(customer_id=customer_id)
    breached = list(
        Case.objects.filter(pk__in=ids, state=Case.State.BREACHED).values_list("pk", flat=True)
    )
    if breached:
        transaction.on_commit(lambda: case_breached.send(sender=Case, case_ids=breached))
    return ids
