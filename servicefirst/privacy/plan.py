"""What anonymising a customer replaces, and with what: one declarative list, so what is erased
is read (and reviewed) in one place.

Replaced: the customer's names and their search keys, identity number (cipher text, keyed hash,
last four), e-mail, addresses, postal code, employer, phones (kept as rows, each number replaced
by a neutral placeholder), and the free text written about the customer anywhere: the
timeline's summaries, tasks, service requests (subject, description, resolution, notes,
messages, transfer reasons, the contact's details), calls, call lists and callbacks, walk-ins,
hand-offs, follow-ups, greetings, appointments, ticket notes, survey comments, remedies and
apologies, care prompts.

Kept: every row and id, products and holdings (balances, dates), segments and classes, gender,
birth date, tiers, lifecycle, branch, relationship manager, consents and their history, the
do-not-call list (it must keep refusing the number), every date, amount, status, outcome and
code — so every count and statistic stays the same.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A neutral value for required free text.
ERASED = "—"


def neutral_phone(pk: int) -> str:
    """Unique per phone row (a customer's numbers are unique), never a dialable number."""
    return f"+0{pk:011d}"


@dataclass(frozen=True)
class Target:
    model: str  # "app_label.ModelName"
    customer_path: str  # lookup from the model to the customer's id
    fields: dict[str, Any]  # field name → neutral value
    per_row: dict[str, Callable[[int], str]] | None = None  # field name → value from the row's pk


PLAN: tuple[Target, ...] = (
    Target(
        "customers.Customer",
        "pk",
        {
            "name_zh": "",
            "name_latin": "",
            "pinyin_full": "",
            "pinyin_initials": "",
            "id_number_encrypted": "",
            "id_number_hash": "",
            "id_number_last4": "",
            "email": "",
            "home_address": "",
            "mailing_address": "",
            "postal_code": "",
            "employer": "",
            "lifecycle_reason": "",
        },
    ),
    Target("customers.CustomerPhone", "customer", {}, per_row={"e164": neutral_phone}),
    Target("customers.Interaction", "customer", {"summary": ""}),
    Target("customers.CustomerTask", "customer", {"title": ERASED}),
    Target(
        "servicedesk.ServiceRequest",
        "customer",
        {
            "contact_name": "",
            "contact_phone": "",
            "contact_email": "",
            "subject": ERASED,
            "description": "",
            "resolution": "",
        },
    ),
    Target("servicedesk.RequestNote", "request__customer", {"body": ERASED}),
    Target("servicedesk.RequestMessage", "request__customer", {"body": ERASED}),
    Target("servicedesk.RequestTransfer", "request__customer", {"reason": ERASED}),
    Target("dialer.CallListEntry", "customer", {"phone": ""}),
    Target("dialer.Call", "customer", {"phone": "", "notes": ""}),
    Target("dialer.Callback", "customer", {"phone": "", "note": ""}),
    Target(
        "lobby.WalkIn",
        "customer",
        {"name": "", "phone": "", "company": "", "job_title": "", "email": "", "need_text": ""},
    ),
    Target("lobby.Handoff", "customer", {"note": "", "outcome_note": ""}),
    Target("lobby.FollowUp", "customer", {"note": "", "result": ""}),
    Target("lobby.Greeting", "customer", {"message": ""}),
    Target("floor.Appointment", "customer", {"name": ERASED, "phone": ""}),
    Target("floor.Ticket", "customer", {"outcome_note": ""}),
    Target("satisfaction.SurveyResponse", "invitation__customer", {"comment": ""}),
    Target("remedies.RemedyCase", "customer", {"reason": "", "close_note": ""}),
    Target("remedies.Apology", "remedy__customer", {"subject": "", "text": ERASED}),
    Target("care.CarePrompt", "customer", {"text_zh": ERASED, "text_en": ERASED}),
)
