"""The standard apology templates (per channel, in Chinese and English, with a variant for
objective reasons on the written channels) and the standard gifts. `ensure_templates` and
`ensure_gifts` create what is missing and leave edited ones alone."""

from decimal import Decimal

from servicefirst.remedies.models import ApologyTemplate, Gift

OBJ = "objective"

# (channel, language, reason_kind, subject, body). Placeholders: {name} {commitment} {date}
# {branch}.
TEMPLATES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "counter", "zh", "", "",
        "{name}，您好！{date}您在{branch}办理业务时，我们没有做到“{commitment}”，"
        "让您久等了，非常抱歉。我们已查明原因并在改进，这是我们的一点心意，请您收下。"
        "感谢您的理解，也欢迎您随时对我们的服务提出意见。",
    ),
    (
        "counter", "en", "", "",
        "Dear {name}, on {date} at {branch} we did not keep our promise: “{commitment}”. "
        "We are sorry for the wait this caused you. We have looked into what went wrong and "
        "are putting it right; please accept this small token of our apology. Thank you for "
        "your patience — your comments on our service are always welcome.",
    ),
    (
        "phone", "zh", "", "",
        "{name}您好，我是{branch}的工作人员。{date}我们没有做到“{commitment}”，"
        "给您添麻烦了，特地致电向您道歉。我们已经查明原因并在改进。请问您现在还有什么需要我们帮忙的吗？",
    ),
    (
        "phone", "en", "", "",
        "Hello {name}, this is {branch} calling. On {date} we did not keep our promise "
        "“{commitment}”, and we are calling to apologise for the inconvenience. We have found "
        "the cause and are fixing it. Is there anything we can help you with now?",
    ),
    (
        "sms", "zh", "", "",
        "【ServiceFirst银行】{name}，您好！{date}我们未能做到“{commitment}”，"
        "给您带来不便，深表歉意。我们已在改进，如需帮助请致电客服热线或到{branch}咨询。",
    ),
    (
        "sms", "en", "", "",
        "[ServiceFirst Bank] Dear {name}, on {date} we did not keep our promise "
        "“{commitment}”. We apologise for the inconvenience and are putting it right. For help, "
        "call our hotline or visit {branch}.",
    ),
    (
        "sms", "zh", OBJ, "",
        "【ServiceFirst银行】{name}，您好！{date}因不可预见的情况，我们未能做到“{commitment}”。"
        "虽然原因不在您，也给您带来了不便，我们深表歉意。如需帮助请致电客服热线或到{branch}咨询。",
    ),
    (
        "sms", "en", OBJ, "",
        "[ServiceFirst Bank] Dear {name}, on {date} circumstances beyond our control kept us "
        "from our promise “{commitment}”. We are sorry for the inconvenience all the same. For "
        "help, call our hotline or visit {branch}.",
    ),
    (
        "letter", "zh", "", "致歉函",
        "尊敬的{name}：\n\n"
        "{date}，我行{branch}未能兑现“{commitment}”的服务承诺，给您造成了不便，我们谨此向您致以诚挚的歉意。\n\n"
        "我们已查明原因，并已采取措施避免类似情况再次发生。随函附上一份小礼品，聊表歉意。"
        "如您还有任何意见或建议，欢迎随时致电我行客服热线或亲临{branch}。\n\n"
        "感谢您对我行一如既往的信任与支持。\n\n"
        "ServiceFirst银行 {branch}",
    ),
    (
        "letter", "en", "", "Our apology",
        "Dear {name},\n\n"
        "On {date}, {branch} did not keep its service promise to you: “{commitment}”. "
        "Please accept our sincere apology for the inconvenience.\n\n"
        "We have found what went wrong and taken steps so that it does not happen again. "
        "Please accept the enclosed small gift as a token of our apology. If you have any "
        "further comments, please call our hotline or visit {branch}.\n\n"
        "Thank you for your continued trust.\n\n"
        "ServiceFirst Bank, {branch}",
    ),
    (
        "letter", "zh", OBJ, "致歉函",
        "尊敬的{name}：\n\n"
        "{date}，由于我行无法控制的原因，{branch}未能兑现“{commitment}”的服务承诺。"
        "虽事出有因，仍给您带来了不便，我们谨此向您致以诚挚的歉意。\n\n"
        "我们已与相关方面沟通，尽力避免类似情况再次发生。如您还有任何意见或建议，欢迎随时致电我行客服热线或亲临{branch}。\n\n"
        "感谢您的理解与支持。\n\n"
        "ServiceFirst银行 {branch}",
    ),
    (
        "letter", "en", OBJ, "Our apology",
        "Dear {name},\n\n"
        "On {date}, circumstances beyond our control kept {branch} from its service promise "
        "to you: “{commitment}”. Even so, it caused you inconvenience, and we sincerely "
        "apologise.\n\n"
        "We are working with those involved so that it does not happen again. If you have "
        "any further comments, please call our hotline or visit {branch}.\n\n"
        "Thank you for your understanding.\n\n"
        "ServiceFirst Bank, {branch}",
    ),
    (
        "email", "zh", "", "关于{date}服务的致歉",
        "尊敬的{name}：\n\n"
        "您好！{date}我行{branch}未能做到“{commitment}”，给您带来了不便，我们深表歉意。"
        "我们已查明原因并在改进。\n\n"
        "如需任何帮助，请回复本邮件或致电客服热线。感谢您的理解与支持！\n\n"
        "ServiceFirst银行 {branch}",
    ),
    (
        "email", "en", "", "Our apology for your visit on {date}",
        "Dear {name},\n\n"
        "On {date}, {branch} did not keep our promise “{commitment}”. We are sorry for the "
        "inconvenience. We have found the cause and are putting it right.\n\n"
        "If we can help with anything, just reply to this e-mail or call our hotline. Thank "
        "you for your understanding.\n\n"
        "ServiceFirst Bank, {branch}",
    ),
    (
        "wechat", "zh", "", "",
        "{name}您好！{date}我们没有做到“{commitment}”，让您久等了，真的很抱歉🙏。"
        "我们已经在改进，有任何需要随时在这里留言，{branch}的同事会第一时间回复您。",
    ),
    (
        "wechat", "en", "", "",
        "Hello {name}! On {date} we did not keep our promise “{commitment}” — sorry for the "
        "wait 🙏. We are putting it right; message us here any time and a colleague at "
        "{branch} will reply straight away.",
    ),
)  # fmt: skip

GIFTS = (
    ("tissues", "纸巾礼盒", "Tissue gift box", "12.00"),
    ("points", "积分奖励券", "Bonus points voucher", "20.00"),
    ("umbrella", "定制雨伞", "Branded umbrella", "35.00"),
    ("thermos", "保温杯", "Thermos flask", "48.00"),
    ("powerbank", "充电宝", "Power bank", "60.00"),
)


def ensure_templates() -> int:
    created = 0
    for channel, language, kind, subject, body in TEMPLATES:
        _t, made = ApologyTemplate.objects.get_or_create(
            channel=channel,
            language=language,
            reason_kind=kind,
            defaults={"subject": subject, "body": body},
        )
        created += made
    return created


def ensure_gifts() -> list[Gift]:
    out = []
    for code, zh, en, cost in GIFTS:
        gift, _made = Gift.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "unit_cost": Decimal(cost)}
        )
        out.append(gift)
    return out
