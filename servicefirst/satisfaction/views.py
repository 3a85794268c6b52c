"""Pages of the satisfaction app: the public survey page (no login; the token is the key), the
scorecards (overview with the unit comparison, a unit, a member of staff), the Customer Care
Center dashboard, and an invitation's hand-over page for staff. Each view parses the request
and calls one selector or service."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from servicefirst.core.errors import NotFound, ValidationFailed
from servicefirst.core.qr import qr_svg
from servicefirst.satisfaction import charts, selectors, services

LANGUAGES = ("zh-hans", "en")


def _period(request) -> tuple[selectors.Period, dict]:
    try:
        return selectors.period_params(request.GET), {}
    except ValidationFailed as exc:
        return selectors.period_params({}), exc.errors


def _page(request, template: str, card: selectors.Scorecard, errors: dict, **extra):
    return render(
        request,
        template,
        {
            "card": card,
            "period": card.period,
            "errors": errors,
            "values": {
                "from": request.GET.get("from") or card.period.day_from.isoformat(),
                "to": request.GET.get("to") or card.period.day_to.isoformat(),
            },
            "satisfaction_chart": charts.satisfaction_trend(card.trend),
            "results_chart": charts.results_trend(card.trend),
            **extra,
        },
    )


@login_required
def overview(request):
    if not selectors.visible_units(request.user):
        raise DjangoPermissionDenied
    period, errors = _period(request)
    card = selectors.overview(actor=request.user, period=period)
    return _page(request, "satisfaction/overview.html", card, errors)


@login_required
def unit(request, code: str):
    if not selectors.visible_units(request.user):
        raise DjangoPermissionDenied
    period, errors = _period(request)
    try:
        card = selectors.unit_scorecard(actor=request.user, code=code, period=period)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return _page(request, "satisfaction/unit.html", card, errors)


@login_required
def staff(request, pk: int):
    if not selectors.visible_units(request.user):
        raise DjangoPermissionDenied
    period, errors = _period(request)
    try:
        card = selectors.staff_scorecard(actor=request.user, staff_id=pk, period=period)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return _page(request, "satisfaction/staff.html", card, errors)


@login_required
def care_center(request):
    period, errors = _period(request)
    try:
        board = selectors.care_center_dashboard(actor=request.user, period=period)
    except NotFound as exc:
        raise DjangoPermissionDenied from exc
    return render(
        request,
        "satisfaction/care_center.html",
        {
            "board": board,
            "period": period,
            "errors": errors,
            "values": {
                "from": request.GET.get("from") or period.day_from.isoformat(),
                "to": request.GET.get("to") or period.day_to.isoformat(),
            },
            "heatmap_chart": charts.contacts_heatmap(board),
            "per_day_chart": charts.contacts_per_day(board),
            "satisfaction_chart": charts.satisfaction_trend(board.trend),
            "results_chart": charts.results_trend(board.trend),
        },
    )


@login_required
def invitation(request, pk: int):
    try:
        found = selectors.invitation_for_staff(actor=request.user, invitation_id=pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    link = request.build_absolute_uri(reverse("satisfaction:survey", args=[found.token]))
    return render(
        request,
        "satisfaction/invitation.html",
        {"invitation": found, "link": link, "qr_svg": survey_qr_svg(link)},
    )


def survey_qr_svg(link: str) -> str:
    return qr_svg(link, title=_("Survey link as a QR code"))


# --- the public survey page ----------------------------------------------------------------


def _touchpoint_text(invitation) -> str:
    """ "your visit to 北京朝阳支行 on 29 Nov" in the active language: the bank, the unit and
    the day only — no names, no numbers."""
    zh = translation.get_language().startswith("zh")
    unit = invitation.unit.name_zh if zh else invitation.unit.name_en
    day = timezone.localtime(invitation.occurred_at).date()
    when = f"{day.month}月{day.day}日" if zh else formats.date_format(day, "j M")
    kind = invitation.touchpoint
    if kind == "counter":
        return _("your visit to %(unit)s on %(day)s") % {"unit": unit, "day": when}
    if kind == "call":
        return _("your call with our %(unit)s on %(day)s") % {"unit": unit, "day": when}
    return _("your request handled by %(unit)s, resolved on %(day)s") % {
        "unit": unit,
        "day": when,
    }


@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    """The customer's page: CSAT, the NPS question and a comment; one answer per token."""
    try:
        found = selectors.invitation_by_token(token)
    except NotFound:
        found = None
    wanted = request.GET.get("lang") or request.POST.get("lang")
    lang = wanted if wanted in LANGUAGES else (found.language if found else "zh-hans")
    if lang not in LANGUAGES:
        lang = "zh-hans"
    with translation.override(lang):
        if found is None:
            return _survey_page(request, None, lang, state="invalid", status=404)
        state = "open"
        if found.answered_at is not None:
            state = "answered"
        elif found.is_expired():
            state = "expired"
        errors: dict = {}
        if request.method == "POST" and state == "open":
            try:
                services.survey_answer(
                    token=token,
                    csat=request.POST.get("csat"),
                    nps=request.POST.get("nps"),
                    comment=request.POST.get("comment", ""),
                )
            except services.SurveyClosed as exc:
                state = exc.reason
            except ValidationFailed as exc:
                errors = exc.errors
            else:
                return redirect(f"{reverse('satisfaction:survey', args=[token])}?lang={lang}")
        elif request.method == "POST":
            pass  # answered or expired meanwhile: show the message
        return _survey_page(
            request,
            found,
            lang,
            state=state,
            errors=errors,
            status=400 if errors else 200,
        )


def _survey_page(request, found, lang, *, state, errors=None, status=200):
    response = render(
        request,
        "satisfaction/survey.html",
        {
            "invitation": found,
            "touchpoint": _touchpoint_text(found) if found else "",
            "bank": (
                (found.unit.bank.name_zh if lang.startswith("zh") else found.unit.bank.name_en)
                if found
                else ""
            ),
            "state": state,
            "errors": errors or {},
            "lang": lang,
            "languages": [("zh-hans", "中文"), ("en", "English")],
            "values": request.POST if errors else {},
            "csat_choices": [1, 2, 3, 4, 5],
            "nps_choices": list(range(11)),
        },
        status=status,
    )
    response["Content-Language"] = lang
    return response
