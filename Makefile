# `make`       set up (.venv, fonts) and build the default handouts into output/
# `make all`   the semester run: every school x language x layout x paper, the catalog and the web edition
# `make test`  set up if needed, then run the tests
# `make bench` the batch benchmark (figures for the README)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
FONTS  := fonts/build/prepared.json

.PHONY: default all setup fonts build check test bench browser zbar axe poppler clean
default: build

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $@

fonts: $(FONTS)

$(FONTS): $(STAMP) fonts/manifest.yaml
	$(PY) -m generator.fontprep

build: $(FONTS)
	$(PY) -m generator build --all --web

all: $(FONTS)
	$(PY) -m generator build --all --web

check: $(FONTS)
	$(PY) -m generator check

# The catalog test drives Debian's Chromium with Playwright (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# axe-core (pinned in package.json / package-lock.json) checks the web pages in Chromium.
AXE := node_modules/axe-core/axe.min.js
axe: $(AXE)

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# ZBar (Debian zbar-tools): the second QR decoder, reading codes from phone-like photos.
zbar:
	@command -v zbarimg >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zbar-tools >/dev/null; }

# The text-layer tests read the PDFs back with Poppler (pdftotext, pdfinfo -struct-text).
poppler:
	@command -v pdftotext >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

test: $(FONTS) browser zbar poppler $(AXE)
	$(PY) -m pytest -q

bench: $(FONTS)
	$(PY) bench/run.py

clean:
	rm -rf output .pytest_cache
