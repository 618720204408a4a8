# k2onnx - build, test and benchmark.
CC ?= cc
WARN = -Wall -Wextra -Wpedantic -Werror
CFLAGS ?= -O2 -g
STD = -std=c99
BUILD = build

.PHONY: all test unit e2e asan deps clean bench check-compilers

all: k2onnx

k2onnx: example.c k2onnx.h
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ example.c -lm

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/unit_tests: tests/unit_tests.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ tests/unit_tests.c -lm

# The same sources under AddressSanitizer + UndefinedBehaviorSanitizer.
$(BUILD)/k2onnx-asan: example.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -o $@ example.c -lm

$(BUILD)/unit_tests-asan: tests/unit_tests.c k2onnx.h | $(BUILD)
	$(CC) $(STD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -o $@ tests/unit_tests.c -lm

# Warning-clean with both compilers and as C++.
check-compilers: | $(BUILD)
	gcc $(STD) $(WARN) -O2 -c -o $(BUILD)/gcc.o example.c
	clang $(STD) $(WARN) -O2 -c -o $(BUILD)/clang.o example.c
	g++ -x c++ -std=c++11 $(WARN) -O2 -c -o $(BUILD)/cxx.o example.c
	gcc $(STD) $(WARN) -O2 -DK2ONNX_NO_STDIO -DK2ONNX_IMPLEMENTATION -x c -c -o $(BUILD)/nostdio.o k2onnx.h

deps:
	sh tests/install_deps.sh

test: deps k2onnx $(BUILD)/unit_tests $(BUILD)/k2onnx-asan $(BUILD)/unit_tests-asan check-compilers
	sh tests/run_all.sh > tests/out-plain.log 2>&1; echo "exit $$?" >> tests/out-plain.log; cat tests/out-plain.log
	K2ONNX=$(BUILD)/k2onnx-asan UNIT_TESTS=$(BUILD)/unit_tests-asan sh tests/run_all.sh > tests/out-asan.log 2>&1; echo "exit $$?" >> tests/out-asan.log; cat tests/out-asan.log
	sh tests/sum_results.sh tests/out-plain.log tests/out-asan.log

bench: k2onnx
	sh tests/bench.sh

clean:
	rm -rf k2onnx $(BUILD) tests/out
