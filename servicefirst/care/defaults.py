"""The standard care rules a bank starts with (editable on the care rules page afterwards).

Seeded by a data migration; tests that flush the database (transactional tests, browser
tests) call `ensure_rules()` in their fixtures."""

# code, trigger, name zh, name en, message zh, message en, order, active
RULES = [
    (
        "umbrella",
        "raining",
        "雨天送伞",
        "Umbrella when it rains",
        "外面在下雨：{name}离开时请递上一把雨伞。",
        "It is raining: offer {name} an umbrella when they leave.",
        10,
        True,
    ),
    (
        "birthday",
        "birthday",
        "生日祝福",
        "Birthday wishes",
        "今天是{name}的生日，请送上生日祝福。",
        "Today is {name}'s birthday: wish them a happy birthday.",
        20,
        True,
    ),
    (
        "elderly",
        "elderly",
        "长者关怀",
        "Care for the elderly",
        "{name}今年{age}岁：请先请其就座，并优先办理。",
        "{name} is {age}: offer a seat and priority service.",
        30,
        True,
    ),
    (
        "language",
        "language",
        "语言引导",
        "Language routing",
        "{name}使用{language}——{tellers}",
        "{name} speaks {language} — {tellers}",
        40,
        True,
    ),
    (
        "first-visit",
        "first_visit",
        "首次到访欢迎",
        "First-visit welcome",
        "{name}第一次来我行：请热情欢迎，并介绍网点的服务。",
        "{name} is visiting us for the first time: welcome them and introduce the branch.",
        50,
        True,
    ),
    (
        "vip-greeting",
        "vip",
        "贵宾问候",
        "VIP greeting",
        "{name}是我行{tier}客户：请称呼姓名问候。",
        "{name} is a {tier} customer: greet them by name.",
        60,
        False,
    ),
]


def ensure_rules(CarePromptRule=None) -> list:
    """Create the standard rules that are missing (matched by code); returns all of them."""
    if CarePromptRule is None:
        from servicefirst.care.models import CarePromptRule
    out = []
    for code, trigger, name_zh, name_en, message_zh, message_en, order, active in RULES:
        rule, _ = CarePromptRule.objects.get_or_create(
            code=code,
            defaults={
                "trigger": trigger,
                "name_zh": name_zh,
                "name_en": name_en,
                "message_zh": message_zh,
                "message_en": message_en,
                "order": order,
                "is_active": active,
                "audience": "both",
            },
        )
        out.append(rule)
    return out
