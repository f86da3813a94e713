# The front door. `make run` trains the main model on Fashion-MNIST; `make test` builds everything and runs
# every test. Both install the Debian packages deltagrad needs first (scripts/install-deps, idempotent).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: all deps configure build test run clean sanitize fuzz

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

# ---- reliability: sanitizers and fuzzing, each in its own build folder ----
# `make sanitize`: the libraries and every test suite (not the benchmarks and examples) with ASan + LSan + UBSan (UB is fatal), then the whole suite
# except the tests labelled `slow` (10^6-long graphs, too heavy under ASan for CI; `make test` runs them).
SAN_BUILD ?= build-sanitize
SAN_SUPP := $(CURDIR)/tests/fuzz/sanitizer.supp
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(SAN_SUPP)
SAN_CTEST ?= -LE slow
# Unity build: each translation unit spends most of its time parsing xtensor, so compiling the sources 8 at a
# time cuts the sanitizer build several-fold (see .ci/run for the measured times).
SAN_CMAKE_FLAGS ?= -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8

sanitize: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Release -DDELTAGRAD_SANITIZE=ON -DBUILD_BENCHMARKS=OFF -DBUILD_EXAMPLES=OFF \
	  $(SAN_CMAKE_FLAGS) >/dev/null
	@$(SAN_ENV) cmake --build $(SAN_BUILD) -j$(JOBS)
	@cd $(SAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j$(JOBS) $(SAN_CTEST)

# `make fuzz FUZZ_SECONDS=N`: builds the libFuzzer targets with clang (build-fuzz) and runs each for N seconds
# on a scratch copy of its committed seed corpus; a crash leaves its input in build-fuzz/artifacts/<target>/.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_idx fuzz_csv fuzz_safetensors fuzz_mlp_spec

fuzz:
	@scripts/install-deps clang libclang-rt-14-dev
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Release -DDELTAGRAD_FUZZ=ON \
	  -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_BENCHMARKS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  name=$${t#fuzz_}; corpus=$(FUZZ_BUILD)/corpus/$$name; mkdir -p $$corpus $(FUZZ_BUILD)/artifacts/$$name; \
	  cp -n tests/fuzz/corpus/$$name/* $$corpus/ 2>/dev/null; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(SAN_ENV) $(FUZZ_BUILD)/bin/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$name/ -print_final_stats=1 $$corpus \
	    > $(FUZZ_BUILD)/$$name.log 2>&1; rc=$$?; \
	  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Done)" $(FUZZ_BUILD)/$$name.log; \
	  test $$rc -eq 0 || { tail -n 40 $(FUZZ_BUILD)/$$name.log; echo "fuzz: $$t FAILED (input in $(FUZZ_BUILD)/artifacts/$$name/)"; exit 1; }; \
	done
