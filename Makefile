# The two commands: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: run test install install-dev lint bench translations clean

$(VENV)/.base: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.base
install-dev: $(VENV)/.dev

translations: $(VENV)/.base
	$(VENV)/bin/pybabel compile -q -d intake/translations -f 2>/dev/null || true

run: install translations
	$(VENV)/bin/intake db upgrade
	$(VENV)/bin/intake serve

test: install-dev translations
	$(PY) -m pytest -q -p no:cacheprovider

lint: install-dev
	$(VENV)/bin/ruff check intake tests bench
	$(VENV)/bin/mypy intake

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
