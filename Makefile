# mailflow — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
APT_STAMP := $(VENV)/.debs

.PHONY: demo test bench lint typecheck imports clean install debs

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need: a real Dovecot, PostgreSQL's server, the letters' font, Chromium to look at
# the digest as a person would, openssl for the test certificates.
debs:
	@missing=""; \
	command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: $(STAMP)
	$(VENV)/bin/mailflow demo --dir demo-output

lint: $(STAMP)
	$(VENV)/bin/ruff check mailflow tests benchmarks
	$(VENV)/bin/ruff format --check mailflow tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy mailflow

imports: $(STAMP)
	$(VENV)/bin/lint-imports

test: $(STAMP) debs lint typecheck imports
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) demo-output var .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP) debs
	$(PY) -m benchmarks.latency --count 60 --write benchmarks/RESULTS.md
	$(PY) -m benchmarks.digest_export --cases 10000 --write benchmarks/RESULTS.md
	$(PY) -m benchmarks.backlog --count 2000 --write benchmarks/RESULTS.md
	$(PY) -m benchmarks.memory --count 2000 --write benchmarks/RESULTS.md
	$(PY) -m benchmarks.fuzz_mime --minutes 5 --out var/fuzz
