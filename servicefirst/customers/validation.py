"""One validator for customer input, shared by forms, the API and the importer.

`clean_customer(data)` returns (cleaned, errors): cleaned values ready for the model and a dict
field → [message]. Messages are for bank staff and name what is wrong.
"""

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from servicefirst.customers import fields as f
from servicefirst.customers.models import Customer


class _EmailValidator(EmailValidator):
    """Django's e-mail validator (`validate_email`), remembering its verdict on each domain
    (a file of a million customers has a few hundred domains)."""

    def __init__(self):
        super().__init__()
        self._domains: dict[str, bool] = {}
        # The same patterns, compiled now: Django's lazy regexes cost a raised and caught
        # AttributeError on every use.
        for name in ("user_regex", "domain_regex", "literal_regex"):
            lazy = getattr(EmailValidator, name)
            setattr(self, name, re.compile(lazy.pattern, lazy.flags))

    def validate_domain_part(self, domain_part):
        verdict = self._domains.get(domain_part)
        if verdict is None:
            verdict = super().validate_domain_part(domain_part)
            if len(self._domains) < 10_000:
                self._domains[domain_part] = verdict
        return verdict


validate_email = _EmailValidator()

# Values staff type or spreadsheets carry, mapped to stored codes.
GENDER_WORDS = {
    "m": "M",
    "male": "M",
    "man": "M",
    "男": "M",
    "1": "M",
    "f": "F",
    "female": "F",
    "woman": "F",
    "女": "F",
    "2": "F",
    "u": "U",
    "unknown": "U",
    "": "U",
    "未知": "U",
}

CHOICE_FIELDS = {
    "id_type": Customer.IdType,
    "marital_status": Customer.Marital,
    "work_nature": Customer.WorkNature,
    "income_band": Customer.IncomeBand,
    "preferred_channel": Customer.Channel,
    "contact_time": Customer.ContactTime,
    "risk_appetite": Customer.RiskAppetite,
    "aum_band": Customer.AumBand,
    "value_tier": Customer.Tier,
    "lifecycle": Customer.Lifecycle,
}

# Enum `.values` rebuilds its list on every access; the importer validates millions of rows.
_CHOICE_VALUES = {name: frozenset(choices.values) for name, choices in CHOICE_FIELDS.items()}
_CHANNEL_VALUES = frozenset(Customer.Channel.values)

TEXT_LIMITS = {
    "name_zh": 60,
    "name_latin": 120,
    "occupation": 80,
    "employer": 120,
    "education": 40,
    "home_address": 200,
    "mailing_address": 200,
    "postal_code": 10,
    "preferred_language": 10,
    "lifecycle_reason": 200,
}

LANGUAGES = {"zh", "en", "yue", "ja", "ko", "fr", "de", "es", "pt", "ru", "ar"}

EDITABLE_FIELDS = (
    *TEXT_LIMITS,
    *CHOICE_FIELDS,
    "gender",
    "birth_date",
    "id_number",
    "dependents",
    "email",
    "phones",
    "interests",
    "channels_used",
    "do_not_call",
    "home_branch_id",
    "relationship_manager_id",
)


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": value})


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [
        v.strip() for v in str(value).replace("，", ",").replace("、", ",").split(",") if v.strip()
    ]


def clean_customer(
    data: dict[str, Any], *, partial: bool = False, current: Customer | None = None
) -> tuple[dict, dict]:
    """Validate customer input. With partial=True only the given keys are checked."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, limit in TEXT_LIMITS.items():
        if field in data:
            value = "" if data[field] is None else str(data[field]).strip()
            if len(value) > limit:
                err(
                    field,
                    _("At most %(limit)d characters (this has %(n)d).")
                    % {"limit": limit, "n": len(value)},
                )
            else:
                cleaned[field] = value

    if "preferred_language" in cleaned and cleaned["preferred_language"]:
        lang = cleaned["preferred_language"].lower()
        if lang not in LANGUAGES:
            err(
                "preferred_language",
                _("Unknown language “%(value)s”.") % {"value": cleaned["preferred_language"]},
            )
        cleaned["preferred_language"] = lang
    if cleaned.get("postal_code") and not cleaned["postal_code"].isdigit():
        err("postal_code", _("A postal code has digits only."))

    if not partial or {"name_zh", "name_latin"} & data.keys():
        name_zh = cleaned.get("name_zh", current.name_zh if current else "")
        name_latin = cleaned.get("name_latin", current.name_latin if current else "")
        if not name_zh and not name_latin:
            err("name_zh", _("Enter the customer's name in Chinese characters or Latin letters."))

    for field, choices in CHOICE_FIELDS.items():
        if field in data and data[field] not in (None,):
            value = str(data[field]).strip()
            if field == "risk_appetite":
                value = value.upper()
            if value == "" and field not in ("risk_appetite", "id_type"):
                continue
            if value not in _CHOICE_VALUES[field]:
                labels = {str(label).lower(): v for v, label in choices.choices}
                if value.lower() in labels:
                    value = labels[value.lower()]
                else:
                    err(
                        field,
                        _("“%(value)s” is not one of: %(choices)s.")
                        % {
                            "value": data[field],
                            "choices": ", ".join(v for v in choices.values if v),
                        },
                    )
                    continue
            cleaned[field] = value

    if "gender" in data:
        g = GENDER_WORDS.get(str(data["gender"] or "").strip().lower())
        if g is None:
            err("gender", _("Gender must be M or F (男/女)."))
        else:
            cleaned["gender"] = g

    if data.get("birth_date") not in (None, ""):
        try:
            born = _parse_date(data["birth_date"])
            if born > f.today() or born.year < 1900:
                err("birth_date", _("The birth date is not plausible."))
            else:
                cleaned["birth_date"] = born
        except ValueError as exc:
            err("birth_date", str(exc))
    elif "birth_date" in data:
        cleaned["birth_date"] = None

    if data.get("id_number") not in (None, ""):
        id_type = (
            cleaned.get("id_type")
            or data.get("id_type")
            or (current.id_type if current else "")
            or "resident"
        )
        try:
            if id_type == "resident":
                number, born = f.resident_id_parts(str(data["id_number"]))
            else:
                number = f.validate_id_number(id_type, str(data["id_number"]))
            cleaned["id_type"] = id_type
            cleaned["id_number"] = number
            if id_type == "resident":
                if cleaned.get("birth_date") and cleaned["birth_date"] != born:
                    err(
                        "birth_date",
                        _(
                            "The birth date differs from the one inside the identity number (%(date)s)."
                        )
                        % {"date": born.isoformat()},
                    )
                cleaned.setdefault("birth_date", born)
                if "gender" not in data or cleaned.get("gender") == "U":
                    cleaned["gender"] = "M" if int(number[16]) % 2 else "F"
        except ValueError as exc:
            err("id_number", str(exc))

    if data.get("dependents") not in (None, ""):
        try:
            n = int(str(data["dependents"]).strip())
            if not 0 <= n <= 30:
                raise ValueError
            cleaned["dependents"] = n
        except ValueError:
            err("dependents", _("The number of dependants is a whole number from 0 to 30."))

    if "email" in data:
        email = str(data["email"] or "").strip()
        if email:
            try:
                validate_email(email)
                cleaned["email"] = email.lower()
            except ValidationError:
                err("email", _("“%(value)s” is not an e-mail address.") % {"value": email})
        else:
            cleaned["email"] = ""

    if "phones" in data:
        phones = []
        for raw in _as_list(data["phones"]):
            try:
                e164 = f.normalise_phone(raw)
                if e164 not in phones:
                    phones.append(e164)
            except ValueError as exc:
                err("phones", str(exc))
        cleaned["phones"] = phones

    for field in ("interests", "channels_used"):
        if field in data:
            cleaned[field] = _as_list(data[field])
    if "channels_used" in cleaned:
        bad = [c for c in cleaned["channels_used"] if c not in _CHANNEL_VALUES]
        if bad:
            err("channels_used", _("Unknown channels: %(values)s.") % {"values": ", ".join(bad)})

    if "do_not_call" in data:
        cleaned["do_not_call"] = str(data["do_not_call"]).strip().lower() in {
            "1",
            "true",
            "yes",
            "on",
            "是",
            "y",
        }

    for field in ("home_branch_id", "relationship_manager_id"):
        if field in data:
            value = data[field]
            cleaned[field] = int(value) if value not in (None, "") else None

    return cleaned, errors
