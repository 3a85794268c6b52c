from servicefirst.accounts.permissions import Action, scope_for, staff_of


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
            "insights": scope_for(user, Action.INSIGHT_VIEW) > 0,
            "segments": scope_for(user, Action.SEGMENT_MANAGE) > 0,
            "rules": scope_for(user, Action.RULE_MANAGE) > 0,
        },
    }
