# The two commands a fresh Debian machine with Swift 6.3 needs: `make run` and `make test`.
# Each installs what it needs (liblmdb-dev) when it is missing.

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
DATA_DIR ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test build release deps

run: deps
	swift run -c release tributary serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

test: deps
	swift test

build: deps
	swift build

release: deps
	swift build -c release

deps:
	@pkg-config --exists lmdb 2>/dev/null || { \
		echo "installing liblmdb-dev"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config; \
	}
