from servicefirst.accounts.permissions import Action, Scope, scope_for, staff_of


def staff(request):
    """The member of staff and what the navigation may offer them."""
    user = getattr(request, "user", None)
    member = staff_of(user)
    return {
        "staff": member,
        "nav": {
            "customers": scope_for(user, Action.CUSTOMER_VIEW) > 0,
            "import": scope_for(user, Action.CUSTOMER_IMPORT) > 0,
            "export": scope_for(user, Action.CUSTOMER_EXPORT) > 0,
            "audit": scope_for(user, Action.AUDIT_VIEW) > 0,
            "privacy": scope_for(user, Action.PRIVACY_MANAGE) > 0,
            "insights": scope_for(user, Action.INSIGHT_VIEW) > 0,
            "segments": scope_for(user, Action.SEGMENT_MANAGE) > 0,
            "rules": scope_for(user, Action.RULE_MANAGE) > 0,
            # The branch floor
            "teller": scope_for(user, Action.FLOOR_SERVE) > 0,
            "board": scope_for(user, Action.FLOOR_MANAGE) > 0,
            "appointments": scope_for(user, Action.FLOOR_BOOK) > 0,
            "lobby": scope_for(user, Action.LOBBY_WORK) > 0,
            "followups": scope_for(user, Action.FOLLOWUP_WORK) > 0,
            "care_rules": scope_for(user, Action.CARE_MANAGE) > 0,
            "floor_reports": scope_for(user, Action.FLOOR_REPORT) > 0,
            # The contact centre
            "agent_desk": scope_for(user, Action.CALL_WORK) > 0,
            "contact_board": scope_for(user, Action.CONTACT_SUPERVISE) > 0,
            "campaigns": any(
                scope_for(user, a) > 0
                for a in (Action.CAMPAIGN_MANAGE, Action.CONTACT_SUPERVISE, Action.CALL_WORK)
            ),
            "dnc": any(
                scope_for(user, a) > 0 for a in (Action.CAMPAIGN_MANAGE, Action.CONTACT_SUPERVISE)
            ),
            # Service commitments and the Customer Care Center
            "commitments": scope_for(user, Action.COMMITMENT_VIEW) > 0,
            "commitment_manage": scope_for(user, Action.COMMITMENT_MANAGE) > 0,
            "requests": scope_for(user, Action.REQUEST_WORK) > 0,
            "request_supervise": scope_for(user, Action.REQUEST_SUPERVISE) > 0,
            "remedies": scope_for(user, Action.REMEDY_WORK) > 0,
            "gifts": scope_for(user, Action.GIFT_MANAGE) > 0,
            "satisfaction": scope_for(user, Action.SATISFACTION_VIEW) > 0,
            # The Care Center's dashboard: bank-wide viewers and the Care Center's own staff.
            "care_center_dashboard": scope_for(user, Action.SATISFACTION_VIEW) == Scope.ALL
            or (
                scope_for(user, Action.SATISFACTION_VIEW) > 0
                and member is not None
                and member.unit.kind == "care_center"
            ),
            "culture": scope_for(user, Action.CULTURE_MANAGE) > 0,
            "branch_code": member.unit.code
            if member is not None and member.unit.kind == "branch"
            else "",
        },
    }
