# `make`       set up (.venv, fonts) and build the default handouts into output/
# `make all`   the semester run: every school x language x layout x paper, the catalog and the web edition
# `make test`  set up if needed, then run the tests
# `make bench` the batch benchmark (figures for the README)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
FONTS  := fonts/build/prepared.json

.PHONY: default all setup fonts build check test bench tools axe clean
default: build

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $@

fonts: $(FONTS)

$(FONTS): $(STAMP) fonts/manifest.yaml generator/fontprep.py
	$(PY) -m generator.fontprep

build: $(FONTS)
	$(PY) -m generator build --all --web

all: $(FONTS)
	$(PY) -m generator build --all --web

check: $(FONTS)
	$(PY) -m generator check

# Debian tools the tests use (installed once, never downloaded otherwise): Chromium for the
# catalog and web pages (driven by Playwright, never a downloaded browser), ZBar as a second
# QR decoder, Poppler for the text layer, gettext for `msgfmt -c`, npm for axe-core.
TOOLS := chromium:chromium zbarimg:zbar-tools pdftotext:poppler-utils msgfmt:gettext npm:npm
tools:
	@missing=""; for pair in $(TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# axe-core (pinned in package.json / package-lock.json) checks the web pages in Chromium.
AXE := node_modules/axe-core/axe.min.js
axe: $(AXE)

$(AXE): package.json package-lock.json | tools
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

test: $(FONTS) tools $(AXE)
	$(PY) -m pytest -q

# Typst (`.[bench]`, pinned in requirements.lock) is installed for the benchmark only: the
# engine the handouts are compared with, never used to render them.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test,bench]"
	touch $@

bench: $(FONTS) $(BENCH_STAMP)
	$(PY) bench/run.py

clean:
	rm -rf output .pytest_cache
