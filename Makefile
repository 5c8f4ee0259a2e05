# The two commands a new user needs: `make demo` and `make test`.
# Both create the virtual environment .venv at the repository root when it is missing.
# `make test` skips the tests marked `long` (the long forms); `make test-all`
# (what .ci/run runs) runs every test: the others first, then the long forms in a
# second pytest with fresh workers. TensorFlow keeps memory for every model a
# worker built (CI saw two workers at 7 GB each when a long test's converter
# needed 7 GB more, and the kernel killed a worker).
# The efficientnet_v2 and SpineNet random-point graph tests (marked `heavy`) run last, one at a time in a third
# pytest without workers: one of their conversions peaks at 7-16 GB, and two side
# by side (a spinenet_v2 point's and an efficientnet_v2 point's) killed a worker
# in CI twice.
# --max-worker-restart 0: a crashed worker ends the run, naming its test
# (pytest-xdist 3.8 with --dist loadfile can hang after replacing one).

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

XDIST := -n auto --maxprocesses 4 --dist loadfile --max-worker-restart 0
# The 15 slowest tests close each run: `make test` has to stay within 10 minutes here.
SLOWEST := --durations=15

test: $(STAMP)
	$(PY) -m pytest -q $(XDIST) $(SLOWEST) -m "not long"

test-all: $(STAMP)
	$(PY) -m pytest -q $(XDIST) $(SLOWEST) -m "not long"
	$(PY) -m pytest -q $(XDIST) $(SLOWEST) -m "long and not heavy"
	$(PY) -m pytest -q $(SLOWEST) -m "long and heavy"

clean:
	rm -rf out runs .pytest_cache
