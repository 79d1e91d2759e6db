# host - build, test, sanitizer, benchmark and demo targets.
#
#   make          bin/host and bin/host-sandbox
#   make demo     build, then the main job on the built-in offline proposer:
#                 host init (once), host evolve --gens 20, host log
#   make test     build, then the whole test suite (T=NAME: a group, or tests)
#   make asan     the test suite under AddressSanitizer and UBSan
#   make bench    the benchmarks
#   make install  host, its sandbox, seed, tasks, prices and manual pages
#                 into PREFIX (DESTDIR)
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
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(CFLAGS) $(SAN) \
	-DTCC_LIBDIR='"$(TCC_LIBDIR)"' $(PKG_CFLAGS) -MMD -MP
LDLIBS_TCC = -ltcc -ldl -lm

# The layers, in order. A layer's files see their own folder's headers and
# those of the layers before it, and nothing else: a wrong-way include does
# not compile.
LAYERS = host/util host/cc sandbox host/lab host/task host/llm host/agent host/evolve host/cli
layer_includes = $(foreach d,$(wordlist 1,$(1),$(LAYERS)),-I$(d))
UTIL_I = $(call layer_includes,1)
CC_I = $(call layer_includes,2)
SANDBOX_I = $(call layer_includes,3)
LAB_I = $(call layer_includes,4)
TASK_I = $(call layer_includes,5)
LLM_I = $(call layer_includes,6)
AGENT_I = $(call layer_includes,7)
EVOLVE_I = $(call layer_includes,8)
CLI_I = $(call layer_includes,9)

# host-sandbox's own files, the runner, are a folder of the sandbox layer:
# they see its headers and their own, and no other folder sees theirs, so
# the host's side of the sandbox cannot call into the runner.
RUNNER_DIR = sandbox/runner
RUNNER_I = $(SANDBOX_I) -I$(RUNNER_DIR)

# Every .c of the layers goes into one library that bin/host,
# bin/host-sandbox, the tests and the bench all link; the two programs are
# their main files. bin/host is linked without libtcc: it compiles
# nothing, and a reference to the compiler would not link. A program gets
# only the objects it refers to, so bin/host holds nothing of the runner.
LIB_SRC = $(filter-out $(HOST_MAIN) $(RUNNER_MAIN),$(foreach d,$(LAYERS) $(RUNNER_DIR),$(wildcard $(d)/*.c)))
HOST_MAIN = host/cli/main.c
RUNNER_MAIN = $(RUNNER_DIR)/runner.c
TEST_SRC = $(wildcard tests/*.c)
BENCH_SRC = bench/bench.c bench/timing.c bench/slurm.c bench/in_flight.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIB = $(BUILD)/libhost.a
DEPS_OK = $(BUILD)/.deps-ok

LIBC_HEADERS = $(patsubst host/cc/libc/%,$(BIN)/libc/%,$(wildcard host/cc/libc/*.h)) \
	$(BIN)/libc/agent.h $(BIN)/libc/jansson.h $(BIN)/libc/jansson_config.h
JANSSON_INCLUDE = $(shell pkg-config --variable=includedir jansson)

# The manual pages, written once in man/: host help finds them beside the
# binary (bin/man/), man(1) where make install puts them.
MAN_PAGES = $(wildcard man/*.1 man/*.5)

all: $(BIN)/host $(BIN)/host-sandbox $(LIBC_HEADERS) $(BIN)/prices.json \
	$(patsubst man/%,$(BIN)/man/%,$(MAN_PAGES))

$(BIN)/man/%: man/%
	@mkdir -p $(@D)
	@cp $< $@

# The LLM price table, found beside the binary (override: --llm-prices).
$(BIN)/prices.json: host/llm/prices.json
	@mkdir -p $(@D)
	@cp $< $@

# Generated code is compiled against these headers, found beside the binaries:
# the allowlist's libc subset, agent.h, and jansson's own header with its
# refcounts made plain (tcc has no atomic builtins; agents are single-threaded).
$(BIN)/libc/%.h: host/cc/libc/%.h
	@mkdir -p $(@D)
	@cp $< $@
$(BIN)/libc/agent.h: host/cc/agent.h
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

$(BUILD)/.deps-tests-ok: scripts/deps.sh | $(DEPS_OK)
	@sh scripts/deps.sh --tests
	@mkdir -p $(@D) && touch $@

# One pattern rule per layer, each with its own include path.
define layer_rule
$$(BUILD)/$(1)/%.o: $(1)/%.c | $$(DEPS_OK)
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	@$$(CC) $$(BASE_CFLAGS) $(2) -c -o $$@ $$<
endef
$(eval $(call layer_rule,host/util,$(UTIL_I)))
$(eval $(call layer_rule,host/cc,$(CC_I)))
$(eval $(call layer_rule,sandbox,$(SANDBOX_I)))
$(eval $(call layer_rule,$(RUNNER_DIR),$(RUNNER_I)))
$(eval $(call layer_rule,host/lab,$(LAB_I)))
$(eval $(call layer_rule,host/task,$(TASK_I)))
$(eval $(call layer_rule,host/llm,$(LLM_I)))
$(eval $(call layer_rule,host/agent,$(AGENT_I)))
$(eval $(call layer_rule,host/evolve,$(EVOLVE_I)))
$(eval $(call layer_rule,host/cli,$(CLI_I)))
$(eval $(call layer_rule,tests,$(CLI_I) -Itests))
# the bench compiles the seed agents as the runner does, with its services
$(eval $(call layer_rule,bench,$(CLI_I) -I$(RUNNER_DIR)))

$(BUILD)/host/util/embed.o: host/cc/task_abi.h host/cc/agent.h

$(LIB): $(call obj,$(LIB_SRC))
	@echo "  AR      $@"
	@rm -f $@
	@$(AR) rcs $@ $^

$(BIN)/host: $(call obj,$(HOST_MAIN)) $(LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lm $(PKG_LIBS)

$(BIN)/host-sandbox: $(call obj,$(RUNNER_MAIN)) $(LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -Wl,-z,now -o $@ $^ $(LDLIBS_TCC) -ljansson -lseccomp

$(call obj,$(TEST_SRC)): | $(BUILD)/.deps-tests-ok

$(BUILD)/tests/run_tests: $(call obj,$(TEST_SRC)) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_TCC) $(PKG_LIBS) -lcmocka

$(BUILD)/bench/bench: $(call obj,$(BENCH_SRC)) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_TCC) $(PKG_LIBS)

# make test's time includes the build: one job per CPU unless make was
# given -j. T picks a group or tests by name (HOST_TEST_FILTER, a shell
# pattern): make test T=sandbox, make test T=test_cpu_limit_is_a_timeout.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test:
	@$(MAKE) -s --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS)) \
		$(BUILD)/.deps-tests-ok all $(BUILD)/tests/run_tests
	HOST_BIN=$(BIN) $(if $(T),HOST_TEST_FILTER='$(T)' )$(BUILD)/tests/run_tests

asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin CFLAGS="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

bench: all $(BUILD)/bench/bench
	HOST_BIN=$(BIN) $(BUILD)/bench/bench

demo: all
	@[ -d generations ] || $(BIN)/host init
	$(BIN)/host evolve --gens 20
	$(BIN)/host log

# host finds what it needs beside its own binary (host-sandbox, libc/,
# prices.json, and ../seed, ../tasks), so the whole set goes to
# PREFIX/lib/host and PREFIX/bin/host is a relative link to it: the tree
# works wherever DESTDIR puts it.
PREFIX ?= /usr/local
HOST_HOME = $(DESTDIR)$(PREFIX)/lib/host

# The manual pages also go where man(1) looks, so that man host-evolve
# works; PREFIX/lib/host/bin/man keeps host help's own copy.
MAN_DIR = $(DESTDIR)$(PREFIX)/share/man

install: all
	install -d $(HOST_HOME)/bin $(DESTDIR)$(PREFIX)/bin $(MAN_DIR)/man1 $(MAN_DIR)/man5
	cp -R $(BIN)/. $(HOST_HOME)/bin/
	rm -rf $(HOST_HOME)/seed $(HOST_HOME)/tasks
	cp -R seed tasks $(HOST_HOME)/
	ln -sfn ../lib/host/bin/host $(DESTDIR)$(PREFIX)/bin/host
	install -m 644 $(filter %.1,$(MAN_PAGES)) $(MAN_DIR)/man1/
	install -m 644 $(filter %.5,$(MAN_PAGES)) $(MAN_DIR)/man5/

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/host $(DESTDIR)$(PREFIX)/bin/host
	rm -f $(patsubst man/%.1,$(MAN_DIR)/man1/%.1,$(filter %.1,$(MAN_PAGES))) \
		$(patsubst man/%.5,$(MAN_DIR)/man5/%.5,$(filter %.5,$(MAN_PAGES)))

clean:
	rm -rf $(BUILD) $(BIN)

# The include path one layer (or the runner's folder) is built with, for
# the test that a wrong-way include does not compile:
# make -s layer-includes LAYER=host/task
layer_index = $(strip $(foreach i,$(shell seq $(words $(LAYERS))),$(if $(filter $(1),$(word $(i),$(LAYERS))),$(i))))
layer-includes:
	@echo $(if $(filter $(RUNNER_DIR),$(LAYER)),$(RUNNER_I),$(call layer_includes,$(call layer_index,$(LAYER))))

.PHONY: all test asan bench demo clean install uninstall layer-includes

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
