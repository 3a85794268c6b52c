import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.customers.selectors import customer_search
from servicefirst.customers.tests.factories import make_customer, resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def teller():
    return make_staff(Role.TELLER).user


@pytest.fixture
def zhang():
    import datetime

    return make_customer(
        name_zh="张三丰",
        phones=["+86 138 0013 8000"],
        id_number=resident_id(datetime.date(1980, 5, 17)),
    )


def numbers(results):
    return [c.number for c in results]


def test_finds_by_chinese_name_pinyin_and_initials(teller, zhang):
    # given another customer whose initials differ
    make_customer(name_zh="李四")
    # then every way of typing the name finds Zhang first
    for query in ("张三丰", "张三", "zhangsanfeng", "zhangsan", "zsf", "ZSF", "Zhang San Feng"):
        assert numbers(customer_search(actor=teller, query=query))[:1] == [zhang.number], query


def test_finds_by_phone_in_any_format(teller, zhang):
    for query in ("138 0013 8000", "+86-13800138000", "13800138000", "(+86) 138-0013-8000"):
        assert numbers(customer_search(actor=teller, query=query)) == [zhang.number], query


def test_finds_by_identity_number_and_customer_number(teller, zhang):
    import datetime

    number = resident_id(datetime.date(1980, 5, 17))
    assert numbers(customer_search(actor=teller, query=number)) == [zhang.number]
    assert numbers(customer_search(actor=teller, query=number.lower())) == [zhang.number]
    assert numbers(customer_search(actor=teller, query=zhang.number.lower())) == [zhang.number]


def test_identity_number_is_not_stored_in_clear(zhang):
    import datetime

    from django.db import connection

    number = resident_id(datetime.date(1980, 5, 17))
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM customers_customer WHERE id = %s", [zhang.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert number not in row
    assert number[-4:] in row  # only the last four, for masking


def test_exact_match_ranks_before_prefix(teller):
    longer = make_customer(name_zh="张三丰")
    exact = make_customer(name_zh="张三")
    assert numbers(customer_search(actor=teller, query="张三")) == [exact.number, longer.number]


def test_nothing_for_unrecognisable_query(teller, zhang):
    assert customer_search(actor=teller, query="!!") == []


def test_two_character_query_finds_the_given_name(teller, zhang):
    # pg_trgm cannot index two characters: the search matches the start of the given name
    make_customer(name_zh="李四")
    assert numbers(customer_search(actor=teller, query="三丰")) == [zhang.number]
    assert numbers(customer_search(actor=teller, query="三")) == [zhang.number]


def test_three_character_name_ranks_exact_then_prefix_then_substring(teller):
    inside = make_customer(name_zh="欧张三丰")
    longer = make_customer(name_zh="张三丰华")
    exact = make_customer(name_zh="张三丰")
    found = numbers(customer_search(actor=teller, query="张三丰"))
    assert found[:2] == [exact.number, longer.number]
    # substrings are a PostgreSQL (pg_trgm) feature; SQLite matches the given name's start
    from django.db import connection

    if connection.vendor == "postgresql":
        assert found == [exact.number, longer.number, inside.number]
