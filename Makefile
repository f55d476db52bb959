# The two commands a fresh Debian machine with Swift 6.3 needs: `make run` and `make test`.
# Each installs what it needs (liblmdb-dev, libjemalloc-dev; for the tests, Python tools in .build) when it is missing.

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
DATA_DIR ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8080

SCENARIO ?= cdc-batch
DURATION ?= 60

.PHONY: run test api-fuzz build release sim deps python-tools

run: deps
	swift run -c release tributary serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

# Builds every target first (the simulations' recovery smoke test runs the tributary binary).
test: deps python-tools
	swift build --build-tests
	swift test --skip-build

# Fuzzes the HTTP API with schemathesis against a live server and a simulated Salesforce org
# (Tools/api-fuzz.sh): every operation of GET /openapi.json, no server errors, answers as documented.
api-fuzz: deps python-tools
	swift build
	Tools/api-fuzz.sh

build: deps
	swift build

release: deps
	swift build -c release

# A load scenario against a server started on a temporary data directory (Simulations/README.md).
sim: release
	.build/release/tributary-sim $(SCENARIO) --start-server --duration $(DURATION)

deps:
	@pkg-config --exists lmdb jemalloc 2>/dev/null || { \
		echo "installing liblmdb-dev and libjemalloc-dev"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq liblmdb-dev libjemalloc-dev pkg-config; \
	}

# Python tools some tests check against (Tools/requirements.txt: botocore, moto's server), in a
# virtual environment under .build; reinstalled when the requirements change.
PYTHON_TOOLS := .build/python-tools
python-tools: $(PYTHON_TOOLS)/.installed

$(PYTHON_TOOLS)/.installed: Tools/requirements.txt
	@python3 -m venv $(PYTHON_TOOLS) 2>/dev/null || { \
		echo "installing python3-venv"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv python3-pip; \
		python3 -m venv $(PYTHON_TOOLS); \
	}
	$(PYTHON_TOOLS)/bin/pip install -q --disable-pip-version-check -r Tools/requirements.txt
	touch $@
