# The LTC portal's commands. `make run` and `make test` do every set-up step they need, from zero.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
PYTEST_ARGS ?=
DEV_ENV := DEBUG=$${DEBUG:-true}
# bench-l seeds 1M cost entries: on its own scratch PostgreSQL database (created if missing), never DATABASE_URL
BENCH_L_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ltc_scale
BENCH_PERF_DATABASE_URL ?= $(BENCH_L_DATABASE_URL)
BENCH_HOMES_DATABASE_URL ?= $(BENCH_L_DATABASE_URL)

.PHONY: help run test deps assets system-deps worker beat lint bench bench-lists bench-l bench-perf-l bench-homes messages migrate demo clean

help:
	@echo "make run      set up everything and serve the portal on http://127.0.0.1:$(PORT) (SQLite, eager Celery)"
	@echo "make test     set up everything and run the whole test suite (PostgreSQL when DATABASE_URL is set)"
	@echo "make worker   run a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat     run Celery beat with the database scheduler (needs CELERY_BROKER_URL)"
	@echo "make lint     ruff check and format, migrations up to date, manage.py check (gates against their definitions)"
	@echo "make bench    benchmarks, figures written to bench/results/"
	@echo "make bench-l  the monthly accounting at size L (seed_scale --size L) on PostgreSQL BENCH_L_DATABASE_URL"
	@echo "make bench-homes  every role's home and its panels at size L on PostgreSQL BENCH_HOMES_DATABASE_URL (target ≤ 300 ms)"
	@echo "make bench-perf-l  the KPI scoring of a yearly cycle at size L on PostgreSQL BENCH_PERF_DATABASE_URL (target ≤ 20 s)"
	@echo "make messages refresh and compile the zh_Hans catalogue (needs gettext)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(STAMP) assets
assets: node_modules/.package-lock.json

# Debian packages the tests use: Chromium for the browser journeys, gettext for the catalogue check, a
# CJK font embedded in invoice PDFs (without it they name a font the reader must have).
system-deps:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	 command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	 test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	 if [ -n "$$missing" ]; then \
	   if [ "$$(id -u)" = "0" ]; then echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	   else echo "please install:$$missing (sudo apt-get install$$missing)"; exit 1; fi; fi

migrate: deps
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

run: demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: deps system-deps
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

worker: deps
	$(BIN)/celery -A ltc_portal worker --loglevel=INFO

beat: deps
	$(BIN)/celery -A ltc_portal beat --loglevel=INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=true $(BIN)/python manage.py check --fail-level WARNING

bench: deps
	$(DEV_ENV) $(BIN)/python bench/run.py
	$(DEV_ENV) $(BIN)/python bench/sales.py
	$(DEV_ENV) $(BIN)/python bench/finance.py
	$(DEV_ENV) $(BIN)/python bench/performance.py
	$(DEV_ENV) $(BIN)/python bench/lists.py
	$(DEV_ENV) $(BIN)/python bench/homes.py

# list pages and endpoints against a bare JSON view and the admin changelist, at BENCH_SIZE (M: 10k
# leads, L: 100k) on a scratch PostgreSQL database (seeded by seed_scale once, then reused)
BENCH_LISTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ltc_lists
bench-lists: deps
	@case "$(BENCH_LISTS_DATABASE_URL)" in postgres*) ;; *) echo "bench-lists runs on PostgreSQL: set BENCH_LISTS_DATABASE_URL=postgres://…"; exit 1;; esac
	DATABASE_URL=$(BENCH_LISTS_DATABASE_URL) BENCH_SIZE=$${BENCH_SIZE:-L} $(DEV_ENV) $(BIN)/python bench/lists.py

bench-l: deps
	@case "$(BENCH_L_DATABASE_URL)" in postgres*) ;; *) echo "bench-l runs on PostgreSQL: set BENCH_L_DATABASE_URL=postgres://…"; exit 1;; esac
	DATABASE_URL=$(BENCH_L_DATABASE_URL) BENCH_SIZE=L BENCH_EXPLAIN=$${BENCH_EXPLAIN:-1} $(DEV_ENV) $(BIN)/python bench/finance.py

bench-perf-l: deps
	@case "$(BENCH_PERF_DATABASE_URL)" in postgres*) ;; *) echo "bench-perf-l runs on PostgreSQL: set BENCH_PERF_DATABASE_URL=postgres://…"; exit 1;; esac
	DATABASE_URL=$(BENCH_PERF_DATABASE_URL) BENCH_SIZE=L $(DEV_ENV) $(BIN)/python bench/performance.py

bench-homes: deps
	@case "$(BENCH_HOMES_DATABASE_URL)" in postgres*) ;; *) echo "bench-homes runs on PostgreSQL: set BENCH_HOMES_DATABASE_URL=postgres://…"; exit 1;; esac
	DATABASE_URL=$(BENCH_HOMES_DATABASE_URL) BENCH_SIZE=L $(DEV_ENV) $(BIN)/python bench/homes.py

messages: deps system-deps
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=tests --no-obsolete
	DEBUG=true $(BIN)/python manage.py makemessages -d djangojs -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete
	DEBUG=true $(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3
