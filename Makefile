# Entry points used by the README and by .ci/run.
PY ?= python3

.PHONY: install install-test system-deps test serve bench models

install:
	$(PY) -m pip install -q -e .

# The newest versions pyproject.toml allows, every dependency included: CI sees what a new user gets.
install-test:
	$(PY) -m pip install -q -U --upgrade-strategy eager -e '.[test]'

system-deps:
	bash scripts/install-system-deps.sh

# Installs everything (apt + pip), starts the loopback PostgreSQL server, runs the whole suite.
test: system-deps install-test
	bash scripts/start-postgres.sh
	$(PY) -m pytest

serve: install
	panel serve studio --port 5006

bench: install-test
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Rebuilds every file in sample_data/models/ and the score layer in sample_data/scores/ (needs the build
# extras; see scripts/build_models.py).
models:
	$(PY) scripts/build_models.py
