# `make`       set up (.venv, fonts) and build the default handouts into output/
# `make test`  set up if needed, then run the tests
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
FONTS  := fonts/build/prepared.json

.PHONY: all setup fonts build check test clean
all: build

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $@

fonts: $(FONTS)

$(FONTS): $(STAMP) fonts/manifest.yaml
	$(PY) -m generator.fontprep

build: $(FONTS)
	$(PY) -m generator build --paper letter
	$(PY) -m generator build --paper a4

check: $(FONTS)
	$(PY) -m generator check

test: $(FONTS)
	$(PY) -m pytest -q

clean:
	rm -rf output .pytest_cache
