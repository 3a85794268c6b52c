"""Shared fixtures for the browser tests (Playwright's sync API on Debian's Chromium, against
pytest-django's live_server). Reusable by every tests/e2e/test_*_browser.py:

- `e2e_org`: the bank, two branches (`branch`, `other_branch`), the Customer Care Center and
  second-line units (`operations`, `compliance`, `marketing`, `it`);
- `e2e_staff`: role code → Staff, one member of staff per role, each logging in with the role
  code as username (`teller`, `branch_manager`, `compliance_auditor`, ...) and the password
  `PASSWORD`; branch roles work at `e2e_org["branch"]`; interface language English;
- `e2e_customers`: name → Customer, including 张三丰 (phone +86 138 0013 8000, a resident ID,
  home branch `branch`, relationship manager the RM), 李秀英 (his spouse), 张思凡, 赵三峰;
- `login(page, username)`: logs in through the login page and waits for the home page.
"""

import datetime
import os
from decimal import Decimal

import pytest

from servicefirst.accounts.models import Role, Unit
from servicefirst.accounts.tests.factories import PASSWORD, BankFactory, UnitFactory, make_staff
from servicefirst.customers.models import Consent, CustomerTask, Holding, HouseholdLink
from servicefirst.customers.tests.factories import ProductFactory, make_customer, resident_id

# pytest-django refuses ORM calls from inside an event loop; Playwright's sync API runs one.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_PASSWORD = PASSWORD
ZHANG_PHONE = "+86 138 0013 8000"
ZHANG_ID = resident_id(datetime.date(1980, 5, 17))

UNIT_OF_ROLE = {
    Role.TELLER: "branch",
    Role.LOBBY_MANAGER: "branch",
    Role.BRANCH_MANAGER: "branch",
    Role.RELATIONSHIP_MANAGER: "branch",
    Role.CC_AGENT: "care_center",
    Role.CC_SUPERVISOR: "care_center",
    Role.MARKETING_ANALYST: "marketing",
    Role.BACK_OFFICE: "operations",
    Role.COMPLIANCE_AUDITOR: "compliance",
    Role.ADMINISTRATOR: "it",
}


@pytest.fixture
def e2e_org(transactional_db):
    bank = BankFactory()

    def unit(code, name_zh, name_en, kind, line):
        return UnitFactory(
            bank=bank, code=code, name_zh=name_zh, name_en=name_en, kind=kind, line=line
        )

    first, second = Unit.Line.FIRST, Unit.Line.SECOND
    return {
        "bank": bank,
        "branch": unit(
            "e2e-bj", "北京朝阳支行", "Beijing Chaoyang Branch", Unit.Kind.BRANCH, first
        ),
        "other_branch": unit(
            "e2e-sh", "上海浦东支行", "Shanghai Pudong Branch", Unit.Kind.BRANCH, first
        ),
        "care_center": unit(
            "e2e-ccc", "客户服务中心", "Customer Care Center", Unit.Kind.CARE_CENTER, first
        ),
        "operations": unit("e2e-ops", "运营部", "Operations", Unit.Kind.OPERATIONS, second),
        "compliance": unit("e2e-cmp", "合规部", "Compliance", Unit.Kind.COMPLIANCE, second),
        "marketing": unit("e2e-mkt", "营销部", "Marketing", Unit.Kind.MARKETING, second),
        "it": unit("e2e-it", "信息科技部", "IT", Unit.Kind.IT, second),
    }


@pytest.fixture
def e2e_staff(e2e_org):
    names = {
        Role.TELLER: "王小明",
        Role.BRANCH_MANAGER: "李建国",
        Role.RELATIONSHIP_MANAGER: "陈静",
        Role.COMPLIANCE_AUDITOR: "赵敏",
    }
    return {
        role: make_staff(
            role,
            unit=e2e_org[UNIT_OF_ROLE[role]],
            username=str(role),
            name=names.get(role, str(Role(role).label)),
            ui_language="en",
        )
        for role in Role.values
    }


@pytest.fixture
def e2e_customers(e2e_org, e2e_staff):
    branch = e2e_org["branch"]
    rm = e2e_staff[Role.RELATIONSHIP_MANAGER]
    zhang = make_customer(
        name_zh="张三丰",
        name_latin="Zhang Sanfeng",
        phones=[ZHANG_PHONE],
        id_number=ZHANG_ID,
        email="zhang.sanfeng@example.cn",
        home_address="北京市朝阳区建国路88号",
        occupation="工程师",
        home_branch=branch,
        relationship_manager=rm,
    )
    li = make_customer(name_zh="李秀英", phones=["+86 139 1234 5678"], home_branch=branch)
    customers = {
        "张三丰": zhang,
        "李秀英": li,
        "张思凡": make_customer(name_zh="张思凡", phones=["13700001111"], home_branch=branch),
        "赵三峰": make_customer(name_zh="赵三峰", home_branch=e2e_org["other_branch"]),
    }
    HouseholdLink.objects.create(customer=zhang, relative=li, relation="spouse")
    HouseholdLink.objects.create(customer=li, relative=zhang, relation="spouse")
    deposit = ProductFactory(code="e2e-dep", name_zh="一年期定期存款", name_en="1-year deposit")
    Holding.objects.create(customer=zhang, product=deposit, balance=Decimal("250000.00"))
    Consent.objects.create(customer=zhang, kind=Consent.Kind.MARKETING, source="开户表格")
    CustomerTask.objects.create(customer=zhang, title="提醒客户续存定期", assigned_to=rm)
    return customers


@pytest.fixture
def login(live_server):
    """`login(page, username)`: log in through the real login page."""

    def _login(page, username: str, password: str = E2E_PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form button[type=submit]")
        page.wait_for_selector("#who")
        return page

    return _login


@pytest.fixture
def asgi_server(transactional_db):
    """The product's ASGI application (HTTP and websockets) served by uvicorn in a thread,
    on the test database and the Redis channel layer: for pages that update live."""
    import socket
    import threading
    import time
    from types import SimpleNamespace

    import uvicorn

    from config.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the ASGI test server did not start"
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def asgi_login(asgi_server):
    """`asgi_login(page, username)`: log in on the ASGI test server."""

    def _login(page, username: str, password: str = E2E_PASSWORD):
        page.goto(f"{asgi_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form button[type=submit]")
        page.wait_for_selector("#who")
        return page

    return _login
