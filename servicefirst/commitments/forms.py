"""Forms of the register: they only shape input for `services`, which checks it and names the
bad field (`add_service_errors` puts each message on its field)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.commitments.events import KINDS
from servicefirst.commitments.models import BusinessCalendar, Commitment, CommitmentVersion

FILTER_ROWS = 3
ATTRS = sorted({a for k in KINDS.values() for a in k.attrs})


def kind_choices(blank: str | None = None) -> list[tuple[str, str]]:
    out = [(code, f"{kind.label} · {code}") for code, kind in KINDS.items()]
    return ([("", blank)] if blank is not None else []) + out


class ServiceErrorsMixin:
    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            target = field if field in self.fields else None
            if field.startswith("filter") or field == "event_filter":
                target = "filter_attr_0"
            for message in messages:
                self.add_error(target, message)


class CommitmentForm(ServiceErrorsMixin, forms.Form):
    """A commitment and its version in one form: the register's "new" and "edit draft"."""

    code = forms.SlugField(label=_("Code"), max_length=40, required=False)
    area = forms.ChoiceField(label=_("Area"), choices=Commitment.Area.choices)
    owner = forms.ChoiceField(label=_("Owning unit"))
    beneficiary = forms.ChoiceField(label=_("Made to"), choices=Commitment.Beneficiary.choices)
    beneficiary_unit = forms.ChoiceField(label=_("Beneficiary unit"), required=False)
    basis = forms.ChoiceField(label=_("Basis"), choices=Commitment.Basis.choices, initial="own")
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        required=False,
        help_text=_("The rule, standard or promise the figure comes from."),
    )
    statement_zh = forms.CharField(
        label=_("Statement (Chinese)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    statement_en = forms.CharField(
        label=_("Statement (English)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    measure = forms.ChoiceField(
        label=_("Measure"), choices=CommitmentVersion.Measure.choices, initial="duration"
    )
    start_event = forms.ChoiceField(label=_("Clock starts at (or the event counted)"))
    stop_event = forms.ChoiceField(label=_("Clock stops at"), required=False)
    pause_event = forms.ChoiceField(label=_("Clock pauses at"), required=False)
    resume_event = forms.ChoiceField(label=_("Clock resumes at"), required=False)
    cancel_events = forms.MultipleChoiceField(
        label=_("Events that void a case"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    target_value = forms.DecimalField(
        label=pgettext_lazy("commitment", "Target"), max_digits=10, decimal_places=2, required=False
    )
    target_unit = forms.ChoiceField(
        label=_("Target unit"), choices=CommitmentVersion.TargetUnit.choices
    )
    goal_percent = forms.DecimalField(
        label=_("Attainment goal (%)"), max_digits=5, decimal_places=2, initial=95, required=False
    )
    # xgettext:no-python-format
    warn_percent = forms.IntegerField(label=_("Warn at (% of target)"), initial=80, required=False)
    calendar = forms.ChoiceField(label=_("Calendar"))
    remedy = forms.BooleanField(label=_("Remedy when missed"), required=False, initial=True)
    change_note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def __init__(self, *args, owners=(), units=(), creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if not creating:
            del self.fields["code"]
        self.fields["owner"].choices = [(str(u.pk), str(u)) for u in owners]
        self.fields["beneficiary_unit"].choices = [("", "—")] + [(str(u.pk), str(u)) for u in units]
        self.fields["start_event"].choices = kind_choices(blank="")
        for name in ("stop_event", "pause_event", "resume_event"):
            self.fields[name].choices = kind_choices(blank="—")
        self.fields["cancel_events"].choices = kind_choices()
        self.fields["calendar"].choices = [
            (str(c.pk), str(c)) for c in BusinessCalendar.objects.order_by("code")
        ]
        attr_choices = [("", "—")] + [(a, a) for a in ATTRS]
        for i in range(FILTER_ROWS):
            self.fields[f"filter_attr_{i}"] = forms.ChoiceField(
                label=_("Only events with"), choices=attr_choices, required=False
            )
            self.fields[f"filter_value_{i}"] = forms.CharField(
                label=_("equal to (comma for one of several)"), max_length=200, required=False
            )

    @property
    def filter_rows(self):
        return [(self[f"filter_attr_{i}"], self[f"filter_value_{i}"]) for i in range(FILTER_ROWS)]

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        event_filter: dict = {}
        for i in range(FILTER_ROWS):
            attr = data.pop(f"filter_attr_{i}", "")
            value = data.pop(f"filter_value_{i}", "") or ""
            if attr:
                values = [v.strip() for v in value.split(",") if v.strip()]
                event_filter[attr] = values[0] if len(values) == 1 else values
        data["event_filter"] = event_filter
        return data

    @classmethod
    def initial_for(cls, version: CommitmentVersion) -> dict:
        c = version.commitment
        initial = {
            "area": c.area,
            "owner": str(c.owner_id),
            "beneficiary": c.beneficiary,
            "beneficiary_unit": str(c.beneficiary_unit_id or ""),
            "basis": c.basis,
            "source": c.source,
            "statement_zh": version.statement_zh,
            "statement_en": version.statement_en,
            "measure": version.measure,
            "start_event": version.start_event,
            "stop_event": version.stop_event,
            "pause_event": version.pause_event,
            "resume_event": version.resume_event,
            "cancel_events": list(version.cancel_events or []),
            "target_value": version.target_value,
            "target_unit": version.target_unit,
            "goal_percent": version.goal_percent,
            "warn_percent": version.warn_percent,
            "calendar": str(version.calendar_id),
            "remedy": version.remedy,
            "change_note": version.change_note,
        }
        for i, (attr, value) in enumerate(list((version.event_filter or {}).items())[:FILTER_ROWS]):
            initial[f"filter_attr_{i}"] = attr
            initial[f"filter_value_{i}"] = ", ".join(value) if isinstance(value, list) else value
        return initial


DAY_LABELS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


def periods_text(periods) -> str:
    return ", ".join(f"{a}-{b}" for a, b in (periods or []))


class CalendarForm(ServiceErrorsMixin, forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30, required=False)
    name_zh = forms.CharField(label=_("Chinese name"), max_length=60, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=60, required=False)
    always_open = forms.BooleanField(label=_("Around the clock (24/7)"), required=False)
    observe_holidays = forms.BooleanField(
        label=_("Closed on Chinese public holidays (make-up working days open)"), required=False
    )
    makeup_day_hours = forms.CharField(
        label=_("Hours on make-up working days"), required=False, help_text="09:00-17:00"
    )
    holiday_hours = forms.CharField(
        label=_("Hours on public holidays"),
        required=False,
        help_text=_("Empty: closed on public holidays."),
    )
    extra_closed_days = forms.CharField(
        label=_("Other closed days"), required=False, help_text="2027-01-04, 2027-02-09"
    )

    def __init__(self, *args, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]
        for i, label in enumerate(DAY_LABELS):
            self.fields[f"day_{i}"] = forms.CharField(
                label=label,
                required=False,
                help_text=_("e.g. 09:00-12:00, 13:00-17:00; 20:00-08:00 runs past midnight"),
            )

    @property
    def day_fields(self):
        return [self[f"day_{i}"] for i in range(7)]

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            target = field if field in self.fields else None
            if field == "weekly_hours":
                target = "day_0"
            for message in messages:
                self.add_error(target, message)

    @classmethod
    def initial_for(cls, calendar: BusinessCalendar) -> dict:
        initial = {
            "name_zh": calendar.name_zh,
            "name_en": calendar.name_en,
            "always_open": calendar.always_open,
            "observe_holidays": calendar.observe_holidays,
            "makeup_day_hours": periods_text(calendar.makeup_day_hours),
            "holiday_hours": periods_text(calendar.holiday_hours),
            "extra_closed_days": ", ".join(calendar.extra_closed_days or []),
        }
        weekly = list(calendar.weekly_hours or [])
        for i in range(7):
            initial[f"day_{i}"] = periods_text(weekly[i] if i < len(weekly) else [])
        return initial
