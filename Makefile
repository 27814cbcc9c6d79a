# `make`       set up (.venv, fonts) and build the default handouts into output/
# `make all`   the semester run: every school x language x layout x paper, plus the catalog
# `make test`  set up if needed, then run the tests
# `make bench` the batch benchmark (figures for the README)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
FONTS  := fonts/build/prepared.json

.PHONY: default all setup fonts build check test bench browser poppler clean
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
	$(PY) -m generator build --all

all: $(FONTS)
	$(PY) -m generator build --all

check: $(FONTS)
	$(PY) -m generator check

# The catalog test drives Debian's Chromium with Playwright (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The text-layer tests read the PDFs back with Poppler (pdftotext, pdfinfo -struct-text).
poppler:
	@command -v pdftotext >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

test: $(FONTS) browser poppler
	$(PY) -m pytest -q

bench: $(FONTS)
	$(PY) bench/run.py

clean:
	rm -rf output .pytest_cache
