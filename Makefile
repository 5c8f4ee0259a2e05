# The two commands a new user needs: `make demo` and `make test`.
# Both create the virtual environment .venv at the repository root when it is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-all venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m edgenas.demo

test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf out runs .pytest_cache
