# host - build, test, sanitizer, benchmark and demo targets.
#
#   make          bin/host and bin/host-sandbox
#   make demo     build, then the main job on the built-in offline proposer:
#                 host init (once), host evolve --gens 20, host log
#   make test     build, then the whole test suite
#   make asan     the test suite under AddressSanitizer and UBSan
#   make bench    the benchmarks
#
# Missing Debian packages are installed by scripts/deps.sh (as root) or
# named with the command to install them.

BUILD ?= build
BIN ?= bin
SAN ?=
CFLAGS ?= -O2 -g

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
TCC_LIBDIR ?= /usr/lib/$(MULTIARCH)/tcc
PKGS = libcurl jansson libgit2 libseccomp

# Deferred (=) so that pkg-config runs after scripts/deps.sh has installed it.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(CFLAGS) $(SAN) \
	-Ihost -Isandbox -DTCC_LIBDIR='"$(TCC_LIBDIR)"' $(PKG_CFLAGS) -MMD -MP
LDLIBS_TCC = -ltcc -ldl -lm

# The host program compiles nothing: libtcc is linked into host-sandbox,
# where every compile happens confined, and into the tests and benchmarks.
CORE_SRC = host/error.c host/buf.c host/os.c host/utf8.c \
	host/embed.c host/task.c host/scorer.c host/eval.c host/args.c \
	host/agents.c host/broker.c host/validate.c host/diff.c \
	host/store.c host/store_read.c host/store_fault.c \
	host/lab.c host/evolve.c host/evolve_eval.c host/evolve_archive.c \
	host/llm.c host/llm_wire.c host/llm_ledger.c host/llm_scrub.c host/report.c \
	sandbox/channel.c sandbox/parent.c sandbox/sandbox.c sandbox/service.c \
	sandbox/zygote.c sandbox/lockdown.c
CC_SRC = host/compile.c host/allowlist.c host/edits.c sandbox/guard.c sandbox/services.c
HOST_SRC = host/main.c host/cli.c host/cmd_bench.c host/cmd_validate.c \
	host/cmd_improve.c host/cmd_rewrite.c host/cmd_evolve.c host/cmd_log.c \
	host/cmd_lab.c
RUNNER_SRC = sandbox/child.c sandbox/child_solution.c sandbox/child_agent.c \
	sandbox/child_score.c sandbox/confine.c sandbox/lockdown.c sandbox/zygote.c \
	sandbox/channel.c host/error.c host/buf.c host/os.c host/utf8.c $(CC_SRC)
TEST_SRC = $(wildcard tests/*.c)
BENCH_SRC = bench/bench.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
CORE_LIB = $(BUILD)/libhost.a
CC_LIB = $(BUILD)/libhostcc.a
DEPS_OK = $(BUILD)/.deps-ok

LIBC_HEADERS = $(patsubst host/libc/%,$(BIN)/libc/%,$(wildcard host/libc/*.h)) \
	$(BIN)/libc/agent.h $(BIN)/libc/jansson.h $(BIN)/libc/jansson_config.h
JANSSON_INCLUDE = $(shell pkg-config --variable=includedir jansson)

all: $(BIN)/host $(BIN)/host-sandbox $(LIBC_HEADERS) $(BIN)/prices.json

# The LLM price table, found beside the binary (override: --llm-prices).
$(BIN)/prices.json: host/prices.json
	@mkdir -p $(@D)
	@cp $< $@

# Generated code is compiled against these headers, found beside the binaries:
# the allowlist's libc subset, agent.h, and jansson's own header with its
# refcounts made plain (tcc has no atomic builtins; agents are single-threaded).
$(BIN)/libc/%.h: host/libc/%.h
	@mkdir -p $(@D)
	@cp $< $@
$(BIN)/libc/agent.h: host/agent.h
	@mkdir -p $(@D)
	@cp $< $@
$(BIN)/libc/jansson.h: | $(DEPS_OK)
	@mkdir -p $(@D)
	@cp $(JANSSON_INCLUDE)/jansson.h $@
$(BIN)/libc/jansson_config.h: | $(DEPS_OK)
	@mkdir -p $(@D)
	@sed -e 's/JSON_HAVE_ATOMIC_BUILTINS 1/JSON_HAVE_ATOMIC_BUILTINS 0/' \
	     -e 's/JSON_HAVE_SYNC_BUILTINS 1/JSON_HAVE_SYNC_BUILTINS 0/' \
	     $(JANSSON_INCLUDE)/jansson_config.h > $@

$(DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/.deps-tests-ok: scripts/deps.sh
	@sh scripts/deps.sh --tests
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/host/embed.o: host/task_abi.h host/agent.h

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(CC_LIB): $(call obj,$(CC_SRC))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(BIN)/host: $(call obj,$(HOST_SRC)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lm $(PKG_LIBS)

$(BIN)/host-sandbox: $(call obj,$(RUNNER_SRC))
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -Wl,-z,now -o $@ $^ $(LDLIBS_TCC) -ljansson -lseccomp

$(call obj,$(TEST_SRC)): | $(BUILD)/.deps-tests-ok

$(BUILD)/tests/run_tests: $(call obj,$(TEST_SRC)) $(CC_LIB) $(CORE_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_TCC) $(PKG_LIBS) -lcmocka

$(BUILD)/bench/bench: $(call obj,$(BENCH_SRC)) $(CC_LIB) $(CORE_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_TCC) $(PKG_LIBS)

test: $(BUILD)/.deps-tests-ok all $(BUILD)/tests/run_tests
	HOST_BIN=$(BIN) $(BUILD)/tests/run_tests

asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin CFLAGS="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

bench: all $(BUILD)/bench/bench
	HOST_BIN=$(BIN) $(BUILD)/bench/bench

demo: all
	@[ -d generations ] || $(BIN)/host init
	$(BIN)/host evolve --gens 20
	$(BIN)/host log

clean:
	rm -rf $(BUILD) $(BIN)

.PHONY: all test asan bench demo clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
