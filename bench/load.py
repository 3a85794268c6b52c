#!/usr/bin/env python
"""The load benchmark: a mixed day of staff traffic driven over loopback against the product
served the production way (PostgreSQL, Redis, uvicorn with several workers) and against the
embedded default (a SQLite file, one uvicorn worker, as `make demo` serves it), in the same
run; the ratio production ÷ embedded.

    createdb -h 127.0.0.1 -U postgres sf_bench_load_prod      # once; the name must hold "bench"
    .venv/bin/python bench/load.py                             # both targets, 60 s each, tables
    .venv/bin/python bench/load.py --duration 20 --users 60 --only embedded
    .venv/bin/python bench/load.py --json                      # one JSON object, nothing else
    .venv/bin/python bench/load.py --host http://127.0.0.1:8000 --duration 10
                                                               # drive a server already running

The data. Each target gets the demo bank (`servicefirst migrate` then `servicefirst demo`: a few
minutes the first time; a later run finds it loaded and reuses it): PostgreSQL database
--database-url (default sf_bench_load_prod; refused unless its name contains "bench"), and the
SQLite file var/bench/load/embedded/servicefirst.sqlite3. Both use the keys of
var/bench/load/secrets.env (made once: the identity-number key must not change under the data).

The servers (started and stopped by the bench, on free loopback ports, DEBUG off, a real
SECRET_KEY, OTP_REQUIRED_ROLES empty as in the demo, static files collected and served by
whitenoise):
- production: DATABASE_URL=PostgreSQL, REDIS_URL=redis://127.0.0.1:6379/--redis-db (cache and
  channel layer), `uvicorn config.asgi:application --workers --workers` (default 2 × cores),
  psycopg's connection pool in each worker (DB_POOL_MAX_SIZE=8, as deploy/README.md
  recommends: under ASGI each request runs in a thread of its own, and persistent connections
  per thread piled up until PostgreSQL refused clients — "too many clients already" within
  seconds at 40 users, measured);
- embedded: no DATABASE_URL, no REDIS_URL, `uvicorn config.asgi:application` (one worker),
  exactly the server line of the Makefile's demo target.
Next to each, the contact centre's dialer process on the telephony simulator
(`servicefirst dialer --adapter simulator --time-scale 0.1`) so that previewed calls ring,
connect and can be dispositioned; no robots, no other background worker.

The traffic (locust as a library: `locust.env.Environment`, a local runner, `FastHttpUser`).
Every virtual user signs in through the login form (CSRF token from the page) as a real member
of staff of the demo bank, in their role, and then makes the requests the pages make (htmx
headers, the X-CSRFToken header of base.html), with 0.2–1 s of thinking between them:
- relationship managers (rm.*, rm2.*) and lobby managers: customer searches by Chinese name
  (full names and surnames), pinyin (full, first syllables, initials) and mobile number (the
  search box's htmx GET; the queries are a sample of the target's own customers, made once
  into var/bench/load/<target>/queries.json), then the Customer 360 of a customer found;
- tellers (teller*.bj/sh/gz, one user per login since a teller is at one counter: users ÷ 8,
  3 to 15): sign in at a counter, "call next", then finish the called ticket (htmx posts of
  the counter panel), the waiting-list refresh in between;
- the kiosk of each branch (anonymous; 3 users, 6 from 60 users): tickets issued (the kiosk
  form's post), so that there is always someone to call;
- contact-centre agents (agent1-3, agent.en; one user each): log in to the preview campaign,
  ready, "preview next", dial, the desk fragment polled until the call is up, then the
  disposition form (a disposition that asks for no callback);
- back office and the contact-centre supervisor: the service-request queue, one request, and
  an internal note or a reply to the customer (the detail page's forms).
Relationship managers and back office share the users left (6 : 2). A sign-in that fails
under load is tried again before the user's next task.
Users are spawned at --spawn-rate per second.

What is measured, per target, from the moment every user has signed in (the figures of the
spawning are dropped) for --duration seconds: per kind of request (its name in the table)
requests per second, p50 / p95 / p99 latency (ms, locust's histogram) and errors (a status
>= 400, or a page that did not do what was asked: the ticket still at the counter, the call
still open...); the mix total (every request of the window); then the ratio production ÷
embedded of each figure. Rows in parentheses are the users' setup (sign-in, pages,
counters) when it falls into the window. The load generator runs on the same machine as the
servers (loopback): on a 2-core machine it takes part of the CPU the servers could use, so
the figures are a lower bound; measure on a quiet machine.

Options: --users N (120), --duration S (60), --spawn-rate N (20 per second), --workers N
(production's uvicorn workers, 2 × cores), --only production|embedded, --redis-db N (13),
--database-url URL, --host URL (drive that server as it is: no data loading, no servers, one
table; --queries FILE gives it search queries), --kinds-json (every figure of every kind as
JSON: the smoke test reads it), --json (print only
{"production": {"requests_per_s", "p50_ms", "p95_ms", "p99_ms", "errors"},
"embedded": {...}}).
"""

# locust patches the standard library with gevent when it is imported: import it first.
from locust import FastHttpUser, between, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import itertools
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import gevent

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var" / "bench" / "load"
PASSWORD = "demo-2026"  # noqa: S105 - the demo bank's shared password (servicefirst.core.demo)
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sf_bench_load_prod"
BRANCHES = ("bj-cy", "sh-pd", "gz-th")

# Queries of each search kind (replaced by a sample of the target's own customers, see
# QUERIES): surnames and full names, full pinyin and initials, mobile numbers as typed.
QUERIES = {
    "name": ["王", "李", "张", "刘", "陈", "王芳", "李伟", "张敏", "刘洋"],
    "pinyin": ["wang", "li", "zhang", "liu", "chen", "wangf", "zm", "lw", "cj"],
    "phone": ["13800138000", "139 1234 5678", "186-0000-1111"],
}
# The sample: full names, surnames, given-name starts; full pinyin, its first syllables and
# initials; mobile numbers as staff type them (11 digits, some with spaces or dashes).
SAMPLE = """
import json, random
from servicefirst.customers.models import Customer, CustomerPhone
rows = list(Customer.objects.filter(merged_into__isnull=True).exclude(name_zh="")
            .order_by("?").values_list("name_zh", "pinyin_full", "pinyin_initials")[:400])
phones = list(CustomerPhone.objects.filter(e164__startswith="+861").order_by("?")
              .values_list("e164", flat=True)[:200])
names = [r[0] for r in rows[:150]] + [r[0][:1] for r in rows[150:200]]
pinyin = [r[1] for r in rows[200:260]] + [r[1][:5] for r in rows[260:320]]
pinyin += [r[2] for r in rows[320:400]]
local = [p[3:] for p in phones]
typed = [f"{n[:3]} {n[3:7]} {n[7:]}" if i % 3 == 1 else n for i, n in enumerate(local)]
print(json.dumps({"name": names, "pinyin": [p for p in pinyin if p], "phone": typed}))
"""

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
CUSTOMER = re.compile(r'href="/customers/(\d+)/"')
COUNTER = re.compile(r'name="counter_id" value="(\d+)"')
FINISH = re.compile(r"/floor/teller/ticket/(\d+)/finish/")
SERVICE = re.compile(r'name="service" value="([^"]+)"')
CAMPAIGN = re.compile(r'<option value="(\d+)">[^<]*·\s*(?:预览|Preview)', re.IGNORECASE)
ANY_CAMPAIGN = re.compile(r'id="login-campaign"[^>]*>\s*<option value="(\d+)"')
PREVIEW_DIAL = re.compile(r"/contact/agent/preview/(\d+)/dial/")
CLOSE = re.compile(r"/contact/agent/calls/(\d+)/close/")
DISPOSITION = re.compile(
    r'name="disposition" id="disposition-\d+" value="(\d+)"[^>]*data-kind="(\w+)"'
)
HANGUP = re.compile(r"/contact/agent/calls/(\d+)/hangup/")
REQUEST = re.compile(r'href="/requests/(\d+)/"')


# --- the virtual users -------------------------------------------------------------------------

STARTED = [0]  # users that have signed in and found their page: the clock waits for them all


def on_start(user) -> None:
    try:
        user.setup()
    finally:
        STARTED[0] += 1


class StaffUser(FastHttpUser):
    """A member of staff signed in through the login form; `logins` is the pool of usernames
    the users of the class take in turn."""

    abstract = True
    wait_time = between(0.2, 1.0)
    logins: tuple[str, ...] = ()
    _turn: itertools.count

    on_start = on_start

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._turn = itertools.count()

    def setup(self):
        self.username = self.logins[next(self._turn) % len(self.logins)]
        self.csrf = ""
        self.sign_in()

    def sign_in(self) -> bool:
        """The login form: its page for the CSRF token, then the post; True when signed in."""
        with self.client.get("/login/", name="login", catch_response=True) as page:
            match = TOKEN.search(page.text or "")
            if not match:
                page.failure("no CSRF token on the login page")
                return False
        data = {
            "username": self.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
        }
        with self.client.post("/login/", data=data, name="login", catch_response=True) as home:
            found = HX_TOKEN.search(home.text or "")
            if home.status_code != 200 or not found or 'name="password"' in (home.text or ""):
                home.failure(f"{self.username} could not sign in")
                return False
            self.csrf = found.group(1)
        return True

    def signed_in(self) -> bool:
        """Whether the user may work (a sign-in that failed under load is tried again)."""
        return bool(self.csrf) or self.sign_in()

    def hx(self, **extra) -> dict:
        return {"HX-Request": "true", "X-CSRFToken": self.csrf, **extra}

    def post(self, path, name, data=None, *, htmx=True):
        headers = self.hx() if htmx else {"X-CSRFToken": self.csrf}
        return self.client.post(
            path, data=data or {}, headers=headers, name=name, catch_response=True
        )


class RelationshipManager(StaffUser):
    """Searches (name, pinyin, phone) and Customer 360 views."""

    weight = 6
    logins = ("rm.bj", "rm2.bj", "rm.sh", "rm2.sh", "rm.gz", "rm2.gz", "lobby.bj", "lobby.sh")
    found: list[str]

    def setup(self):
        super().setup()
        self.found = []

    def _search(self, kind: str) -> None:
        q = random.choice(QUERIES[kind])
        with self.client.get(
            "/customers/",
            params={"q": q},  # the search box's htmx GET
            headers=self.hx(**{"HX-Target": "results", "HX-Trigger": "q"}),
            name=f"search {kind}",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            ids = CUSTOMER.findall(response.text or "")
            if ids:
                self.found = ids

    @task(3)
    def search_name(self):
        if not self.signed_in():
            return
        self._search("name")

    @task(3)
    def search_pinyin(self):
        if not self.signed_in():
            return
        self._search("pinyin")

    @task(2)
    def search_phone(self):
        if not self.signed_in():
            return
        self._search("phone")

    @task(4)
    def customer_360(self):
        if not self.signed_in():
            return
        if not self.found:
            self._search("name")
            if not self.found:
                return
        customer = random.choice(self.found)
        with self.client.get(
            f"/customers/{customer}/", name="customer 360", catch_response=True
        ) as response:
            if response.status_code != 200 or f"/customers/{customer}/" not in (
                response.text or ""
            ):
                response.failure(f"HTTP {response.status_code}")


class Kiosk(FastHttpUser):
    """A branch's kiosk: a ticket for a service every few seconds (anonymous)."""

    weight = 1
    fixed_count = 6
    wait_time = between(0.3, 1.2)
    _turn = itertools.count()
    on_start = on_start

    def setup(self):
        self.branch = BRANCHES[next(self._turn) % len(BRANCHES)]
        with self.client.get(
            f"/floor/{self.branch}/kiosk/", name="kiosk page", catch_response=True
        ) as page:
            self.token = (TOKEN.search(page.text or "") or [None, ""])[1]
            self.services = SERVICE.findall(page.text or "")
            if not self.token or not self.services:
                page.failure("no services on the kiosk")

    @task
    def issue(self):
        if not self.services:
            return
        data = {"service": random.choice(self.services), "csrfmiddlewaretoken": self.token}
        with self.client.post(
            f"/floor/{self.branch}/kiosk/", data=data, name="kiosk ticket", catch_response=True
        ) as response:
            if response.status_code != 200 or "/kiosk/ticket/" not in (response.url or ""):
                response.failure(f"HTTP {response.status_code}: no ticket")


class Teller(StaffUser):
    """A teller at a counter: call next, finish; the waiting list refresh in between."""

    weight = 1
    fixed_count = 15
    logins = tuple(f"teller{n}.{b}" for n in ("", 2, 3, 4, 5) for b in ("bj", "sh", "gz"))

    def setup(self):
        super().setup()
        self.seated = False
        if self.csrf:
            self.seat()

    def seat(self):
        """At the counter the teller is signed in at, else the first free one."""
        self.ticket = None
        page = self.client.get("/floor/teller/", name="teller page")
        text = page.text or ""
        if "/floor/teller/call/" not in text:
            for counter in COUNTER.findall(text):
                with self.post(
                    "/floor/teller/sign-in/", "teller sign-in", {"counter_id": counter}, htmx=False
                ) as response:
                    if "/floor/teller/call/" in (response.text or ""):
                        text = response.text
                        break
        found = FINISH.search(text)
        self.ticket = found.group(1) if found else None
        self.seated = "/floor/teller/call/" in text or bool(found)

    @task(3)
    def call_or_finish(self):
        if not self.signed_in():
            return
        if not self.seated:
            self.seat()
            return
        if self.ticket is None:
            with self.post("/floor/teller/call/", "teller call next") as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                    return
                found = FINISH.search(response.text or "")
                self.ticket = found.group(1) if found else None
        else:
            with self.post(
                f"/floor/teller/ticket/{self.ticket}/finish/",
                "teller finish",
                {"outcome": "completed", "note": ""},
            ) as response:
                if response.status_code != 200 or FINISH.search(response.text or ""):
                    response.failure(f"HTTP {response.status_code}: still at the counter")
                self.ticket = None

    @task(1)
    def waiting(self):
        if not self.signed_in():
            return
        self.client.get("/floor/teller/waiting/", headers=self.hx(), name="teller waiting list")


class Agent(StaffUser):
    """A contact-centre agent on the preview campaign: next, dial, wait for the line, then the
    disposition."""

    weight = 1
    fixed_count = 4
    logins = ("agent1", "agent2", "agent3", "agent.en")
    DESK = "/contact/agent/desk/"

    def setup(self):
        super().setup()
        self.call = self.close = self.entry = None
        self.dispositions = []
        self.waited = 0
        self.on_phones = False
        if self.csrf:
            self.join()

    def join(self):
        """Logged in to the preview campaign (else the first one) and ready."""
        page = self.client.get("/contact/agent/", name="agent page")
        text = page.text or ""
        if "login-form" in text:
            campaign = CAMPAIGN.search(text) or ANY_CAMPAIGN.search(text)
            data = {"campaign": campaign.group(1) if campaign else "", "takes_inbound": ""}
            with self.post("/contact/agent/login/", "agent login", data) as response:
                text = response.text or ""
        if 'id="btn-ready"' in text:
            with self.post("/contact/agent/status/", "agent ready", {"status": "ready"}) as r:
                text = r.text or ""
        self._read(text)
        self.on_phones = "login-form" not in text and "/contact/agent/" in text

    def _read(self, text: str) -> None:
        close = CLOSE.search(text)
        live = HANGUP.search(text)
        self.close = close.group(1) if close else None
        self.call = (close or live).group(1) if (close or live) else None
        self.dispositions = [d for d, kind in DISPOSITION.findall(text) if kind != "callback"]
        self.entry = (PREVIEW_DIAL.search(text) or [None, None])[1]

    @task
    def work(self):
        if not self.signed_in():
            return
        if not self.on_phones:
            self.join()
            return
        if self.close:
            data = {"disposition": random.choice(self.dispositions or [""]), "notes": "load"}
            data["then"] = "ready"
            with self.post(
                f"/contact/agent/calls/{self.close}/close/", "agent disposition", data
            ) as response:
                text = response.text or ""
                if response.status_code != 200 or f"/calls/{self.close}/close/" in text:
                    response.failure(f"HTTP {response.status_code}: the call is still open")
                self._read(text)
            self.waited = 0
            return
        if self.call:  # on the line or ringing: the page polls its desk
            self.waited += 1
            if self.waited > 40:  # never connected: hang up (the simulator's no-answer)
                with self.post(f"/contact/agent/calls/{self.call}/hangup/", "agent hang up"):
                    pass
                self.waited = 0
            with self.client.get(
                self.DESK, headers=self.hx(), name="agent desk", catch_response=True
            ) as r:
                self._read(r.text or "")
            return
        if self.entry:
            with self.post(f"/contact/agent/preview/{self.entry}/dial/", "agent dial") as r:
                self._read(r.text or "")
            return
        with self.post("/contact/agent/preview/next/", "agent preview next") as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            self._read(response.text or "")
        if 'id="btn-ready"' in (response.text or ""):
            with self.post("/contact/agent/status/", "agent ready", {"status": "ready"}) as r:
                self._read(r.text or "")


class RequestWorker(StaffUser):
    """Back office and the supervisor: the queue, a request, a note or a reply."""

    weight = 2
    logins = ("backoffice", "cards.officer", "loans.officer", "wealth.officer", "supervisor")
    requests: list[str]

    def setup(self):
        super().setup()
        self.requests = []

    @task(1)
    def queue(self):
        if not self.signed_in():
            return
        for queue in ("mine", "unit", "all"):
            with self.client.get(
                "/requests/", params={"queue": queue}, name="request queue", catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                    return
                found = REQUEST.findall(response.text or "")
            if found:
                self.requests = found
                return

    @task(2)
    def update(self):
        if not self.signed_in():
            return
        if not self.requests:
            self.queue()
            if not self.requests:
                return
        pk = random.choice(self.requests)
        with self.client.get(
            f"/requests/{pk}/", name="request detail", catch_response=True
        ) as page:
            text = page.text or ""
            if page.status_code != 200:
                page.failure(f"HTTP {page.status_code}")
                self.requests.remove(pk)
                return
        if f"/requests/{pk}/reply/" in text and random.random() < 0.5:
            kind, data = "reply", {"body": "您好，我们已收到您的问题，正在处理。"}
        elif f"/requests/{pk}/note/" in text:
            kind, data = "note", {"note": "已联系客户，等待回复。"}
        else:
            self.requests.remove(pk)
            return
        data["csrfmiddlewaretoken"] = (TOKEN.search(text) or [None, self.csrf])[1]
        with self.post(f"/requests/{pk}/{kind}/", f"request {kind}", data, htmx=False) as r:
            if r.status_code != 200 or f'id="{kind}-form"' not in (r.text or ""):
                r.failure(f"HTTP {r.status_code}")


USER_CLASSES = [RelationshipManager, Kiosk, Teller, Agent, RequestWorker]
SETUP_KINDS = {"login", "kiosk page", "teller page", "teller sign-in", "agent page"}
SETUP_KINDS |= {"agent login", "agent ready", "agent hang up"}


# --- one run against one server -----------------------------------------------------------------


def drive(host: str, *, users: int, spawn_rate: float, duration: float) -> dict:
    """Spawn the users against host, reset the figures once they all run, measure for duration
    seconds; the figures per kind and for the mix."""
    # One user per teller and agent login at most; the rest search, view and work requests.
    Teller.fixed_count = max(3, min(15, users // 8))
    Kiosk.fixed_count = 3 if users < 60 else 6
    env = Environment(user_classes=USER_CLASSES, host=host)
    runner = env.create_local_runner()
    STARTED[0] = 0
    runner.start(users, spawn_rate=spawn_rate)
    deadline = time.monotonic() + users / spawn_rate + 120
    while STARTED[0] < users and time.monotonic() < deadline:
        gevent.sleep(0.2)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(duration)
    elapsed = time.monotonic() - started
    kinds = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        kinds[name] = figures(entry, elapsed)
    total = figures(env.stats.total, elapsed)
    errors = [f"{e.name}: {e.error}" for e in env.stats.errors.values()][:10]
    runner.quit()
    return {"kinds": kinds, "total": total, "errors": errors}


def figures(entry, elapsed: float) -> dict:
    n = entry.num_requests
    return {
        "requests": n,
        "requests_per_s": n / elapsed if elapsed else 0.0,
        "p50_ms": entry.get_response_time_percentile(0.50) if n else 0.0,
        "p95_ms": entry.get_response_time_percentile(0.95) if n else 0.0,
        "p99_ms": entry.get_response_time_percentile(0.99) if n else 0.0,
        "errors": entry.num_failures,
    }


# --- the servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys() -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / "secrets.env"
    if not path.exists():
        path.write_text(
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"FIELD_ENCRYPTION_KEY={secrets.token_urlsafe(50)}\n"
        )
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().split())


def target_env(target: str, args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(keys())
    env.update(
        DEBUG="0",
        SERVICEFIRST_DEV="",
        OTP_REQUIRED_ROLES="",
        DJANGO_SETTINGS_MODULE="config.settings",
        SERVICEFIRST_VAR_DIR=str(VAR / target),
        PYTHONPATH=str(ROOT),
    )
    if target == "production":
        env["DATABASE_URL"] = args.database_url
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
        # Under ASGI every request runs in a thread of its own: a pool per worker process
        # bounds the connections (persistent ones per thread pile up until PostgreSQL refuses).
        env["DB_POOL_MAX_SIZE"] = "8"
    (VAR / target).mkdir(parents=True, exist_ok=True)
    return env


def prepare(target: str, env: dict, log) -> None:
    """migrate, the demo bank (skipped when loaded), collectstatic."""
    servicefirst = str(BIN / "servicefirst")

    def run(*command):
        log(f"{target}: servicefirst {' '.join(command)}")
        subprocess.run(
            [servicefirst, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )

    run("migrate", "--no-input", "-v", "0")
    loaded = "from servicefirst.core.demo import demo_loaded; print(demo_loaded())"
    answer = subprocess.run(
        [servicefirst, "shell", "-c", loaded], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if answer.stdout.split()[-1:] != ["True"]:
        run("demo")  # a few minutes
    run("collectstatic", "--no-input", "-v", "0")
    sample = VAR / target / "queries.json"
    if not sample.exists():
        answer = subprocess.run(
            [servicefirst, "shell", "-c", SAMPLE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        sample.write_text(answer.stdout.strip().splitlines()[-1])
    QUERIES.update(json.loads(sample.read_text()))


def serve(target: str, env: dict, workers: int):
    port = free_port()
    command = [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    if target == "production":
        command += ["--workers", str(workers)]
    logs = VAR / target
    out = open(logs / "server.log", "w")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    dialer = subprocess.Popen(
        [str(BIN / "servicefirst"), "dialer", "--adapter", "simulator", "--time-scale", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=open(logs / "dialer.log", "w"),  # noqa: SIM115 - open while the dialer runs
        stderr=subprocess.STDOUT,
    )
    host = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if server.poll() is not None:
                stop([dialer])
                raise SystemExit(
                    f"{target}: the server stopped; see {logs / 'server.log'}"
                ) from None
            time.sleep(0.3)
    return host, [server, dialer]


def stop(processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# --- the report ---------------------------------------------------------------------------------


def table(title: str, result: dict) -> str:
    lines = [
        title,
        f"{'request':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}",
    ]
    rows = [(k, v) for k, v in result["kinds"].items() if k not in SETUP_KINDS]
    rows += [("mix total", result["total"])]
    rows += [(f"({k})", v) for k, v in result["kinds"].items() if k in SETUP_KINDS]
    for name, f in rows:
        lines.append(
            f"{name:<24}{f['requests_per_s']:>9.1f}{f['p50_ms']:>9.0f}{f['p95_ms']:>9.0f}"
            f"{f['p99_ms']:>9.0f}{f['errors']:>8}"
        )
    if result["errors"]:
        lines.append("errors: " + "; ".join(result["errors"]))
    return "\n".join(lines)


def ratio_table(prod: dict, emb: dict) -> str:
    lines = ["production ÷ embedded", f"{'request':<24}{'req/s':>9}{'p50':>9}{'p95':>9}{'p99':>9}"]
    names = [k for k in prod["kinds"] if k in emb["kinds"] and k not in SETUP_KINDS]
    pairs = [(k, prod["kinds"][k], emb["kinds"][k]) for k in names]
    pairs.append(("mix total", prod["total"], emb["total"]))

    def r(a, b):
        return f"{a / b:>9.2f}" if b else f"{'—':>9}"

    for name, p, e in pairs:
        lines.append(
            f"{name:<24}{r(p['requests_per_s'], e['requests_per_s'])}{r(p['p50_ms'], e['p50_ms'])}"
            f"{r(p['p95_ms'], e['p95_ms'])}{r(p['p99_ms'], e['p99_ms'])}"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--spawn-rate", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--only", choices=("production", "embedded"))
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--host", help="drive this server as it is (no data, no servers)")
    parser.add_argument("--queries", help="with --host: a JSON file of search queries by kind")
    parser.add_argument("--kinds-json", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        if not (args.json or args.kinds_json):
            print(text, flush=True)

    run = {"users": args.users, "spawn_rate": args.spawn_rate, "duration": args.duration}
    if args.host:
        if args.queries:
            QUERIES.update(json.loads(Path(args.queries).read_text()))
        result = drive(args.host, **run)
        if args.kinds_json:
            print(json.dumps(result))
        else:
            print(table(f"{args.host}: {args.users} users, {args.duration:.0f} s", result))
        return

    name = urlparse(args.database_url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: its name must contain 'bench'")
    targets = [args.only] if args.only else ["production", "embedded"]
    results = {}
    for target in targets:
        env = target_env(target, args)
        prepare(target, env, log)
        host, processes = serve(target, env, args.workers)
        try:
            log(f"{target}: {host}, {args.users} users, {args.duration:.0f} s")
            results[target] = drive(host, **run)
        finally:
            stop(processes)
        workers = args.workers if target == "production" else 1
        engine = "PostgreSQL + Redis" if target == "production" else "SQLite file"
        log(table(f"\n{target} ({engine}, uvicorn × {workers})", results[target]))
    if args.json:
        keys_ = ("requests_per_s", "p50_ms", "p95_ms", "p99_ms", "errors")
        print(json.dumps({t: {k: r["total"][k] for k in keys_} for t, r in results.items()}))
    elif args.kinds_json:
        print(json.dumps(results))
    elif len(results) == 2:
        print("\n" + ratio_table(results["production"], results["embedded"]))


if __name__ == "__main__":
    main()
