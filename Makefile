# The front door. `make run` trains the main model on Fashion-MNIST; `make test` builds everything and runs
# every test. Both install the Debian packages deltagrad needs first (scripts/install-deps, idempotent).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: all deps configure build test run clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

run: build
	@$(BUILD)/bin/train $(ARGS)

clean:
	rm -rf $(BUILD)
