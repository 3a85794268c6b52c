"""Pages of the commitment register: the register, a commitment (its current version, the
version under discussion with its comments, lifecycle buttons), its version history, the
create/edit form with the measure builder, the business calendars, the signed-in member of
staff's alerts, and the public page of the bank's promises to customers (no login).

Each view parses the request and calls one service or selector; errors come back on the field
the service names."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, scope_for, staff_of
from servicefirst.commitments import services
from servicefirst.commitments.events import KINDS
from servicefirst.commitments.forms import DAY_LABELS, CalendarForm, CommitmentForm
from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed

Status = CommitmentVersion.Status


def _selectors():
    """The engine's selectors, once they are there (attainment, alerts)."""
    try:
        from servicefirst.commitments import selectors
    except ImportError:
        return None
    return selectors


def _require_view(request) -> None:
    if scope_for(request.user, Action.COMMITMENT_VIEW) == 0:
        raise DjangoPermissionDenied


def _attainment(commitment) -> dict | None:
    """The engine's attainment of the commitment: all time and the last 30 days."""
    selectors = _selectors()
    attainment = getattr(selectors, "attainment", None) if selectors else None
    if attainment is None:
        return None
    since = timezone.localdate() - datetime.timedelta(days=29)
    overall = attainment(commitment_ids=[commitment.pk])
    recent = attainment(commitment_ids=[commitment.pk], since=since)
    return {"overall": overall[0] if overall else None, "recent": recent[0] if recent else None}


@login_required
def register(request):
    _require_view(request)
    g = request.GET
    filters = {
        "area": g.get("area", ""),
        "owner": g.get("owner", ""),
        "status": g.get("status", ""),
        "beneficiary": g.get("beneficiary", ""),
        "q": g.get("q", "").strip(),
    }
    rows = services.register_list(actor=request.user, **filters)
    counts = dict.fromkeys(Status.values, 0)
    for _c, version in rows:
        if version is not None:
            counts[version.status] += 1
    visible = services.commitments_visible(request.user)
    owner_ids = set(visible.values_list("owner_id", flat=True))
    beneficiary_ids = set(
        visible.exclude(beneficiary_unit=None).values_list("beneficiary_unit_id", flat=True)
    )
    context = {
        "rows": [
            {
                "commitment": c,
                "version": v,
                "target": services.target_words(v) if v else "",
            }
            for c, v in rows
        ],
        "filters": filters,
        "counts": [(Status(s).label, s, n) for s, n in counts.items()],
        "total": len(rows),
        "areas": Commitment.Area.choices,
        "statuses": Status.choices,
        "owners": Unit.objects.filter(pk__in=owner_ids).order_by("code"),
        "beneficiaries": Unit.objects.filter(pk__in=beneficiary_ids).order_by("code"),
        "can_create": scope_for(request.user, Action.COMMITMENT_MANAGE) > 0,
    }
    return render(request, "commitments/register.html", context)


def _labelled(version: CommitmentVersion | None) -> CommitmentVersion | None:
    """The version with its events named for the page."""
    if version is None:
        return None
    version.start_label = services.kind_label(version.start_event)
    version.stop_label = services.kind_label(version.stop_event) if version.stop_event else ""
    version.pause_label = services.kind_label(version.pause_event) if version.pause_event else ""
    version.resume_label = services.kind_label(version.resume_event) if version.resume_event else ""
    version.cancel_labels = ", ".join(services.kind_label(k) for k in version.cancel_events or [])
    version.filter_words = services.filter_words(version.event_filter)
    return version


def _detail_context(request, commitment: Commitment) -> dict:
    actor = request.user
    versions = [
        _labelled(v)
        for v in commitment.versions.select_related("calendar", "published_by").order_by("-number")
    ]
    published = next((v for v in versions if v.status == Status.PUBLISHED), None)
    working = next((v for v in versions if v.status in services.IN_PROGRESS), None)
    attainment = _attainment(commitment) if published else None
    return {
        "commitment": commitment,
        "published": published,
        "working": working,
        "versions": versions,
        "published_target": services.target_words(published) if published else "",
        "working_target": services.target_words(working) if working else "",
        "attainment": attainment,
        "attainment_rows": [
            (_("Last 30 days"), attainment["recent"]),
            (_("Since publication"), attainment["overall"]),
        ]
        if attainment
        else [],
        "can_manage": services.can_manage(actor, commitment),
        "can_publish": services.can_publish(actor, commitment),
        "can_discuss": services.can_discuss(actor, commitment),
        **(_discussion_context(actor, working) if working else {}),
    }


def _discussion_context(actor, version: CommitmentVersion) -> dict:
    return {
        "discussed": version,
        "comments": list(version.comments.select_related("staff", "staff__unit")),
        "tally": services.tally(version),
        "can_discuss": services.can_discuss(actor, version.commitment)
        and version.status == Status.DISCUSSION,
    }


def _get(request, commitment_id: int) -> Commitment:
    _require_view(request)
    try:
        return services.commitment_get(actor=request.user, commitment_id=commitment_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
def detail(request, commitment_id: int):
    commitment = _get(request, commitment_id)
    return render(request, "commitments/detail.html", _detail_context(request, commitment))


@login_required
def history(request, commitment_id: int):
    commitment = _get(request, commitment_id)
    rows = services.version_history(commitment)
    for row in rows:
        _labelled(row["version"])
        row["target"] = services.target_words(row["version"])
    return render(
        request, "commitments/history.html", {"commitment": commitment, "rows": rows[::-1]}
    )


def _form_kwargs(actor, commitment: Commitment | None = None) -> dict:
    owners = services.owner_choices(actor)
    if commitment is not None and commitment.owner not in owners:
        owners = [commitment.owner, *owners]
    staff = staff_of(actor)
    units = Unit.objects.order_by("code")
    if staff is not None:
        units = units.filter(bank_id=staff.unit.bank_id)
    return {"owners": owners, "units": units}


def _form_context(form) -> dict:
    return {
        "form": form,
        "kind_attrs": {code: list(kind.attrs) for code, kind in KINDS.items()},
        "attrs_prefix": _("Attributes this event carries, to filter on:"),
    }


@login_required
def create(request):
    actor = request.user
    if scope_for(actor, Action.COMMITMENT_MANAGE) == 0:
        raise DjangoPermissionDenied
    kwargs = _form_kwargs(actor)
    if request.method == "POST":
        form = CommitmentForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                version = services.commitment_create(actor=actor, data=form.data_for_service())
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Drafted the commitment."))
                return redirect("commitments:detail", version.commitment_id)
    else:
        staff = staff_of(actor)
        form = CommitmentForm(initial={"owner": str(staff.unit_id) if staff else ""}, **kwargs)
    return render(request, "commitments/form.html", _form_context(form))


@login_required
def edit(request, version_id: int):
    actor = request.user
    _require_view(request)
    version = CommitmentVersion.objects.select_related("commitment").filter(pk=version_id).first()
    if version is None:
        raise Http404
    commitment = _get(request, version.commitment_id)
    if not services.can_manage(actor, commitment):
        raise DjangoPermissionDenied
    if version.status != Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("commitments:detail", commitment.pk)
    kwargs = {**_form_kwargs(actor, commitment), "creating": False}
    if request.method == "POST":
        form = CommitmentForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.draft_edit(
                    actor=actor, version_id=version.pk, data=form.data_for_service()
                )
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
            except (PermissionDenied, NotFound) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved the draft."))
                return redirect("commitments:detail", commitment.pk)
    else:
        form = CommitmentForm(initial=CommitmentForm.initial_for(version), **kwargs)
    return render(
        request,
        "commitments/form.html",
        {**_form_context(form), "version": version, "commitment": commitment},
    )


@login_required
@require_POST
def new_version(request, commitment_id: int):
    commitment = _get(request, commitment_id)
    try:
        version = services.version_new(
            actor=request.user,
            commitment_id=commitment.pk,
            change_note=request.POST.get("change_note", ""),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.text() if hasattr(exc, "text") else str(exc))
        return redirect("commitments:detail", commitment.pk)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    messages.success(request, _("Version %(n)s drafted.") % {"n": version.number})
    return redirect("commitments:edit", version.pk)


TRANSITIONS = {
    "open": (services.discussion_open, gettext_lazy("The discussion is open.")),
    "approve": (services.version_approve, gettext_lazy("Approved.")),
    "publish": (
        services.version_publish,
        gettext_lazy("Published: this version is now measured."),
    ),
    "retire": (services.version_retire, gettext_lazy("Retired.")),
}


@login_required
@require_POST
def transition(request, version_id: int, action: str):
    _require_view(request)
    if action not in TRANSITIONS:
        raise Http404
    service, done = TRANSITIONS[action]
    version = CommitmentVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404
    kwargs = {"actor": request.user, "version_id": version_id}
    if action == "approve":
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        service(**kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        messages.success(request, done)
    return redirect("commitments:detail", version.commitment_id)


@login_required
@require_POST
def comment(request, version_id: int):
    """A comment, an agreement or both; for htmx, the discussion panel again."""
    _require_view(request)
    version = CommitmentVersion.objects.select_related("commitment").filter(pk=version_id).first()
    if version is None:
        raise Http404
    agrees = {"yes": True, "no": False}.get(request.POST.get("agrees", ""))
    error = ""
    try:
        services.comment_add(
            actor=request.user,
            version_id=version_id,
            text=request.POST.get("text", ""),
            agrees=agrees,
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        error = " ".join(m for ms in exc.errors.values() for m in ms)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("commitments:detail", version.commitment_id)
    version.refresh_from_db()
    context = {
        **_discussion_context(request.user, version),
        "comment_error": error,
        "commitment": version.commitment,
        "can_publish": services.can_publish(request.user, version.commitment),
    }
    return render(request, "commitments/_discussion.html", context)


# --- calendars -----------------------------------------------------------------------------------


@login_required
def calendars(request):
    _require_view(request)
    rows = []
    for calendar in BusinessCalendar.objects.order_by("code"):
        weekly = list(calendar.weekly_hours or [])
        rows.append(
            {
                "calendar": calendar,
                "days": [
                    ", ".join(f"{a}–{b}" for a, b in (weekly[i] if i < len(weekly) else []))
                    for i in range(7)
                ],
            }
        )
    return render(
        request,
        "commitments/calendars.html",
        {
            "rows": rows,
            "can_edit": services.can_edit_calendars(request.user),
            "day_names": DAY_LABELS,
        },
    )


@login_required
def calendar_edit(request, calendar_id: int | None = None):
    actor = request.user
    if not services.can_edit_calendars(actor):
        raise DjangoPermissionDenied
    calendar = None
    if calendar_id is not None:
        calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            raise Http404
    if request.method == "POST":
        form = CalendarForm(request.POST, creating=calendar is None)
        if form.is_valid():
            try:
                services.calendar_save(
                    actor=actor,
                    data=form.cleaned_data,
                    calendar_id=calendar.pk if calendar else None,
                )
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("Saved the calendar."))
                return redirect("commitments:calendars")
    else:
        form = CalendarForm(
            initial=CalendarForm.initial_for(calendar) if calendar else None,
            creating=calendar is None,
        )
    return render(request, "commitments/calendar_form.html", {"form": form, "calendar": calendar})


# --- alerts --------------------------------------------------------------------------------------


@login_required
def alerts(request):
    _require_view(request)
    selectors = _selectors()
    alerts_for = getattr(selectors, "alerts_for", None) if selectors else None
    staff = staff_of(request.user)
    found = alerts_for(staff) if alerts_for is not None and staff is not None else None
    return render(
        request,
        "commitments/alerts.html",
        {"alerts": found, "engine_ready": alerts_for is not None},
    )


# --- the public page -----------------------------------------------------------------------------


def public(request):
    """The bank's published commitments to customers, by area, in the visitor's language."""
    groups: dict[str, dict] = {}
    labels = dict(Commitment.Area.choices)
    for version in services.published_for_customers():
        area = version.commitment.area
        group = groups.setdefault(area, {"label": labels.get(area, area), "items": []})
        group["items"].append(
            {
                "version": version,
                "commitment": version.commitment,
                "target": services.target_words(version),
                "goal": services.goal_words(version),
                "sourced": version.commitment.basis
                in (Commitment.Basis.REGULATION, Commitment.Basis.STANDARD),
            }
        )
    order = [a for a, _label in Commitment.Area.choices]
    return render(
        request,
        "commitments/public.html",
        {"groups": [groups[a] for a in order if a in groups]},
    )
