"""Every page and every API endpoint, walked as every role and as an anonymous visitor, against
the permission matrix (servicefirst.accounts.permissions): anonymous visitors are sent to the
login page (pages) or get 401 (API) except on public pages; a role without the route's action
gets 403 or 404; a role with it gets the page. The routes and what they require are declared
in tests/security/routes.py, one line per route; a route missing there fails the walk.

Then: personal data masked for every role and shown in full only where granted (and logged),
and a branch's staff unable to act on another branch's tickets, staff, requests and remedies.
"""

import json
import re

import pytest
from django.conf import settings as dj_settings
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client

from servicefirst.accounts.models import Role
from servicefirst.accounts.permissions import Action, Scope, role_scope
from servicefirst.core.models import AuditEvent
from tests.security.conftest import PHONE_MASKED
from tests.security.routes import API, LOGIN, PAGES, PUBLIC
from tests.security.walk import (
    api_routes,
    api_url,
    owners,
    page_routes,
    page_url,
    resolve_body,
)

pytestmark = [pytest.mark.django_db]

ROLES = list(Role)
DENIED = {403, 404}


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    """The second factor has its own tests; here every role signs in with the session alone."""
    settings.OTP_REQUIRED_ROLES = []


# --- the table is complete ------------------------------------------------------------------


def test_every_page_is_declared():
    found = set(page_routes())
    missing = sorted(found - set(PAGES))
    stale = sorted(set(PAGES) - found)
    assert not missing, f"pages missing from tests/security/routes.py PAGES: {missing}"
    assert not stale, f"PAGES lists routes that no longer exist: {stale}"


def test_every_api_endpoint_is_declared():
    found = set(api_routes())
    missing = sorted(found - set(API))
    stale = sorted(set(API) - found)
    assert not missing, f"API endpoints missing from tests/security/routes.py API: {missing}"
    assert not stale, f"API lists endpoints that no longer exist: {stale}"


def test_every_action_of_the_table_exists():
    for table in (PAGES, API):
        for name, route in table.items():
            spec = route.spec if isinstance(route.spec, tuple) else (route.spec,)
            for action in spec:
                assert action in (PUBLIC, LOGIN, *Action.ALL), (name, action)


# --- the walk -------------------------------------------------------------------------------


def _in_scope(scope: Scope, staff, owner: dict) -> bool:
    if owner.get("all"):
        return scope == Scope.ALL
    if scope == Scope.UNIT:
        return owner.get("unit") is None or owner["unit"] == staff.unit_id
    if scope == Scope.ASSIGNED:
        return owner.get("rm") == staff.pk
    return scope == Scope.ALL


def allowed(bank, role, route) -> bool:
    staff = bank.staff[role]
    found = owners(bank, route)
    if route.owner:
        found.append(bank.owner[route.owner])
    if any("staff" in o and o["staff"] != staff.pk for o in found):
        return False  # somebody else's own (a training sitting, a click-to-dial call)
    if route.spec in (PUBLIC, LOGIN):
        return True
    if any(o.get("or_staff") == staff.pk for o in found):
        return True  # one's own (the invitation of a customer one served)
    for action in route.spec if isinstance(route.spec, tuple) else (route.spec,):
        scope = role_scope(role, action)
        if scope == Scope.NONE or scope < route.min_scope:
            continue
        if all(_in_scope(scope, staff, o) for o in found):
            return True
    return False


def _to_login(response) -> bool:
    return response.status_code == 302 and "/login/" in response.get("Location", "")


class _Crash:
    """A view that raised: reported like a 500, with the exception."""

    status_code = 500

    def __init__(self, exc: BaseException):
        self.exc = exc
        self.content = repr(exc).encode()

    def get(self, _key, default=None):
        return default


def _request(client, method: str, url: str, *, data=None, json_body=None):
    """One request; a write is rolled back afterwards so the walk leaves the bank as it was."""
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, data or {})
            elif url.startswith("/api/"):
                response = client.generic(
                    method,
                    url,
                    json.dumps(json_body) if json_body is not None else "",
                    content_type="application/json",
                )
            else:
                response = client.post(url, data or {})
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 - reported with the route, the walk goes on
        return _Crash(exc)
    # Keep the walk in English whatever the route did (the language switch sets a cookie).
    client.cookies.pop(dj_settings.LANGUAGE_COOKIE_NAME, None)
    return response


def _page_verdict(response, *, allow: bool, post: bool, ok: tuple = ()) -> str | None:
    """None when the answer is right; otherwise what is wrong."""
    status = response.status_code
    if status in ok:
        return None
    if status >= 500:
        return f"server error {status} {getattr(response, 'exc', '')!r}"
    if _to_login(response):
        return "sent to the login page"
    if not allow:
        return None if status in DENIED else f"{status}, expected 403/404"
    if status == 403:
        return "403 for a role that holds the action"
    if not post and status not in (200, 302, 304):
        return f"{status} for a role that holds the action"
    return None


def _api_verdict(response, *, allow: bool, route, method: str) -> str | None:
    status = response.status_code
    if status in route.ok:
        return None
    if status >= 500:
        return f"server error {status} {getattr(response, 'exc', '')!r}"
    if status == 401:
        return "401 for a signed-in member of staff"
    if not allow:
        if status in DENIED:
            return None
        if status == 200 and route.denied_empty and response.json() == []:
            return None  # a list that is empty for a role without the action
        if status == 422 and method != "GET" and route.body is None:
            return None  # the body is refused before the permission check; nothing changed
        return f"{status}, expected 403/404"
    if status == 403:
        return "403 for a role that holds the action"
    if method == "GET" and status != 200:
        return f"{status} for a role that holds the action"
    return None


def test_anonymous_visitors(sec_bank):
    client = Client()
    wrong = []
    for name, route in PAGES.items():
        url = page_url(sec_bank, name, route)
        if url is None:
            wrong.append(f"{name}: the fixture bank has no object for it")
            continue
        response = _request(
            client, "POST" if route.post else "GET", url, data=resolve_body(sec_bank, route.body)
        )
        if route.spec == PUBLIC:
            if response.status_code in route.ok:
                continue
            if response.status_code >= 500 or _to_login(response) or response.status_code == 403:
                wrong.append(f"{name} ({url}): public, got {response.status_code}")
        elif not _to_login(response):
            wrong.append(f"{name} ({url}): {response.status_code}, expected the login page")
    for key, route in API.items():
        url = api_url(sec_bank, key, route)
        if url is None:
            wrong.append(f"{key}: the fixture bank has no object for it")
            continue
        method = key.split(" ", 1)[0]
        response = _request(
            client,
            method,
            url,
            data=resolve_body(sec_bank, route.body) if method == "GET" else None,
            json_body=resolve_body(sec_bank, route.body) if method != "GET" else None,
        )
        if route.spec == PUBLIC:
            if response.status_code in (401, 403) or response.status_code >= 500:
                wrong.append(f"{key}: public, got {response.status_code}")
        elif response.status_code != 401 and response.status_code not in route.ok:
            wrong.append(f"{key}: {response.status_code}, expected 401")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_role_walks_every_page_and_endpoint(sec_bank, role):
    client = Client()
    client.force_login(sec_bank.users[role])
    wrong = []
    for name, route in PAGES.items():
        url = page_url(sec_bank, name, route)
        if url is None:
            wrong.append(f"{name}: the fixture bank has no object for it")
            continue
        allow = allowed(sec_bank, role, route)
        response = _request(
            client, "POST" if route.post else "GET", url, data=resolve_body(sec_bank, route.body)
        )
        if name == "logout":
            client.force_login(sec_bank.users[role])
        verdict = _page_verdict(response, allow=allow, post=route.post, ok=route.ok)
        if verdict:
            wrong.append(f"{name} ({url}): {verdict} [{route.spec}]")
    for key, route in API.items():
        url = api_url(sec_bank, key, route)
        if url is None:
            wrong.append(f"{key}: the fixture bank has no object for it")
            continue
        method = key.split(" ", 1)[0]
        allow = allowed(sec_bank, role, route)
        response = _request(
            client,
            method,
            url,
            data=resolve_body(sec_bank, route.body) if method == "GET" else None,
            json_body=resolve_body(sec_bank, route.body) if method != "GET" else None,
        )
        verdict = _api_verdict(response, allow=allow, route=route, method=method)
        if verdict:
            wrong.append(f"{key} ({url}): {verdict} [{route.spec}]")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# --- personal data: masked by default, in full only where granted, every view logged ---------

REVEALERS = {
    role
    for role in ROLES
    if role_scope(role, Action.CUSTOMER_REVEAL) == Scope.ALL
    or role in (Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER)  # the customer is theirs
}


def _has_phone(text: str) -> bool:
    """The full phone number, however it is formatted (138 1234 5678, +86-138-1234-5678 ...)."""
    return re.search(r"138[\s\-]?1234[\s\-]?5678", text) is not None


@pytest.mark.parametrize("role", ROLES)
def test_customer_pages_and_api_mask_personal_data(sec_bank, role):
    # given
    customer = sec_bank.customer
    client = Client()
    client.force_login(sec_bank.users[role])
    views_before = AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW, customer_id=customer.pk
    ).count()

    # when
    page = client.get(f"/customers/{customer.pk}/")
    api = client.get(f"/api/customers/{customer.pk}")

    # then: every role that may open the customer sees the phone and ID masked
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    assert PHONE_MASKED in html
    assert not _has_phone(html)
    assert sec_bank.id_number not in html
    assert api.status_code == 200, api.status_code
    body = api.content.decode()
    assert PHONE_MASKED in body
    assert not _has_phone(body)
    assert sec_bank.id_number not in body
    # ...and each opening is written to the audit log
    views_after = AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW, customer_id=customer.pk
    ).count()
    assert views_after == views_before + 2


@pytest.mark.parametrize("role", ROLES)
def test_full_personal_data_only_where_granted_and_logged(sec_bank, role):
    # given
    customer = sec_bank.customer
    client = Client()
    client.force_login(sec_bank.users[role])
    reveals = AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_REVEAL, customer_id=customer.pk
    )
    before = reveals.count()

    # when
    page = client.post(f"/customers/{customer.pk}/reveal/phones/")
    api = client.post(
        f"/api/customers/{customer.pk}/reveal",
        json.dumps({"field": "id_number"}),
        content_type="application/json",
    )

    # then
    if role in REVEALERS:
        assert page.status_code == 200
        assert _has_phone(page.content.decode())
        assert api.status_code == 200
        assert api.json()["value"] == sec_bank.id_number
        assert reveals.count() == before + 2
    else:
        assert page.status_code in DENIED, page.status_code
        assert not _has_phone(page.content.decode())
        assert api.status_code in DENIED, api.status_code
        assert sec_bank.id_number not in api.content.decode()
        assert reveals.count() == before


# --- object level: a branch's staff cannot act on another branch's work ----------------------

BRANCH_ROLES = (Role.TELLER, Role.LOBBY_MANAGER, Role.BRANCH_MANAGER)

# (route name or "METHOD /api/...", kwargs from sec_bank.other / literals, POST?)
ELSEWHERE = [
    ("floor:teller_serve", {"ticket_id": "ticket"}, False),
    ("floor:teller_recall", {"ticket_id": "ticket"}, True),
    ("floor:teller_no_show", {"ticket_id": "ticket"}, True),
    ("floor:teller_transfer", {"ticket_id": "ticket"}, True),
    ("floor:teller_finish", {"ticket_id": "ticket"}, True),
    ("floor:teller_offer", {"ticket_id": "ticket"}, True),
    ("floor:appointments_check_in", {"appointment_id": "appointment"}, True),
    ("floor:appointments_cancel", {"appointment_id": "appointment"}, True),
    ("dispatch:board", {"branch_code": "branch"}, False),
    ("dispatch:live", {"branch_code": "branch"}, False),
    ("dispatch:actions", {"branch_code": "branch"}, False),
    ("dispatch:settings", {"branch_code": "branch"}, False),
    ("dispatch:act", {"branch_code": "branch", "action": "=close"}, True),
    ("dispatch:counter_add", {"branch_code": "branch"}, True),
    ("dispatch:counter_remove", {"branch_code": "branch", "counter_id": "counter"}, True),
    ("lobby:handoff_complete", {"handoff_id": "handoff"}, True),
    ("lobby:followup_complete", {"followup_id": "followup"}, True),
    ("satisfaction:staff", {"pk": "staff_member"}, False),
    ("satisfaction:unit", {"code": "branch"}, False),
    ("servicedesk:detail", {"pk": "request"}, False),
    ("servicedesk:clocks", {"pk": "request"}, False),
    ("servicedesk:act", {"pk": "request", "action": "=note"}, True),
    ("servicedesk:act", {"pk": "request", "action": "=resolve"}, True),
    ("servicedesk:transfer_act", {"pk": "transfer", "action": "=accept"}, True),
    ("remedies:detail", {"remedy_id": "remedy"}, False),
    ("remedies:reason", {"remedy_id": "remedy"}, True),
    ("remedies:apologise", {"remedy_id": "remedy"}, True),
    ("remedies:gift", {"remedy_id": "remedy"}, True),
    ("remedies:close", {"remedy_id": "remedy"}, True),
    ("remedies:decide", {"grant_id": "grant"}, True),
    ("GET /api/requests/{request_id}", {"request_id": "request"}, False),
    ("POST /api/requests/{request_id}/reply", {"request_id": "request"}, True),
    ("POST /api/requests/{request_id}/resolve", {"request_id": "request"}, True),
]


def _posted(target: str, objects: dict) -> dict:
    """Valid form data, so that only the permission check can refuse it."""
    from servicefirst.floor.models import Ticket
    from servicefirst.lobby.models import Handoff
    from servicefirst.remedies.models import Gift, ReasonKind

    gift = Gift.objects.order_by("pk").first()
    counter = objects.get("counter")
    return {
        "servicedesk:act": {"body": "越权测试", "text": "越权测试", "resolution": "越权测试"},
        "remedies:reason": {"reason_kind": ReasonKind.values[0], "reason": "越权测试"},
        "remedies:apologise": {"channel": "sms"},
        "remedies:gift": {"gift": str(gift.pk) if gift else ""},
        "remedies:close": {"note": "越权测试"},
        "remedies:decide": {"decision": "approve"},
        "dispatch:act": {"counter_id": str(counter.pk) if counter else ""},
        "dispatch:counter_add": {"number": "99", "name": "越权"},
        "lobby:handoff_complete": {"outcome": Handoff.Outcome.values[0], "note": "越权测试"},
        "lobby:followup_complete": {"result": "越权测试"},
        "floor:teller_transfer": {"service": "1"},
        "floor:teller_finish": {"outcome": Ticket.Outcome.values[0]},
    }.get(target, {})


API_POSTED = {"reply": {"body": "越权测试"}, "resolve": {"resolution": "越权测试"}}


def _elsewhere_objects(bank) -> dict:
    other = bank.other
    return {
        "ticket": other.get("ticket"),
        "appointment": other.get("appointment"),
        "branch": bank.units["sh-pd"],
        "counter": other.get("counter"),
        "handoff": other.get("handoff"),
        "followup": other.get("followup"),
        "staff_member": other.get("staff_member"),
        "request": other.get("request"),
        "transfer": other.get("transfer"),
        "remedy": other.get("remedy"),
        "grant": other.get("grant"),
    }


def _snapshot(objects: dict) -> dict:
    out = {}
    for key, obj in objects.items():
        if obj is None:
            continue
        fresh = type(obj).objects.filter(pk=obj.pk).first()
        out[key] = model_to_dict(fresh) if fresh is not None else None
    return out


def _elsewhere_url(objects, target: str, args: dict) -> str | None:
    from django.urls import reverse

    kwargs = {}
    for arg, key in args.items():
        if key.startswith("="):
            kwargs[arg] = key[1:]
            continue
        obj = objects.get(key)
        if obj is None:
            return None
        kwargs[arg] = obj.code if key == "branch" else obj.pk
    if target.startswith(("GET ", "POST ")):
        path = target.split(" ", 1)[1]
        for arg, value in kwargs.items():
            path = path.replace("{" + arg + "}", str(value))
        return path
    return reverse(target, kwargs=kwargs)


@pytest.mark.parametrize("role", BRANCH_ROLES)
def test_branch_staff_cannot_act_on_another_branch(sec_bank, role):
    # given: a member of staff of branch A, and the work of branch B
    client = Client()
    client.force_login(sec_bank.users[role])
    objects = _elsewhere_objects(sec_bank)
    before = _snapshot(objects)
    wrong, missing = [], []

    # when: they open and post to every page about branch B's objects
    for target, args, post in ELSEWHERE:
        url = _elsewhere_url(objects, target, args)
        if url is None:
            missing.append(target)
            continue
        if target.startswith("GET "):
            response = client.get(url)
        elif target.startswith("POST "):
            action = url.rsplit("/", 1)[-1]
            response = client.post(
                url, json.dumps(API_POSTED.get(action, {})), content_type="application/json"
            )
        elif post:
            response = client.post(url, _posted(target, objects))
        else:
            response = client.get(url)
        # then: refused, whatever the role may do at its own branch
        if response.status_code not in DENIED:
            wrong.append(f"{target} {url}: {response.status_code}")

    assert not missing, f"the fixture bank has no branch-B object for {missing}"
    assert not wrong, f"{role} acted on branch B:\n" + "\n".join(wrong)
    # ...and nothing of branch B changed
    assert _snapshot(objects) == before
