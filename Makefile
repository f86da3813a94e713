# The front door. `make run` trains the main model on Fashion-MNIST; `make test` builds everything and runs
# every test. Both install the Debian packages deltagrad needs first (scripts/install-deps, idempotent).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: all deps configure build test run clean sanitize fuzz docs

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
# on a scratch copy of its committed seeds and regression inputs; a crash, hang, leak or sanitizer report stops
# it with exit 1 and leaves the input in build-fuzz/artifacts/<target>/. .ci/run calls it with FUZZ_SECONDS=30.
# The targets are those listed in tests/fuzz/CMakeLists.txt (written to build-fuzz/fuzz/targets.txt at
# configure time); FUZZ_TARGETS="idx csv" runs only some of them.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
# The same unity build as the sanitizer pass: it keeps CI's clean fuzz build short.
FUZZ_CMAKE_FLAGS ?= $(SAN_CMAKE_FLAGS)
FUZZ_FLAGS := -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

fuzz:
	@scripts/install-deps clang libclang-rt-14-dev
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Release -DDELTAGRAD_FUZZ=ON \
	  -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_BENCHMARKS=OFF $(FUZZ_CMAKE_FLAGS) >/dev/null
	@names="$(or $(FUZZ_TARGETS),$$(cat $(FUZZ_BUILD)/fuzz/targets.txt))"; \
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $$(for n in $$names; do printf 'fuzz_%s ' $$n; done) || exit 1; \
	for name in $$names; do \
	  corpus=$(FUZZ_BUILD)/corpus/$$name; mkdir -p $$corpus $(FUZZ_BUILD)/artifacts/$$name; \
	  cp -n tests/fuzz/corpus/$$name/* tests/fuzz/regressions/$$name/* $$corpus/ 2>/dev/null; \
	  echo "fuzz: fuzz_$$name for $(FUZZ_SECONDS) s"; \
	  $(SAN_ENV) $(FUZZ_BUILD)/bin/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$name/ $$corpus > $(FUZZ_BUILD)/$$name.log 2>&1; rc=$$?; \
	  grep -E "^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Done)" \
	    $(FUZZ_BUILD)/$$name.log; \
	  test $$rc -eq 0 || { tail -n 40 $(FUZZ_BUILD)/$$name.log; \
	    echo "fuzz: fuzz_$$name FAILED (input in $(FUZZ_BUILD)/artifacts/$$name/, log $(FUZZ_BUILD)/$$name.log)"; exit 1; }; \
	done

# ---- the API reference ----
# `make docs`: Doxygen over the public headers (cmake/Doxyfile) into $(BUILD)/docs/html, ARCHITECTURE.md as its
# front page; any warning, an undocumented public class or function among them, fails it.
docs: deps
	@mkdir -p $(BUILD)/docs
	@DG_DOCS_DIR=$(BUILD)/docs doxygen cmake/Doxyfile
	@echo "docs: $(BUILD)/docs/html/index.html"
