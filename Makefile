# Thin wrapper: `make check` and `make demo` install what is missing, configure,
# build and run. The real build is CMake (see CMakeLists.txt).
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?= -DTCMUD_SANITIZE=ON -DTCMUD_WERROR=ON

.PHONY: all deps configure build check check-unit check-vm check-valgrind check-release demo bench clean

all: build

deps:
	scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Every test: the fast unit tests (ASan/UBSan), the same under valgrind in a
# build without sanitizers, then the real-kernel ones (label vm). The release
# build (-O3, what `make bench` measures) must compile without warnings too.
check: build check-valgrind check-release
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE vm
	cd $(BUILD) && ctest --output-on-failure -L vm

VG_BUILD ?= build-valgrind
BENCH_BUILD ?= build-release
check-valgrind: deps
	cmake -S . -B $(VG_BUILD) -DTCMUD_SANITIZE=OFF -DTCMUD_VALGRIND_TESTS=ON -DTCMUD_WERROR=ON
	cmake --build $(VG_BUILD) -j $(JOBS)
	cd $(VG_BUILD) && ctest --output-on-failure -j $(JOBS) -L valgrind

check-release: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DTCMUD_SANITIZE=OFF -DBUILD_TESTING=OFF -DTCMUD_WERROR=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS)

check-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE vm

check-vm: build
	cd $(BUILD) && ctest --output-on-failure -L vm

# Boot Debian's kernel and run tcmud the way an operator does: targetcli,
# iSCSI with open-iscsi, fio, a PI error caught, tcmudctl status
# (tests/vm/demo.sh).
demo: build
	tests/vm/run tests/vm/demo.sh

# Benchmark, not a test: fio against tcmud, the kernel's rd_mcp and tcmu-runner
# in one guest, printed as ratios (docs/benchmarks.md). Release build without
# sanitizers; tcmu-runner is installed here only (it is no dependency of
# tcmud), with package scripts kept from starting it; if that fails the peer
# is skipped. BENCH_ARGS: e.g. BENCH_RUNTIME=20 (see bench/vm-fio.sh).
bench: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DTCMUD_SANITIZE=OFF -DBUILD_TESTING=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	@scripts/install-deps.sh peers || echo "bench: could not install tcmu-runner; that peer will be skipped"
	@pgrep qemu-system >/dev/null && echo "bench: other QEMU guests are running; they share the CPU and skew the figures" || true
	TCMUD_BUILD=$(BENCH_BUILD) TCMUD_VM_TIMEOUT=$${TCMUD_VM_TIMEOUT:-1800} tests/vm/run bench/vm-fio.sh $(BENCH_ARGS)

# Conformance comparison, not a test (slow; not part of check): libiscsi's
# iscsi-test-cu, SCSI family, in one guest against tcmud (pi=0 and pi=1), the
# kernel's rd_mcp (without and with PI) and tcmu-runner, then the generated
# part of docs/conformance.md is rewritten from the reports by
# tests/vm/cu_summary.py. tcmu-runner is installed as for `make bench` (the
# peer is skipped if that fails). CONFORMANCE_ARGS: more options for
# tests/vm/conformance.sh.
.PHONY: conformance
conformance: build
	@scripts/install-deps.sh peers || echo "conformance: could not install tcmu-runner; that peer will be skipped"
	TCMUD_BUILD=$(BUILD) TCMUD_VM_TIMEOUT=$${TCMUD_VM_TIMEOUT:-3600} \
		tests/vm/run tests/vm/conformance_compare.sh $(CONFORMANCE_ARGS)
	tests/vm/cu_summary.py --table $(BUILD)/vm-results/conformance_compare/manifest.jsonl \
		--update docs/conformance.md

clean:
	rm -rf $(BUILD) $(VG_BUILD) $(BENCH_BUILD)
