# The two commands from the README: `make demo` and `make test`. Each installs missing
# Debian packages first (scripts/install-deps.sh; a no-op when all are present).

JOBS ?= 2

.PHONY: all deps build test test-default test-asan test-tsan test-clang14 demo soak bench docs format clean
.NOTPARALLEL:

all: build

deps:
	scripts/install-deps.sh

build: deps
	cmake --preset default
	cmake --build --preset default -j $(JOBS)

# Whole suite four times: plain, ASan+UBSan and TSan with Clang 19, and plain with
# Clang 14, the oldest compiler tested (docs/decisions/0005-compiler-policy.md).
test: deps
	$(MAKE) --no-print-directory test-default
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-tsan
	$(MAKE) --no-print-directory test-clang14

test-default test-asan test-tsan test-clang14: test-%:
	cmake --preset $*
	cmake --build --preset $* -j $(JOBS)
	ctest --preset $*

# The order system under load and injected crashes (examples/order_system).
# Pass flags through DEMO_FLAGS, e.g. make demo DEMO_FLAGS="--orders 5000 --chaos-rate 10".
# The service serves its observer page on OBSERVER_PORT (printed at the start;
# open it while the demo runs; OBSERVER_PORT=0 turns it off).
OBSERVER_PORT ?= 8099
demo: deps
	cmake --preset default
	cmake --build --preset default -j $(JOBS) --target order_demo order_service payment_gateway
	build/default/examples/order_system/demo/order_demo --observer-port $(OBSERVER_PORT) --upgrade $(DEMO_FLAGS)

# The order system soaked: rounds of 1,000 orders sent again and again for SOAK_S
# seconds (600 by default) under chaos at 50 kills/s, supervisors included, with hostile clients
# (slowloris, oversized, compressed, malformed) and the risk rules' code changed
# meanwhile (--upgrade); fails on a crash, a hang, a lost or double-charged order, a
# code change that did not answer as it must, or the service passing 1 GiB of RSS.
# `make test` runs a 20-second form of it in the default, ASan and TSan builds
# (ctest label soak).
SOAK_S ?= 600
soak: deps
	cmake --preset default
	cmake --build --preset default -j $(JOBS) --target order_demo order_service payment_gateway
	build/default/examples/order_system/demo/order_demo --orders 1000 --duration-s $(SOAK_S) \
	  --chaos-rate 50 --hostile --max-rss-mb 1024 --drain-timeout-s 240 --upgrade $(SOAK_FLAGS)

# otp against Erlang/OTP and CAF (bench/compare; installs the peers first).
# Pass flags through BENCH_FLAGS, e.g. make bench BENCH_FLAGS="--only ring --runs 5".
bench:
	bench/compare $(BENCH_FLAGS)

# The API reference of include/otp/ (Doxyfile) in build/docs/html; installs what is
# missing first, Doxygen included. Fails on a tag Doxygen does not know (an alias
# missing from the Doxyfile).
docs:
	scripts/install-deps.sh --docs
	mkdir -p build/docs
	doxygen Doxyfile
	@if grep 'unknown command' build/docs/warnings.log; then exit 1; fi
	@echo "docs: build/docs/html/index.html; $$(grep -c 'warning:' build/docs/warnings.log) warnings in build/docs/warnings.log"

format:
	scripts/format.sh

clean:
	rm -rf build
