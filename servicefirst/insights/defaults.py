"""The bank's default classification rules, seeded by migration 0002 and editable on the
rules page. `seed(Rule)` takes the model so the migration can pass its historical one."""

M = "marketing"
LIFECYCLE = [
    (
        "current",
        [{"field": "active_holdings", "op": "gt", "value": 0}],
        "持有有效产品",
        "Holds an active product",
    ),
    (
        "competitor",
        [{"field": "lifecycle", "op": "eq", "value": "competitor"}],
        "员工标记为他行客户",
        "Marked by staff as a competitor's customer",
    ),
    (
        "former",
        [{"field": "holdings_ever", "op": "gt", "value": 0}],
        "曾持有产品，现已全部结清",
        "Had products, none active now",
    ),
    (
        "never",
        [
            {"field": "do_not_call", "op": "eq", "value": True},
            {"field": "consent", "op": "lacks", "value": M},
        ],
        "拒绝一切联系（免打扰且未同意营销）",
        "Refused all contact (do not call, no marketing consent)",
    ),
    (
        "potential",
        [
            {"field": "interactions", "op": "gt", "value": 0},
            {"field": "consent", "op": "has", "value": M},
        ],
        "已接触、未购买、同意营销",
        "Contacted, never bought, agreed to marketing",
    ),
]
TIERS = [
    (
        "private",
        [{"field": "aum", "op": "gte", "value": 6000000}],
        "在我行资产不低于600万元",
        "Assets with the bank of ¥6,000,000 or more",
    ),
    (
        "wealth",
        [{"field": "aum", "op": "gte", "value": 500000}],
        "在我行资产不低于50万元",
        "Assets with the bank of ¥500,000 or more",
    ),
    (
        "affluent",
        [{"field": "aum", "op": "gte", "value": 50000}],
        "在我行资产不低于5万元",
        "Assets with the bank of ¥50,000 or more",
    ),
    ("mass", [], "在我行资产低于5万元", "Assets with the bank below ¥50,000"),
]
SUITABILITY = [
    (
        "fund",
        [{"field": "deposit_balance", "op": "lt", "value": 50000}],
        "存款低于5万元，不作为基金目标客户",
        "Deposits below ¥50,000: not a fund target",
    ),
]


def seed(Rule) -> int:
    if Rule.objects.exists():
        return 0
    for target, rules in (
        ("lifecycle", LIFECYCLE),
        ("value_tier", TIERS),
        ("suitability", SUITABILITY),
    ):
        for i, (outcome, conditions, zh, en) in enumerate(rules, start=1):
            Rule.objects.create(
                target=target,
                outcome=outcome,
                conditions=conditions,
                reason_zh=zh,
                reason_en=en,
                position=i * 10,
            )
    return Rule.objects.count()
