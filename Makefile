# voxscope: the two commands a new machine needs are `make run` and `make test`.
# Both install missing system packages first (scripts/install-deps), then build.

BUILD_DIR      ?= build
SANITIZE_DIR   ?= build-sanitize
JOBS           ?= $(shell nproc)
CMAKE_FLAGS    ?=
VOXSCOPE        = $(BUILD_DIR)/apps/voxscope/voxscope

.PHONY: all deps build run test test-release test-sanitize bench fuzz format clean

all: build

deps:
	@./scripts/install-deps

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job on built-in sample data: what is in this confocal stack?
run: build
	$(VOXSCOPE) info sample:cells

test: build
	$(MAKE) --no-print-directory test-release
	$(MAKE) --no-print-directory test-sanitize

test-release:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Unit tests and the fuzz corpus under AddressSanitizer + UndefinedBehaviorSanitizer, built
# with clang so that the corpus also replays through libFuzzer itself. The tool is built too:
# cli.option_values (labelled fuzz) runs every option's extreme values through it.
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_CXX_COMPILER=clang++ -DVOX_SANITIZE=ON -DVOX_FUZZ=ON \
	    -DVOX_BUILD_APPS=ON -DVOX_BUILD_BENCH=OFF -DVOX_INSTALL=OFF
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizer/lsan.supp \
	    ctest --test-dir $(SANITIZE_DIR) --output-on-failure -j $(JOBS) -L 'unit|fuzz'

bench: build
	$(BUILD_DIR)/bench/bench_stats --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
	/usr/bin/python3 bench/compare_stats.py $(BUILD_DIR)/bench/bench_stats
	/usr/bin/python3 bench/compare_io.py $(BUILD_DIR)/bench/bench_io

# Fuzz every parser for a while (FUZZ_SECONDS each), growing corpora in scratch folders.
FUZZ_SECONDS ?= 60
fuzz: test-sanitize
	@for fuzzer in $$(find $(SANITIZE_DIR)/tests -name 'fuzz_*' -type f -perm -u+x | sort); do \
	    name=$${fuzzer##*/fuzz_}; corpus=$$(find tests -type d -path "*corpus/$$name" | head -n 1); \
	    dict=$$(find tests -name "$$name.dict" | head -n 1); \
	    mkdir -p $(SANITIZE_DIR)/fuzz-corpus/$$name; echo "== $$name ($$corpus)"; \
	    $$fuzzer -max_total_time=$(FUZZ_SECONDS) $${dict:+-dict=$$dict} \
	        $(SANITIZE_DIR)/fuzz-corpus/$$name $$corpus || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
