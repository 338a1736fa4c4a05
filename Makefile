# dtmnb: `make tutorial` runs the main job, `make test` runs the whole test suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup tutorial test lab clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[all]'
	touch $(STAMP)

setup: $(STAMP)
	./scripts/install-system-deps.sh

tutorial: setup
	$(PY) scripts/run_tutorial.py

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval-sanitize.cfg

test: setup
	$(PY) -m pytest tests
	$(PY) -m pytest $(NBVAL) notebooks

lab: setup
	VENV=$(VENV) ./scripts/lab.sh

clean:
	rm -rf $(VENV) out .pytest_cache
