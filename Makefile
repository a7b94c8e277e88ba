# phdsupport: `make demo` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_ENV := DEBUG=true

.PHONY: demo test install static migrate bench lint worker smoke clean

# Development and tests: the production lock plus requirements-dev.lock (the Docker image takes only the first).
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $(STAMP)

install: $(STAMP)

# The production build (hashed, compressed files and the manifest) whatever DEBUG says: the storage
# does not depend on it (STORAGES in phdsupport/settings.py). DEMO_ENV only spares a SECRET_KEY and CACHE_URL.
static: $(STAMP)
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; fi
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput --clear -v0

migrate: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0

demo: install static migrate
	$(DEMO_ENV) $(PY) manage.py load_demo
	@echo "\nphdsupport demo: http://127.0.0.1:8000/  (accounts above)\n"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install static
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# django-import-export is installed for the upload comparison only; it is not a dependency of the product.
bench: install static
	$(PY) -m pip install --quiet --disable-pip-version-check "django-import-export==4.4.3"
	$(PY) bench/run.py $(BENCH_ARGS)

# Production settings walked in a browser; needs DATABASE_URL (PostgreSQL holding the demo) and Redis.
smoke: install static
	VENV=$(VENV) .ci/smoke

worker: install
	$(VENV)/bin/celery -A phdsupport worker -l info

clean:
	rm -rf $(VENV) staticfiles node_modules db.sqlite3 db.sqlite3-wal db.sqlite3-shm
