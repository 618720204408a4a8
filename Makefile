# k2onnx - build, test and benchmark.
CC ?= cc
WARN = -Wall -Wextra -Wpedantic -Werror
CFLAGS ?= -O2 -g
STD = -std=c99
BUILD = build

SAN = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DK2ONNX_DEBUG_ARENA

.PHONY: all test unit e2e asan deps clean bench install uninstall check-compilers fuzz sweep valgrind replay consumers size trim-sizes cross trim firmware picture web

all: k2onnx

# No -lm: the converter needs nothing from libm (firmware toolchains may not have it).
k2onnx: example.c k2onnx.h
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ example.c

$(BUILD):
	mkdir -p $(BUILD)

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the command, the header and the man page.
PREFIX ?= /usr/local
INSTALLED = $(DESTDIR)$(PREFIX)/bin/k2onnx $(DESTDIR)$(PREFIX)/include/k2onnx.h $(DESTDIR)$(PREFIX)/share/man/man1/k2onnx.1

install: k2onnx
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	cp k2onnx $(DESTDIR)$(PREFIX)/bin/k2onnx && chmod 755 $(DESTDIR)$(PREFIX)/bin/k2onnx
	cp k2onnx.h $(DESTDIR)$(PREFIX)/include/k2onnx.h && chmod 644 $(DESTDIR)$(PREFIX)/include/k2onnx.h
	cp k2onnx.1 $(DESTDIR)$(PREFIX)/share/man/man1/k2onnx.1 && chmod 644 $(DESTDIR)$(PREFIX)/share/man/man1/k2onnx.1

uninstall:
	rm -f $(INSTALLED)

$(BUILD)/unit_tests: tests/unit_tests.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ tests/unit_tests.c -lm

# The inflater and checksums alone, for tests/inflate_diff.py (compared with Python's zlib).
$(BUILD)/inflate_check: tests/inflate_check.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ tests/inflate_check.c

$(BUILD)/inflate_check-asan: tests/inflate_check.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) $(SAN) -o $@ tests/inflate_check.c

# The same sources under AddressSanitizer + UndefinedBehaviorSanitizer, every arena object in a
# heap block of its own (K2ONNX_DEBUG_ARENA) so that an overrun of any object is caught.
$(BUILD)/k2onnx-asan: example.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) $(SAN) -o $@ example.c -lm

$(BUILD)/unit_tests-asan: tests/unit_tests.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) $(SAN) -o $@ tests/unit_tests.c -lm

# For valgrind: unoptimised enough for clear reports, one heap block per object.
$(BUILD)/k2onnx-vg: example.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) -O1 -g -DK2ONNX_DEBUG_ARENA -o $@ example.c -lm

# Warning-clean with both compilers, as C++, at every optimisation level (the may-be-uninitialised
# analysis differs between them).
check-compilers: | $(BUILD)
	for o in -O0 -O1 -O2 -O3 -Os; do \
	  gcc $(STD) $(WARN) $$o -c -o $(BUILD)/gcc.o example.c && \
	  clang $(STD) $(WARN) $$o -c -o $(BUILD)/clang.o example.c && \
	  g++ -x c++ -std=c++11 $(WARN) $$o -c -o $(BUILD)/cxx.o example.c || exit 1; \
	done
	gcc $(STD) $(WARN) -O2 -DK2ONNX_NO_STDIO -DK2ONNX_IMPLEMENTATION -x c -c -o $(BUILD)/nostdio.o k2onnx.h
	for c in gcc clang; do $$c $(STD) $(WARN) -O2 -DK2ONNX_NO_SIMD -DK2ONNX_IMPLEMENTATION -x c -c -o $(BUILD)/nosimd.o k2onnx.h || exit 1; done
	gcc $(STD) $(WARN) -O2 -DK2ONNX_STATIC -DK2ONNX_IMPLEMENTATION -x c -c -o $(BUILD)/static.o k2onnx.h
	clang $(STD) $(WARN) -O2 -DK2ONNX_STATIC -DK2ONNX_IMPLEMENTATION -x c -c -o $(BUILD)/static.o k2onnx.h
	for m in $(TRIM_MACROS) "$(MINIMAL)" "$(RECURRENT)"; do \
	  for c in gcc clang; do $$c $(STD) $(WARN) -O2 -DK2ONNX_STATIC $$m -DK2ONNX_IMPLEMENTATION -x c -c -o $(BUILD)/trim.o k2onnx.h || exit 1; done; \
	  g++ -x c++ -std=c++11 $(WARN) -Os $$m -c -o $(BUILD)/trim.o example.c || exit 1; \
	done

# The trimming macros (see the top of k2onnx.h) and the minimal configuration of `make size`.
TRIM_MACROS = -DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_NO_ZIP -DK2ONNX_NO_DEFLATE -DK2ONNX_NO_H5_CHUNKED -DK2ONNX_NO_H5_DENSE \
	-DK2ONNX_NO_H5_INSPECT -DK2ONNX_NO_CONV -DK2ONNX_NO_ATTENTION -DK2ONNX_NO_SCAN_UNROLL -DK2ONNX_NO_KERAS1 -DK2ONNX_NO_RENAME -DK2ONNX_NO_DESCRIBE -DK2ONNX_ONLY_RECURRENT
MINIMAL = -DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_NO_ZIP -DK2ONNX_NO_H5_CHUNKED -DK2ONNX_NO_H5_DENSE -DK2ONNX_NO_H5_INSPECT \
	-DK2ONNX_ONLY_RECURRENT -DK2ONNX_NO_SCAN_UNROLL -DK2ONNX_NO_KERAS1 -DK2ONNX_NO_RENAME -DK2ONNX_NO_DESCRIBE
# Every file format and every recurrent form (fused, Scan, unrolled), without message texts.
RECURRENT = -DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_ONLY_RECURRENT -DK2ONNX_NO_DESCRIBE

# Cortex-M4 figures (code size, stack, heap) for the full, recurrent and minimal configurations, measured
# by building and running the firmware test under qemu-system-arm; the last line is
# "minimal: N bytes".
size:
	K2ONNX_MINIMAL_DEFINES="$(MINIMAL)" K2ONNX_RECURRENT_DEFINES="$(RECURRENT)" sh tests/firmware/size.sh

# What each trimming macro saves on its own on the Cortex-M4 of `make size` (README's table).
trim-sizes:
	K2ONNX_TRIM_MACROS="$(TRIM_MACROS)" sh tests/firmware/trim_sizes.sh

# Big-endian and 32-bit builds under qemu-user, musl and tcc: same bytes as the native build.
cross: k2onnx
	sh tests/cross.sh

# Every trimming macro: the full build's bytes or a refusal naming the macro.
# The picture the README shows: the seed's LSTM with initial states, drawn by Graphviz from --dot.
picture: k2onnx
	./k2onnx tests/fixtures/k22_lstm_state.h5 --dot $(BUILD)/k22_lstm_state.dot
	dot -Tsvg -o tests/summary/k22_lstm_state.svg $(BUILD)/k22_lstm_state.dot

trim: k2onnx
	sh tests/trim.sh

# The converter as one static web page (build/web/k2onnx.html): k2onnx.h built to WebAssembly with
# no C library (web/k2onnx_web.c gives it string functions and an allocator), embedded in the page.
WASM_CC = clang --target=wasm32 $(STD) $(WARN) -O2 -mbulk-memory -ffreestanding -nostdlib -Iweb/include
web: $(BUILD)/web/k2onnx.html

$(BUILD)/web/k2onnx.wasm: web/k2onnx_web.c web/include/string.h web/include/math.h k2onnx.h
	mkdir -p $(BUILD)/web
	$(WASM_CC) -Wl,--no-entry -Wl,--max-memory=4294967296 -o $@ web/k2onnx_web.c

$(BUILD)/web/k2onnx.html: web/page.html $(BUILD)/web/k2onnx.wasm
	base64 -w 100 $(BUILD)/web/k2onnx.wasm > $@.b64
	awk -v b64=$@.b64 '$$0 == "@K2ONNX_WASM@" { while ((getline line < b64) > 0) print line; next } { print }' web/page.html > $@.tmp
	rm -f $@.b64 && mv $@.tmp $@

deps:
	sh tests/install_deps.sh

# onnx2c and libonnx, the C ONNX consumers the tests run the converted models on, built out of
# tree from ../shared/tools (kept under build/, about 2 minutes the first time).
CONSUMERS = $(BUILD)/consumers
consumers: $(CONSUMERS)/onnx2c

$(CONSUMERS)/onnx2c:
	sh ../shared/tools/build_consumers.sh $(CONSUMERS)

# Each step's log ends with "N passed, M failed"; the last line sums them. FUZZ_SECONDS=N (set by
# .ci/run) adds N seconds of fuzzing per target.
test: deps k2onnx $(BUILD)/unit_tests $(BUILD)/k2onnx-asan $(BUILD)/unit_tests-asan $(BUILD)/inflate_check $(BUILD)/inflate_check-asan $(BUILD)/k2onnx-vg check-compilers consumers web
	sh tests/run_all.sh > tests/out-plain.log 2>&1; echo "exit $$?" >> tests/out-plain.log; cat tests/out-plain.log
	K2ONNX=$(BUILD)/k2onnx-asan UNIT_TESTS=$(BUILD)/unit_tests-asan INFLATE_CHECK=$(BUILD)/inflate_check-asan K2ONNX_OPSET_SWEEP=0 K2ONNX_STRIDE=3 sh tests/run_all.sh > tests/out-asan.log 2>&1; echo "exit $$?" >> tests/out-asan.log; cat tests/out-asan.log
	sh tests/fuzz/replay.sh > tests/out-replay.log 2>&1; echo "exit $$?" >> tests/out-replay.log; tail -n 3 tests/out-replay.log
	sh tests/sweep.sh > tests/out-sweep.log 2>&1; echo "exit $$?" >> tests/out-sweep.log; grep -v '^PASS' tests/out-sweep.log | tail -n 12
	K2ONNX_VALGRIND_BIN=$(BUILD)/k2onnx-vg sh tests/valgrind.sh > tests/out-valgrind.log 2>&1; echo "exit $$?" >> tests/out-valgrind.log; grep -e '^===' -e 'passed,' tests/out-valgrind.log
	sh tests/cross.sh > tests/out-cross.log 2>&1; echo "exit $$?" >> tests/out-cross.log; cat tests/out-cross.log
	sh tests/trim.sh > tests/out-trim.log 2>&1; echo "exit $$?" >> tests/out-trim.log; cat tests/out-trim.log
	sh tests/install.sh > tests/out-install.log 2>&1; echo "exit $$?" >> tests/out-install.log; cat tests/out-install.log
	K2ONNX_MINIMAL_DEFINES="$(MINIMAL)" K2ONNX_RECURRENT_DEFINES="$(RECURRENT)" sh tests/firmware/size.sh > tests/out-firmware.log 2>&1; echo "exit $$?" >> tests/out-firmware.log; cat tests/out-firmware.log
	node tests/web.js > tests/out-web.log 2>&1; echo "exit $$?" >> tests/out-web.log; grep -v '^PASS' tests/out-web.log | tail -n 20
	if [ -n "$(FUZZ_SECONDS)" ]; then FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/smoke.sh > tests/out-fuzz.log 2>&1; echo "exit $$?" >> tests/out-fuzz.log; cat tests/out-fuzz.log; fi
	sh tests/sum_results.sh tests/out-plain.log tests/out-asan.log tests/out-replay.log tests/out-sweep.log tests/out-valgrind.log tests/out-cross.log tests/out-trim.log tests/out-install.log tests/out-firmware.log tests/out-web.log $$([ -n "$(FUZZ_SECONDS)" ] && echo tests/out-fuzz.log)

# The libFuzzer targets, FUZZ_SECONDS (default 180) each.
fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-180} sh tests/fuzz/run.sh

sweep:
	sh tests/sweep.sh

replay:
	sh tests/fuzz/replay.sh

valgrind: $(BUILD)/k2onnx-vg
	K2ONNX_VALGRIND_BIN=$(BUILD)/k2onnx-vg sh tests/valgrind.sh

$(BUILD)/codec_bench: tests/bench/codec_bench.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) -O2 -o $@ tests/bench/codec_bench.c

bench: k2onnx $(BUILD)/codec_bench
	sh tests/bench.sh

clean:
	rm -rf k2onnx $(BUILD) tests/out
