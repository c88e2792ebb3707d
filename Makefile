# The everyday commands (what CI runs is .ci/run; it calls the same ones).
.PHONY: setup demo test test-fast check format lint typecheck ci

PY := .venv/bin/python

setup:            ## the environment in .venv, from uv.lock (dev tools included)
	bash scripts/setup.sh

demo: setup       ## the simulator + a local lake: runs the job, shows the tables
	.venv/bin/betterstack-etl demo

# -n auto: one pytest-xdist worker per core and one more (tests/conftest.py); loadgroup: each server's tests on one worker
XDIST := -n auto --dist loadgroup

test-fast:        ## no servers, no emulators (times: CONTRIBUTING.md)
	$(PY) -m pytest -m "not slow" -q $(XDIST)

test:             ## the whole suite (what CI runs)
	$(PY) -m pytest $(XDIST)

lint:
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks

typecheck:        ## strict on the package, relaxed on tests and benchmarks (tests/mypy.ini)
	.venv/bin/mypy
	.venv/bin/mypy --config-file tests/mypy.ini

check: lint typecheck

format:
	.venv/bin/ruff format src tests benchmarks
	.venv/bin/ruff check --fix src tests benchmarks

ci:               ## exactly what CI runs, on this checkout
	bash .ci/run
