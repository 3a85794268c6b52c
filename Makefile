# ServiceFirst — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Demo secrets live in var/ (made once, reused: the identity-number key must not change).
DEMO_ENV := var/demo.env

.PHONY: install demo serve test test-sqlite test-postgres lint format bench clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml .ci/build-constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --build-constraint .ci/build-constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

$(DEMO_ENV):
	mkdir -p var
	$(PYTHON) -c "import secrets; print('SECRET_KEY=' + secrets.token_urlsafe(50)); print('FIELD_ENCRYPTION_KEY=' + secrets.token_urlsafe(50))" > $@
	chmod 600 $@

# Install, migrate, load the demo bank (a second run reuses it), print the logins and serve,
# with one background worker for imports, classification runs and model training, the
# scheduler that enqueues the periodic jobs (greetings, missed appointments, wait learning,
# callbacks) and the contact centre's dialer on the telephony simulator, driving the demo's
# simulated agents, and the commitments engine measuring every promise as events arrive.
# Demo logins need no second factor (OTP_REQUIRED_ROLES empty unless var/demo.env sets it).
demo: install $(DEMO_ENV)
	@set -a && OTP_REQUIRED_ROLES= && LOG_FORMAT=text && LOG_REQUESTS_LEVEL=WARNING && . ./$(DEMO_ENV) && set +a && \
	$(BIN)/servicefirst migrate --no-input -v 0 && \
	$(BIN)/servicefirst demo && \
	{ $(BIN)/servicefirst db_worker --interval 1 > var/worker.log 2>&1 & worker=$$!; \
	  $(BIN)/servicefirst scheduler > var/scheduler.log 2>&1 & scheduler=$$!; \
	  $(BIN)/servicefirst dialer --robots > var/dialer.log 2>&1 & dialer=$$!; \
	  $(BIN)/servicefirst commitments_engine > var/commitments.log 2>&1 & commitments=$$!; \
	  trap 'kill $$worker $$scheduler $$dialer $$commitments 2>/dev/null' EXIT INT TERM; \
	  echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop; logs: var/worker.log, var/scheduler.log, var/dialer.log, var/commitments.log)"; \
	  $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --log-level warning; }

# The whole test suite, on the database DATABASE_URL names (SQLite when unset).
test: install
	$(BIN)/pytest

test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/servicefirst} $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sf_bench} $(BIN)/python bench/customers.py
