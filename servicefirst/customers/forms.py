"""Edit forms for the Customer 360, one per section. Forms only carry input; the service
validates it, and its errors are put back on the named fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from servicefirst.customers.models import Consent, Customer, HouseholdLink, Interaction

PERSONAL = {"id_number", "phones", "email", "home_address", "mailing_address"}


# Languages a customer may prefer, each named in its own language (as staff hear it spoken).
CUSTOMER_LANGUAGES = [
    ("zh", "中文（普通话）"),
    ("yue", "粤语"),
    ("en", "English"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("pt", "Português"),
    ("ru", "Русский"),
    ("ar", "العربية"),
]


def language_label(code: str) -> str:
    return dict(CUSTOMER_LANGUAGES).get(code, code or "—")


def _choice(choices, label):
    return forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=False)


class SectionForm(forms.Form):
    """A section's edit form carries the customer's version it was opened on (hidden): saving
    after someone else's change is refused with their name and time (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class IdentityForm(SectionForm):
    title = _("Identity")
    name_zh = forms.CharField(label=_("Chinese name"), required=False, max_length=60)
    name_latin = forms.CharField(label=_("Latin name"), required=False, max_length=120)
    gender = forms.ChoiceField(label=_("gender"), choices=Customer.Gender.choices, required=False)
    birth_date = forms.CharField(
        label=_("birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_type = _choice(Customer.IdType.choices, _("identity document"))
    id_number = forms.CharField(
        label=_("identity number"),
        required=False,
        help_text=_("Leave blank to keep the number on file."),
    )


class ContactForm(SectionForm):
    title = _("Contact")
    phones = forms.CharField(
        label=_("phones"),
        required=False,
        help_text=_("Any format; separate several with commas. Leave blank to keep those on file."),
    )
    email = forms.CharField(
        label=_("e-mail"), required=False, help_text=_("Leave blank to keep the address on file.")
    )
    home_address = forms.CharField(label=_("home address"), required=False)
    mailing_address = forms.CharField(label=_("mailing address"), required=False)
    postal_code = forms.CharField(label=_("postal code"), required=False, max_length=10)
    preferred_language = forms.ChoiceField(
        label=_("preferred language"), choices=CUSTOMER_LANGUAGES, required=False
    )
    preferred_channel = forms.ChoiceField(
        label=_("preferred channel"), choices=Customer.Channel.choices, required=False
    )
    contact_time = forms.ChoiceField(
        label=_("preferred contact time"), choices=Customer.ContactTime.choices, required=False
    )
    do_not_call = forms.BooleanField(label=_("do not call"), required=False)


class WorkForm(SectionForm):
    title = _("Family and work")
    marital_status = forms.ChoiceField(
        label=_("marital status"), choices=Customer.Marital.choices, required=False
    )
    dependents = forms.CharField(label=_("dependants"), required=False)
    occupation = forms.CharField(label=_("occupation"), required=False)
    work_nature = forms.ChoiceField(
        label=_("nature of work"), choices=Customer.WorkNature.choices, required=False
    )
    employer = forms.CharField(label=_("employer"), required=False)
    income_band = forms.ChoiceField(
        label=_("income"), choices=Customer.IncomeBand.choices, required=False
    )
    education = forms.CharField(label=_("education"), required=False)


class FinanceForm(SectionForm):
    title = _("Preferences and relationship")
    risk_appetite = forms.ChoiceField(
        label=_("risk appetite"), choices=Customer.RiskAppetite.choices, required=False
    )
    aum_band = forms.ChoiceField(
        label=_("assets under management"), choices=Customer.AumBand.choices, required=False
    )
    interests = forms.CharField(
        label=_("preferences and interests"), required=False, help_text=_("Separate with commas.")
    )
    value_tier = forms.ChoiceField(
        label=_("value tier"), choices=Customer.Tier.choices, required=False
    )
    lifecycle = forms.ChoiceField(
        label=_("lifecycle"), choices=Customer.Lifecycle.choices, required=False
    )
    lifecycle_reason = forms.CharField(label=_("reason for lifecycle"), required=False)


SECTIONS = {
    "identity": IdentityForm,
    "contact": ContactForm,
    "work": WorkForm,
    "finance": FinanceForm,
}


def initial_for(section: str, customer: Customer) -> dict:
    form_class = SECTIONS[section]
    initial = {"version": customer.version}
    for name in form_class.base_fields:
        if name in PERSONAL or name == "version":
            continue
        value = getattr(customer, name)
        if name == "interests":
            value = ", ".join(value)
        if name == "birth_date" and value:
            value = value.isoformat()
        initial[name] = value
    return initial


def data_for_service(section: str, form: forms.Form) -> dict:
    """The submitted values to hand to customer_update: personal fields left blank mean
    "keep what is on file"."""
    raw = {}
    for name in SECTIONS[section].base_fields:
        if name == "version":
            continue
        value = form.data.get(name, "")
        if name == "do_not_call":
            raw[name] = name in form.data
            continue
        if name in PERSONAL and not str(value).strip():
            continue
        raw[name] = value
    return raw


def version_for_service(form: forms.Form) -> int | None:
    """The customer's version the form was opened on (None when the form did not carry one)."""
    value = str(form.data.get("version", "")).strip()
    return int(value) if value.isdigit() else None


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (k, v)
            for k, v in Interaction.Kind.choices
            if k in {"visit", "call", "complaint", "note", "greeting"}
        ],
    )
    summary = forms.CharField(
        label=_("what happened"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class HouseholdForm(forms.Form):
    relative = forms.CharField(label=_("relative's customer number"))
    relation = forms.ChoiceField(label=_("relation"), choices=HouseholdLink.Relation.choices)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("consent"), choices=Consent.Kind.choices)
    granted = forms.ChoiceField(
        label=_("grant or withdraw"), choices=[("1", _("Grant")), ("0", _("Withdraw"))]
    )
    source = forms.CharField(
        label=_("source"),
        max_length=80,
        help_text=_("Where the customer said so: form, call, app, branch…"),
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), max_length=200)
    due_on = forms.DateField(
        label=_("due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
