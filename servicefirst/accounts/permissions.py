"""The permission matrix: role × action → scope. The one place that says who may do what.

Services and selectors call `scope_for` / `require`; the API, the pages and the admin all go
through them, so every entry point obeys the same check. `tests/test_permission_matrix.py`
walks the whole matrix.

Scopes, from narrowest to widest:
- NONE      the role may not do this at all;
- ASSIGNED  only customers whose relationship manager is the actor;
- UNIT      only customers whose home branch is the actor's unit (or staff of that unit);
- ALL       anywhere in the bank.

Personal fields (phone, e-mail, identity number, address, birth date) are always shown masked
(phone `138****8000`, identity number with only its last four) unless the actor holds
`customer.reveal` for that customer and asks to reveal them; every reveal is audit-logged.
"""

from enum import IntEnum

from servicefirst.accounts.models import Role


class Scope(IntEnum):
    NONE = 0
    ASSIGNED = 1
    UNIT = 2
    ALL = 3


class Action:
    CUSTOMER_VIEW = "customer.view"  # find a customer and open their 360 (masked)
    CUSTOMER_REVEAL = "customer.reveal"  # unmask personal fields
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_MERGE = "customer.merge"
    CUSTOMER_IMPORT = "customer.import"
    CUSTOMER_EXPORT = "customer.export"
    INTERACTION_ADD = "interaction.add"
    AUDIT_VIEW = "audit.view"
    STAFF_VIEW = "staff.view"
    STAFF_MANAGE = "staff.manage"
    ORG_MANAGE = "org.manage"
    INSIGHT_VIEW = "insight.view"  # acceptance dashboard, drill-downs, classification results
    SEGMENT_MANAGE = "segment.manage"  # build segments and outreach lists from them
    RULE_MANAGE = "rule.manage"  # edit classification rules and rerun the classification
    # The branch floor (scope UNIT = the actor's own branch; ALL = every branch).
    FLOOR_SERVE = "floor.serve"  # sit at a counter: call, serve, transfer, finish tickets
    FLOOR_MANAGE = "floor.manage"  # dispatching board: counters, tellers, priorities, weather
    FLOOR_BOOK = "floor.book"  # book appointments for customers, check them in
    LOBBY_WORK = "lobby.work"  # register walk-ins, hand prospects over, record recognitions
    FOLLOWUP_WORK = "followup.work"  # work hand-offs and follow-up tasks assigned to oneself
    CARE_MANAGE = "care.manage"  # edit care-prompt rules
    FLOOR_REPORT = "floor.report"  # branch reports (tickets, waits, walk-ins, prompts)
    # The contact centre (scope ALL = every campaign/queue; UNIT = the actor's own unit).
    CALL_DIAL = "call.dial"  # click-to-dial a customer's number from any page
    CALL_WORK = "call.work"  # agent desktop: take calls, dispositions, callbacks
    CAMPAIGN_MANAGE = "campaign.manage"  # campaigns, call lists, scripts, retry rules, windows
    CONTACT_SUPERVISE = "contact.supervise"  # live board of agents and campaigns, call reports
    # Service commitments (UNIT = commitments the actor's unit owns or receives; ALL = all).
    COMMITMENT_VIEW = "commitment.view"  # the register, cases, alerts and attainment
    COMMITMENT_DISCUSS = "commitment.discuss"  # comment and agree on a version in discussion
    COMMITMENT_MANAGE = "commitment.manage"  # draft versions, open them for discussion
    COMMITMENT_PUBLISH = "commitment.publish"  # approve, publish and retire
    # Service requests, the Customer Care Center's work (UNIT = requests the unit owns).
    REQUEST_WORK = "request.work"  # open, note, reply, resolve, transfer
    REQUEST_SUPERVISE = "request.supervise"  # assign to others, queues and request reports
    # Remedies when a commitment to a customer is missed (UNIT = the unit that missed it).
    REMEDY_WORK = "remedy.work"  # reason, apology, gift
    REMEDY_APPROVE = "remedy.approve"  # approve a gift over the branch's budget
    GIFT_MANAGE = "gift.manage"  # gift stock and budgets
    # Satisfaction and scorecards (UNIT = the actor's own unit and its staff).
    SATISFACTION_VIEW = "satisfaction.view"
    # Customer-first culture: questionnaires for hiring and training, completion reports.
    CULTURE_MANAGE = "culture.manage"
    # Data retention: legal holds, erasure candidates, anonymisation (servicefirst.privacy).
    PRIVACY_MANAGE = "privacy.manage"

    ALL = (
        CUSTOMER_VIEW,
        CUSTOMER_REVEAL,
        CUSTOMER_CREATE,
        CUSTOMER_EDIT,
        CUSTOMER_MERGE,
        CUSTOMER_IMPORT,
        CUSTOMER_EXPORT,
        INTERACTION_ADD,
        AUDIT_VIEW,
        STAFF_VIEW,
        STAFF_MANAGE,
        ORG_MANAGE,
        INSIGHT_VIEW,
        SEGMENT_MANAGE,
        RULE_MANAGE,
        FLOOR_SERVE,
        FLOOR_MANAGE,
        FLOOR_BOOK,
        LOBBY_WORK,
        FOLLOWUP_WORK,
        CARE_MANAGE,
        FLOOR_REPORT,
        CALL_DIAL,
        CALL_WORK,
        CAMPAIGN_MANAGE,
        CONTACT_SUPERVISE,
        COMMITMENT_VIEW,
        COMMITMENT_DISCUSS,
        COMMITMENT_MANAGE,
        COMMITMENT_PUBLISH,
        REQUEST_WORK,
        REQUEST_SUPERVISE,
        REMEDY_WORK,
        REMEDY_APPROVE,
        GIFT_MANAGE,
        SATISFACTION_VIEW,
        CULTURE_MANAGE,
        PRIVACY_MANAGE,
    )


A, S = Action, Scope

# Anything not listed is Scope.NONE.
MATRIX: dict[str, dict[str, Scope]] = {
    Role.TELLER: {
        # A customer of any branch may walk up to any counter; the teller sees masked IDs.
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_CREATE: S.ALL,
        A.CUSTOMER_EDIT: S.ALL,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.FLOOR_SERVE: S.UNIT,
        A.FLOOR_BOOK: S.UNIT,
        A.FOLLOWUP_WORK: S.UNIT,
        A.COMMITMENT_VIEW: S.UNIT,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.REQUEST_WORK: S.UNIT,
    },
    Role.LOBBY_MANAGER: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_CREATE: S.ALL,
        A.CUSTOMER_EDIT: S.UNIT,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.FLOOR_BOOK: S.UNIT,
        A.LOBBY_WORK: S.UNIT,
        A.FOLLOWUP_WORK: S.UNIT,
        A.CALL_DIAL: S.UNIT,
        A.COMMITMENT_VIEW: S.UNIT,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.REQUEST_WORK: S.UNIT,
        A.REMEDY_WORK: S.UNIT,
    },
    Role.BRANCH_MANAGER: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_REVEAL: S.UNIT,
        A.CUSTOMER_CREATE: S.ALL,
        A.CUSTOMER_EDIT: S.UNIT,
        A.CUSTOMER_EXPORT: S.UNIT,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.INSIGHT_VIEW: S.UNIT,
        A.FLOOR_SERVE: S.UNIT,
        A.FLOOR_MANAGE: S.UNIT,
        A.FLOOR_BOOK: S.UNIT,
        A.LOBBY_WORK: S.UNIT,
        A.FOLLOWUP_WORK: S.UNIT,
        A.CARE_MANAGE: S.UNIT,
        A.FLOOR_REPORT: S.UNIT,
        A.CALL_DIAL: S.UNIT,
        A.COMMITMENT_VIEW: S.UNIT,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.COMMITMENT_MANAGE: S.UNIT,
        A.COMMITMENT_PUBLISH: S.UNIT,
        A.REQUEST_WORK: S.UNIT,
        A.REQUEST_SUPERVISE: S.UNIT,
        A.REMEDY_WORK: S.UNIT,
        A.REMEDY_APPROVE: S.UNIT,
        A.GIFT_MANAGE: S.UNIT,
        A.SATISFACTION_VIEW: S.UNIT,
        A.CULTURE_MANAGE: S.UNIT,
    },
    Role.RELATIONSHIP_MANAGER: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_REVEAL: S.ASSIGNED,
        A.CUSTOMER_CREATE: S.ALL,
        A.CUSTOMER_EDIT: S.ASSIGNED,
        A.CUSTOMER_EXPORT: S.ASSIGNED,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.FOLLOWUP_WORK: S.UNIT,
        A.CALL_DIAL: S.ALL,
        A.COMMITMENT_VIEW: S.UNIT,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.REQUEST_WORK: S.UNIT,
    },
    Role.CC_AGENT: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_EDIT: S.ALL,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.FLOOR_BOOK: S.ALL,
        A.CALL_DIAL: S.ALL,
        A.CALL_WORK: S.ALL,
        A.COMMITMENT_VIEW: S.UNIT,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.REQUEST_WORK: S.ALL,
        A.REMEDY_WORK: S.ALL,
    },
    Role.CC_SUPERVISOR: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_REVEAL: S.ALL,
        A.CUSTOMER_EDIT: S.ALL,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.INSIGHT_VIEW: S.ALL,
        A.CALL_DIAL: S.ALL,
        A.CALL_WORK: S.ALL,
        A.CAMPAIGN_MANAGE: S.ALL,
        A.CONTACT_SUPERVISE: S.ALL,
        A.COMMITMENT_VIEW: S.ALL,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.COMMITMENT_MANAGE: S.UNIT,
        A.COMMITMENT_PUBLISH: S.UNIT,
        A.REQUEST_WORK: S.ALL,
        A.REQUEST_SUPERVISE: S.ALL,
        A.REMEDY_WORK: S.ALL,
        A.REMEDY_APPROVE: S.UNIT,
        A.GIFT_MANAGE: S.UNIT,
        A.SATISFACTION_VIEW: S.ALL,
        A.CULTURE_MANAGE: S.UNIT,
    },
    Role.MARKETING_ANALYST: {
        # Works on segments, not individuals: masked view, masked exports, imports campaign data.
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_IMPORT: S.ALL,
        A.CUSTOMER_EXPORT: S.ALL,
        A.INSIGHT_VIEW: S.ALL,
        A.SEGMENT_MANAGE: S.ALL,
        A.RULE_MANAGE: S.ALL,
        A.FLOOR_REPORT: S.ALL,
        A.CAMPAIGN_MANAGE: S.ALL,
        A.COMMITMENT_VIEW: S.ALL,
        A.SATISFACTION_VIEW: S.ALL,
    },
    Role.BACK_OFFICE: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_REVEAL: S.ALL,
        A.CUSTOMER_CREATE: S.ALL,
        A.CUSTOMER_EDIT: S.ALL,
        A.CUSTOMER_MERGE: S.ALL,
        A.CUSTOMER_IMPORT: S.ALL,
        A.INTERACTION_ADD: S.ALL,
        A.STAFF_VIEW: S.UNIT,
        A.COMMITMENT_VIEW: S.UNIT,
        A.COMMITMENT_DISCUSS: S.UNIT,
        A.REQUEST_WORK: S.UNIT,
    },
    Role.COMPLIANCE_AUDITOR: {
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_REVEAL: S.ALL,
        A.CUSTOMER_EXPORT: S.ALL,
        A.AUDIT_VIEW: S.ALL,
        A.STAFF_VIEW: S.ALL,
        A.INSIGHT_VIEW: S.ALL,
        A.FLOOR_REPORT: S.ALL,
        A.CONTACT_SUPERVISE: S.ALL,
        A.COMMITMENT_VIEW: S.ALL,
        A.SATISFACTION_VIEW: S.ALL,
        A.PRIVACY_MANAGE: S.ALL,
    },
    Role.ADMINISTRATOR: {
        # Runs the system; sees customers masked, cannot reveal them or read the audit log.
        A.CUSTOMER_VIEW: S.ALL,
        A.CUSTOMER_CREATE: S.ALL,
        A.CUSTOMER_IMPORT: S.ALL,
        A.CUSTOMER_MERGE: S.ALL,
        A.STAFF_VIEW: S.ALL,
        A.STAFF_MANAGE: S.ALL,
        A.ORG_MANAGE: S.ALL,
        A.RULE_MANAGE: S.ALL,
        A.FLOOR_MANAGE: S.ALL,
        A.CARE_MANAGE: S.ALL,
        A.COMMITMENT_VIEW: S.ALL,
        A.COMMITMENT_MANAGE: S.ALL,
        A.COMMITMENT_PUBLISH: S.ALL,
        A.GIFT_MANAGE: S.ALL,
        A.CULTURE_MANAGE: S.ALL,
        A.PRIVACY_MANAGE: S.ALL,
    },
}


def role_scope(role: str, action: str) -> Scope:
    return MATRIX.get(role, {}).get(action, Scope.NONE)


def staff_of(user):
    """The Staff record of a user, or None (anonymous users and logins without a staff record)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.staff
    except Exception:  # RelatedObjectDoesNotExist
        return None


def scope_for(user, action: str) -> Scope:
    """The widest scope any of the user's roles grants for the action."""
    staff = staff_of(user)
    if staff is None:
        return Scope.NONE
    return max((role_scope(r, action) for r in staff.role_codes), default=Scope.NONE)


def allows(
    user,
    action: str,
    *,
    home_branch_id: int | None = None,
    relationship_manager_id: int | None = None,
) -> bool:
    """Whether the user may perform `action` on an object with this home branch and RM."""
    scope = scope_for(user, action)
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE:
        return False
    staff = staff_of(user)
    if scope == Scope.UNIT:
        return home_branch_id is not None and home_branch_id == staff.unit_id
    return relationship_manager_id is not None and relationship_manager_id == staff.pk


def allows_unit(user, action: str, unit_id: int | None) -> bool:
    """Whether the user may perform a branch-floor action at this unit (branch)."""
    scope = scope_for(user, action)
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE:
        return False
    staff = staff_of(user)
    return unit_id is not None and unit_id == staff.unit_id


def branches_for(user, *actions: str) -> list:
    """The branches (units of kind branch) where the user may perform any of the actions: every
    branch of their bank for a bank-wide grant, their own branch for a branch grant, none
    otherwise. Ordered by code."""
    from servicefirst.accounts.models import Unit

    staff = staff_of(user)
    scope = max((scope_for(user, a) for a in actions), default=Scope.NONE)
    if scope == Scope.NONE or staff is None:
        return []
    branches = Unit.objects.filter(kind=Unit.Kind.BRANCH).order_by("code")
    if scope == Scope.ALL:
        return list(branches.filter(bank_id=staff.unit.bank_id))
    return list(branches.filter(pk=staff.unit_id))


def allows_customer(user, action: str, customer) -> bool:
    return allows(
        user,
        action,
        home_branch_id=customer.home_branch_id,
        relationship_manager_id=customer.relationship_manager_id,
    )


def scope_filter(user, action: str) -> dict | None:
    """ORM filter kwargs restricting Customer rows to the user's scope; None means nothing."""
    scope = scope_for(user, action)
    if scope == Scope.ALL:
        return {}
    if scope == Scope.NONE:
        return None
    staff = staff_of(user)
    if scope == Scope.UNIT:
        return {"home_branch_id": staff.unit_id}
    return {"relationship_manager_id": staff.pk}
