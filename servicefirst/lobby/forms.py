"""Forms of the lobby pages. They render the fields and carry the values back; the rules live in
services.py, whose errors (naming the field) are put onto these forms."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.customers.models import Campaign
from servicefirst.lobby.models import FollowUp, Handoff, WalkIn

CONSENT_CHOICES = [
    ("yes", _("Yes, agrees to be contacted")),
    ("no", _("No, does not agree")),
]


class StyledForm(forms.Form):
    """Bootstrap classes on every widget; fields with errors are flagged (is-invalid and
    aria-describedby pointing at the message)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def flag_errors(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


def _services():
    from servicefirst.floor.models import Service

    return [("", _("— choose —"))] + [
        (s.pk, str(s)) for s in Service.objects.filter(is_active=True)
    ]


class WalkInForm(StyledForm):
    name = forms.CharField(
        label=_("Name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    need_service = forms.ChoiceField(label=_("Need (service)"), required=False)
    need_text = forms.CharField(label=_("Need (in words)"), required=False)
    channel = forms.ChoiceField(
        label=_("What brought them in"),
        required=False,
        choices=WalkIn.Channel.choices,
        widget=forms.RadioSelect,
    )
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    consent = forms.ChoiceField(
        label=_("Agrees to be contacted (greetings, follow-ups, offers)?"),
        required=False,
        choices=CONSENT_CHOICES,
        widget=forms.RadioSelect,
    )
    company = forms.CharField(label=_("Company"), required=False)
    job_title = forms.CharField(label=_("Job title"), required=False)
    email = forms.CharField(
        label=_("E-mail"),
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[c for c in WalkIn.Outcome.choices if c[0] not in ("handed_off", "follow_up")],
        initial=WalkIn.Outcome.MET,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need_service"].choices = _services()
        self.fields["campaign"].choices = [("", _("— none —"))] + [
            (c.pk, c.name) for c in Campaign.objects.order_by("-started_on", "name")[:50]
        ]


def _default_due() -> datetime.date:
    """Two working days ahead."""
    day = timezone.localdate()
    added = 0
    while added < 2:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


class HandoffForm(StyledForm):
    walk_in = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    assigned_to = forms.ChoiceField(label=_("Relationship manager"), required=False)
    due_on = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note for the relationship manager"), required=False)

    def __init__(self, *args, rms=(), **kwargs):
        kwargs.setdefault("initial", {}).setdefault("due_on", _default_due())
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("— choose —"))] + [
            (rm.pk, rm.name) for rm in rms
        ]
        self.fields["due_on"].widget.attrs["min"] = timezone.localdate().isoformat()


def _default_followup_time() -> str:
    """Today after closing (18:30), or tomorrow's if that has passed."""
    now = timezone.localtime()
    day = now.date() if now.hour < 18 else now.date() + datetime.timedelta(days=1)
    return f"{day.isoformat()}T18:30"


class FollowUpForm(StyledForm):
    walk_in = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=FollowUp.Kind.choices,
        widget=forms.RadioSelect,
        initial=FollowUp.Kind.CALL,
    )
    due_at = forms.CharField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, staff=(), me=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("due_at", _default_followup_time())
        if me is not None:
            kwargs["initial"].setdefault("assigned_to", me.pk)
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [(s.pk, s.name) for s in staff] or (
            [(me.pk, me.name)] if me else []
        )


class HandoffCompleteForm(StyledForm):
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=Handoff.Outcome.choices)
    note = forms.CharField(label=pgettext_lazy("hand-off", "What happened"), required=False)


class ReportFilterForm(forms.Form):
    branch = forms.ChoiceField(label=_("Branch"), required=False)
    day_from = forms.DateField(
        label=pgettext_lazy("period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    day_to = forms.DateField(
        label=pgettext_lazy("period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, branches=(), allow_all=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("All branches"))] if allow_all else []
        self.fields["branch"].choices = choices + [(b.pk, str(b)) for b in branches]
        for name in ("day_from", "day_to", "branch"):
            self.fields[name].widget.attrs["class"] = (
                "form-select form-select-sm" if name == "branch" else "form-control form-control-sm"
            )
