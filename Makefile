# Thin wrapper: `make check` and `make demo` install what is missing, configure,
# build and run. The real build is CMake (see CMakeLists.txt).
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?= -DTCMUD_SANITIZE=ON -DTCMUD_WERROR=ON

.PHONY: all deps configure build check check-unit check-vm check-valgrind demo clean

all: build

deps:
	scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Every test: the fast unit tests (ASan/UBSan), the same under valgrind in a
# build without sanitizers, then the real-kernel ones (label vm).
check: build check-valgrind
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE vm
	cd $(BUILD) && ctest --output-on-failure -L vm

VG_BUILD ?= build-valgrind
check-valgrind: deps
	cmake -S . -B $(VG_BUILD) -DTCMUD_SANITIZE=OFF -DTCMUD_VALGRIND_TESTS=ON -DTCMUD_WERROR=ON
	cmake --build $(VG_BUILD) -j $(JOBS)
	cd $(VG_BUILD) && ctest --output-on-failure -j $(JOBS) -L valgrind

check-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE vm

check-vm: build
	cd $(BUILD) && ctest --output-on-failure -L vm

# Boot Debian's kernel, serve a user:rd LUN with tcmud, export it over iSCSI
# and read and write it with libiscsi's tools.
demo: build
	tests/vm/run tests/vm/demo.sh

clean:
	rm -rf $(BUILD) $(VG_BUILD)
