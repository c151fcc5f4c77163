# The two commands: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: run test check audit install install-dev lint bench mutation translations catalogs browser-deps clean

# Catalogues translators edit; uz_Cyrl (Uzbek in Cyrillic) is generated from uz.
LANGS := ru ky uz
GENERATED_LANGS := uz_Cyrl
TRANSLATIONS := intake/translations
POT := $(TRANSLATIONS)/messages.pot
MO_FILES := $(foreach l,$(LANGS) $(GENERATED_LANGS),$(TRANSLATIONS)/$(l)/LC_MESSAGES/messages.mo)
PYBABEL := $(VENV)/bin/pybabel
# The keywords our code uses: _ / gettext, _l / lazy_gettext, _n / lazy_ngettext.
EXTRACT_KEYWORDS := -k _l -k lazy_gettext -k _n:1,2 -k lazy_ngettext:1,2
AXE_VERSION := 4.14.1
AXE := .cache/axe/node_modules/axe-core/axe.min.js

$(VENV)/.base: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.base
install-dev: $(VENV)/.dev

# Re-extract every message from code and templates, merge into each catalogue, compile.
# Run after changing user-facing strings; then translate what `make test` reports.
translations: $(VENV)/.base
	$(PYBABEL) -q extract -F babel.cfg $(EXTRACT_KEYWORDS) -c TRANSLATORS: \
	  --project Intake --no-wrap -o $(POT) .
	for l in $(LANGS); do \
	  if [ -f $(TRANSLATIONS)/$$l/LC_MESSAGES/messages.po ]; then \
	    $(PYBABEL) -q update --no-wrap --ignore-obsolete -i $(POT) -d $(TRANSLATIONS) -l $$l; \
	  else $(PYBABEL) -q init --no-wrap -i $(POT) -d $(TRANSLATIONS) -l $$l; fi; \
	done
	$(PY) -m intake.uz_cyrillic $(TRANSLATIONS)/uz/LC_MESSAGES/messages.po \
	  $(TRANSLATIONS)/uz_Cyrl/LC_MESSAGES/messages.po
	$(MAKE) catalogs

# Compiled catalogues (.mo) are build output: `make run` and `make test` build them.
catalogs: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.base
	$(PYBABEL) -q compile -d $(TRANSLATIONS) -l $* -i $< -o $@ --statistics

# axe-core for the accessibility browser tests (tests/browser), from the npm registry.
browser-deps: $(AXE)

$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix .cache/axe --no-save --no-audit --no-fund --loglevel=error \
	    axe-core@$(AXE_VERSION); \
	else echo "npm not found: the axe browser tests will skip (fail when CI is set)"; fi

run: install catalogs
	$(VENV)/bin/intake db upgrade
	$(VENV)/bin/intake serve

test: check catalogs browser-deps
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

# Mutation testing of the security-critical modules (not part of `make test`; about 21
# minutes on 2 cores). Modules and their tests: GROUPS in .ci/mutation.py. Times: docs/testing.md.
mutation: install-dev catalogs
	$(PY) .ci/mutation.py $(GROUPS)

clean:
	rm -rf $(VENV) .pytest_cache .cache $(MO_FILES) $(POT)
