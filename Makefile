# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= chainx.db
# make demo PORT=8001, or CHAINX_PORT=8001 in the environment (serve's --port would override it otherwise)
PORT ?= $(or $(CHAINX_PORT),8000)

.PHONY: demo test install install-test clean bench browser java neo4j neo4j-build

# uv (from PyPI) installs the packages in a fraction of pip's CPU time; where it cannot be had,
# pip does it, upgraded first (the venv's own pip may be too old for the editable install).
# The packages' bytecode is compiled once, here: where PYTHONDONTWRITEBYTECODE is set, as on these
# machines, no import writes it later, and every process compiled networkx, pandas, pydantic and the
# rest again (4.7 s to start the test stack instead of 2.0; a fresh clone's `make test` starts some
# hundred Python processes). compileall does it on every core and skips the libraries' own test
# suites, which nothing imports (over a quarter of the files: pandas', scipy's, scikit-learn's):
# install and compile 2.4 + 8.7 s, where uv's --compile-bytecode took 15.7 s compiling everything.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv || $(BIN)/pip install --quiet --upgrade pip
SITE_PACKAGES = "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
PIP_INSTALL = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); else $(BIN)/pip install --quiet --no-compile $(1); fi \
	&& $(BIN)/python -m compileall -q -j 0 -x '/tests?/' $(SITE_PACKAGES)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,-e .)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,-e '.[test]')
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/chainx load data/textile --store $(STORE)
	$(BIN)/chainx stats --store $(STORE)
	$(BIN)/chainx chains --store $(STORE)
	$(BIN)/chainx serve --store $(STORE) --port $(PORT)

# Two pytest-xdist workers (these machines have two cores), each taking whole files, so a module's
# fixtures are set up once; each worker starts its own Bolt server. TEST_WORKERS=0 runs in one process,
# as it must on a server of one's own (CHAINX_TEST_NEO4J_URI): two workers would empty each other's data.
TEST_WORKERS ?= $(if $(CHAINX_TEST_NEO4J_URI),0,2)
# The Python install and the Neo4j build are independent: built at once (-j), their output kept
# apart (-O); the two apt-get steps take turns (APT_INSTALL).
test:
	@$(MAKE) --no-print-directory -j3 -O install-test browser neo4j-build
	$(BIN)/ruff check .
	@# the run writes bytecode whatever PYTHONDONTWRITEBYTECODE says: chainx's own (an editable
	@# install compiles none) and pytest's rewritten test modules and plugins (schemathesis's
	@# some 300 are rewritten at every pytest start: 2.5 s to start one, 0.95 s from its cache)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The browser tests (tests/viz) drive Debian's Chromium; Playwright's own browser download does
# not work on these machines. Installed (with a CJK font) only when missing; sudo only when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# browser and java may run at once (make test builds with -j): dpkg takes one apt-get at a time, so
# they queue on a lock of their own (this Makefile, which every job has) instead of the second one
# failing on dpkg's
APT_INSTALL = flock Makefile sh -c '$(SUDO) apt-get update && $(SUDO) apt-get install -y $(1)'
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q . ; then \
		$(call APT_INSTALL,chromium fonts-noto-cjk); \
	fi

# A real Neo4j (Community Edition 5.26 LTS, from Maven Central) embedded in a small launcher:
# neo4j/pom.xml and neo4j/src/main/java/chainx/Neo4jLauncher.java. Java 17 and Maven come from
# Debian's packages when missing; Maven resolves offline from ~/.m2 after its first online run.
# `make neo4j` serves bolt://127.0.0.1:7687 (user neo4j, password NEO4J_PASSWORD) with its data
# under .neo4j/, in the foreground; `make test` builds the launcher and the suite starts its own.
NEO4J_JAR := neo4j/target/chainx-neo4j.jar
NEO4J_PASSWORD ?= chainx-neo4j
NEO4J_PORT ?= 7687
NEO4J_HEAP ?= 2g
# half the heap: a load's transaction state fits in eden (YOUNG_SHARE in tests/bolt_server.py)
NEO4J_YOUNG ?= 1g
java:
	@if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then \
		$(call APT_INSTALL,openjdk-17-jdk-headless maven); \
	fi

neo4j-build: $(NEO4J_JAR)

$(NEO4J_JAR): neo4j/pom.xml neo4j/src/main/java/chainx/Neo4jLauncher.java | java
	cd neo4j && { mvn -B -q -o package >/dev/null 2>&1 || mvn -B -q package; }
	@touch $@

neo4j: neo4j-build
	@mkdir -p .neo4j
	@echo "Neo4j on bolt://127.0.0.1:$(NEO4J_PORT), user neo4j, password $(NEO4J_PASSWORD), data in .neo4j/; in another terminal:"
	@echo "  CHAINX_NEO4J_PASSWORD=$(NEO4J_PASSWORD) $(BIN)/chainx load data/textile --store bolt://127.0.0.1:$(NEO4J_PORT)"
	java -Xmx$(NEO4J_HEAP) -Xmn$(NEO4J_YOUNG) -XX:+UseSerialGC -jar $(NEO4J_JAR) --home .neo4j --bolt-port $(NEO4J_PORT) --password $(NEO4J_PASSWORD)

# The benchmark table (benchmarks/results/latest.md): 100k relationships; BENCH=--full adds 1M,
# BENCH=--quick runs 10k. Not part of `make test` (tests/test_bench_quick.py keeps it working).
BENCH ?=
bench: install-test
	$(BIN)/python -m benchmarks.run $(BENCH)

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache neo4j/target
