# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NGO_PORT ?= 8000
export NGO_PORT
FLASK := $(BIN)/flask --app ngo
LANGS := pl be ru uk
# pytest-xdist workers of `make test` and `make test-services`: one per core (`auto`); `0` runs
# the suite in this one process.
TEST_WORKERS ?= auto
PO := $(foreach l,$(LANGS),ngo/translations/$(l)/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
# Exact versions with hashes, for every Python from 3.11 on Linux: what the venv, CI and the image
# install. pyproject.toml keeps the ranges; `make lock` resolves them into these files.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock'

.PHONY: run test test-services lint typecheck format translations extract-messages lock \
	lock-upgrade record-migrations clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Re-installed whenever the lock changes. --no-deps: every dependency comes from the lock;
# `pip check` then fails if pyproject.toml asks for something the lock lacks (run `make lock`).
$(VENV)/.installed: $(DEV_LOCK) pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

# The dev lock (runtime and the dev extra) first; the runtime lock is constrained by it, so both
# files pin the same version of every package they share. Pins that still satisfy the ranges
# are kept; `make lock-upgrade` moves everything to the newest release within the ranges.
lock: | $(BIN)/activate
	test -x $(BIN)/uv || $(BIN)/pip install --quiet 'uv>=0.5,<1'
	$(UV_COMPILE) $(UPGRADE) --extra dev -o $(DEV_LOCK) pyproject.toml
	$(UV_COMPILE) --constraint $(DEV_LOCK) -o $(LOCK) pyproject.toml

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

%.mo: %.po
	$(BIN)/pybabel compile --use-fuzzy -d ngo/translations -D messages -l $(word 3,$(subst /, ,$@)) >/dev/null

translations: $(VENV)/.installed $(MO)

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) reconcile-listings
	@echo ""
	@echo "ngo is starting on http://127.0.0.1:$(NGO_PORT)  (web, worker and beat; Ctrl-C stops all)"
	@echo "Mail is written to instance/outbox/ as .eml files; its links point at port $(NGO_PORT)."
	@echo "Keys were generated into instance/keys/ on the first run: without them the data is lost."
	@echo ""
	$(BIN)/honcho start

test: $(VENV)/.installed translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# The same suite against real PostgreSQL and Redis with a real Celery worker (used by .ci/run).
# Each pytest-xdist worker N uses the database ngo_test_gwN and Redis database 14 + N
# (tests/parallel.py): with Redis's 16 databases the default leaves room for two workers.
test-services: $(VENV)/.installed translations
	NGO_TEST_DATABASE_URL=$${NGO_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/ngo_test} \
	NGO_TEST_BROKER_URL=$${NGO_TEST_BROKER_URL:-redis://127.0.0.1:6379/14} \
	NGO_TEST_REQUIRE_SERVICES=1 $(BIN)/pytest -q -n $(TEST_WORKERS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# What [tool.mypy] in pyproject.toml names (ngo/).
typecheck: $(VENV)/.installed
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After adding a migration: append its SHA-256 to migrations/landed.sha256 (commit both). A
# recorded line is never rewritten: `make test` fails when a landed migration is edited.
record-migrations: | $(BIN)/activate
	$(BIN)/python -m tests.landed_migrations

# After changing UI text: extract, merge into every catalogue, then translate the new entries.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o ngo/translations/messages.pot --no-location --no-wrap --sort-output .
	$(BIN)/pybabel update -i ngo/translations/messages.pot -d ngo/translations -D messages --ignore-obsolete --no-fuzzy-matching --no-wrap

clean:
	rm -rf $(VENV) instance .pytest_cache
