# dtmnb: `make tutorial` runs the main job, `make test` runs the whole test suite.
# Needs only Python >= 3.10 and make; each target installs what it needs into .venv (see scripts/setup_venv.py).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval-sanitize.cfg

.PHONY: setup setup-test tutorial test lint lab system-deps clean

# One stamp per extra: `make tutorial` installs dtmnb[tutorial], `make test` adds dtmnb[test].
$(VENV)/.installed-%: pyproject.toml
	@$(PYTHON) scripts/setup_venv.py --venv $(VENV) --extra $* --stamp $@

setup: $(VENV)/.installed-tutorial

setup-test: $(VENV)/.installed-test

# The optional system packages (chromium, Go): names the missing ones with install commands, installs nothing.
system-deps:
	@$(PYTHON) scripts/system_deps.py

tutorial: setup
	@$(PY) scripts/run_tutorial.py

test: setup-test system-deps lint
	$(PY) -m pytest tests
	$(PY) -m pytest $(NBVAL) notebooks

# Lint and types (rules in pyproject.toml); part of `make test`.
lint: setup-test
	$(PY) -m ruff check .
	$(PY) -m mypy

lab: $(VENV)/.installed-lab
	@VENV=$(VENV) ./scripts/lab.sh

clean:
	rm -rf $(VENV) out try .pytest_cache .hypothesis .mypy_cache .dtmnb-sandbox notebooks/work build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} + -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
