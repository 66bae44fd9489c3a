# `make run`: install, build the model and the index, start the chat UI on 127.0.0.1:7860.
# `make test`: install, find or install a browser for the UI tests, then run the whole suite (what CI runs).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# numpy's BLAS threads and torch's threads fight over the 2 cores (issue 8 measured 56 ms vs 22 ms).
export OPENBLAS_NUM_THREADS := 1

.PHONY: install build run ask browser test bench eval clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU wheel first: anything that pulls an unpinned torch would fetch a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip check
	touch $@

build: install
	$(PY) -m assistant build

run: build
	$(PY) -m ui

ask: build
	$(VENV)/bin/assistant ask "ما هي مجموعات العمل التابعة للتحالف؟"
	$(VENV)/bin/assistant ask "What does the Counter ISIS Finance Group focus on?"

# A Chromium for the browser tests: one already there, else Playwright's download, else Debian's
# package where this user may install it, else one line saying what to install.
browser: install
	$(PY) tests/ensure_browser.py

# The tests start their own Chroma server (tests/conftest.py) and stop it, whatever the outcome.
test: install browser
	$(PY) -m pytest

eval: build
	$(VENV)/bin/assistant eval

# Latency, cold start, ingest, provisioning, memory, scale and baselines (docs/benchmarks.md);
# `make bench BENCH_ARGS=--quick` for a short run, BENCH_ARGS=--scale=10000,100000 for the big corpus.
bench: build
	$(PY) benchmarks/perf.py $(BENCH_ARGS)

clean:
	rm -rf .data runs test-output
