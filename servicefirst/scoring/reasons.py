"""Why a customer scores as they do, in words staff understand.

For each group of features (`features.GROUPS`) the effect is the change in probability when the
group's features are replaced by the population baseline (median / most frequent value of the
latest period): `effect = p(customer) − p(customer with that group set to baseline)`. A few
extra vectorised predictions per batch, no per-row work. Stored as language-neutral codes
(`{"code", "value", "effect"}`); `reason_text` words them in the reader's language.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.scoring import features as F

# Groups that differ between customers; timing, economy and the campaign's own call count are
# the same for everyone at scoring time and are shown with the model instead.
CUSTOMER_GROUPS = ("age", "job", "marital", "education", "prior", "contact", "credit", "wealth")
TOP = 3
MIN_EFFECT = 0.0005

TEXT = {
    "age_under_25": _("aged under 25"),
    "age_25_34": _("aged 25–34"),
    "age_35_59": _("aged 35–59"),
    "age_60_plus": _("aged 60 or over"),
    "age_unknown": _("age not known"),
    "job": _("occupation: %(value)s"),
    "job_unknown": _("occupation not known"),
    "marital": _("marital status: %(value)s"),
    "education": _("education: %(value)s"),
    "education_unknown": _("education not known"),
    "prior_success": _("previous campaign succeeded"),
    "prior_failure": _("previous campaign did not succeed"),
    "prior_none": _("not contacted in earlier campaigns"),
    "contact_cellular": _("reachable on a mobile phone"),
    "contact_telephone": _("reachable on a landline only"),
    "contact_unknown": _("contact channel not known"),
    "credit_housing_loan": _("has a housing loan"),
    "credit_personal_loan": _("has a personal loan"),
    "credit_default": _("has defaulted on credit"),
    "credit_none": _("no loans with the bank"),
    "credit_unknown": _("credit situation not known"),
    "wealth": _("assets: %(value)s"),
    "wealth_unknown": _("assets not known"),
}

VALUE_TEXT = {
    "admin.": _("office work"),
    "blue-collar": _("manual work"),
    "entrepreneur": _("business owner"),
    "housemaid": _("domestic work"),
    "management": _("management"),
    "retired": _("retired"),
    "self-employed": _("self-employed"),
    "services": pgettext_lazy("line of work", "services"),
    "student": _("student"),
    "technician": _("technician"),
    "unemployed": _("not working"),
    "married": _("married"),
    "single": _("single"),
    "divorced": _("divorced"),
    "widowed": _("widowed"),
    "illiterate": _("none"),
    "basic.4y": _("primary school"),
    "basic.6y": _("primary school"),
    "basic.9y": _("middle school"),
    "high.school": _("high school"),
    "professional.course": _("vocational"),
    "university.degree": _("university degree"),
    "lt50k": _("under ¥50,000"),
    "50k-500k": _("¥50,000–500,000"),
    "500k-6m": _("¥500,000–6,000,000"),
    "gt6m": _("over ¥6,000,000"),
}


def reason_text(reason: dict) -> str:
    template = TEXT.get(reason.get("code"), reason.get("code", ""))
    value = reason.get("value")
    if value is not None and "%(value)s" in str(template):
        return str(template) % {"value": VALUE_TEXT.get(value, value)}
    return str(template)


def _cat(X: np.ndarray, name: str, i: int) -> str | None:
    v = X[i, F.INDEX[name]]
    return None if np.isnan(v) else F.CATEGORIES[name][int(v)]


def describe(group: str, X: np.ndarray, i: int) -> dict:
    """The code (and value) describing row i's features of one group."""
    if group == "age":
        age = X[i, F.INDEX["age"]]
        if np.isnan(age):
            return {"code": "age_unknown"}
        if age < 25:
            return {"code": "age_under_25"}
        if age < 35:
            return {"code": "age_25_34"}
        return {"code": "age_35_59" if age < 60 else "age_60_plus"}
    if group in ("job", "marital", "education"):
        value = _cat(X, group, i)
        if value is None:
            return {"code": f"{group}_unknown" if group != "marital" else "marital"}
        return {"code": group, "value": value}
    if group == "prior":
        outcome = _cat(X, "poutcome", i)
        if outcome == "success":
            return {"code": "prior_success"}
        if outcome == "failure":
            return {"code": "prior_failure"}
        return {"code": "prior_none"}
    if group == "contact":
        return {"code": f"contact_{_cat(X, 'contact', i) or 'unknown'}"}
    if group == "credit":
        if _cat(X, "default", i) == "yes":
            return {"code": "credit_default"}
        if _cat(X, "housing", i) == "yes":
            return {"code": "credit_housing_loan"}
        if _cat(X, "loan", i) == "yes":
            return {"code": "credit_personal_loan"}
        if _cat(X, "housing", i) is None and _cat(X, "loan", i) is None:
            return {"code": "credit_unknown"}
        return {"code": "credit_none"}
    if group == "wealth":
        value = _cat(X, "aum_band", i)
        return {"code": "wealth", "value": value} if value else {"code": "wealth_unknown"}
    return {"code": group}


def _group_codes(group: str, X: np.ndarray) -> list[dict]:
    """`describe(group, X, i)` for every row at once, sharing the dicts of equal values."""
    keys = [F.INDEX[name] for name in F.GROUPS[group]]
    if group == "age":
        keys = []  # the age is banded: describe each band once below
        age = X[:, F.INDEX["age"]]
        band = np.select(
            [np.isnan(age), age < 25, age < 35, age < 60], [0, 1, 2, 3], default=4
        ).reshape(-1, 1)
        columns = band
    else:
        columns = X[:, keys]
    filled = np.where(np.isnan(columns), -1.0, columns)
    _unique, first, inverse = np.unique(filled, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    described = [describe(group, X, int(i)) for i in first]  # one row per distinct value
    return [described[k] for k in inverse]


def top_reasons(model, X: np.ndarray, p: np.ndarray, groups=CUSTOMER_GROUPS) -> list[list[dict]]:
    """For each row, the TOP groups by absolute effect: [{"code", "value"?, "effect"}]."""
    n = X.shape[0]
    if n == 0:
        return []
    effects = np.zeros((n, len(groups)))
    for g, group in enumerate(groups):
        columns = [F.INDEX[name] for name in F.GROUPS[group]]
        replaced = X.copy()
        replaced[:, columns] = model.baseline[columns]
        effects[:, g] = p - model.predict(replaced)
    order = np.argsort(-np.abs(effects), axis=1)[:, :TOP]
    codes = [_group_codes(group, X) for group in groups]
    rounded = np.round(effects, 4)
    out: list[list[dict]] = []
    for i in range(n):
        row = []
        for g in order[i]:
            effect = float(rounded[i, g])
            if abs(effect) < MIN_EFFECT:
                continue
            row.append({**codes[g][i], "effect": effect})
        out.append(row)
    return out
