"""Realistic synthetic Chinese bank customers, for the demo bank, the tests and the benchmark.

Rows come out as dicts in the "customers" import mapping (CSV headers equal to our field names),
so they go through the real importer like a bank's own file would. Everything is derived from
one seeded `random.Random`: the same seed gives the same customers, byte for byte.

What makes them realistic:
- surnames drawn by their real frequency (王 李 张 刘 陈 … plus a few compound ones, 欧阳 司马);
  given names of one or two characters from the pools of the customer's generation;
- PRC resident identity numbers with real region codes, the birth date, a sequence number
  whose parity is the gender, and the GB 11643 check digit; passports for foreign customers;
- unique mobile numbers on real prefixes (13x, 15x, 18x, 17x, 19x), as staff type them;
- home addresses on real streets of real districts with their postal codes;
- households: couples (wives keep their own surname, as in China) and adult children (the
  father's surname) share an address; `household` / `relation` say who belongs together;
- occupation, employer, income, value tier, AUM band and risk appetite that go with the age;
- interests, preferred language (mostly zh, Cantonese in Guangzhou, some English), channel,
  contact time, consents, a few do-not-call flags, and the lifecycle mix (current, potential,
  competitor's, never, former) with a reason.

Extra keys that are not import columns start with "_" (consents, household); `write_csv`
leaves them out.
"""

import bisect
import csv
import datetime
import functools
import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from servicefirst.customers import mappings
from servicefirst.customers.fields import resident_id_check_digit

# The "customers" import mapping, in file order.
# The importer's "customers" mapping, in its canonical (English) column names.
CUSTOMER_COLUMNS = tuple(mappings.CUSTOMER_COLUMNS)

# Ages are computed against a fixed date so that a seed always gives the same file.
REFERENCE_DATE = datetime.date(2026, 1, 1)

# Surnames with their share of the population in per mille (2020 census order, rounded).
# fmt: off
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 74.1), ("李", 72.7), ("张", 68.5), ("刘", 54.1), ("陈", 45.4), ("杨", 32.2), ("黄", 23.6), ("赵", 21.1),
    ("吴", 20.2), ("周", 19.9), ("徐", 15.5), ("孙", 15.1), ("马", 14.4), ("朱", 13.2), ("胡", 12.9), ("郭", 12.0),
    ("何", 11.6), ("林", 10.5), ("高", 10.4), ("罗", 10.3), ("郑", 9.8), ("梁", 9.3), ("谢", 8.1), ("宋", 7.4),
    ("唐", 7.3), ("许", 6.9), ("韩", 6.6), ("邓", 6.5), ("冯", 6.5), ("曹", 6.2), ("彭", 6.0), ("曾", 5.6),
    ("肖", 5.5), ("田", 5.3), ("董", 5.2), ("潘", 4.9), ("袁", 4.9), ("蔡", 4.6), ("蒋", 4.6), ("余", 4.5),
    ("于", 4.5), ("杜", 4.3), ("叶", 4.2), ("程", 4.2), ("魏", 4.0), ("苏", 4.0), ("吕", 3.9), ("丁", 3.8),
    ("任", 3.7), ("卢", 3.6), ("姚", 3.5), ("沈", 3.5), ("钟", 3.4), ("姜", 3.3), ("崔", 3.2), ("谭", 3.2),
    ("陆", 3.1), ("范", 3.0), ("汪", 3.0), ("廖", 2.9), ("石", 2.9), ("金", 2.8), ("韦", 2.7), ("贾", 2.7),
    ("夏", 2.6), ("付", 2.6), ("方", 2.6), ("邹", 2.4), ("熊", 2.4), ("白", 2.4), ("孟", 2.3), ("秦", 2.3),
    ("邱", 2.3), ("侯", 2.2), ("江", 2.2), ("尹", 2.1), ("薛", 2.0), ("闫", 2.0), ("段", 1.9), ("雷", 1.9),
    ("龙", 1.8), ("黎", 1.8), ("史", 1.8), ("陶", 1.7), ("贺", 1.7), ("毛", 1.6), ("郝", 1.6), ("顾", 1.6),
    ("龚", 1.5), ("邵", 1.5), ("万", 1.5), ("覃", 1.4), ("武", 1.4), ("钱", 1.4), ("戴", 1.4), ("严", 1.3),
    ("莫", 1.3), ("孔", 1.3), ("向", 1.3), ("常", 1.3), ("欧阳", 0.6), ("司马", 0.1), ("上官", 0.1), ("诸葛", 0.1),
    ("东方", 0.05), ("令狐", 0.03),
)
# fmt: on

# Given-name characters by generation: born before 1980 and from 1980 on.
GIVEN_OLDER = {
    "M": "伟强磊军勇杰涛斌超明刚平辉鹏华飞波建国志文宏林峰新红兵庆春东海卫忠德福贵生成荣江山祥根",
    "F": "芳娜敏静丽艳娟霞秀英玲桂兰萍红燕洁琳梅莉凤珍琴云素翠玉华淑芬惠蓉",
}
GIVEN_YOUNGER = {
    "M": "浩宇轩子涵睿泽然航一鸣天佑思远家豪俊熙博文晨阳凯帆旭宁皓昊铭杰瑞诚嘉瀚朗逸辰毅",
    "F": "欣怡佳悦琪雨萱涵诗梦瑶妍思雅可馨晓晴婷慧颖晶璐萌菲蕾楠彤瑾琳娅岚依",
}

# Home districts: (city, district, region code, postal code, streets, weight), real places.
# fmt: off
DISTRICTS: tuple[tuple[str, str, str, str, tuple[str, ...], float], ...] = (
    ("北京市", "朝阳区", "110105", "100020", ("建国路", "朝阳北路", "望京街", "酒仙桥路", "东三环中路", "安立路"), 9),
    ("北京市", "海淀区", "110108", "100080", ("中关村大街", "学院路", "知春路", "西三环北路", "万泉河路"), 8),
    ("北京市", "东城区", "110101", "100010", ("王府井大街", "东直门内大街", "崇文门外大街"), 3),
    ("北京市", "西城区", "110102", "100032", ("金融大街", "西单北大街", "德胜门外大街"), 3),
    ("北京市", "丰台区", "110106", "100071", ("丰台路", "南三环西路", "科学城路"), 4),
    ("上海市", "浦东新区", "310115", "200120", ("世纪大道", "张杨路", "陆家嘴环路", "花木路", "锦绣路", "东方路"), 11),
    ("上海市", "黄浦区", "310101", "200001", ("南京东路", "淮海中路", "西藏中路"), 3),
    ("上海市", "徐汇区", "310104", "200030", ("漕溪北路", "衡山路", "宜山路"), 4),
    ("上海市", "长宁区", "310105", "200050", ("延安西路", "天山路", "仙霞路"), 3),
    ("上海市", "闵行区", "310112", "201100", ("莘松路", "七莘路", "虹井路"), 4),
    ("广州市", "天河区", "440106", "510620", ("天河路", "体育西路", "花城大道", "中山大道西", "黄埔大道西"), 10),
    ("广州市", "越秀区", "440104", "510030", ("北京路", "东风中路", "环市东路"), 4),
    ("广州市", "海珠区", "440105", "510220", ("江南大道中", "新港中路", "工业大道中"), 4),
    ("广州市", "荔湾区", "440103", "510140", ("中山七路", "芳村大道", "龙津西路"), 2),
    ("广州市", "白云区", "440111", "510440", ("白云大道北", "机场路", "同和路"), 3),
    ("深圳市", "福田区", "440304", "518048", ("深南大道", "福华路", "益田路"), 1.5),
    ("深圳市", "南山区", "440305", "518052", ("科技南路", "南海大道", "后海大道"), 1.5),
    ("杭州市", "西湖区", "330106", "310012", ("文三路", "天目山路", "教工路"), 1),
    ("南京市", "玄武区", "320102", "210018", ("中山路", "珠江路", "龙蟠路"), 1),
    ("成都市", "锦江区", "510104", "610021", ("春熙路", "东大街", "红星路"), 1),
    ("武汉市", "武昌区", "420106", "430061", ("中南路", "解放路", "武珞路"), 1),
)
# fmt: on
CITY_OF_BRANCH_KEY = {"北京市": "bj", "上海市": "sh", "广州市": "gz"}

# Birthplaces of people who moved to the city: real region codes (province capitals' districts
# and a few counties).
# fmt: off
BIRTHPLACES = (
    "410102", "430102", "370102", "510107", "420102", "340104",  # 郑州中原 长沙芙蓉 济南历下 成都武侯 武汉江岸 合肥蜀山
    "360102", "130102", "140105", "210102", "220102", "230102",  # 南昌东湖 石家庄长安 太原小店 沈阳和平 长春南关 哈尔滨道里
    "320583", "330282", "350203", "450103", "500103", "610113",  # 昆山 慈溪 厦门思明 南宁青秀 重庆渝中 西安雁塔
    "620102", "441302", "445102", "440783", "120101", "321102",  # 兰州城关 惠州惠城 潮州湘桥 开平 天津和平 镇江京口
)
# fmt: on

# fmt: off
COMPOUNDS = (
    "阳光花园",
    "锦绣家园",
    "华府天地",
    "翠湖苑",
    "金色家园",
    "东方名苑",
    "龙湖花园",
    "和平里小区",
    "幸福里",
    "瑞景园",
    "滨江公寓",
    "紫荆雅园",
)
# fmt: on

# fmt: off
EDUCATION = (
    ("初中", 8),
    ("高中", 16),
    ("中专", 8),
    ("大专", 20),
    ("本科", 36),
    ("硕士", 10),
    ("博士", 2),
)
# fmt: on

# (occupation, nature of work, employers, income weights by band lt50k..gt1m)
# fmt: off
JOBS: tuple[tuple[str, str, tuple[str, ...], tuple[float, ...], float], ...] = (
    ("软件工程师", "employee", ("腾讯科技（深圳）有限公司", "百度在线网络技术（北京）有限公司", "字节跳动有限公司", "华为技术有限公司", "上海浦东软件园开发公司"), (1, 8, 50, 35, 6), 7),
    ("会计", "employee", ("普华永道中天会计师事务所", "上海汽车集团股份有限公司", "广州白云山医药集团"), (8, 35, 45, 11, 1), 6),
    ("销售经理", "employee", ("格力电器股份有限公司", "美的集团", "中国平安保险（集团）股份有限公司", "北京链家房地产经纪有限公司"), (5, 30, 45, 17, 3), 7),
    ("教师", "professional", ("北京市第八十中学", "上海市实验学校", "广州市天河中学", "华南师范大学附属小学"), (4, 40, 50, 6, 0), 6),
    ("医生", "professional", ("北京协和医院", "复旦大学附属中山医院", "中山大学附属第一医院", "广东省人民医院"), (1, 10, 50, 34, 5), 4),
    ("护士", "professional", ("北京朝阳医院", "上海市第一人民医院", "广州市第一人民医院"), (8, 55, 35, 2, 0), 4),
    ("律师", "professional", ("金杜律师事务所", "君合律师事务所", "广东广和律师事务所"), (1, 8, 40, 38, 13), 2),
    ("公务员", "civil_servant", ("朝阳区人民政府", "浦东新区人民政府", "天河区人民政府", "广州市税务局"), (2, 35, 55, 8, 0), 5),
    ("事业单位职员", "civil_servant", ("上海市图书馆", "北京市规划设计研究院", "广州市自来水公司"), (8, 45, 42, 5, 0), 4),
    ("个体工商户", "self_employed", ("自营便利店", "自营餐馆", "自营服装店", "自营五金店"), (15, 35, 35, 13, 2), 7),
    ("企业主", "business_owner", ("广州天河某贸易有限公司", "上海某科技有限公司", "北京某文化传媒有限公司", "东莞某制衣厂"), (2, 8, 30, 40, 20), 3),
    ("快递员", "employee", ("顺丰速运有限公司", "京东物流", "中通快递"), (20, 65, 15, 0, 0), 3),
    ("外卖骑手", "employee", ("美团", "饿了么"), (25, 65, 10, 0, 0), 2),
    ("工程师", "employee", ("中国建筑第八工程局", "上海电气集团", "广州地铁集团有限公司"), (3, 30, 55, 11, 1), 5),
    ("行政专员", "employee", ("中国移动通信集团", "上海浦东发展（集团）有限公司", "广州市城投集团"), (15, 55, 28, 2, 0), 4),
    ("金融分析师", "employee", ("中信证券股份有限公司", "华夏基金管理有限公司", "易方达基金管理有限公司"), (0, 5, 40, 40, 15), 2),
    ("设计师", "employee", ("上海某建筑设计院", "北京某广告公司", "广州某家居设计公司"), (8, 40, 45, 7, 0), 3),
    ("厨师", "employee", ("广州酒家集团", "全聚德集团", "上海老正兴菜馆"), (20, 60, 20, 0, 0), 2),
    ("司机", "employee", ("北京出租汽车公司", "上海强生出租", "广州公交集团"), (25, 60, 15, 0, 0), 2),
    ("农民", "farmer", ("",), (55, 35, 10, 0, 0), 1),
)
# fmt: on
RETIRED = ("退休", "retired", ("",), (30, 50, 18, 2, 0))
STUDENT = (
    "学生",
    "student",
    ("北京大学", "复旦大学", "中山大学", "清华大学", "华南理工大学", "上海交通大学"),
    (95, 5, 0, 0, 0),
)
HOMEMAKER = ("家庭主妇", "household", ("",), (70, 20, 8, 2, 0))
INCOME_BANDS = ("lt50k", "50k-100k", "100k-300k", "300k-1m", "gt1m")

INTERESTS_ALL = (
    "旅游",
    "美食",
    "摄影",
    "健身",
    "阅读",
    "电影",
    "理财讲座",
    "亲子教育",
    "音乐会",
    "收藏",
    "茶艺",
)
INTERESTS_YOUNG = ("电竞", "马拉松", "露营", "咖啡", "宠物", "滑雪", "潮玩")
INTERESTS_OLD = ("书法", "太极", "广场舞", "钓鱼", "养生", "戏曲", "园艺", "高尔夫")

# fmt: off
LIFECYCLES = (
    ("current", 80),
    ("potential", 8),
    ("competitor", 6),
    ("never", 3),
    ("former", 3),
)
# fmt: on
LIFECYCLE_REASONS = {
    "current": ("",),
    "potential": (
        "代发工资单位员工，尚未开户",
        "网点理财沙龙登记",
        "老客户推荐",
        "手机银行注册未绑卡",
        "社区活动留资",
    ),
    "competitor": (
        "主要资产在工商银行",
        "房贷在建设银行办理",
        "工资卡在招商银行",
        "理财主要在蚂蚁财富",
        "在农业银行有定期存款",
    ),
    "never": (
        "开户资料不全，未完成开户",
        "明确表示暂无需求",
        "年龄不符合产品要求",
        "外地客户，不便到网点",
    ),
    "former": ("账户已销户，迁居外地", "对手续费不满意转行", "工资卡更换为其他银行"),
}

# fmt: off
CHANNELS = (
    ("branch", 30), ("app", 30), ("wechat", 18), ("phone", 14), ("sms", 4), ("email", 3), ("post", 1),
)
# fmt: on
# fmt: off
CONTACT_TIMES = (
    ("any", 40),
    ("morning", 15),
    ("afternoon", 15),
    ("evening", 20),
    ("weekend", 10),
)
# fmt: on
EMAIL_DOMAINS = (
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "gmail.com",
    "outlook.com",
    "foxmail.com",
    "139.com",
)

# Real mobile prefixes, each accepted by phonenumbers for every following digit.
# fmt: off
MOBILE_PREFIXES = (
    ("139", 8), ("138", 8), ("137", 6), ("136", 6), ("135", 6), ("134", 3), ("133", 4), ("132", 3),
    ("131", 3), ("130", 3), ("150", 4), ("151", 4), ("152", 3), ("153", 2), ("155", 2), ("156", 2),
    ("157", 2), ("158", 4), ("159", 4), ("180", 2), ("181", 2), ("182", 3), ("183", 2), ("185", 3),
    ("186", 4), ("187", 3), ("188", 3), ("189", 3), ("147", 1), ("166", 1), ("173", 1), ("176", 1),
    ("177", 1), ("178", 1), ("191", 1), ("198", 2), ("199", 2),
)
# fmt: on
# An odd multiplier coprime with 10: k → (k·M + C) mod 10⁸ is a permutation, so the eight
# digits after the prefix never repeat between two customers of one file.
_PHONE_MUL = 48_271_193
_PHONE_ADD = 13_572_468
_PHONE_SPACE = 10**8

# Foreign customers: (first names, surnames, passport letter, language).
# fmt: off
FOREIGN = (
    (("John", "Michael", "David", "James", "Emma", "Olivia", "Sarah", "Daniel"), ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clarke"), "E", "en"),
    (("Thomas", "Anna", "Lukas", "Sophie", "Felix"), ("Muller", "Schmidt", "Schneider", "Fischer", "Weber"), "C", "de"),
    (("Pierre", "Camille", "Julien", "Claire"), ("Martin", "Bernard", "Dubois", "Moreau"), "F", "fr"),
    (("Hiroshi", "Yuki", "Takashi", "Akiko", "Kenji"), ("Tanaka", "Suzuki", "Sato", "Takahashi", "Watanabe"), "T", "ja"),
    (("Min-jun", "Ji-woo", "Seo-yeon", "Hyun-woo"), ("Kim", "Lee", "Park", "Choi"), "M", "ko"),
)
# fmt: on


def _table(pairs, size: int = 4096) -> tuple:
    """A weighted choice as a lookup table: `table[int(random() * len(table))]` draws a value
    with its weight (quantised to 1/size), one index instead of a bisect per draw."""
    values = [p[0] for p in pairs]
    cum = list(itertools.accumulate(p[1] for p in pairs))
    total = cum[-1]
    return tuple(values[bisect.bisect(cum, (i + 0.5) * total / size)] for i in range(size))


_SURNAME = _table(SURNAMES, 65536)
_DISTRICT = _table([(d, d[5]) for d in DISTRICTS])
_EDUCATION = _table(EDUCATION)
_JOB = _table([(j[:4], j[4]) for j in JOBS])
_LIFECYCLE = _table(LIFECYCLES)
_CHANNEL = _table(CHANNELS)
_CONTACT = _table(CONTACT_TIMES)
_PREFIX = _table(MOBILE_PREFIXES)
_AGE = _table(
    [((18, 25), 10), ((25, 35), 22), ((35, 45), 21), ((45, 55), 19), ((55, 65), 15), ((65, 88), 13)]
)
_INCOME = {job[0]: _table(list(zip(INCOME_BANDS, job[3], strict=True))) for job in JOBS}
for _job in (RETIRED, STUDENT, HOMEMAKER):
    _INCOME[_job[0]] = _table(list(zip(INCOME_BANDS, _job[3], strict=True)))
_INTERESTS_YOUNG = INTERESTS_ALL + INTERESTS_YOUNG
_INTERESTS_OLD = INTERESTS_ALL + INTERESTS_OLD
_INCOME_RANK = {band: i for i, band in enumerate(INCOME_BANDS)}


# Surnames read differently from the everyday reading of their character.
SURNAME_READINGS = {"曾": "zeng", "覃": "qin", "万": "wan", "单": "shan", "解": "xie"}


@functools.cache
def _pinyin_map() -> dict[str, str]:
    """Pinyin of every surname and given-name character the generator uses (for e-mails)."""
    from pypinyin import lazy_pinyin

    readings = {name: "".join(lazy_pinyin(name)) for name, _w in SURNAMES}
    for pool in (*GIVEN_OLDER.values(), *GIVEN_YOUNGER.values()):
        for char in pool:
            readings.setdefault(char, lazy_pinyin(char)[0])
    readings.update(SURNAME_READINGS)
    return readings


_REF_ORDINAL = REFERENCE_DATE.toordinal()


@functools.lru_cache(maxsize=40_000)
def _iso_date(ordinal: int) -> str:
    return datetime.date.fromordinal(ordinal).isoformat()


def mobile_number(k: int, prefix: str) -> str:
    """The k-th customer's number on a prefix: eleven digits, unique in k."""
    return f"{prefix}{(k * _PHONE_MUL + _PHONE_ADD) % _PHONE_SPACE:08d}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_region_sums: dict[str, int] = {}
_date_sums: dict[str, int] = {}
_SEQ_SUMS = [
    sum(int(d) * w for d, w in zip(f"{n:03d}", _ID_WEIGHTS[14:], strict=True)) for n in range(1000)
]


def resident_id(region: str, ymd: str, seq: int) -> str:
    """A resident identity number: region code, birth date (YYYYMMDD), sequence, check digit.

    The GB 11643 weighted sum is assembled from memoised parts (region, date, sequence) for
    speed; the tests check every generated number against `fields.resident_id_check_digit`."""
    rs = _region_sums.get(region)
    if rs is None:
        rs = _region_sums[region] = sum(
            int(d) * w for d, w in zip(region, _ID_WEIGHTS[:6], strict=True)
        )
    ds = _date_sums.get(ymd)
    if ds is None:
        ds = _date_sums[ymd] = sum(int(d) * w for d, w in zip(ymd, _ID_WEIGHTS[6:14], strict=True))
    return f"{region}{ymd}{seq:03d}{_ID_CHECK[(rs + ds + _SEQ_SUMS[seq]) % 11]}"


def resident_id_for(region: str, born: datetime.date, seq: int) -> str:
    """The same number built the slow, obvious way (for callers outside the generator)."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_digit(first17)


class CustomerGenerator:
    """Seeded source of customer rows. `branches` maps "bj"/"sh"/"gz" to a branch code and
    `relationship_managers` a branch code to employee numbers; without them those columns
    stay empty (the benchmark has no organisation)."""

    def __init__(
        self,
        seed: int = 2026,
        *,
        branches: dict[str, str] | None = None,
        relationship_managers: dict[str, list[str]] | None = None,
        external_prefix: str = "syn",
        foreign_share: float = 0.012,
    ):
        self.seed = seed
        self.branches = branches or {}
        self.rms = relationship_managers or {}
        self.external_prefix = external_prefix
        self.foreign_share = foreign_share

    # -- one person ---------------------------------------------------------------------------
    def _given(self, r, gender: str, born_year: int) -> str:
        pool = (GIVEN_OLDER if born_year < 1980 else GIVEN_YOUNGER)[gender]
        if r() < 0.18:
            return pool[int(r() * len(pool))]
        return pool[int(r() * len(pool))] + pool[int(r() * len(pool))]

    def rows(self, n: int) -> Iterator[dict[str, Any]]:
        """Yield n customers; households come out as consecutive rows."""
        rng = random.Random(self.seed)
        r = rng.random
        used_ids: set[int] = set()
        k = 0
        household = 0
        while k < n:
            household += 1
            district = _DISTRICT[int(r() * 4096)]
            city, dname, region, postal, streets, _w = district
            address = (
                f"{city}{dname}{streets[int(r() * len(streets))]}{int(r() * 800) + 1}号"
                f"{COMPOUNDS[int(r() * len(COMPOUNDS))]}{int(r() * 30) + 1}栋"
                f"{int(r() * 30) + 1}{int(r() * 4) + 1:02d}室"
            )
            size_draw = r()
            size = 1 if size_draw < 0.72 else (2 if size_draw < 0.9 else 3)
            head_age = _AGE[int(r() * 4096)]
            age = head_age[0] + int(r() * (head_age[1] - head_age[0]))
            if size > 1 and age < 28:
                age += 10
            if size == 3 and age < 48:
                age = 48 + int(r() * 20)
            head_gender = "M" if r() < 0.5 else "F"
            family_surname = _SURNAME[int(r() * 65536)]
            members = [("head", head_gender, age, family_surname)]
            if size >= 2:
                spouse_gender = "F" if head_gender == "M" else "M"
                spouse_age = max(22, age + int(r() * 9) - 4)
                members.append(("spouse", spouse_gender, spouse_age, _SURNAME[int(r() * 65536)]))
            if size == 3:
                father_surname = family_surname if head_gender == "M" else members[1][3]
                child_age = max(18, min(age, members[1][2]) - 24 - int(r() * 10))
                members.append(("child", "M" if r() < 0.5 else "F", child_age, father_surname))
            for relation, gender, person_age, surname in members:
                if k >= n:
                    break
                yield self._person(
                    rng,
                    k,
                    used_ids,
                    district=district,
                    address=address,
                    gender=gender,
                    age=person_age,
                    surname=surname,
                    married=size >= 2 and relation != "child",
                    children=1 if size == 3 and relation != "child" else 0,
                    household=f"h{household}" if size > 1 else "",
                    relation=relation if size > 1 else "",
                )
                k += 1

    def _person(
        self,
        rng: random.Random,
        k: int,
        used_ids: set[int],
        *,
        district,
        address: str,
        gender: str,
        age: int,
        surname: str,
        married: bool,
        children: int,
        household: str,
        relation: str,
    ) -> dict[str, Any]:
        r = rng.random
        city, _dname, region, postal, _streets, _w = district
        born = _REF_ORDINAL - age * 365 - int(r() * 365) - 1
        born_iso = _iso_date(born)
        born_year = int(born_iso[:4])
        foreign = not household and r() < self.foreign_share
        language = "zh"
        name_latin = ""
        name_zh = ""
        if foreign:
            firsts, lasts, letter, language = FOREIGN[int(r() * len(FOREIGN))]
            name_latin = f"{firsts[int(r() * len(firsts))]} {lasts[int(r() * len(lasts))]}"
            id_type = "passport"
            id_number = f"{letter}{k:08d}"
        else:
            name_zh = surname + self._given(r, gender, born_year)
            id_type = "resident"
            birthplace = region if r() < 0.6 else BIRTHPLACES[int(r() * len(BIRTHPLACES))]
            while True:
                seq = int(r() * 500) * 2 + (1 if gender == "M" else 0)
                id_number = resident_id(birthplace, born_iso.replace("-", ""), seq)
                key = int(id_number[:17])
                if key not in used_ids:
                    used_ids.add(key)
                    break
            if city == "广州市" and r() < 0.3:
                language = "yue"
            elif r() < 0.02:
                language = "en"

        # Work, income, wealth.
        if age >= 60 or (age >= 55 and gender == "F" and r() < 0.7):
            job = RETIRED[:3]
        elif age < 23 and r() < 0.7:
            job = STUDENT[:3]
        elif gender == "F" and r() < 0.04:
            job = HOMEMAKER[:3]
        else:
            job = _JOB[int(r() * 4096)][:3]
        occupation, work_nature, employers = job
        employer = employers[int(r() * len(employers))]
        income = _INCOME[occupation][int(r() * 4096)]
        if age < 26 and _INCOME_RANK[income] > 2:
            income = "100k-300k"
        education = _EDUCATION[int(r() * 4096)] if age >= 22 else ("高中" if age < 19 else "本科")
        if occupation in ("医生", "律师", "金融分析师") and education in ("初中", "高中", "中专"):
            education = "硕士"

        lifecycle = _LIFECYCLE[int(r() * 4096)]
        reasons = LIFECYCLE_REASONS[lifecycle]
        reason = reasons[int(r() * len(reasons))]
        rank = _INCOME_RANK[income] + (1 if age >= 45 else 0) + (1 if age >= 60 else 0)
        t = r()
        if lifecycle != "current":
            tier, aum = "mass", "lt50k"
        elif rank >= 4 and t < 0.25:
            tier, aum = ("private", "gt6m") if t < 0.08 else ("wealth", "500k-6m")
        elif rank >= 3 and t < 0.35:
            tier, aum = ("wealth", "500k-6m") if t < 0.08 else ("affluent", "50k-500k")
        elif rank >= 2 and t < 0.25:
            tier, aum = "affluent", "50k-500k"
        else:
            tier, aum = "mass", ("50k-500k" if t > 0.82 else "lt50k")
        if tier == "affluent" and r() < 0.3:
            aum = "500k-6m"

        risk = ""
        if lifecycle == "current" and r() < 0.85:
            base = 3 if age < 40 else (2 if age < 60 else 1)
            base += 1 if tier in ("wealth", "private") else 0
            risk = f"C{max(1, min(5, base + int(r() * 3) - 1))}"

        marital = "married" if married else ("single" if age < 30 else "married")
        if not married and age >= 30:
            m = r()
            marital = (
                "single"
                if m < 0.3
                else (
                    "divorced" if m < 0.45 else ("widowed" if age > 65 and m < 0.6 else "married")
                )
            )
        dependents = children + (1 if marital == "married" and r() < 0.35 else 0)

        # Contact details.
        prefix = _PREFIX[int(r() * 4096)]
        phone = mobile_number(2 * k, prefix)
        style = r()
        if style < 0.1:
            phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
        elif style < 0.18:
            phone = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
        if r() < 0.08:
            phone += ";" + mobile_number(2 * k + 1, _PREFIX[int(r() * 4096)])
        email = ""
        if r() < (0.55 if age < 50 else 0.2) or foreign:
            domain = EMAIL_DOMAINS[int(r() * len(EMAIL_DOMAINS))]
            if foreign:
                local = name_latin.replace(" ", ".").lower()
            else:
                pm = _pinyin_map()
                local = pm[surname] + "".join(pm[c] for c in name_zh[len(surname) :])
            email = f"{local}{int(r() * 900) + 10}@{domain}"
        mailing = address if r() < 0.9 else ""

        interests = []
        n_interests = int(r() * 4)
        pool = _INTERESTS_YOUNG if age < 40 else _INTERESTS_OLD
        for _i in range(n_interests):
            tag = pool[int(r() * len(pool))]
            if tag not in interests:
                interests.append(tag)

        channel = _CHANNEL[int(r() * 4096)]
        if age >= 65 and channel in ("app", "email"):
            channel = "branch"
        do_not_call = r() < 0.03
        consents = []
        if lifecycle in ("current", "former"):
            if r() < 0.55:
                consents.append("marketing")
            if not do_not_call and r() < 0.7:
                consents.append("phone")
            if r() < 0.6:
                consents.append("sms")
            if email and r() < 0.5:
                consents.append("email")

        branch = self.branches.get(CITY_OF_BRANCH_KEY.get(city, ""), "")
        if not branch and self.branches and lifecycle == "current":
            keys = sorted(self.branches)
            branch = self.branches[keys[k % len(keys)]]
        rm = ""
        if branch and tier != "mass" and self.rms.get(branch):
            managers = self.rms[branch]
            rm = managers[k % len(managers)]

        return {
            "customer_number": "",
            "external_id": f"{self.external_prefix}-{k:08d}",
            "name_zh": name_zh,
            "name_latin": name_latin,
            "gender": gender,
            "birth_date": born_iso,
            "id_type": id_type,
            "id_number": id_number,
            "phones": phone,
            "email": email,
            "home_address": address,
            "mailing_address": mailing,
            "postal_code": postal,
            "marital_status": marital,
            "dependents": dependents,
            "occupation": occupation,
            "work_nature": work_nature,
            "employer": employer,
            "income_band": income,
            "education": education,
            "preferred_language": language,
            "preferred_channel": channel,
            "contact_time": _CONTACT[int(r() * 4096)],
            "interests": ",".join(interests),
            "risk_appetite": risk,
            "aum_band": aum,
            "value_tier": tier,
            "lifecycle": lifecycle,
            "lifecycle_reason": reason,
            "home_branch": branch,
            "relationship_manager": rm,
            "do_not_call": "1" if do_not_call else "0",
            "_consents": consents,
            "_household": household,
            "_relation": relation,
        }


def generate(n: int, seed: int = 2026, **options) -> Iterator[dict[str, Any]]:
    """n customer rows for a seed (see `CustomerGenerator` for the options)."""
    return CustomerGenerator(seed, **options).rows(n)


def write_csv(path, n: int, seed: int = 2026, *, on_row=None, **options) -> int:
    """Stream n customers to a UTF-8 CSV in the "customers" mapping; returns the row count.

    `on_row(row)` is called for every row (the benchmark samples its search queries there);
    rows are never kept in memory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CUSTOMER_COLUMNS)
        for row in generate(n, seed, **options):
            writer.writerow([row[c] for c in CUSTOMER_COLUMNS])
            if on_row is not None:
                on_row(row)
            count += 1
    return count
