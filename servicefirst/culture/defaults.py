"""The built-in questionnaires: the hiring questionnaire whose first question is "Who pays your
salary?" (the answer: the customers), and a training questionnaire on service commitments and
the remedy when one is missed. Drawn from the chapter "服务是第一要务" (Service comes first).

`ensure_builtin_questionnaires()` creates them when missing and never overwrites a bank's
edits."""

from django.db import transaction

from servicefirst.culture.models import Question, Questionnaire

HIRING_CODE = "hiring-customer-first"
TRAINING_CODE = "training-commitments"


def _opt(key, zh, en, correct=False, points=None):
    return {
        "key": key,
        "zh": zh,
        "en": en,
        "correct": correct,
        "points": points if points is not None else (1 if correct else 0),
    }


# (kind, text_zh, text_en, options, explanation_zh, explanation_en, required)
HIRING_QUESTIONS = [
    (
        "single",
        "谁在给你发工资？",
        "Who pays your salary?",
        [
            _opt("a", "银行", "The bank"),
            _opt("b", "我的经理", "My manager"),
            _opt("c", "国家", "The state"),
            _opt("d", "股东", "The shareholders"),
            _opt("e", "客户", "The customers", True),
        ],
        "员工的一切都是客户给的：客户是员工的衣食父母。为客户服务是我们工作的出发点和归宿。",
        "Everything we have comes from the customers: they are the ones who keep us. "
        "Serving them is where our work starts and where it ends.",
        True,
    ),
    (
        "single",
        "一位客户在大厅等候的时间已经超过了银行承诺的时间。你首先应该怎么做？",
        "A customer has waited in the hall longer than the bank promised. What do you do first?",
        [
            _opt(
                "a",
                "走到客户身边，说明情况、表示歉意，并告诉他还需要多久",
                "Go to them, explain what is happening, apologise and tell them how much "
                "longer it will take",
                True,
            ),
            _opt("b", "什么都不做，排队对每个人都公平", "Nothing: the queue is fair to everyone"),
            _opt("c", "建议客户改天再来", "Suggest they come back another day"),
            _opt(
                "d",
                "不声不响地让他插到最前面",
                "Quietly move them to the front without a word",
            ),
        ],
        "承诺告诉客户办事需要多长时间；一旦超时，要主动说明、道歉，并给出新的时间。",
        "Our commitments tell customers how long things take. When we run over, we go to them, "
        "say so, apologise and give them a new time.",
        True,
    ),
    (
        "single",
        "客户对我们的服务提出投诉。这个投诉是……",
        "A customer complains about our service. The complaint is …",
        [
            _opt(
                "a",
                "一份礼物：它告诉我们哪里做得还不够",
                "A gift: it shows us where we fall short",
                True,
            ),
            _opt("b", "一次需要反驳的攻击", "An attack to be argued down"),
            _opt("c", "客户自己的问题，与我无关", "The customer's problem, not mine"),
            _opt("d", "最好不要让经理知道的事", "Something best kept from the manager"),
        ],
        "投诉的客户是在给我们改进的机会。认真倾听、记录并跟进，才能留住客户。",
        "A customer who complains gives us the chance to improve. Listen, record it and follow "
        "it through: that is how we keep the customer.",
        True,
    ),
    (
        "single",
        "你答应今天给客户回电话答复，但答案还没有出来。你怎么做？",
        "You promised to call a customer back today with an answer, but the answer is not "
        "ready. What do you do?",
        [
            _opt(
                "a",
                "按时回电，说明进展，并告诉客户什么时候能有答复",
                "Call as promised, say where things stand and when the answer will come",
                True,
            ),
            _opt("b", "等答案出来再打", "Wait until the answer is ready"),
            _opt("c", "请同事明天再打", "Ask a colleague to call tomorrow"),
            _opt("d", "不打了，客户着急会自己打来", "Don't call: they will call if it matters"),
        ],
        "答应客户的事一定要做到；做不到也要按时告诉客户，这本身就是在兑现承诺。",
        "Finish what you promised. When you cannot, telling the customer on time is itself "
        "keeping your word.",
        True,
    ),
    (
        "single",
        "由于客观原因，银行没能兑现对客户的承诺。按照补救制度，应该怎么做？",
        "For an objective reason, the bank missed a promise to a customer. What does the "
        "remedy procedure ask of us?",
        [
            _opt(
                "a",
                "及时向客户说明、道歉，并赠送一份小纪念品",
                "Explain to the customer, apologise, and give them a small gift",
                True,
            ),
            _opt("b", "不是我们的错，什么都不用做", "Nothing: it was not our fault"),
            _opt("c", "客户投诉了再说", "Wait and see whether the customer complains"),
            _opt("d", "告诉客户是后台部门的责任", "Tell the customer the back office is to blame"),
        ],
        "承诺以银行的信誉做保证。没做到时要说出来、道歉，并以小纪念品表达歉意。",
        "Our commitments are backed by the bank's good name. When we miss one we say so, "
        "apologise, and give a small gift to make amends.",
        True,
    ),
    (
        "single",
        "你正在柜台为客户办理业务，手机响了。你应该……",
        "You are serving a customer at the counter and your phone rings. You …",
        [
            _opt(
                "a",
                "专心为客户办完业务，之后再处理电话",
                "Keep your full attention on the customer and deal with the call afterwards",
                True,
            ),
            _opt("b", "边接电话边办业务", "Take the call while you carry on serving"),
            _opt("c", "请客户稍等，先接电话", "Ask the customer to wait while you take the call"),
            _opt("d", "把业务交给旁边的同事", "Hand the customer over to a colleague"),
        ],
        "为客户办理业务时要全心全意，办完业务后再处理其他事情。",
        "While serving a customer, give them your whole attention; other things come after.",
        True,
    ),
    (
        "multiple",
        "哪些做法能帮助你更好地服务一位老客户？（可多选）",
        "Which of these help you serve a regular customer well? (Choose all that apply.)",
        [
            _opt("a", "叫出客户的姓名并打招呼", "Greet them by name", True),
            _opt("b", "记住客户的偏好和需求", "Remember their preferences and needs", True),
            _opt("c", "向他推荐适合他的产品", "Offer products that suit them", True),
            _opt(
                "d",
                "不管客户情况如何，都推荐同一款高风险基金",
                "Offer every customer the same high-risk fund, whatever their situation",
            ),
        ],
        "认识客户、了解客户的需要，不同的客户不同对待，才能做到一对一的服务。",
        "Know the customer and what they need, and treat different customers differently: "
        "that is one-to-one service.",
        True,
    ),
    (
        "single",
        "一位海外来的客人担心语言不通，无法办理业务。你会……",
        "A visitor from overseas worries that language will get in the way. You …",
        [
            _opt(
                "a",
                "向他保证银行可以用他的语言提供服务，并做好安排",
                "Assure them the bank will serve them in their language, and arrange it",
                True,
            ),
            _opt("b", "建议他下次带翻译来", "Suggest they bring an interpreter next time"),
            _opt("c", "告诉他这里只用中文办理业务", "Tell them we only serve in Chinese"),
            _opt("d", "递给他一本英文宣传册就走开", "Hand them an English leaflet and walk away"),
        ],
        "主动消除客户的顾虑。书中的这位客人后来成了银行很重要的客户。",
        "Take the worry away before it grows. The visitor in the book became one of the "
        "bank's most important customers.",
        True,
    ),
    (
        "single",
        "外面正在下雨，一位客户办完业务准备离开。你会……",
        "It is raining outside and a customer is about to leave. You …",
        [
            _opt("a", "问客户是否需要一把雨伞", "Ask whether they would like an umbrella", True),
            _opt("b", "什么都不做，这与银行业务无关", "Nothing: it has nothing to do with banking"),
            _opt("c", "告诉客户天气预报", "Tell them the weather forecast"),
            _opt("d", "建议客户在大厅里等雨停", "Suggest they wait in the hall until it stops"),
        ],
        "细节里面有黄金。董事长亲自问客户是否需要雨伞，给全行做出了表率。",
        "Details hold gold. The chairman himself asked a departing customer whether they "
        "needed an umbrella, and set the example for the whole bank.",
        True,
    ),
    (
        "scale",
        "“我宁愿多留十分钟，也不愿把客户的问题只解决一半。”",
        "“I would rather stay ten minutes longer than leave a customer's problem half solved.”",
        [
            _opt("1", "非常不同意", "Strongly disagree", False, 0),
            _opt("2", "不同意", "Disagree", False, 0),
            _opt("3", "说不清", "Not sure", False, 0),
            _opt("4", "同意", "Agree", True, 1),
            _opt("5", "非常同意", "Strongly agree", True, 1),
        ],
        "理念决定行为，行为养成习惯，习惯成为银行的服务风格。",
        "Ideas shape behaviour, behaviour becomes habit, and habit becomes the bank's "
        "service style.",
        True,
    ),
    (
        "text",
        "请讲一次你为所服务的人多做了一步的经历。",
        "Tell us about a time you went out of your way for someone you served.",
        [],
        "",
        "",
        False,
    ),
]

TRAINING_QUESTIONS = [
    (
        "single",
        "总行发布的服务承诺对谁有约束力？",
        "Whom does a commitment published by the head office bind?",
        [
            _opt(
                "a",
                "总行下属的每一家支行和部门",
                "Every branch and unit under the head office",
                True,
            ),
            _opt("b", "只有总行自己", "Only the head office itself"),
            _opt("c", "只有表示同意的员工", "Only the staff who agreed to it"),
            _opt("d", "审计之前对谁都没有约束力", "Nobody until it is audited"),
        ],
        "全行向客户承诺：总行的承诺覆盖每一家支行。",
        "The whole bank makes its promises to customers: a head-office commitment covers "
        "every branch.",
    ),
    (
        "single",
        "一项承诺在约束员工之前，员工应当……",
        "Before a commitment binds the staff, the staff …",
        [
            _opt(
                "a",
                "认真研究讨论，并表明是否同意",
                "Study and discuss it, and say whether they agree",
                True,
            ),
            _opt("b", "只需要收到一封通知邮件", "Only need to receive an e-mail about it"),
            _opt("c", "什么都不用做", "Need do nothing"),
            _opt("d", "签署一份罚款承诺书", "Sign an undertaking to pay fines"),
        ],
        "银行将服务承诺交给员工研究讨论，引发员工的自觉性，达成银行和员工的共识。",
        "The bank gives its commitments to the staff to study and discuss, so that bank and "
        "staff reach a shared understanding and the staff keep them of their own accord.",
    ),
    (
        "single",
        "哪些承诺会被计量考核？",
        "Which commitments are measured?",
        [
            _opt("a", "已发布的承诺", "Published ones", True),
            _opt("b", "草稿也算", "Drafts too"),
            _opt("c", "正在讨论中的", "Those still in discussion"),
            _opt("d", "已停用的", "Retired ones"),
        ],
        "承诺经过起草、讨论、批准后发布；只有已发布的版本才会被计量。",
        "A commitment is drafted, discussed and approved before it is published; only the "
        "published version is measured.",
    ),
    (
        "single",
        "“电话铃响三声之内一定有人接听”计量的是什么？",
        "“The phone is answered by the third ring” measures …",
        [
            _opt("a", "接听之前响铃的次数", "The number of rings before the answer", True),
            _opt("b", "通话时长", "How long the call lasts"),
            _opt("c", "每天接听的电话数量", "How many calls are answered each day"),
            _opt("d", "客户挂断的次数", "How often customers hang up"),
        ],
        "这是一项计数类承诺：每个电话响铃次数不超过三次即为达成。",
        "It is a count: each call is met when it is answered within three rings.",
    ),
    (
        "multiple",
        "由于客观原因没能兑现对客户的承诺时，补救包括哪些？（可多选）",
        "When a commitment to a customer is missed for an objective reason, the remedy "
        "includes … (Choose all that apply.)",
        [
            _opt("a", "向客户说明原因", "An explanation to the customer", True),
            _opt("b", "向客户道歉", "An apology", True),
            _opt("c", "赠送一份小纪念品", "A small gift", True),
            _opt("d", "告诉客户是其他部门的责任", "Telling the customer another unit is to blame"),
        ],
        "补救措施制度：及时给客户说明、道歉，给予客户小纪念品补偿。",
        "The remedy procedure: explain to the customer promptly, apologise, and make amends "
        "with a small gift.",
    ),
    (
        "single",
        "同一次未兑现的承诺，可以给客户送两次礼品吗？",
        "May a customer be given two gifts for the same missed commitment?",
        [
            _opt("a", "不可以，每次未兑现只送一次", "No: one gift per missed commitment", True),
            _opt("b", "可以，客户越满意越好", "Yes: the happier the customer the better"),
            _opt("c", "只要库存还有就可以", "Yes, as long as there is stock"),
            _opt("d", "由柜员自己决定", "It is up to the teller"),
        ],
        "礼品是表达歉意，而不是交易：每次未兑现的承诺只补偿一次，库存和预算都要记录。",
        "The gift says sorry; it is not a trade. One gift per missed commitment, and every "
        "gift is taken from the recorded stock and budget.",
    ),
    (
        "single",
        "本支行的礼品预算已经用完，但一项补救需要送礼品。你应该……",
        "Your branch's gift budget is used up, and a remedy calls for a gift. You …",
        [
            _opt("a", "请经理批准超预算", "Ask the manager to approve going over budget", True),
            _opt("b", "悄悄不送了", "Quietly skip the gift"),
            _opt("c", "自己掏钱买一份", "Buy one with your own money"),
            _opt("d", "直接给客户现金", "Give the customer cash instead"),
        ],
        "超出预算需要经理批准；补救不能因为预算而悄悄取消。",
        "Going over budget needs the manager's approval; a remedy is never dropped quietly "
        "because the budget ran out.",
    ),
    (
        "single",
        "一项服务请求正在等客户补交材料。承诺的计时……",
        "A service request is waiting for the customer to send a document. The commitment's "
        "clock …",
        [
            _opt("a", "暂停，直到客户回复", "Pauses until the customer replies", True),
            _opt("b", "继续计时", "Keeps running"),
            _opt("c", "从零重新开始", "Starts again from zero"),
            _opt("d", "直接算作已达成", "Counts the case as met"),
        ],
        "等待客户的时间不算在银行头上：计时暂停，客户回复后继续。",
        "Time spent waiting for the customer does not count against us: the clock pauses and "
        "resumes when the customer replies.",
    ),
    (
        "single",
        "卡部、运营等二线部门向谁做出承诺？",
        "To whom do second-line units such as Cards or Operations make commitments?",
        [
            _opt("a", "向支行等一线单位", "To first-line units such as the branches", True),
            _opt("b", "只向监管机构", "Only to the regulator"),
            _opt("c", "不需要做出承诺", "They make none"),
            _opt("d", "只向董事会", "Only to the board"),
        ],
        "二线单位向一线单位承诺，全行向客户承诺。",
        "Second-line units make commitments to first-line units; the whole bank makes them "
        "to customers.",
    ),
    (
        "single",
        "为什么要把办理业务需要的时间告诉客户？",
        "Why do we tell customers how long things take?",
        [
            _opt(
                "a",
                "客户重视时间；告诉他们时间，能得到他们的理解和支持",
                "Customers value their time; telling them earns their understanding and support",
                True,
            ),
            _opt("b", "为了把公告栏填满", "To fill the notice board"),
            _opt("c", "只是因为监管要求", "Only because the regulator says so"),
            _opt("d", "让客户知难而退，缩短排队", "To put customers off and shorten the queue"),
        ],
        "承诺抓住了客户对时间重视的心理，巩固和扩大了客户群。",
        "Commitments answer the value customers put on their time, and so keep and grow the "
        "bank's customers.",
    ),
]

QUESTIONNAIRES = [
    {
        "code": HIRING_CODE,
        "purpose": Questionnaire.Purpose.HIRING,
        "title_zh": "招聘问卷：客户为先",
        "title_en": "Hiring questionnaire: the customer comes first",
        "intro_zh": "感谢你应聘我行。以下问题没有陷阱，请按你的真实想法作答，大约需要十分钟。",
        "intro_en": "Thank you for applying to our bank. There are no trick questions: answer "
        "as you really think. It takes about ten minutes.",
        "pass_percent": 70,
        "questions": HIRING_QUESTIONS,
    },
    {
        "code": TRAINING_CODE,
        "purpose": Questionnaire.Purpose.TRAINING,
        "title_zh": "员工培训：服务承诺与补救",
        "title_en": "Staff training: service commitments and the remedy",
        "intro_zh": "本问卷帮助你理解我行的服务承诺制度：承诺如何制定、讨论、发布和计量，"
        "以及承诺未兑现时如何补救（说明、道歉、小纪念品）。每题作答后可以看到解释。",
        "intro_en": "This questionnaire walks you through the bank's service commitments: how "
        "they are drafted, discussed, published and measured, and what we do when one is "
        "missed (explain, apologise, give a small gift). Each answer comes with an "
        "explanation.",
        "pass_percent": 80,
        "questions": TRAINING_QUESTIONS,
    },
]


@transaction.atomic
def ensure_builtin_questionnaires() -> list[Questionnaire]:
    """Create the built-in questionnaires that do not exist yet; returns all of them."""
    result = []
    for spec in QUESTIONNAIRES:
        spec = dict(spec)
        questions = spec.pop("questions")
        questionnaire, created = Questionnaire.objects.get_or_create(
            code=spec["code"], defaults={**spec, "builtin": True}
        )
        if created:
            Question.objects.bulk_create(
                Question(
                    questionnaire=questionnaire,
                    order=n,
                    kind=q[0],
                    text_zh=q[1],
                    text_en=q[2],
                    options=q[3],
                    explanation_zh=q[4],
                    explanation_en=q[5],
                    required=q[6] if len(q) > 6 else True,
                )
                for n, q in enumerate(questions, start=1)
            )
        result.append(questionnaire)
    return result
