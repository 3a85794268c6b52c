"""The standard counter services a bank starts with (editable in the admin afterwards)."""

SERVICES = [
    # code, Chinese, English, letter, typical minutes
    ("cash", "现金业务", "Cash", "A", 4),
    ("account", "开户", "Account opening", "B", 12),
    ("cards", "银行卡", "Cards", "C", 8),
    ("loans", "贷款", "Loans", "D", 20),
    ("wealth", "理财", "Wealth management", "E", 15),
    ("fx", "外汇", "Foreign exchange", "F", 8),
]


def ensure_services(Service=None) -> list:
    """Create the standard services that are missing; returns all of them."""
    if Service is None:
        from servicefirst.floor.models import Service
    out = []
    for order, (code, zh, en, letter, minutes) in enumerate(SERVICES):
        obj, _ = Service.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "letter": letter,
                "typical_minutes": minutes,
                "sort_order": order,
            },
        )
        out.append(obj)
    return out
