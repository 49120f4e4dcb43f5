# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= chainx.db
PORT ?= 8000

.PHONY: demo test install install-test clean bench browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/chainx load data/textile --store $(STORE)
	$(BIN)/chainx stats --store $(STORE)
	$(BIN)/chainx serve --store $(STORE) --port $(PORT)

test: install-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The browser tests (tests/viz) drive Debian's Chromium; Playwright's own browser download does
# not work on these machines. Installed (with a CJK font) only when missing; sudo only when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q . ; then \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium fonts-noto-cjk; \
	fi

# The benchmark table (benchmarks/results/latest.md): 100k relationships; BENCH=--full adds 1M,
# BENCH=--quick runs 10k. Not part of `make test` (tests/test_bench_quick.py keeps it working).
BENCH ?=
bench: install-test
	$(BIN)/python -m benchmarks.run $(BENCH)

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache
