# The two commands a new user needs: `make demo` and `make test`.
# Both create the virtual environment .venv at the repository root when it is missing.
# `make test` skips the tests marked `long` (the long forms); `make test-all`
# (what .ci/run runs) runs every test.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-all venv clean

venv: $(STAMP)

# PYTHONWARNINGS: setuptools prints a notice on every editable install, which
# is not ours to act on.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m edgenas.demo

test: $(STAMP)
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile -m "not long"

test-all: $(STAMP)
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile

clean:
	rm -rf out runs .pytest_cache
