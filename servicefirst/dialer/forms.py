"""Forms of the campaign pages. They only shape input for the services (which validate every
field and name the bad one): the campaign form shows the abandoned-call cap in percent and
hands the service a fraction."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Unit
from servicefirst.core.uploads import TABULAR, UploadValidator
from servicefirst.customers.models import Product
from servicefirst.dialer.models import Campaign, Disposition, DoNotCall
from servicefirst.dialer.selectors import call_work_staff

TIME = forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M")


def _control(field: forms.Field, css: str = "form-control") -> forms.Field:
    field.widget.attrs.setdefault("class", css)
    return field


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    purpose = forms.CharField(
        label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    script = forms.CharField(
        label=_("Script"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    product = forms.ChoiceField(label=_("Product"), required=False)
    unit = forms.ChoiceField(label=_("Contact centre"), required=False)
    mode = forms.ChoiceField(label=_("Dialing mode"), choices=Campaign.Mode.choices)
    abandon_cap = forms.DecimalField(
        label=_("Abandoned-call cap (%)"),
        max_digits=4,
        decimal_places=1,
        initial=Decimal("3.0"),
        help_text=_("Abandoned / live-answered calls over 24 hours and 30 days; at most 3%."),
    )
    max_attempts = forms.IntegerField(label=_("Attempts per customer"), initial=5)
    retry_no_answer_hours = forms.IntegerField(label=_("Retry after no answer (hours)"), initial=4)
    retry_busy_hours = forms.IntegerField(label=_("Retry after busy (hours)"), initial=1)
    retry_machine_hours = forms.IntegerField(
        label=_("Retry after answering machine (hours)"), initial=24
    )
    window_start = forms.TimeField(label=_("Calling from"), widget=TIME, initial="09:00")
    window_end = forms.TimeField(label=_("Calling until"), widget=TIME, initial="21:00")
    call_on_holidays = forms.BooleanField(label=_("Call on public holidays"), required=False)
    ring_timeout_s = forms.IntegerField(label=_("Ring for (seconds)"), initial=20)
    agents = forms.MultipleChoiceField(
        label=_("Agents"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("None"))] + [
            (p.code, str(p)) for p in Product.objects.filter(is_active=True).order_by("code")
        ]
        self.fields["unit"].choices = [("", _("My unit"))] + [
            (str(u.pk), str(u))
            for u in Unit.objects.filter(
                kind__in=(Unit.Kind.CARE_CENTER, Unit.Kind.MARKETING, Unit.Kind.BRANCH)
            ).order_by("kind", "code")
        ]
        self.fields["agents"].choices = [
            (str(s.pk), f"{s.name} ({s.employee_number})") for s in call_work_staff()
        ]
        for name, f in self.fields.items():
            if name in ("agents", "call_on_holidays"):
                continue
            _control(f, "form-select" if isinstance(f, forms.ChoiceField) else "form-control")
            f.widget.attrs.setdefault("id", f"campaign-{name}")
        self.fields["call_on_holidays"].widget.attrs.update(
            {"class": "form-check-input", "id": "campaign-call_on_holidays"}
        )

    @staticmethod
    def initial_for(campaign: Campaign) -> dict:
        return {
            "name": campaign.name,
            "purpose": campaign.purpose,
            "script": campaign.script,
            "product": campaign.product.code if campaign.product_id else "",
            "unit": str(campaign.unit_id or ""),
            "mode": campaign.mode,
            "abandon_cap": (campaign.abandon_cap * 100).quantize(Decimal("0.1")),
            "max_attempts": campaign.max_attempts,
            "retry_no_answer_hours": campaign.retry_no_answer_hours,
            "retry_busy_hours": campaign.retry_busy_hours,
            "retry_machine_hours": campaign.retry_machine_hours,
            "window_start": campaign.window_start,
            "window_end": campaign.window_end,
            "call_on_holidays": campaign.call_on_holidays,
            "ring_timeout_s": campaign.ring_timeout_s,
            "agents": [str(pk) for pk in campaign.agents.values_list("pk", flat=True)],
        }

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        cap = data.pop("abandon_cap")
        data["abandon_cap"] = (cap / 100) if cap is not None else ""
        if not data.get("unit"):
            data.pop("unit", None)
        return data


class DispositionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    kind = forms.ChoiceField(label=_("Kind"), choices=Disposition.Kind.choices)
    label_zh = forms.CharField(label=_("Chinese label"), max_length=60)
    label_en = forms.CharField(label=_("English label"), max_length=60)
    is_final = forms.BooleanField(
        label=_("Closes the entry"),
        required=False,
        help_text=_("Only for kind “Other”: the others decide by their kind."),
    )
    sort_order = forms.IntegerField(label=_("Order"), required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, f in self.fields.items():
            if name == "is_final":
                f.widget.attrs["class"] = "form-check-input"
            else:
                _control(
                    f,
                    "form-select form-select-sm"
                    if isinstance(f, forms.ChoiceField)
                    else "form-control form-control-sm",
                )

    @staticmethod
    def initial_for(d: Disposition) -> dict:
        return {
            "code": d.code,
            "kind": d.kind,
            "label_zh": d.label_zh,
            "label_en": d.label_en,
            "is_final": d.is_final,
            "sort_order": d.sort_order,
        }

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("sort_order") is None:
            data.pop("sort_order", None)
        return data


class SegmentForm(forms.Form):
    segment = forms.ChoiceField(label=_("Segment"))

    def __init__(self, *args, **kwargs):
        from servicefirst.insights.models import Segment

        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("Choose a segment"))] + [
            (str(s.pk), f"{s.name} ({s.last_count if s.last_count is not None else '?'})")
            for s in Segment.objects.order_by("name")
        ]
        self.fields["segment"].widget.attrs.update({"class": "form-select", "id": "add-segment"})


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("A column 客户号 (customer number) and/or 手机 (phone), in the first row."),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".csv,.xlsx", "id": "add-file"}
        ),
        validators=[UploadValidator(TABULAR, "CALL_LIST_MAX_UPLOAD_MB")],
    )


class DncAddForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"class": "form-control", "id": "dnc-phone"}),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (v, label) for v, label in DoNotCall.Reason.choices if v != DoNotCall.Reason.REFUSAL
        ],
        widget=forms.Select(attrs={"class": "form-select", "id": "dnc-reason"}),
    )
    until = forms.DateField(
        label=_("Until (empty: until removed)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control", "id": "dnc-until"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "id": "dnc-note"}),
    )
