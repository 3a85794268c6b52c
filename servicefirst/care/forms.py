"""The care rule form: it only shapes input for `services.rule_save`, which checks it and
names the bad field (condition rows use the insight pages' value syntax)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Unit
from servicefirst.care.models import Audience, CarePromptRule
from servicefirst.customers.models import Customer
from servicefirst.insights.forms import ConditionRowsMixin, format_value

CONDITION_ROWS = 4


class CareRuleForm(ConditionRowsMixin, forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=80, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=80, required=False)
    trigger = forms.ChoiceField(
        label=pgettext_lazy("care rule", "When"), choices=CarePromptRule.Trigger.choices
    )
    min_age = forms.IntegerField(
        label=_("Elderly from age"),
        required=False,
        help_text=_("Empty: the branch's elderly age."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("VIP tiers"),
        choices=Customer.Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the tiers the branch gives priority."),
    )
    audience = forms.ChoiceField(
        label=pgettext_lazy("care rule", "Prompt"), choices=Audience.choices, initial=Audience.BOTH
    )
    branch = forms.ChoiceField(label=pgettext_lazy("care rule", "Where"), required=False)
    message_zh = forms.CharField(
        label=_("Message (Chinese)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    message_en = forms.CharField(
        label=_("Message (English)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    order = forms.IntegerField(label=_("Order"), required=False, initial=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(
        self, *args, branches: list[Unit], bank_wide: bool, condition_count: int = 0, **kwargs
    ):
        super().__init__(*args, **kwargs)
        choices = [("", _("Every branch"))] if bank_wide else []
        self.fields["branch"].choices = choices + [(str(b.pk), str(b)) for b in branches]
        self.add_condition_rows(max(CONDITION_ROWS, condition_count + 1))
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"
            widget.attrs.setdefault("id", f"rule-{name}")

    def main_fields(self):
        return [f for f in self if not f.name.startswith("cond-")]

    def data_for_service(self) -> tuple[dict, dict[int, int]]:
        """The rule as `rule_save` takes it, and which form row each condition came from."""
        d = self.cleaned_data
        conditions, rows = self.conditions_from_rows()
        data = {
            key: d.get(key)
            for key in (
                "name_zh",
                "name_en",
                "trigger",
                "min_age",
                "audience",
                "message_zh",
                "message_en",
                "order",
                "is_active",
            )
        }
        data["tiers"] = list(d.get("tiers") or [])
        data["conditions"] = conditions
        data["branch_id"] = int(d["branch"]) if d.get("branch") else None
        return data, rows

    def add_service_errors(self, errors: dict[str, list[str]], rows: dict[int, int]) -> None:
        for key, messages in errors.items():
            parts = key.split(".")
            if parts[0] == "conditions" and len(parts) >= 2 and parts[1].isdigit():
                row = rows.get(int(parts[1]), int(parts[1]))
                part = parts[2] if len(parts) >= 3 and parts[2] in ("field", "op") else "value"
                if len(parts) == 2:
                    part = "field"
                name = f"cond-{row}-{part}"
            elif key == "conditions":
                name = "cond-0-field"
            elif key == "branch_id":
                name = "branch"
            else:
                name = key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    @staticmethod
    def initial_for(rule: CarePromptRule) -> dict:
        initial = {
            "name_zh": rule.name_zh,
            "name_en": rule.name_en,
            "trigger": rule.trigger,
            "min_age": rule.min_age,
            "tiers": rule.tiers,
            "audience": rule.audience,
            "branch": str(rule.branch_id or ""),
            "message_zh": rule.message_zh,
            "message_en": rule.message_en,
            "order": rule.order,
            "is_active": rule.is_active,
        }
        for i, c in enumerate(rule.conditions):
            initial[f"cond-{i}-field"] = c.get("field")
            initial[f"cond-{i}-op"] = c.get("op")
            initial[f"cond-{i}-value"] = format_value(c.get("value"))
        return initial
