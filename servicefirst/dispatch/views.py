"""The branch manager's dispatching board: one live page (counters, queues, alerts,
recommendations, the floor log) whose fragments refresh when the floor changes, and the
manager's actions posted from it; and the branch's floor settings page (rules and counters).
Each view parses the request and calls one selector or service."""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicefirst.accounts.models import Unit
from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.customers.models import Customer
from servicefirst.dispatch import selectors, services
from servicefirst.floor.models import Counter, Service
from servicefirst.floor.selectors import floor_settings


def _branch(branch_code: str) -> Unit:
    branch = Unit.objects.filter(code=branch_code, kind=Unit.Kind.BRANCH).first()
    if branch is None:
        raise Http404(_("No such branch."))
    return branch


def _state(request, branch: Unit, reader=selectors.board_state):
    try:
        return reader(actor=request.user, branch_id=branch.pk)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _context(state, **extra) -> dict:
    return {
        "state": state,
        "branch": state.branch,
        "all_services": list(Service.objects.filter(is_active=True)),
        "errors": {},
        "values": {},
        **extra,
    }


@login_required
def board(request, branch_code: str | None = None):
    """The board of the actor's own branch at /dispatch/; roles with bank-wide floor rights
    choose a branch there and open /dispatch/<branch code>/."""
    if branch_code is not None:
        branch = _branch(branch_code)
    else:
        scope = scope_for(request.user, Action.FLOOR_MANAGE)
        if scope == Scope.ALL:
            return render(
                request,
                "dispatch/branches.html",
                {"branches": selectors.manageable_branches(request.user)},
            )
        staff = staff_of(request.user)
        if scope == Scope.NONE or staff is None or staff.unit.kind != Unit.Kind.BRANCH:
            raise DjangoPermissionDenied
        branch = staff.unit
    can_choose = scope_for(request.user, Action.FLOOR_MANAGE) == Scope.ALL
    return render(
        request,
        "dispatch/board.html",
        _context(_state(request, branch), can_choose=can_choose),
    )


@login_required
def live(request, branch_code: str):
    state = _state(request, _branch(branch_code))
    return render(request, "dispatch/_live.html", _context(state))


@login_required
def actions(request, branch_code: str):
    state = _state(request, _branch(branch_code), selectors.board_forms)
    return render(request, "dispatch/_actions.html", _context(state))


# --- the manager's actions --------------------------------------------------------------------


def _do_open(user, post):
    services.counter_open(actor=user, counter_id=post.get("counter_id"))
    return _("Counter opened.")


def _do_close(user, post):
    services.counter_close(actor=user, counter_id=post.get("counter_id"))
    return _("Counter closed.")


def _do_move(user, post):
    counter = services.teller_move(
        actor=user, staff_id=post.get("staff_id"), counter_id=post.get("counter_id")
    )
    return _("%(name)s now works at counter %(number)s.") % {
        "name": counter.staff.name,
        "number": counter.number,
    }


def _do_services(user, post):
    counter = services.counter_services_set(
        actor=user, counter_id=post.get("counter_id"), service_codes=post.getlist("service_codes")
    )
    return _("Counter %(number)s now handles %(services)s.") % {
        "number": counter.number,
        "services": "、".join(str(s) for s in counter.services.all()),
    }


def _do_apply(user, post):
    counter = services.recommendation_apply(
        actor=user, counter_id=post.get("counter_id"), service_code=post.get("service_code", "")
    )
    return _("Applied: counter %(number)s now handles %(services)s.") % {
        "number": counter.number,
        "services": "、".join(str(s) for s in counter.services.all()),
    }


def _do_reprioritise(user, post):
    ticket = services.ticket_reprioritise(
        actor=user,
        ticket_id=post.get("ticket_id"),
        priority=post.get("priority"),
        reason=post.get("reason", ""),
    )
    return _("Ticket %(number)s now has priority %(priority)s.") % {
        "number": ticket.number,
        "priority": ticket.priority,
    }


def _do_weather(user, post):
    settings = services.weather_set(
        actor=user, branch_id=post.get("branch_id"), raining=post.get("raining", "")
    )
    return _("Marked as raining.") if settings.raining else _("Marked as not raining.")


ACTIONS = {
    "open": _do_open,
    "close": _do_close,
    "move": _do_move,
    "services": _do_services,
    "apply": _do_apply,
    "reprioritise": _do_reprioritise,
    "weather": _do_weather,
}
FORMS = {"move", "services", "reprioritise"}  # posted from the action forms panel


def _values(post) -> dict:
    """What was posted, to fill the form in again next to its errors."""
    values = {key: post.get(key) for key in post}
    values["service_codes"] = post.getlist("service_codes")
    return values


def _flat(errors: dict[str, list[str]]) -> str:
    return " ".join(m for ms in errors.values() for m in ms)


@login_required
@require_POST
def act(request, branch_code: str, action: str):
    """Perform one manager action. From htmx: the action forms panel is answered with the
    panel itself (errors next to the fields), a button elsewhere with the message; both tell
    the board to refresh on success. Without htmx: a message and back to the board."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    branch = _branch(branch_code)
    post = request.POST.copy()
    post["branch_id"] = str(branch.pk)
    errors: dict[str, list[str]] = {}
    done = ""
    try:
        done = handler(request.user, post)
    except ValidationFailed as exc:
        errors = exc.errors
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if not request.htmx:
        if errors:
            messages.error(request, _flat(errors))
        else:
            messages.success(request, done)
        return redirect("dispatch:board", branch.code)
    if action in FORMS:
        state = _state(request, branch, selectors.board_forms)
        context = _context(
            state,
            errors={action: errors} if errors else {},
            values={action: _values(post)} if errors else {},
            done=done,
        )
        response = render(request, "dispatch/_actions.html", context)
    elif errors:
        return HttpResponseBadRequest(_flat(errors))
    else:
        response = render(request, "dispatch/_flash.html", {"done": done})
    if not errors:
        response["HX-Trigger"] = "board-acted"
    return response


# --- the branch's floor settings and counters -------------------------------------------------


@dataclass
class SettingField:
    """One input of the floor settings form."""

    name: str
    label: str
    kind: str = "number"  # number, decimal, time, select
    low: int | str | None = None
    high: int | str | None = None
    suffix: str = ""
    help: str = ""
    choices: tuple = ()
    value: object = ""
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "id_" + self.name.replace(".", "_")


def _setting_fields() -> list[tuple[str, str, list[SettingField]]]:
    """The settings form's sections: (id, title, fields); the services offered are a section of
    their own in the template."""
    minutes = _("minutes")
    points = _("points")
    ranges = services.SETTING_RANGES

    def number(name, label, suffix, help_text=""):
        low, high = ranges[name]
        return SettingField(name, label, "number", low, high, suffix, help_text)

    return [
        (
            "commitment",
            _("Commitment and fairness"),
            [
                number(
                    "commitment_minutes",
                    _("Wait commitment"),
                    minutes,
                    _(
                        "The branch promises to serve every ticket within this many minutes; "
                        "the board warns when a service's wait comes close to it."
                    ),
                ),
                number(
                    "max_wait_minutes",
                    _("Fairness guard"),
                    minutes,
                    _(
                        "Anyone who has waited this long is called next, whatever the "
                        "priorities of the others. It may be shorter or longer than the "
                        "commitment."
                    ),
                ),
            ],
        ),
        (
            "priorities",
            _("Priorities"),
            [
                *(
                    number(
                        f"vip_priority.{tier}",
                        str(Customer.Tier(tier).label),
                        points,
                    )
                    for tier in reversed(selectors.VIP_TIERS)
                ),
                number("elderly_age", _("Elderly from age"), _("years")),
                number("elderly_priority", _("Elderly customers"), points),
                number("disabled_priority", _("Disabled customers"), points),
            ],
        ),
        (
            "appointments",
            _("Appointments"),
            [
                number(
                    "appointment_priority",
                    _("Appointment kept on time"),
                    points,
                    _("Given at check-in to a customer who comes on time for their booking."),
                ),
                number(
                    "appointment_grace_minutes",
                    _("Grace after the slot starts"),
                    minutes,
                    _("Checking in later than this loses the appointment priority."),
                ),
                SettingField(
                    "slot_minutes",
                    _("Appointment slot"),
                    "select",
                    suffix=minutes,
                    choices=selectors.SLOT_CHOICES,
                    help=_("Customers book slots of this length from opening to closing time."),
                ),
            ],
        ),
        (
            "hours",
            _("Opening hours"),
            [
                SettingField("opens_at", _("Opens"), "time"),
                SettingField("closes_at", _("Closes"), "time"),
            ],
        ),
        (
            "alerts",
            _("Alerts"),
            [
                SettingField(
                    "long_service_factor",
                    _("Long service alert"),
                    "decimal",
                    "1.0",
                    "10.0",
                    "×",
                    _(
                        "The board warns when a counter has served one customer this many "
                        "times longer than the usual service time for that service and hour."
                    ),
                ),
            ],
        ),
    ]


def _shown(value) -> str:
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return "" if value is None else str(value)


def _settings_context(page, *, posted=None, errors=None, counter_errors=None, add=None) -> dict:
    """The page's context: the form filled with the posted values next to their errors (or
    with the branch's current settings)."""
    errors = errors or {}
    values = {**page.values, **(posted or {})}
    sections = _setting_fields()
    for _id, _title, fields in sections:
        for f in fields:
            f.value = _shown(values.get(f.name))
            f.errors = errors.get(f.name, [])
    offered = values.get("services") or []
    for row in page.counters:
        row.errors = (counter_errors or {}).get(row.counter.pk, [])
    return {
        "page": page,
        "branch": page.branch,
        "sections": sections,
        "services_offered": set(offered),
        "services_errors": errors.get("services", []),
        "general_errors": errors.get("__all__", []),
        "has_errors": bool(errors),
        "add": add or {"codes": [], "errors": []},
        "max_wait": page.values["max_wait_minutes"],  # the rule in force, not what was typed
    }


def _posted_settings(post) -> dict:
    data = {name: post.get(name) for name in services.SETTING_FIELDS if name in post}
    data["services"] = post.getlist("services")
    return data


def _settings_branch(request, branch_code: str | None):
    """The branch whose settings are asked for (as for the board): the actor's own at
    /dispatch/settings/, or the one named; None when a bank-wide role must choose."""
    if branch_code is not None:
        return _branch(branch_code)
    scope = scope_for(request.user, Action.FLOOR_MANAGE)
    if scope == Scope.ALL:
        return None
    staff = staff_of(request.user)
    if scope == Scope.NONE or staff is None or staff.unit.kind != Unit.Kind.BRANCH:
        raise DjangoPermissionDenied
    return staff.unit


def _render_settings(request, branch, **kwargs):
    page = _state(request, branch, selectors.settings_page)
    context = _settings_context(page, **kwargs)
    context["can_choose"] = scope_for(request.user, Action.FLOOR_MANAGE) == Scope.ALL
    return render(request, "dispatch/settings.html", context)


@login_required
def floor_settings_page(request, branch_code: str | None = None):
    """The branch's floor settings (commitment, fairness guard, priorities, appointments,
    opening hours, alerts, services offered) and its counters. POST saves the settings."""
    branch = _settings_branch(request, branch_code)
    if branch is None:
        return render(
            request,
            "dispatch/branches.html",
            {"branches": selectors.manageable_branches(request.user), "for_settings": True},
        )
    if request.method != "POST":
        return _render_settings(request, branch)
    posted = _posted_settings(request.POST)
    before = selectors.settings_values(floor_settings(branch.pk))
    try:
        settings = services.floor_settings_save(
            actor=request.user, branch_id=branch.pk, data=posted
        )
    except ValidationFailed as exc:
        return _render_settings(request, branch, posted=posted, errors=exc.errors)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    if selectors.settings_values(settings) == before:
        messages.info(request, _("Nothing to change: the settings were already so."))
    else:
        messages.success(request, _("Saved the floor settings."))
    return redirect("dispatch:settings", branch.code)


@login_required
@require_POST
def counter_add(request, branch_code: str):
    branch = _branch(branch_code)
    codes = request.POST.getlist("service_codes")
    try:
        counter = services.counter_add(actor=request.user, branch_id=branch.pk, service_codes=codes)
    except ValidationFailed as exc:
        errors = [m for ms in exc.errors.values() for m in ms]
        return _render_settings(request, branch, add={"codes": codes, "errors": errors})
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    messages.success(
        request,
        _("Added counter %(number)s. It is closed until a teller signs in or you move one there.")
        % {"number": counter.number},
    )
    return redirect(reverse("dispatch:settings", args=[branch.code]) + "#counters")


@login_required
@require_POST
def counter_remove(request, branch_code: str, counter_id: int):
    branch = _branch(branch_code)
    if not Counter.objects.filter(pk=counter_id, branch=branch).exists():
        raise Http404(_("No such counter."))
    try:
        number = services.counter_remove(actor=request.user, counter_id=counter_id)
    except ValidationFailed as exc:
        errors = [m for ms in exc.errors.values() for m in ms]
        return _render_settings(request, branch, counter_errors={counter_id: errors})
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, _("Removed counter %(number)s.") % {"number": number})
    return redirect(reverse("dispatch:settings", args=[branch.code]) + "#counters")
