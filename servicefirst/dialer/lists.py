"""Call lists: who a campaign calls, and the compliance check at the moment of dialling.

Building a list — from an insight segment, an uploaded CSV/XLSX file or hand-picked customers
— adds each customer once per campaign with their primary phone (or the phone the file
names), and leaves out, counting why, everyone who may not be called now: do-not-call (the
customer's flag or the number on the do-not-call list), no phone number, no active consent to
phone calls or to marketing. A file with any bad row adds nothing; every bad row is named.

`claim_entries` is how the dialer (and the preview desktop) takes the next customers to call:
atomically, so that several dialers never take the same entry — on PostgreSQL with
`SELECT … FOR UPDATE SKIP LOCKED`, on SQLite under the IMMEDIATE transaction that serialises
writers. Every candidate is put through `compliance.may_dial` with the customer's call history
across all campaigns; one that may not be called now is rescheduled to
`compliance.next_allowed_at` (or closed as do-not-call when never), so it leaves the due set
and is not looked at again until then.

`entry_after_call` applies a finished call to its entry: retries after no answer, busy or a
machine, 72 hours after an abandoned call, attempts used up, and the dispositions (a refusal
puts the number on the do-not-call list for six months, "do not call again" for good).

The do-not-call list itself (add, remove with a reason; audited) is at the end.
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicefirst.accounts.permissions import Action, scope_filter, staff_of
from servicefirst.core.errors import NotFound, PermissionDenied, ValidationFailed
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.core.tabular import (
    MAX_CELL_CHARS,
    Unreadable,
    check_xlsx,
    decode_text,
    longest,
    record_at,
    too_long,
)
from servicefirst.customers.fields import mask_phone, try_phone
from servicefirst.customers.models import Consent, Customer, CustomerPhone, Interaction
from servicefirst.customers.services import interaction_record
from servicefirst.dialer import compliance
from servicefirst.dialer.campaigns import may_manage
from servicefirst.dialer.models import (
    Call,
    Callback,
    CallListEntry,
    Campaign,
    Disposition,
    DoNotCall,
)

Outcome = compliance.Outcome
Status = CallListEntry.Status

CHUNK = 2000  # customers whose facts are loaded in one go
MICROSECOND = datetime.timedelta(microseconds=1)
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILE_ROWS = 200_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # what an XLSX call list may unpack to
# A customer already on a live call (or being called by another campaign) is looked at again
# this much later.
BUSY_ELSEWHERE = datetime.timedelta(minutes=10)
# How many candidates one claim may examine (those that may not be called are rescheduled, so
# a later claim carries on where this one stopped).
SCAN_LIMIT = 5000
# An entry waiting for a callback goes back to the dialer if the callback is not made by then
# (callbacks.GRACE).
CALLBACK_GRACE = datetime.timedelta(hours=2)

# Why a customer was left out of a list, in the order the reasons are checked.
EXCLUSIONS = {
    "do_not_call": gettext_lazy("On the do-not-call list"),
    "no_phone": gettext_lazy("No phone number"),
    "no_phone_consent": gettext_lazy("No consent to phone calls"),
    "no_marketing_consent": gettext_lazy("No marketing consent"),
}

NUMBER_HEADERS = {
    "客户号",
    "客户编号",
    "客户号码",
    "customer number",
    "customer no",
    "customer no.",
    "customer_number",
    "customer",
    "number",
    "cif",
}
PHONE_HEADERS = {
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "电话号码",
    "联系电话",
    "phone",
    "phone number",
    "mobile",
    "mobile number",
    "telephone",
    "tel",
}


def max_attempts_per_week() -> int:
    return int(getattr(settings, "DIALER_MAX_ATTEMPTS_PER_WEEK", 3))


def policy_for(campaign: Campaign) -> compliance.Policy:
    """The rules a campaign dials by: its calling window and holiday choice, its ring time
    (`compliance.ring_timeout_s(policy)` gives it, never under 15 s) and the bank's weekly
    attempt limit per customer across all campaigns (settings.DIALER_MAX_ATTEMPTS_PER_WEEK,
    default 3)."""
    return compliance.Policy(
        window_start=campaign.window_start,
        window_end=campaign.window_end,
        call_on_holidays=campaign.call_on_holidays,
        max_attempts_per_week=max_attempts_per_week(),
        min_ring_s=max(compliance.Policy().min_ring_s, campaign.ring_timeout_s or 0),
    )


# --- facts about customers, loaded in batches -----------------------------------------------


def _active_dnc(now) -> Q:
    return Q(until__isnull=True) | Q(until__gt=now)


def blocked_numbers(phones: Iterable[str], customer_ids: Iterable[int], now) -> tuple[set, set]:
    """(numbers, customer ids) on the active do-not-call list. A customer's own request or
    refusal blocks the customer whatever the number; a wrong number blocks only the number."""
    phones, customer_ids = set(phones), set(customer_ids)
    if not phones and not customer_ids:
        return set(), set()
    rows = DoNotCall.objects.filter(_active_dnc(now)).filter(
        Q(phone__in=phones)
        | (Q(customer_id__in=customer_ids) & ~Q(reason=DoNotCall.Reason.WRONG_NUMBER))
    )
    numbers, customers = set(), set()
    for phone, customer_id, reason in rows.values_list("phone", "customer_id", "reason"):
        numbers.add(phone)
        if customer_id and reason != DoNotCall.Reason.WRONG_NUMBER:
            customers.add(customer_id)
    return numbers & phones, customers


@dataclass
class Facts:
    """What the contact rules need to know about one customer."""

    do_not_call: bool = False
    merged: bool = False
    phone: str = ""  # the primary phone
    phones: tuple[str, ...] = ()
    phone_consent: bool = False
    marketing_consent: bool = False


def customer_facts(customer_ids: list[int]) -> dict[int, Facts]:
    """Flags, phones (primary first) and active consents of these customers, in four queries
    per CHUNK customers."""
    out: dict[int, Facts] = {}
    ids = list(customer_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for pk, dnc, merged in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "do_not_call", "merged_into_id"
        ):
            out[pk] = Facts(do_not_call=dnc, merged=merged is not None)
        phones: dict[int, list[str]] = defaultdict(list)
        for customer_id, e164 in (
            CustomerPhone.objects.filter(customer_id__in=chunk)
            .order_by("customer_id", "-is_primary", "id")
            .values_list("customer_id", "e164")
        ):
            phones[customer_id].append(e164)
        for customer_id, numbers in phones.items():
            if customer_id in out:
                out[customer_id].phone, out[customer_id].phones = numbers[0], tuple(numbers)
        for customer_id, kind in Consent.objects.filter(
            customer_id__in=chunk,
            withdrawn_at__isnull=True,
            kind__in=(Consent.Kind.PHONE, Consent.Kind.MARKETING),
        ).values_list("customer_id", "kind"):
            if customer_id in out:
                if kind == Consent.Kind.PHONE:
                    out[customer_id].phone_consent = True
                else:
                    out[customer_id].marketing_consent = True
    return out


def exclusion(facts: Facts | None, phone: str, blocked: tuple[set, set], customer_id) -> str:
    """The first reason (EXCLUSIONS) this customer may not be put on a list now; "" if none."""
    numbers, customers = blocked
    if facts is None or facts.merged:
        return "do_not_call"
    if facts.do_not_call or customer_id in customers or (phone and phone in numbers):
        return "do_not_call"
    if not phone:
        return "no_phone"
    if not facts.phone_consent:
        return "no_phone_consent"
    if not facts.marketing_consent:
        return "no_marketing_consent"
    return ""


# --- building a list ------------------------------------------------------------------------


@dataclass
class AddResult:
    """What adding customers to a call list did."""

    source: str
    added: int = 0
    already: int = 0  # on the list before (or twice in what was given)
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    def exclusion_rows(self) -> list[tuple[str, str, int]]:
        return [(k, str(EXCLUSIONS[k]), n) for k, n in self.excluded.items() if n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "added": self.added,
            "already": self.already,
            "excluded": {k: n for k, n in self.excluded.items() if n},
        }


def _campaign_for_list(actor, campaign_id) -> Campaign:
    try:
        pk = int(campaign_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such campaign.")) from None
    campaign = Campaign.objects.select_for_update().filter(pk=pk).first()
    if campaign is None:
        raise NotFound(_("No such campaign."))
    if not may_manage(actor, campaign):
        raise PermissionDenied(_("You may not change the call lists of this campaign."))
    if campaign.status == Campaign.Status.FINISHED:
        raise ValidationFailed({"__all__": [_("The campaign is finished.")]})
    return campaign


def _scoped_customers(actor):
    filters = scope_filter(actor, Action.CAMPAIGN_MANAGE)
    if filters is None:
        return Customer.objects.none()
    return Customer.objects.filter(merged_into__isnull=True, **filters)


def _add(
    actor, campaign: Campaign, wanted: list[tuple[int, str]], source: str, *, now=None
) -> AddResult:
    """Add (customer id, phone or "") pairs, in order; the caller holds the campaign's lock."""
    now = now or timezone.now()
    result = AddResult(source=source, excluded=dict.fromkeys(EXCLUSIONS, 0))
    existing = dict(
        CallListEntry.objects.filter(campaign=campaign).values_list("customer_id", "status")
    )
    seen: set[int] = set()
    position = 0  # due times a microsecond apart keep the given order (best scores first)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        facts = customer_facts([cid for cid, _p in chunk])
        phones = {p or (facts[cid].phone if cid in facts else "") for cid, p in chunk}
        blocked = blocked_numbers(phones - {""}, [cid for cid, _p in chunk], now)
        new, reopen = [], []
        for customer_id, given_phone in chunk:
            if customer_id in seen or existing.get(customer_id, Status.REMOVED) != Status.REMOVED:
                result.already += 1
                seen.add(customer_id)
                continue
            seen.add(customer_id)
            fact = facts.get(customer_id)
            phone = given_phone or (fact.phone if fact else "")
            reason = exclusion(fact, phone, blocked, customer_id)
            if reason:
                result.excluded[reason] += 1
                continue
            if customer_id in existing:
                reopen.append((customer_id, phone, now + position * MICROSECOND))
                position += 1
            else:
                new.append(
                    CallListEntry(
                        campaign=campaign,
                        customer_id=customer_id,
                        phone=phone,
                        source=source,
                        added_at=now,
                        next_attempt_at=now + position * MICROSECOND,
                    )
                )
            position += 1
        CallListEntry.objects.bulk_create(new, batch_size=CHUNK)
        for customer_id, phone, due in reopen:
            CallListEntry.objects.filter(campaign=campaign, customer_id=customer_id).update(
                status=Status.PENDING,
                phone=phone,
                source=source,
                next_attempt_at=due,
                added_at=now,
            )
        result.added += len(new) + len(reopen)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="call_list",
        object_id=campaign.pk,
        detail={"campaign": campaign.name, **result.as_dict()},
    )
    return result


@transaction.atomic
def entries_add_from_segment(*, actor, campaign_id, segment_id, now=None) -> AddResult:
    """Add a segment's customers (within the actor's scope). For a campaign with a product,
    the best-scored customers go first."""
    from servicefirst.insights.models import Segment
    from servicefirst.insights.selectors import segment_queryset

    campaign = _campaign_for_list(actor, campaign_id)
    segment = (
        Segment.objects.filter(pk=int(segment_id)).first() if str(segment_id).isdigit() else None
    )
    if segment is None:
        raise ValidationFailed({"segment": [_("No such segment.")]})
    ids = list(
        segment_queryset(actor=actor, definition=segment.definition, action=Action.CAMPAIGN_MANAGE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if campaign.product_id is not None and ids:
        from servicefirst.scoring.selectors import call_list_order

        ids = call_list_order(ids, campaign.product.code)
    return _add(actor, campaign, [(pk, "") for pk in ids], CallListEntry.Source.SEGMENT, now=now)


@transaction.atomic
def entries_add_customers(*, actor, campaign_id, customer_ids, now=None) -> AddResult:
    """Add hand-picked customers (by id)."""
    campaign = _campaign_for_list(actor, campaign_id)
    ids = []
    for value in customer_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ValidationFailed(
                {"customer_ids": [_("“%(value)s” is not a customer.") % {"value": value}]}
            ) from None
    if not ids:
        raise ValidationFailed({"customer_ids": [_("Choose at least one customer.")]})
    found = set(_scoped_customers(actor).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in dict.fromkeys(ids) if pk not in found]
    if missing:
        raise ValidationFailed(
            {
                "customer_ids": [
                    _("No such customer: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
                ]
            }
        )
    return _add(actor, campaign, [(pk, "") for pk in ids], CallListEntry.Source.HAND, now=now)


# --- files ----------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"\s+", " ", str(text or "").replace("\ufeff", "")).strip().lower()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(name: str, content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(headers, [(row number as in a spreadsheet, values)]) of a CSV or XLSX file. Raises
    ValidationFailed({"file": ...}) for a file that cannot be read."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES >> 20}]}
        )
    if name.lower().endswith(".xlsx"):
        headers, rows = _xlsx_rows(content)
    elif name.lower().endswith((".csv", ".txt")):
        headers, rows = _csv_rows(content)
    else:
        raise ValidationFailed({"file": [_("Upload a CSV or XLSX file.")]})
    problems = [
        _("row %(n)d, column “%(column)s”: %(message)s")
        % {"n": line, "column": column, "message": message}
        for line, values in [(1, headers), *rows]
        if longest(values) > MAX_CELL_CHARS
        for column, message in too_long(values, headers if line > 1 else [])
    ]
    if problems:
        raise ValidationFailed({"file": problems})
    return headers, rows


def _xlsx_rows(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import openpyxl

    try:
        check_xlsx(io.BytesIO(content), max_unpacked=MAX_UNPACKED_BYTES)
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Unreadable as exc:
        raise ValidationFailed({"file": [str(exc)]}) from None
    except Exception as exc:  # openpyxl raises many kinds for a non-XLSX file
        raise ValidationFailed({"file": [_("This is not a readable XLSX file.")]}) from exc
    line = 1
    try:
        it = book.worksheets[0].iter_rows(values_only=True)
        headers = [_cell(h) for h in next(it, ())]
        rows = []
        for line, values in enumerate(it, start=2):  # noqa: B007 - used in the message
            rows.append((line, [_cell(v) for v in values]))
            if len(rows) > MAX_FILE_ROWS:
                break  # file_customers says the file is too long
    except Exception as exc:  # a damaged sheet: openpyxl and the XML parser raise many kinds
        raise ValidationFailed(
            {"file": [_("The XLSX file is damaged after row %(n)d.") % {"n": line}]}
        ) from exc
    finally:
        book.close()
    return headers, rows


def _csv_rows(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = decode_text(content)
    except Unreadable as exc:
        raise ValidationFailed({"file": [str(exc)]}) from None
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows = []
    previous = 0
    try:
        headers = [_cell(h) for h in next(reader, [])]
        previous = reader.line_num
        for values in reader:
            rows.append((previous + 1, [_cell(v) for v in values]))
            previous = reader.line_num
    except csv.Error as exc:
        line = previous + 1
        record = record_at(io.StringIO(text, newline=""), line, delimiter=delimiter)
        problems = [
            _("row %(n)d, column “%(column)s”: %(message)s")
            % {"n": line, "column": column, "message": message}
            for column, message in too_long(record, headers if line > 1 else [])
        ]
        raise ValidationFailed(
            {
                "file": problems
                or [_("Row %(n)d cannot be read as CSV (%(error)s).") % {"n": line, "error": exc}]
            }
        ) from None
    return headers, rows


def file_customers(actor, name: str, content: bytes) -> list[tuple[int, str]]:
    """The (customer id, phone) pairs a file names, or ValidationFailed naming every bad row:
    a column of customer numbers (客户号 / customer number) and/or phones (手机 / phone);
    with both, the phone must be one of the customer's."""
    headers, rows = read_rows(name, content)
    keys = [_header_key(h) for h in headers]
    number_col = next((i for i, k in enumerate(keys) if k in NUMBER_HEADERS), None)
    phone_col = next((i for i, k in enumerate(keys) if k in PHONE_HEADERS), None)
    if number_col is None and phone_col is None:
        raise ValidationFailed(
            {
                "file": [
                    _(
                        "The file needs a column “客户号” (customer number) or “手机” (phone) "
                        "in its first row."
                    )
                ]
            }
        )
    if len(rows) > MAX_FILE_ROWS:
        raise ValidationFailed(
            {"file": [_("The file has more than %(n)d rows.") % {"n": MAX_FILE_ROWS}]}
        )

    def cell(values, col):
        return values[col].strip() if col is not None and col < len(values) else ""

    parsed = []  # (row, number, raw phone, e164 or None)
    for line, values in rows:
        if not any(v.strip() for v in values):
            continue
        number = cell(values, number_col).upper()
        raw_phone = cell(values, phone_col)
        parsed.append((line, number, raw_phone, try_phone(raw_phone) if raw_phone else None))
    scoped = _scoped_customers(actor)
    numbers = {n for _l, n, _r, _p in parsed if n}
    by_number: dict[str, int] = {}
    listed = sorted(numbers)
    for start in range(0, len(listed), CHUNK):
        by_number.update(
            scoped.filter(number__in=listed[start : start + CHUNK]).values_list("number", "pk")
        )
    e164s = {p for _l, _n, _r, p in parsed if p}
    owners: dict[str, set[int]] = defaultdict(set)
    listed = sorted(e164s)
    visible = scoped.filter(pk=OuterRef("customer_id"))
    for start in range(0, len(listed), CHUNK):
        for e164, customer_id in (
            CustomerPhone.objects.filter(e164__in=listed[start : start + CHUNK])
            .filter(Exists(visible))
            .values_list("e164", "customer_id")
        ):
            owners[e164].add(customer_id)
    errors, out = [], []
    for line, number, raw_phone, e164 in parsed:
        where = _("row %(n)d") % {"n": line}
        if raw_phone and e164 is None:
            errors.append(
                _("%(row)s: “%(value)s” is not a phone number.")
                % {"row": where, "value": raw_phone}
            )
            continue
        if number:
            customer_id = by_number.get(number)
            if customer_id is None:
                errors.append(
                    _("%(row)s: unknown customer number %(number)s.")
                    % {"row": where, "number": number}
                )
            elif e164 and customer_id not in owners.get(e164, ()):
                errors.append(
                    _("%(row)s: %(phone)s is not a phone of customer %(number)s.")
                    % {"row": where, "phone": mask_phone(e164), "number": number}
                )
            else:
                out.append((customer_id, e164 or ""))
        elif e164:
            found = owners.get(e164, set())
            if not found:
                errors.append(
                    _("%(row)s: no customer has the phone %(phone)s.")
                    % {"row": where, "phone": mask_phone(e164)}
                )
            elif len(found) > 1:
                errors.append(
                    _(
                        "%(row)s: several customers have the phone %(phone)s; give the customer number."
                    )
                    % {"row": where, "phone": mask_phone(e164)}
                )
            else:
                out.append((next(iter(found)), e164))
        else:
            errors.append(_("%(row)s: give a customer number or a phone.") % {"row": where})
    if errors:
        raise ValidationFailed({"file": errors})
    if not out:
        raise ValidationFailed({"file": [_("The file has no customers in it.")]})
    return out


@transaction.atomic
def entries_add_from_file(*, actor, campaign_id, name: str, content: bytes, now=None) -> AddResult:
    """Add the customers an uploaded CSV or XLSX file names (see `file_customers`). Nothing is
    added if any row is bad."""
    campaign = _campaign_for_list(actor, campaign_id)
    wanted = file_customers(actor, name or "", content or b"")
    return _add(actor, campaign, wanted, CallListEntry.Source.FILE, now=now)


@transaction.atomic
def entry_remove(*, actor, entry_id) -> CallListEntry:
    """Take a customer off a call list (the entry stays, REMOVED, with its history). An entry
    being called right now cannot be removed; its open callbacks are cancelled."""
    entry = (
        CallListEntry.objects.select_for_update().filter(pk=int(entry_id)).first()
        if str(entry_id).isdigit()
        else None
    )
    if entry is None:
        raise NotFound(_("No such call-list entry."))
    campaign = Campaign.objects.get(pk=entry.campaign_id)
    if not may_manage(actor, campaign):
        raise PermissionDenied(_("You may not change the call lists of this campaign."))
    if entry.status == Status.IN_PROGRESS:
        raise ValidationFailed({"entry": [_("The customer is being called right now.")]})
    if entry.status == Status.REMOVED:
        return entry
    before = entry.status
    entry.status = Status.REMOVED
    entry.next_attempt_at = None
    entry.save(update_fields=["status", "next_attempt_at"])
    Callback.objects.filter(
        entry=entry, status__in=(Callback.Status.PENDING, Callback.Status.DUE)
    ).update(status=Callback.Status.CANCELLED)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETTINGS_CHANGE,
        object_type="call_list",
        object_id=campaign.pk,
        customer_id=entry.customer_id,
        detail={"campaign": campaign.name, "removed": entry.pk, "before": before},
    )
    return entry


# --- compliance at dial time ----------------------------------------------------------------


def _history_since(policy: compliance.Policy, now) -> datetime.datetime:
    return now - max(
        datetime.timedelta(days=policy.refusal_dnc_days),
        compliance.WEEK,
        datetime.timedelta(hours=policy.after_abandon_hours),
    )


def histories(
    customer_ids: Iterable[int], policy: compliance.Policy, now
) -> dict[int, list[compliance.Attempt]]:
    """Each customer's outbound call attempts across all campaigns, as far back as the rules
    look (a week; refusals six months; abandoned calls 72 hours). Calls still under way count;
    a call row that ended without ever being dialled does not."""
    ids = list(set(customer_ids))
    out: dict[int, list[compliance.Attempt]] = defaultdict(list)
    week_ago = now - max(compliance.WEEK, datetime.timedelta(hours=policy.after_abandon_hours))
    since = _history_since(policy, now)
    for start in range(0, len(ids), CHUNK):
        rows = (
            Call.objects.filter(
                customer_id__in=ids[start : start + CHUNK], direction=Call.Direction.OUTBOUND
            )
            .filter(Q(created_at__gte=week_ago) | Q(outcome=Outcome.REFUSED, created_at__gte=since))
            .exclude(state=Call.State.ENDED, dialed_at__isnull=True)
            .values_list("customer_id", "dialed_at", "created_at", "outcome", "campaign_id")
        )
        for customer_id, dialed_at, created_at, outcome, campaign_id in rows:
            try:
                outcome = Outcome(outcome)
            except ValueError:  # not over yet
                outcome = Outcome.ANSWERED
            out[customer_id].append(
                compliance.Attempt(
                    at=dialed_at or created_at, campaign_id=campaign_id, outcome=outcome
                )
            )
    return out


def contacts(pairs: Iterable[tuple[int, str]], now) -> dict[int, compliance.Contact]:
    """A compliance Contact for each (customer id, phone): do-not-call (the customer's flag,
    the number or the customer on the active list, a merged-away record) and the consents."""
    pairs = list(pairs)
    facts = customer_facts([cid for cid, _p in pairs])
    numbers, blocked_customers = blocked_numbers(
        {p for _c, p in pairs if p}, [cid for cid, _p in pairs], now
    )
    out = {}
    for customer_id, phone in pairs:
        fact = facts.get(customer_id) or Facts(merged=True)
        out[customer_id] = compliance.Contact(
            customer_id=customer_id,
            phone=phone,
            do_not_call=fact.do_not_call
            or fact.merged
            or customer_id in blocked_customers
            or phone in numbers,
            phone_consent=fact.phone_consent,
            marketing_consent=fact.marketing_consent,
        )
    return out


def busy_elsewhere(customer_ids: Iterable[int], campaign_id: int | None = None) -> set[int]:
    """Customers on a call right now, or being called by another campaign."""
    ids = list(set(customer_ids))
    live = set(
        Call.objects.filter(
            customer_id__in=ids, state__in=(Call.State.QUEUED, *Call.LIVE)
        ).values_list("customer_id", flat=True)
    )
    other = CallListEntry.objects.filter(customer_id__in=ids, status=Status.IN_PROGRESS)
    if campaign_id is not None:
        other = other.exclude(campaign_id=campaign_id)
    return live | set(other.values_list("customer_id", flat=True))


def may_dial_now(customer_id: int, phone: str, *, policy: compliance.Policy, now=None):
    """The compliance verdict for one customer and number now (for click-to-dial and
    callbacks): `compliance.Verdict` with the reasons."""
    now = now or timezone.now()
    contact = contacts([(customer_id, phone)], now)[customer_id]
    history = histories([customer_id], policy, now).get(customer_id, [])
    return compliance.may_dial(contact, history, policy, now)


def _due_candidates(campaign_id: int, now, limit: int, *, lock: bool) -> list[tuple]:
    """Up to `limit` open entries due now, in calling order: (pk, customer id, phone,
    attempts, priority, due). Each probe is a range scan of the (campaign, status,
    next_attempt_at) index that stops after `limit` rows — the earliest due of each open
    status, and those without a due time — never a scan of the whole list; the few rows found
    are then put in order: priority, then due time (none first), then list order. On PostgreSQL
    the rows are locked, skipping those another dialer holds."""
    rows: list[tuple] = []
    fields = ("pk", "customer_id", "phone", "attempts", "priority", "next_attempt_at")
    for status in CallListEntry.OPEN:
        base = CallListEntry.objects.filter(campaign_id=campaign_id, status=status)
        for probe in (
            base.filter(next_attempt_at__isnull=True).order_by("id"),
            base.filter(next_attempt_at__lte=now).order_by("next_attempt_at"),
        ):
            if lock:
                probe = probe.select_for_update(skip_locked=True, of=("self",))
            rows.extend(probe.values_list(*fields)[:limit])
    rows.sort(key=lambda r: (-r[4], r[5] is not None, r[5] or now, r[0]))
    return rows[:limit]


def _open_callbacks(entry_ids: list[int]) -> dict[int, datetime.datetime]:
    """Entry id → the latest due time of its open callbacks (the callback makes that call)."""
    found: dict[int, datetime.datetime] = {}
    for entry_id, due_at in Callback.objects.filter(
        entry_id__in=entry_ids, status__in=(Callback.Status.PENDING, Callback.Status.DUE)
    ).values_list("entry_id", "due_at"):
        found[entry_id] = max(due_at, found.get(entry_id, due_at))
    return found


class _Rules:
    """`compliance.may_dial` / `next_allowed_at` for one claim, remembered for customers whose
    facts and history are alike (a whole list outside the calling window costs one search)."""

    def __init__(self, policy: compliance.Policy, now):
        self.policy, self.now = policy, now
        self._verdicts: dict = {}
        self._next: dict = {}

    @staticmethod
    def _key(contact: compliance.Contact, history: list) -> tuple:
        return (
            contact.time_zones,
            contact.do_not_call,
            contact.phone_consent,
            contact.marketing_consent,
            tuple(sorted((a.at, a.outcome) for a in history)),
        )

    def allowed(self, contact, history) -> bool:
        key = self._key(contact, history)
        if key not in self._verdicts:
            self._verdicts[key] = compliance.may_dial(contact, history, self.policy, self.now)
        return bool(self._verdicts[key])

    def next_at(self, contact, history):
        key = self._key(contact, history)
        if key not in self._next:
            self._next[key] = compliance.next_allowed_at(contact, history, self.policy, self.now)
        return self._next[key]


MAX_BATCH = 1000


def claim_entries(
    campaign: Campaign, n: int, *, now=None, scan_limit: int = SCAN_LIMIT
) -> list[CallListEntry]:
    """Take up to `n` entries of a running campaign to dial now: each IN_PROGRESS with one
    more attempt (and `last_call_at` = now), in calling order (priority, then due time), and
    each allowed by `compliance.may_dial` with the customer's history across all campaigns,
    the do-not-call list and flag, and the consents. Candidates that may not be called now
    are rescheduled to `compliance.next_allowed_at` (or closed DO_NOT_CALL when never; an entry
    out of attempts EXHAUSTED) and skipped; a customer already on a call is looked at again in
    10 minutes; an entry with an open callback is left to the callback. So each blocked entry
    leaves the due set and is not looked at again until then; one claim examines at most
    `scan_limit` candidates. Concurrent claims never return the same entry. Returns [] for a
    campaign that is not running."""
    now = now or timezone.now()
    if n <= 0:
        return []
    lock = connection.features.has_select_for_update_skip_locked
    claimed: list[int] = []
    with transaction.atomic():
        campaign = Campaign.objects.filter(pk=campaign.pk).first()
        if campaign is None or campaign.status != Campaign.Status.ACTIVE:
            return []
        rules = _Rules(policy_for(campaign), now)
        batch = max(2 * n, 50)
        budget = max(scan_limit, batch)
        while len(claimed) < n and budget > 0:
            candidates = _due_candidates(campaign.pk, now, min(batch, budget), lock=lock)
            if not candidates:
                break
            budget -= len(candidates)
            customer_ids = [r[1] for r in candidates]
            people = contacts([(r[1], r[2]) for r in candidates], now)
            history = histories(customer_ids, rules.policy, now)
            busy = busy_elsewhere(customer_ids, campaign.pk)
            held = _open_callbacks([r[0] for r in candidates])
            later: dict[datetime.datetime, list[int]] = defaultdict(list)
            never, exhausted, take = [], [], []
            for pk, customer_id, _phone, attempts, _priority, _due in candidates:
                if pk in held:
                    # The callback makes this call; if it is missed, the entry is due again.
                    later[max(held[pk] + CALLBACK_GRACE, now + BUSY_ELSEWHERE)].append(pk)
                    continue
                if attempts >= campaign.max_attempts:
                    exhausted.append(pk)
                    continue
                if customer_id in busy:
                    later[now + BUSY_ELSEWHERE].append(pk)
                    continue
                contact, past = people[customer_id], history.get(customer_id, [])
                if rules.allowed(contact, past):
                    if len(claimed) + len(take) < n:
                        take.append(pk)
                    continue
                when = rules.next_at(contact, past)
                if when is None:
                    never.append(pk)
                else:
                    later[max(when, now + datetime.timedelta(seconds=1))].append(pk)
            for when, pks in later.items():
                CallListEntry.objects.filter(pk__in=pks).update(next_attempt_at=when)
            if never:
                CallListEntry.objects.filter(pk__in=never).update(
                    status=Status.DO_NOT_CALL, next_attempt_at=None
                )
            if exhausted:
                CallListEntry.objects.filter(pk__in=exhausted).update(
                    status=Status.EXHAUSTED, next_attempt_at=None
                )
            if take:
                CallListEntry.objects.filter(pk__in=take, status__in=CallListEntry.OPEN).update(
                    status=Status.IN_PROGRESS,
                    attempts=F("attempts") + 1,
                    next_attempt_at=None,
                    last_call_at=now,
                )
                claimed.extend(take)
            elif len(candidates) >= batch:
                batch = min(2 * batch, MAX_BATCH)  # a blocked stretch: look further at once
    entries = CallListEntry.objects.filter(pk__in=claimed).select_related("customer", "campaign")
    order = {pk: i for i, pk in enumerate(claimed)}
    return sorted(entries, key=lambda e: order[e.pk])


def release_entry(entry_id: int, *, when=None) -> None:
    """Give back an entry claimed but not dialled (the dialer had no line, the agent skipped
    it): open again, due at `when` (default now), the attempt not counted."""
    CallListEntry.objects.filter(pk=entry_id, status=Status.IN_PROGRESS).update(
        status=Status.SCHEDULED if when else Status.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=when or timezone.now(),
    )


# --- after a call ---------------------------------------------------------------------------

RETRY_HOURS = {
    Outcome.NO_ANSWER: "retry_no_answer_hours",
    Outcome.BUSY: "retry_busy_hours",
    Outcome.FAILED: "retry_busy_hours",
    Outcome.MACHINE: "retry_machine_hours",
}
FINAL_DISPOSITIONS = {
    Disposition.Kind.SALE: Status.DONE,
    Disposition.Kind.INTERESTED: Status.DONE,
    Disposition.Kind.NOT_INTERESTED: Status.DONE,
    Disposition.Kind.WRONG_NUMBER: Status.DONE,
    Disposition.Kind.DO_NOT_CALL: Status.DO_NOT_CALL,
}


def _actor_of(call: Call):
    return call.agent.user if call.agent_id else None


def dnc_for_call(call: Call, reason: str, *, phone: str = "", until=None, now=None) -> DoNotCall:
    """Put a call's number on the do-not-call list (once per call and reason)."""
    dnc, _created = DoNotCall.objects.get_or_create(
        source_call=call,
        reason=reason,
        phone=call.phone or phone,
        defaults={
            "customer_id": call.customer_id,
            "until": until,
            "added_by_id": call.agent_id,
            "added_at": now or timezone.now(),
        },
    )
    return dnc


def customer_set_do_not_call(customer_id: int, *, actor=None, call: Call | None = None) -> bool:
    """The customer asked never to be called again: flag them, cancel their open callbacks,
    close their open call-list entries in every campaign; on the timeline and in the audit log.
    False if they were flagged already."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        return False
    CallListEntry.objects.filter(customer_id=customer_id, status__in=CallListEntry.OPEN).update(
        status=Status.DO_NOT_CALL, next_attempt_at=None
    )
    Callback.objects.filter(
        customer_id=customer_id, status__in=(Callback.Status.PENDING, Callback.Status.DUE)
    ).update(status=Callback.Status.CANCELLED)
    if customer.do_not_call:
        return False
    customer.do_not_call = True
    customer.version += 1  # optimistic locking: an edit form opened before this is stale
    customer.save(update_fields=["do_not_call", "version", "updated_at"])
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.CHANGE,
        actor=actor,
        summary=_("Asked not to be called again"),
        campaign=call.campaign.crm if call is not None and call.campaign_id else None,
        detail={"fields": ["do_not_call"], "call": call.pk if call is not None else None},
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_UPDATE,
        object_type="customer",
        object_id=customer.pk,
        customer_id=customer.pk,
        detail={"fields": ["do_not_call"], "call": call.pk if call is not None else None},
    )
    from servicefirst.customers.signals import customer_changed_on_commit

    customer_changed_on_commit(customer.pk)
    return True


def _set_call_outcome(call: Call, outcome: str) -> None:
    """Record a refusal or wrong number on the call, which the compliance history reads."""
    if call.outcome in ("", Outcome.ANSWERED):
        Call.objects.filter(pk=call.pk).update(outcome=outcome)
        call.outcome = outcome


@transaction.atomic
def entry_after_call(call: Call, *, now=None) -> CallListEntry | None:
    """Apply an ended call (its outcome and the agent's disposition) to its call-list entry:

    - sale, interested → DONE; not interested → DONE, the call is a refusal and the number goes
      on the do-not-call list for six months; wrong number → DONE, the number on the list;
      do not call again → DO_NOT_CALL, the number on the list for good and the customer
      flagged (timeline, audit); callback → SCHEDULED at the callback's time;
    - no answer, busy (or a failed call), answering machine → SCHEDULED after the campaign's
      retry hours; abandoned → not before 72 hours; answered without a disposition → DONE;
    - an entry whose attempts reach the campaign's maximum → EXHAUSTED.

    Safe to call twice for the same call. Returns the entry (None for a call without one)."""
    now = now or timezone.now()
    if call.entry_id is None:
        return None
    entry = CallListEntry.objects.select_for_update().filter(pk=call.entry_id).first()
    if entry is None:
        return None
    campaign = Campaign.objects.get(pk=entry.campaign_id)
    policy = policy_for(campaign)
    ended = call.ended_at or now
    if entry.last_call_at is not None and (
        entry.last_call_at > ended
        or (
            entry.last_call_at == ended
            and entry.status != Status.IN_PROGRESS
            and entry.disposition_id == call.disposition_id
        )
    ):
        return entry  # applied before (or an older call than the entry's last)
    disposition = (
        Disposition.objects.filter(pk=call.disposition_id).first() if call.disposition_id else None
    )
    kind = disposition.kind if disposition is not None else ""
    outcome = call.outcome or Outcome.ANSWERED
    actor = _actor_of(call)

    status, next_at = Status.DONE, None
    if kind in FINAL_DISPOSITIONS:
        status = FINAL_DISPOSITIONS[kind]
        if kind == Disposition.Kind.NOT_INTERESTED:
            _set_call_outcome(call, Outcome.REFUSED)
            dnc_for_call(
                call,
                DoNotCall.Reason.REFUSAL,
                phone=entry.phone,
                until=ended + datetime.timedelta(days=policy.refusal_dnc_days),
                now=now,
            )
        elif kind == Disposition.Kind.WRONG_NUMBER:
            _set_call_outcome(call, Outcome.WRONG_NUMBER)
            dnc_for_call(call, DoNotCall.Reason.WRONG_NUMBER, phone=entry.phone, now=now)
        elif kind == Disposition.Kind.DO_NOT_CALL:
            dnc_for_call(call, DoNotCall.Reason.REQUEST, phone=entry.phone, now=now)
            if call.customer_id:
                customer_set_do_not_call(call.customer_id, actor=actor, call=call)
    elif kind == Disposition.Kind.CALLBACK:
        callback = (
            Callback.objects.filter(
                Q(from_call=call) | Q(entry=entry),
                status__in=(Callback.Status.PENDING, Callback.Status.DUE),
            )
            .order_by("-created_at", "-id")
            .first()
        )
        status = Status.SCHEDULED
        next_at = (
            callback.due_at
            if callback is not None
            else ended + datetime.timedelta(hours=campaign.retry_no_answer_hours)
        )
    elif kind == Disposition.Kind.OTHER and disposition.is_final:
        status = Status.DONE
    elif outcome == Outcome.REFUSED:
        dnc_for_call(
            call,
            DoNotCall.Reason.REFUSAL,
            phone=entry.phone,
            until=ended + datetime.timedelta(days=policy.refusal_dnc_days),
            now=now,
        )
    elif outcome == Outcome.WRONG_NUMBER:
        dnc_for_call(call, DoNotCall.Reason.WRONG_NUMBER, phone=entry.phone, now=now)
    elif outcome == Outcome.ABANDONED:
        status = Status.SCHEDULED
        at = call.answered_at or ended
        next_at = max(ended, at + datetime.timedelta(hours=policy.after_abandon_hours))
    elif outcome in RETRY_HOURS or kind in (Disposition.Kind.NO_ANSWER, Disposition.Kind.OTHER):
        hours = getattr(campaign, RETRY_HOURS.get(outcome, "retry_no_answer_hours"))
        status = Status.SCHEDULED
        next_at = ended + datetime.timedelta(hours=hours)
    out_of_attempts = entry.attempts >= campaign.max_attempts
    if status == Status.SCHEDULED and kind != Disposition.Kind.CALLBACK and out_of_attempts:
        status, next_at = Status.EXHAUSTED, None
    if entry.status == Status.REMOVED:
        status, next_at = Status.REMOVED, None  # taken off the list during the call
    elif entry.status == Status.DO_NOT_CALL and status != Status.DONE:
        status, next_at = Status.DO_NOT_CALL, None
    entry.status = status
    entry.next_attempt_at = next_at
    entry.last_outcome = call.outcome or outcome
    entry.last_call_at = ended
    entry.disposition = disposition
    entry.save(
        update_fields=["status", "next_attempt_at", "last_outcome", "last_call_at", "disposition"]
    )
    return entry


# --- the do-not-call list -------------------------------------------------------------------

STAFF_REASONS = (
    DoNotCall.Reason.REQUEST,
    DoNotCall.Reason.REGULATOR,
    DoNotCall.Reason.WRONG_NUMBER,
    DoNotCall.Reason.OTHER,
)


def may_keep_dnc(actor) -> bool:
    return may_manage(actor)


@transaction.atomic
def dnc_add(*, actor, phone: str, reason: str, until=None, note: str = "") -> DoNotCall:
    """Put a number on the do-not-call list (until a date, or until removed). The customer who
    has the number is linked. The dialer checks the list for every call."""
    if not may_keep_dnc(actor):
        raise PermissionDenied(_("You may not change the do-not-call list."))
    errors: dict[str, list] = {}
    e164 = try_phone(phone or "")
    if e164 is None:
        errors["phone"] = [_("Enter a valid phone number.")]
    if reason not in STAFF_REASONS:
        errors["reason"] = [_("Choose why the number may not be called.")]
    now = timezone.now()
    if until is not None:
        if isinstance(until, datetime.date) and not isinstance(until, datetime.datetime):
            until = timezone.make_aware(datetime.datetime.combine(until, datetime.time(23, 59)))
        if until <= now:
            errors["until"] = [_("Choose a date in the future, or leave it empty.")]
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("Keep the note to 200 characters.")]
    if errors:
        raise ValidationFailed(errors)
    if DoNotCall.objects.filter(_active_dnc(now), phone=e164, until__isnull=True).exists():
        raise ValidationFailed({"phone": [_("This number is on the list already.")]})
    owners = list(CustomerPhone.objects.filter(e164=e164).values_list("customer_id", flat=True)[:2])
    dnc = DoNotCall.objects.create(
        phone=e164,
        customer_id=owners[0] if len(owners) == 1 else None,
        reason=reason,
        until=until,
        added_by=staff_of(actor),
        note=note,
        added_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CONSENT_CHANGE,
        object_type="do_not_call",
        object_id=dnc.pk,
        customer_id=dnc.customer_id,
        detail={
            "added": mask_phone(e164),
            "reason": reason,
            "until": until.isoformat() if until else None,
            "note": note,
        },
    )
    return dnc


@transaction.atomic
def dnc_remove(*, actor, dnc_id, reason: str) -> DoNotCall:
    """Take a number off the do-not-call list: the entry ends now (kept, for the record); the
    reason is required and goes to the audit log."""
    if not may_keep_dnc(actor):
        raise PermissionDenied(_("You may not change the do-not-call list."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the number may be called again.")]})
    if len(reason) > 200:
        raise ValidationFailed({"reason": [_("Keep the reason to 200 characters.")]})
    dnc = (
        DoNotCall.objects.select_for_update().filter(pk=int(dnc_id)).first()
        if str(dnc_id).isdigit()
        else None
    )
    if dnc is None:
        raise NotFound(_("No such do-not-call entry."))
    now = timezone.now()
    if not dnc.is_active(now):
        raise ValidationFailed({"reason": [_("This entry has ended already.")]})
    before = dnc.until
    dnc.until = now
    dnc.save(update_fields=["until"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CONSENT_CHANGE,
        object_type="do_not_call",
        object_id=dnc.pk,
        customer_id=dnc.customer_id,
        detail={
            "removed": mask_phone(dnc.phone),
            "reason": reason,
            "list_reason": dnc.reason,
            "before": {"until": before.isoformat() if before else None},
            "after": {"until": now.isoformat()},
        },
    )
    return dnc
