"""Forms of the insight pages. They only shape input for the services: the segment form turns
its fields into a condition list, the rule form turns its rows into conditions; the services
validate and name the bad field."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.models import Unit
from servicefirst.customers.models import Campaign, Consent, Customer, Interaction, Product
from servicefirst.insights import conditions as cond
from servicefirst.insights.models import ClassificationRule, OutreachList, Segment

RULE_ROWS = 5


def _blank(label):
    return [("", label)]


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Segment name"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    lifecycle = forms.MultipleChoiceField(
        label=_("Lifecycle"),
        choices=Customer.Lifecycle.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    value_tier = forms.MultipleChoiceField(
        label=_("Value tier"),
        choices=Customer.Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    home_branch = forms.ChoiceField(label=_("Home branch"), required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=_blank(_("Any")) + list(Customer.Gender.choices), required=False
    )
    age_min = forms.IntegerField(label=_("Age from"), min_value=0, max_value=130, required=False)
    age_max = forms.IntegerField(label=_("Age to"), min_value=0, max_value=130, required=False)
    aum_min = forms.DecimalField(label=_("Assets from (¥)"), min_value=0, required=False)
    aum_max = forms.DecimalField(label=_("Assets to (¥)"), min_value=0, required=False)
    holds_product = forms.ChoiceField(label=_("Holds product"), required=False)
    holds_category = forms.ChoiceField(
        label=_("Holds a product of category"),
        choices=_blank(_("Any")) + list(Product.Category.choices),
        required=False,
    )
    balance_min = forms.DecimalField(label=_("Holding balance from (¥)"), required=False)
    balance_max = forms.DecimalField(label=_("Holding balance to (¥)"), required=False)
    lacks_product = forms.ChoiceField(label=_("Does not hold product"), required=False)
    consents = forms.MultipleChoiceField(
        label=_("Has consented to"),
        choices=Consent.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exclude_dnc = forms.BooleanField(label=_("Leave out do-not-call customers"), required=False)
    interaction_kind = forms.ChoiceField(
        label=_("Had an interaction of kind"),
        choices=_blank(_("Any or none")) + list(Interaction.Kind.choices),
        required=False,
    )
    interaction_campaign = forms.ChoiceField(label=_("In campaign"), required=False)
    interaction_outcome = forms.CharField(label=_("With outcome"), max_length=40, required=False)
    interaction_from = forms.DateField(
        label=_("Between"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    interaction_to = forms.DateField(
        label=_("and"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    score_product = forms.ChoiceField(label=_("Score for product"), required=False)
    score_min = forms.DecimalField(
        label=_("Score at least"), min_value=0, max_value=1, required=False
    )
    extra = forms.CharField(
        label=_("More conditions (JSON list, advanced)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        products = [(p.code, str(p)) for p in Product.objects.all()]
        self.fields["home_branch"].choices = _blank(_("All branches")) + [
            (str(u.pk), str(u)) for u in Unit.objects.filter(kind=Unit.Kind.BRANCH)
        ]
        self.fields["holds_product"].choices = _blank(_("Any")) + products
        self.fields["lacks_product"].choices = _blank(_("—")) + products
        self.fields["interaction_campaign"].choices = _blank(_("Any")) + [
            (c.code, c.name) for c in Campaign.objects.all()
        ]
        self.fields["score_product"].choices = _blank(_("—")) + products
        self.scores_available = cond.score_model() is not None
        if not self.scores_available:
            del self.fields["score_product"]
            del self.fields["score_min"]
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
            widget.attrs.setdefault("id", f"seg-{name}")

    def definition(self) -> list[dict]:
        """The condition list of the valid form (call after is_valid)."""
        d = self.cleaned_data
        out: list[dict] = []
        for name in ("lifecycle", "value_tier"):
            if d.get(name):
                out.append({"field": name, "op": "in", "value": list(d[name])})
        if d.get("home_branch"):
            out.append({"field": "home_branch", "op": "eq", "value": d["home_branch"]})
        if d.get("gender"):
            out.append({"field": "gender", "op": "eq", "value": d["gender"]})
        for key, field, op in (
            ("age_min", "age", "gte"),
            ("age_max", "age", "lte"),
            ("aum_min", "aum", "gte"),
            ("aum_max", "aum", "lte"),
        ):
            if d.get(key) is not None:
                out.append({"field": field, "op": op, "value": _num(d[key])})
        holding = {}
        if d.get("holds_product"):
            holding["product"] = d["holds_product"]
        if d.get("holds_category"):
            holding["category"] = d["holds_category"]
        if d.get("balance_min") is not None:
            holding["min_balance"] = _num(d["balance_min"])
        if d.get("balance_max") is not None:
            holding["max_balance"] = _num(d["balance_max"])
        if holding:
            out.append({"field": "holding", "op": "has", "value": holding})
        if d.get("lacks_product"):
            out.append(
                {"field": "holding", "op": "lacks", "value": {"product": d["lacks_product"]}}
            )
        for kind in d.get("consents") or []:
            out.append({"field": "consent", "op": "has", "value": kind})
        if d.get("exclude_dnc"):
            out.append({"field": "do_not_call", "op": "eq", "value": False})
        interaction = {}
        for key, part in (
            ("interaction_kind", "kind"),
            ("interaction_campaign", "campaign"),
            ("interaction_outcome", "outcome"),
        ):
            if d.get(key):
                interaction[part] = d[key]
        for key, part in (("interaction_from", "from"), ("interaction_to", "to")):
            if d.get(key):
                interaction[part] = d[key].isoformat()
        if interaction:
            out.append({"field": "interaction", "op": "has", "value": interaction})
        if d.get("score_product"):
            score = {"product": d["score_product"]}
            if d.get("score_min") is not None:
                score["min"] = float(d["score_min"])
            out.append({"field": "score", "op": "has", "value": score})
        return out + self.extra_conditions

    def clean_extra(self):
        text = (self.cleaned_data.get("extra") or "").strip()
        if not text:
            self.extra_conditions = []
            return ""
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, list):
            raise forms.ValidationError(_("Give a list of conditions."))
        self.extra_conditions = value
        return text

    @classmethod
    def initial_for(cls, segment: Segment) -> dict:
        """Form values for a saved definition; conditions the form cannot show go to `extra`."""
        initial: dict = {"name": segment.name, "description": segment.description}
        extra = []
        for c in segment.definition:
            field, op, value = c.get("field"), c.get("op"), c.get("value")
            if (
                field in ("lifecycle", "value_tier")
                and op == "in"
                or field in ("home_branch", "gender")
                and op == "eq"
            ):
                initial[field] = value
            elif field in ("age", "aum") and op in ("gte", "lte"):
                initial[f"{field}_{'min' if op == 'gte' else 'max'}"] = value
            elif field == "consent" and op == "has":
                initial.setdefault("consents", []).append(value)
            elif field == "do_not_call" and value is False:
                initial["exclude_dnc"] = True
            elif field == "holding" and op == "has" and "holds_product" not in initial:
                initial["holds_product"] = value.get("product", "")
                initial["holds_category"] = value.get("category", "")
                initial["balance_min"] = value.get("min_balance")
                initial["balance_max"] = value.get("max_balance")
            elif field == "holding" and op == "lacks" and set(value) == {"product"}:
                initial["lacks_product"] = value["product"]
            elif field == "interaction" and op == "has" and "interaction_kind" not in initial:
                for key, part in (
                    ("interaction_kind", "kind"),
                    ("interaction_campaign", "campaign"),
                    ("interaction_outcome", "outcome"),
                    ("interaction_from", "from"),
                    ("interaction_to", "to"),
                ):
                    initial[key] = value.get(part, "")
            elif field == "score" and op == "has" and "score_product" not in initial:
                initial["score_product"] = value.get("product", "")
                initial["score_min"] = value.get("min")
            else:
                extra.append(c)
        if extra:
            initial["extra"] = json.dumps(extra, ensure_ascii=False)
        return initial


def _num(value):
    return int(value) if value == int(value) else float(value)


class OutreachForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=OutreachList.Purpose.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=OutreachList.Channel.choices)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = _blank(_("—")) + [
            (c.code, c.name) for c in Campaign.objects.all()
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class ConditionRowsMixin:
    """Rows of (field, operator, value) editing a condition list in the insights condition
    language; shared by the classification-rule form and the care-rule form."""

    def add_condition_rows(self, count: int) -> None:
        field_choices = _blank(_("—")) + [(name, spec.label) for name, spec in cond.FIELDS.items()]
        op_choices = _blank(_("—")) + [(op, label) for op, label in cond.OP_LABELS.items()]
        self.rows = list(range(count))
        for i in self.rows:
            self.fields[f"cond-{i}-field"] = forms.ChoiceField(
                label=_("Field"), choices=field_choices, required=False
            )
            self.fields[f"cond-{i}-op"] = forms.ChoiceField(
                label=_("Operator"), choices=op_choices, required=False
            )
            self.fields[f"cond-{i}-value"] = forms.CharField(
                label=_("Value"), max_length=500, required=False
            )

    def condition_rows(self):
        return [
            (i, self[f"cond-{i}-field"], self[f"cond-{i}-op"], self[f"cond-{i}-value"])
            for i in self.rows
        ]

    def conditions_from_rows(self) -> tuple[list[dict], dict[int, int]]:
        """The filled rows as conditions, and which form row each condition came from."""
        d = self.cleaned_data
        conditions, rows = [], {}
        for i in self.rows:
            field, op, raw = (
                d.get(f"cond-{i}-field"),
                d.get(f"cond-{i}-op"),
                d.get(f"cond-{i}-value"),
            )
            if not field and not op and not raw:
                continue
            rows[len(conditions)] = i
            conditions.append({"field": field, "op": op, "value": parse_value(field, op, raw)})
        return conditions, rows


class RuleForm(ConditionRowsMixin, forms.Form):
    target = forms.ChoiceField(label=_("Sets"), choices=ClassificationRule.Target.choices)
    outcome = forms.ChoiceField(label=_("Result"))
    reason_zh = forms.CharField(label=_("Reason (Chinese)"), max_length=200, required=False)
    reason_en = forms.CharField(label=_("Reason (English)"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            (_("Lifecycle class"), list(Customer.Lifecycle.choices)),
            (_("Value tier"), list(Customer.Tier.choices)),
            (_("Product category"), list(Product.Category.choices)),
        ]
        self.add_condition_rows(RULE_ROWS)
        for _name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"

    def data_for_service(self) -> tuple[dict, dict[int, int]]:
        """The rule as the service takes it, and which form row each condition came from."""
        d = self.cleaned_data
        conditions, rows = self.conditions_from_rows()
        data = {
            "target": d.get("target"),
            "outcome": d.get("outcome"),
            "reason_zh": d.get("reason_zh", ""),
            "reason_en": d.get("reason_en", ""),
            "is_active": d.get("is_active", False),
            "conditions": conditions,
        }
        return data, rows

    @staticmethod
    def initial_for(rule: ClassificationRule) -> dict:
        initial = {
            "target": rule.target,
            "outcome": rule.outcome,
            "reason_zh": rule.reason_zh,
            "reason_en": rule.reason_en,
            "is_active": rule.is_active,
        }
        for i, c in enumerate(rule.conditions[:RULE_ROWS]):
            initial[f"cond-{i}-field"] = c.get("field")
            initial[f"cond-{i}-op"] = c.get("op")
            initial[f"cond-{i}-value"] = format_value(c.get("value"))
        return initial


def parse_value(field: str, op: str, raw: str):
    """A typed value from the text box: JSON objects/lists as written, yes/no for flags,
    comma lists for "is one of", numbers as numbers."""
    text = (raw or "").strip()
    spec = cond.FIELDS.get(field)
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    if spec is not None and spec.kind == "bool":
        lowered = text.lower()
        if lowered in ("yes", "true", "1", "是"):
            return True
        if lowered in ("no", "false", "0", "否"):
            return False
        return text
    if op in ("in", "not_in"):
        return [part.strip() for part in text.split(",") if part.strip()]
    if spec is not None and spec.kind in ("number", "money", "count", "days"):
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return text
        return int(number) if number == int(number) else number
    return text


def format_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


class FunnelFilterForm(forms.Form):
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    branch = forms.ChoiceField(label=_("Branch"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=_blank(_("All channels")) + list(Customer.Channel.choices),
        required=False,
    )
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = _blank(_("All customers")) + [
            (str(s.pk), s.name) for s in Segment.objects.all()
        ]
        self.fields["branch"].choices = _blank(_("All branches")) + [
            (str(u.pk), str(u)) for u in Unit.objects.filter(kind=Unit.Kind.BRANCH)
        ]
        for field in self.fields.values():
            cls = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{cls} form-select-sm form-control-sm"
