from django import forms
from django.utils.translation import gettext_lazy as _

from servicefirst.staffing.planner import sample_forecast_text


class PlannerForm(forms.Form):
    service_level = forms.DecimalField(
        label=_("Service level target (%)"),
        min_value=1,
        max_value=99.9,
        decimal_places=1,
        initial=90,
    )
    answer_s = forms.IntegerField(
        label=_("Answered within (seconds)"), min_value=0, max_value=3600, initial=15
    )
    patience_s = forms.IntegerField(
        label=_("Mean caller patience (seconds, Erlang A)"),
        min_value=1,
        max_value=86400,
        initial=120,
    )
    max_occupancy = forms.DecimalField(
        label=_("Occupancy cap (%, optional)"),
        min_value=50,
        max_value=100,
        decimal_places=1,
        required=False,
    )
    forecast = forms.CharField(
        label=_("Forecast: one half-hour a line, start,calls,aht (seconds)"),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        initial=sample_forecast_text,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-control")
            field.widget.attrs["id"] = f"planner-{name.replace('_', '-')}"
        self.fields["forecast"].widget.attrs["class"] = "form-control font-monospace"
