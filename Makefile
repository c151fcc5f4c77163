# The two commands: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: run test check audit install install-dev lint bench translations clean

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

test: check translations
	$(PY) -m pytest -q -p no:cacheprovider

# Static checks, part of `make test`. Each one names the file, line and rule to fix.
check: install-dev
	@echo "== ruff"; $(VENV)/bin/ruff check intake tests config .ci $(wildcard bench) || { \
	  echo "ruff: fix the lines above; 'ruff check --fix' fixes most (rules in pyproject.toml)"; exit 1; }
	@echo "== mypy"; $(VENV)/bin/mypy intake || { \
	  echo "mypy: add the missing types above (intake/crypto is strict: every def fully typed)"; exit 1; }
	@echo "== bandit"; $(VENV)/bin/bandit -q -r intake --severity-level medium --confidence-level low || { \
	  echo "bandit: fix the issues above, or add '# nosec BXXX - <why it is safe>' on the line"; exit 1; }
	@echo "== pip-audit"; $(PY) .ci/audit_deps.py

audit: install-dev
	$(PY) .ci/audit_deps.py

lint: check

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
