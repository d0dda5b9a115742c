# Family Guide Assistant: `make run` and `make test` are the two commands.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BOT_VENV ?= .venv/bot
API_VENV ?= .venv/api
MODELS_DIR ?= models
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
PY := $(BOT_VENV)/bin/python
RASA := $(BOT_VENV)/bin/rasa
export BOT_VENV API_VENV MODELS_DIR RASA_PORT ACTIONS_PORT
# Quieter TensorFlow; no telemetry leaves the deployment (DESIGN.md: nothing leaves).
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup setup-api setup-test-system train run shell sms admin lint test test-unit test-api test-dialogue \
        test-integration test-replicas test-load test-faults test-sms test-chat test-free-text test-browser test-deploy validate benchmarks benchmark-load translations lock-bot lock-api clean

help:
	@echo "make run           set up, train if the data changed, start Rasa, action server and api"
	@echo "make shell         chat in the terminal (starts the bot if it is not running)"
	@echo "make sms           text the running api like a phone through Twilio would (after make run)"
	@echo "make admin EMAIL=... NAME=...  create the staff dashboard's first district admin (/staff)"
	@echo "make test          lint, then every test: unit, data validation, dialogue stories, integration, SMS, web chat, free text, browser"
	@echo "make lint          ruff (lint, import order) and mypy (api/ on 3.11; bot/, actions/ on 3.10)"
	@echo "make test-free-text  whole conversations in parents' own words (English, Spanish) against the real bot"
	@echo "make benchmark-load  open-loop load through the signed SMS webhook beside plain rasa init (LOAD_ARGS=\"--replicas 2 --api-workers 2\")"
	@echo "make benchmarks    NLU on the held-out sets and cross-validation, language detection, reply latency, SMS segments per journey, web-chat latency, widget size, the staff dashboard with 100,000 conversations"
	@echo "make translations  re-extract messages into locales/ and compile catalogs"

setup:
	@scripts/setup_bot.sh

setup-api:
	@scripts/setup_api.sh

setup-test-system:
	@scripts/setup_test_system.sh

train: setup
	@scripts/train.sh

run: train setup-api
	@scripts/run.sh

shell: train setup-api
	@scripts/shell.sh

sms: setup-api
	@$(API_VENV)/bin/python -m devtools.sms_console

# The first district admin of the staff dashboard (there is no default account):
# make admin EMAIL=you@district.org NAME="Your Name"  (the password is asked twice).
admin: setup-api
	@if [ -z "$(EMAIL)" ] || [ -z "$(NAME)" ]; then echo 'Usage: make admin EMAIL=you@district.org NAME="Your Name"'; exit 2; fi
	@$(API_VENV)/bin/python -m api.prestart && $(API_VENV)/bin/python -m api.staff.cli create-admin --email "$(EMAIL)" --name "$(NAME)"

# Every check runs (all findings at once); the target fails if any found something.
# mypy runs in each environment on the code that runs there (pyproject.toml).
lint: setup setup-api
	@status=0; \
	echo "==> ruff check (lint and import order)"; \
	$(API_VENV)/bin/ruff check . || status=1; \
	echo "==> mypy: api/ and the bot modules it imports (api environment, Python 3.11)"; \
	$(API_VENV)/bin/mypy api || status=1; \
	echo "==> mypy: bot/ and actions/ (bot environment, Python 3.10)"; \
	$(PY) -m mypy --python-version 3.10 bot actions || status=1; \
	exit $$status

validate: setup
	@echo "==> rasa data validate --fail-on-warnings"
	@$(RASA) data validate --fail-on-warnings --quiet

test-unit: setup
	@echo "==> pytest: bot/ and actions/"
	@$(PY) -m pytest tests/bot tests/actions -q

test-api: setup-api setup-test-system
	@echo "==> pytest: api/ (webhooks, consent, SMS shaping, scheduler, staff dashboard on SQLite and PostgreSQL, plan page in Chromium)"
	@$(API_VENV)/bin/python -m pytest tests/api -q -p no:cacheprovider

test-deploy: setup-api setup-test-system
	@echo "==> deployment files: docker-compose config (Debian's docker-compose), deploy/kubernetes/ (kubernetes-validate, strict)"
	@$(API_VENV)/bin/python -m pytest tests/deploy -q -p no:cacheprovider

test-dialogue: train
	@scripts/test_dialogue.sh

test-integration: train
	@echo "==> integration: real Rasa server + action server over the REST channel"
	@$(PY) -m pytest tests/integration -q

test-replicas: train setup-test-system
	@echo "==> replicas: two real Rasa processes on one PostgreSQL tracker store and the shared Redis lock store; a replica killed mid-journey"
	@$(PY) -m pytest tests/replicas -q -p no:cacheprovider

test-load: train setup-api setup-test-system
	@echo "==> load, short form of benchmarks/load.py: PostgreSQL, Redis, two Rasa replicas, two api processes; open-loop SMS through the signed webhook; every message answered once, every turn in Rasa once"
	@$(API_VENV)/bin/python -m pytest tests/under_load -q -p no:cacheprovider

test-faults: setup-api setup-test-system
	@echo "==> faults: PostgreSQL restarted, read-only and on a full disk under a running api, two api processes sending reminders and taking one message at once"
	@$(API_VENV)/bin/python -m pytest tests/faults -q -rs -p no:cacheprovider

test-sms: train setup-api
	@echo "==> integration: whole SMS journeys through the api's Twilio webhook to the real Rasa + action server"
	@$(API_VENV)/bin/python -m pytest tests/sms_integration -q -p no:cacheprovider

test-chat: train setup-api
	@echo "==> integration: whole web-chat journeys through POST /api/chat to the real Rasa + action server"
	@$(API_VENV)/bin/python -m pytest tests/chat_integration -q -p no:cacheprovider

test-free-text: train
	@echo "==> free text: whole conversations in parents' own words (tests/free_text), real Rasa + action server"
	@$(PY) -m pytest tests/free_text -q -p no:cacheprovider

test-browser: train setup-api setup-test-system
	@echo "==> browser: the chat widget and demo pages in Debian's Chromium (Playwright, axe-core), real Rasa behind"
	@$(API_VENV)/bin/python -m pytest tests/browser -q -p no:cacheprovider

test: lint test-unit test-api test-deploy validate test-dialogue test-integration test-replicas test-load test-faults test-sms test-chat test-free-text test-browser
	@echo "==> all tests passed"

benchmarks: train setup-api
	@$(PY) benchmarks/nlu.py
	@$(PY) benchmarks/crisis_thresholds.py --model $(MODELS_DIR)/family-guide.tar.gz
	@$(PY) benchmarks/topic_guess.py
	@$(PY) benchmarks/matcher.py
	@$(PY) benchmarks/language_detection.py
	@$(PY) benchmarks/latency.py
	@$(API_VENV)/bin/python benchmarks/sms_cost.py
	@$(API_VENV)/bin/python benchmarks/chat_latency.py
	@$(API_VENV)/bin/python benchmarks/widget_size.py
	@$(PY) benchmarks/school_matching.py
	@$(API_VENV)/bin/python benchmarks/dashboard.py
	@$(API_VENV)/bin/python benchmarks/load.py

# Open-loop load through the signed SMS webhook beside plain `rasa init` (about 10 minutes).
benchmark-load: train setup-api setup-test-system
	@$(API_VENV)/bin/python benchmarks/load.py $(LOAD_ARGS)

translations: setup
	@$(PY) -m bot.i18n.extract
	@$(PY) -m bot.i18n.compile

# After installing a changed requirements/<env>.in or <env>-dev.in into that environment:
# writes its runtime lock (what the image installs) and its dev lock (-r the runtime one).
lock-bot:
	@$(PY) -m pip check && $(PY) scripts/lib/split_lock.py requirements/bot

lock-api:
	@$(API_VENV)/bin/python -m pip check && $(API_VENV)/bin/python scripts/lib/split_lock.py requirements/api

clean:
	rm -rf build results .pytest_cache
