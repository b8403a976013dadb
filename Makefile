# kiemthu - evidence bundles for CI runs.  See README.md.
#
#   make demo       install missing packages, build, run the pipeline on the fixtures
#   make            build every tool into $(BUILD)/ (warnings are errors)
#   make check      unit tests (cmocka) + end-to-end tests of the real binaries
#   make asan       build and run the whole suite under ASan + UBSan
#   make bench      performance ratios against openssl / sha256sum / GNU tar
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     clang-format every C file (format-check: verify only)

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
DATADIR ?= $(PREFIX)/share/kiemthu
DOCDIR  ?= $(PREFIX)/share/doc/kiemthu
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
SAN     ?=

PKGS      := libsodium libcjson nettle libxml-2.0
# (quiet here: a missing package is reported by .ci/deps.sh --check, below)
SECCOMP_LIBS := $(shell pkg-config --libs libseccomp 2> /dev/null)
CURL_LIBS := $(shell pkg-config --libs libcurl 2> /dev/null)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libarchive 2> /dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) libcrypto 2> /dev/null)
TEST_CFLAGS := $(shell pkg-config --cflags cmocka libarchive 2> /dev/null) -DKT_SRCDIR=\"$(CURDIR)\"
TEST_LIBS   := $(shell pkg-config --libs cmocka libarchive 2> /dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Wpointer-arith -Wundef -Wcast-qual -Wnull-dereference
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -fstack-protector-strong -fPIE $(CFLAGS) \
              $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread -lm
ifeq ($(SAN),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
ALL_CFLAGS += -D_FORTIFY_SOURCE=2
endif

CORE_SRC := $(wildcard core/*.c)
POLICY_SRC := $(wildcard policy/*.c)
GUARD_SRC := $(filter-out guard/main.c,$(wildcard guard/*.c))
KEYS_SRC := $(wildcard keys/*.c)
BUNDLE_SRC := $(filter-out bundle/main.c,$(wildcard bundle/*.c))
VERIFY_SRC := $(filter-out verify/main.c,$(wildcard verify/*.c))
SANDBOX_SRC := $(filter-out sandbox/main.c,$(wildcard sandbox/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
# kiemthu-bundle, kiemthu-verify and the unit tests hash with libcrypto's
# SHA-256 (core/sha256.c built with KT_SHA256_OPENSSL); the sandbox and the
# other small tools link the nettle build of the same file (core/sha256.h).
LIB_OBJ := $(filter-out $(BUILD)/obj/core/sha256.o,$(call obj,$(CORE_SRC) $(POLICY_SRC) $(KEYS_SRC))) \
           $(BUILD)/obj/core/sha256-ossl.o

TOOLS := $(BUILD)/kiemthu-bundle $(BUILD)/kiemthu-verify $(BUILD)/kiemthu-sandbox $(BUILD)/kiemthu-probe \
         $(BUILD)/kiemthu-guard
MVP := $(BUILD)/mvp/kiemthu-sample-inspector $(BUILD)/mvp/test_inspector $(BUILD)/mvp/bad-socket
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.SECONDARY:
all: $(MVP)
.PHONY: sandbox-link b4-no-baseline all check check-cgroup2 unit e2e asan bench install uninstall clean format format-check demo deps b4 b4-exec-once fuzz fuzz-build fuzz-smoke valgrind images image-pins golden
.PHONY: FORCE tools
all: $(TOOLS)
# The five tools alone (what make install puts in place; no cmocka needed).
tools: $(TOOLS)

# Before anything is compiled: the compiler, pkg-config and the libraries'
# -dev packages are there, else a list of what is missing and the command
# that installs it (.ci/deps.sh --check) instead of a compiler error.
$(BUILD)/.deps-ok: .ci/deps.sh .ci/packages.txt
	@bash .ci/deps.sh --check
	@mkdir -p $(dir $@) && touch $@

$(BUILD)/obj/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/core/sha256-ossl.o: core/sha256.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '  CC      $< (libcrypto)'
	@$(CC) $(ALL_CFLAGS) -DKT_SHA256_OPENSSL -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/kiemthu-bundle: $(call obj,bundle/main.c $(BUNDLE_SRC)) $(LIB_OBJ)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CURL_LIBS)

$(BUILD)/kiemthu-verify: $(call obj,verify/main.c $(VERIFY_SRC)) $(LIB_OBJ)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SECCOMP_LIBS)

# The sandbox needs no keys or base64: leaving libsodium out keeps its start-up lean.
# libarchive reads image layers (--image); it is linked statically with the two
# decompressors it uses here (gzip, zstd): the shared library pulls in libxml2,
# ICU and libstdc++, whose loading alone cost 1.5 ms of every start.
SANDBOX_ARCHIVE := $(shell pkg-config --exists libarchive 2> /dev/null && test -f "$$(pkg-config --variable=libdir libarchive)/libarchive.a" && echo static)
ifeq ($(SANDBOX_ARCHIVE),static)
SANDBOX_ARCHIVE_LIBS := -Wl,-Bstatic -larchive -lzstd -lz -Wl,-Bdynamic
else
SANDBOX_ARCHIVE_LIBS := $(shell pkg-config --libs libarchive 2> /dev/null)
endif
# nettle and libseccomp statically too, where their -dev packages ship the .a
# (Debian's do): 0.27 ms less loading and symbol binding on every start
# (medians of 200 starts, 4.91 -> 4.64 ms). bpfgen links libseccomp the same
# way, so the BPF it compiles for the baseline comes from the same library.
LD_STATIC := -Wl,-Bstatic
LD_DYNAMIC := -Wl,-Bdynamic
static_lib = $(if $(wildcard $(shell pkg-config --variable=libdir $(1) 2> /dev/null)/lib$(2).a),$(LD_STATIC) -l$(2) $(LD_DYNAMIC),$(shell pkg-config --libs $(1) 2> /dev/null))
SANDBOX_LIBS := $(shell pkg-config --libs libcjson 2> /dev/null) $(call static_lib,nettle,nettle) \
                $(SANDBOX_ARCHIVE_LIBS) $(call static_lib,libseccomp,seccomp) -lm
SANDBOX_CORE := $(call obj,core/err.c core/buf.c core/json_canon.c core/jsonb.c core/sha256.c core/fsutil.c core/cli.c core/jsondoc.c \
                          core/name.c)
SANDBOX_CORE += $(call obj,core/datadir.c core/escape.c core/newfile.c)
# The baseline filter is built in (.incbin): rebuild it when the file changes.
# It is also compiled here, by the sandbox's own compiler, into BPF the
# sandbox uses where the libseccomp version and architecture match (baseline.h).
BPFGEN_OBJ := $(call obj,sandbox/profile.c sandbox/filter.c sandbox/filtercheck.c sandbox/bpfeval.c sandbox/rulesel.c core/err.c core/buf.c \
                         core/json_canon.c core/sha256.c core/fsutil.c core/jsondoc.c)
$(BUILD)/tools/bpfgen: $(BUILD)/obj/sandbox/tools/bpfgen.o $(BPFGEN_OBJ)
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcjson 2> /dev/null) $(call static_lib,nettle,nettle) \
	  $(call static_lib,libseccomp,seccomp) -lm
$(BUILD)/gen/baseline_bpf.h: profiles/baseline.json $(BUILD)/tools/bpfgen
	@mkdir -p $(dir $@)
	@echo '  GEN     $@'
	@$(BUILD)/tools/bpfgen profiles/baseline.json $@.tmp && mv $@.tmp $@
$(BUILD)/obj/sandbox/baseline.o: profiles/baseline.json $(BUILD)/gen/baseline_bpf.h
$(BUILD)/obj/sandbox/baseline.o: ALL_CFLAGS += -I$(BUILD)/gen
# Static-pie where it can be: no dynamic loader and no libc.so to map and bind
# on every start (ABBA, 300 starts a side: 3.65 -> 3.27 ms, bwrap 3.79 ms).
# Debian ships no libcjson.a: .ci/cjson-src.sh (make deps, CI) fetches Debian's
# source of the installed libcjson-dev, patches applied, into third_party/cjson;
# without it, or under SAN=1, or for another libcjson-dev version, the sandbox
# is linked dynamically as before. `make sandbox-link` says which.
LIBDIR_SYS := $(shell pkg-config --variable=libdir libseccomp 2> /dev/null)
SANDBOX_STATIC_A := c nettle archive zstd z seccomp
CJSON_TP := $(wildcard third_party/cjson/cJSON.c)
ifneq ($(CJSON_TP),)
CJSON_TP_VER := $(shell cat third_party/cjson/DEBIAN_VERSION 2> /dev/null)
CJSON_SYS_VER := $(shell dpkg-query -W -f='$${source:Version}' libcjson-dev 2> /dev/null)
ifeq ($(CJSON_SYS_VER),)
CJSON_TP := # no dpkg to say which libcjson-dev this is: linked dynamically
else ifneq ($(CJSON_TP_VER),$(CJSON_SYS_VER))
$(warning third_party/cjson is $(CJSON_TP_VER), libcjson-dev is $(CJSON_SYS_VER): run .ci/cjson-src.sh (make deps); kiemthu-sandbox is linked dynamically)
CJSON_TP :=
endif
endif
SANDBOX_LINK := dynamic
ifneq ($(SAN),1)
ifneq ($(CJSON_TP),)
ifeq ($(words $(wildcard $(patsubst %,$(LIBDIR_SYS)/lib%.a,$(SANDBOX_STATIC_A)))),$(words $(SANDBOX_STATIC_A)))
SANDBOX_LINK := static-pie
endif
endif
endif
$(BUILD)/obj/third_party/cjson/cJSON.o: third_party/cjson/cJSON.c
	@mkdir -p $(dir $@)
	@echo '  CC      $< (Debian $(CJSON_TP_VER), as libcjson-dev is built)'
	@$(CC) -std=c89 -DENABLE_LOCALES -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(CFLAGS) -c -o $@ $<
ifeq ($(SANDBOX_LINK),static-pie)
$(BUILD)/kiemthu-sandbox: $(call obj,sandbox/main.c $(SANDBOX_SRC)) $(SANDBOX_CORE) \
                          $(BUILD)/obj/third_party/cjson/cJSON.o
	@echo '  LD      $@ (static-pie)'
	@$(CC) $(LDFLAGS) -static-pie -o $@ $^ $(patsubst %,-l%,$(filter-out c,$(SANDBOX_STATIC_A))) -lm
else
$(BUILD)/kiemthu-sandbox: $(call obj,sandbox/main.c $(SANDBOX_SRC)) $(SANDBOX_CORE)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(SANDBOX_LIBS)
endif
sandbox-link:
	@echo "kiemthu-sandbox: $(SANDBOX_LINK)$(if $(CJSON_TP), (cJSON $(CJSON_TP_VER) from third_party/cjson))"

# kiemthu-probe is static (it must run in a minimal --rootfs): its own small
# JSON reader instead of cJSON, libseccomp only to name syscalls. Under SAN=1
# it is built dynamically, since the sanitizer runtimes are not static here.
# It is never built with sanitizers: it runs inside a 256 MiB address-space
# limit where ASan cannot reserve its shadow memory, and it must stay static.
PROBE_SRC := $(wildcard sandbox/probe/*.c) core/cli.c core/err.c sandbox/rulesel.c
PROBE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -fstack-protector-strong -O2 -g -D_FORTIFY_SOURCE=2 \
                -ffile-prefix-map=$(CURDIR)=.
PROBE_OBJ := $(patsubst %.c,$(BUILD)/obj/probe/%.o,$(PROBE_SRC))
$(BUILD)/obj/probe/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '  CC      $< (no sanitizers)'
	@$(CC) $(PROBE_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/kiemthu-probe: $(PROBE_OBJ)
	@echo '  LD      $@'
	@$(CC) -static -o $@ $^ -l:libseccomp.a

GUARD_CORE := $(call obj,core/cli.c core/sha256.c core/err.c core/buf.c core/fsutil.c core/jsonb.c core/name.c core/datadir.c \
                           core/json_canon.c)
$(BUILD)/kiemthu-guard: $(call obj,guard/main.c $(GUARD_SRC)) $(GUARD_CORE)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libelf nettle libcjson) -lm

# The sample MVP (fixtures/mvp): the product under test in the demo pipeline.
# Built without sanitizers, its tests too: both run in the sandbox (the tests
# are the project's code, so never on the host before signing), where
# LeakSanitizer's ptrace at exit is (rightly) denied.
MVP_LIB := $(BUILD)/obj/probe/fixtures/mvp/src/inspector.o
MVP_OBJ := $(patsubst %.c,$(BUILD)/obj/probe/%.o,fixtures/mvp/src/main.c fixtures/mvp/src/inspector.c)
$(BUILD)/mvp/kiemthu-sample-inspector: $(MVP_OBJ)
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) -o $@ $^ $(shell pkg-config --libs libcjson nettle)
$(BUILD)/mvp/test_inspector: $(BUILD)/obj/probe/tests/mvp/test_inspector.o $(MVP_LIB)
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) -o $@ $^ $(shell pkg-config --libs libcjson nettle cmocka)
$(BUILD)/obj/probe/tests/mvp/test_inspector.o: fixtures/mvp/tests/test_inspector.c
	@mkdir -p $(dir $@)
	@echo '  CC      $< (no sanitizers)'
	@$(CC) $(PROBE_CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/mvp/bad-socket: fixtures/mvp/bad/bad_socket.c
	@mkdir -p $(dir $@)
	@$(CC) -O1 -o $@ $<

# Unit tests link every library module; each test uses what it needs (the
# probe's JSON reader and filter model too: test_probe holds them to the kernel).
PROBE_UNIT_SRC := sandbox/probe/json.c sandbox/probe/filters.c
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(call obj,$(BUNDLE_SRC) $(VERIFY_SRC) $(SANDBOX_SRC) $(GUARD_SRC) $(PROBE_UNIT_SRC)) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS) $(SECCOMP_LIBS) $(CURL_LIBS) $(shell pkg-config --libs libelf)

HELPERS := $(BUILD)/tests/try-syscall $(BUILD)/tests/no-userns $(BUILD)/tests/with-session-key \
           $(BUILD)/tests/kt-mkimage $(BUILD)/tests/no-landlock $(BUILD)/tests/no-clone3
# Hostile payloads in C (fixtures/hostile/*.c): run in the sandbox, so never
# built with sanitizers.
HOSTILE_BIN := $(patsubst fixtures/hostile/%.c,$(BUILD)/hostile/%,$(wildcard fixtures/hostile/*.c))
$(BUILD)/hostile/%: fixtures/hostile/%.c
	@mkdir -p $(dir $@)
	@echo '  CC      $< (hostile payload)'
	@$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -o $@ $<
$(BUILD)/tests/with-session-key: tests/helpers/with-session-key.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -o $@ $<
# The demo's reproducible image builder (tests/helpers/mkimage.c).
$(BUILD)/tests/kt-mkimage: $(BUILD)/obj/tests/helpers/mkimage.o \
    $(call obj,core/err.c core/buf.c core/json_canon.c core/jsonb.c core/name.c core/sha256.c)
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcjson nettle)
$(BUILD)/tests/no-landlock: tests/helpers/no-landlock.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -o $@ $< $(SECCOMP_LIBS)
$(BUILD)/tests/no-clone3: tests/helpers/no-clone3.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -o $@ $<
$(BUILD)/tests/no-userns: tests/helpers/no-userns.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -o $@ $<
# static: the differential test also runs it in a busybox-only container image
$(BUILD)/tests/try-syscall: tests/helpers/try-syscall.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -static -o $@ $< -l:libseccomp.a

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: $(TOOLS) $(HELPERS) $(HOSTILE_BIN)
	@KT_BIN=$(abspath $(BUILD)) SAN_BUILD=$(SAN) bash tests/e2e/run.sh

check: all unit fuzz-smoke e2e

# The whole e2e suite in a VM on Debian's kernel with cgroup v2 alone
# (tests/vm/run.sh; make check runs only its smoke set there).
check-cgroup2: all $(HELPERS) $(HOSTILE_BIN)
	@KT_BIN=$(abspath $(BUILD)) flock /tmp/kt-vm.lock bash tests/vm/run.sh full

deps:
	@bash .ci/deps.sh
	@bash .ci/cjson-src.sh --optional

# One command for a newcomer: install what is missing, build, run the main job.
demo: deps
	@$(MAKE) -s all $(BUILD)/tests/kt-mkimage
	@KT_BIN=$(abspath $(BUILD)) bash tests/demo.sh

# The demo's probe and MVP images (reproducible; tests/images.sh), and the
# digests the shipped policy pins for them: make image-pins rewrites them.
images: all $(BUILD)/tests/kt-mkimage
	@KT_BIN=$(abspath $(BUILD)) bash tests/images.sh out/images
image-pins: all $(BUILD)/tests/kt-mkimage
	@KT_BIN=$(abspath $(BUILD)) bash tests/image-pins.sh

# The seed's B4' attestation: probes under the strict, then the startup-safe profile.
b4: all $(BUILD)/tests/kt-mkimage
	@KT_BIN=$(abspath $(BUILD)) bash tests/b4prime.sh

# The same without the baseline filter (--baseline none): the probes for the
# side doors it shuts (io_uring, vsock, socket families, keyrings, namespaces,
# the new mount API, clone3, the parent-death signal) fail; exit 1.
b4-no-baseline: all $(BUILD)/tests/kt-mkimage
	@KT_BIN=$(abspath $(BUILD)) bash tests/b4prime.sh out/b4-no-baseline -- --baseline none

# The same with --exec-once: the strict profile attested instead of unrunnable.
b4-exec-once: all $(BUILD)/tests/kt-mkimage
	@KT_BIN=$(abspath $(BUILD)) bash tests/b4prime.sh out/b4-exec-once -- --exec-once

# ---- fuzzing (clang + libFuzzer, ASan + UBSan) --------------------------
FUZZ_DIR := build-fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := bundle envelope policy profile junit probe_json oci layer guard_elf extract_name
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=undefined $(PKG_CFLAGS)
FUZZ_LIB_SRC := $(CORE_SRC) $(POLICY_SRC) $(GUARD_SRC) $(KEYS_SRC) $(VERIFY_SRC) sandbox/profile.c sandbox/filter.c sandbox/filtercheck.c sandbox/bpfeval.c sandbox/rulesel.c sandbox/probe/json.c \
                sandbox/imgref.c sandbox/oci.c sandbox/unpack.c sandbox/entry.c sandbox/beneath.c
# objects under o/ with header dependencies (.d; compile only: -MMD on the link
# step made clang refuse "multiple output files" and the smoke skip silently)
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/o/%.o,$(FUZZ_LIB_SRC))
$(FUZZ_DIR)/o/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC      $< (fuzz)'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@echo '  LD      $@'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.o,$^) $(LDLIBS) $(SECCOMP_LIBS) \
	  $(shell pkg-config --libs libarchive libelf)

fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

# make fuzz: each target for FUZZ_SECONDS, growing a scratch corpus seeded
# from tests/fuzz/corpus; crashes are written to build-fuzz/crashes/.
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; echo "== fuzz_$$t for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$t- $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | \
	    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done|==.*ERROR)' ; \
	done

# make check's smoke: every seed plus 2,000 mutations per target. New inputs go
# to a scratch corpus (libFuzzer writes into the first directory it is given),
# never into the committed tests/fuzz/corpus.
fuzz-smoke:
	@if command -v $(FUZZ_CC) > /dev/null && $(MAKE) -s fuzz-build > $(FUZZ_DIR).log 2>&1; then \
	  for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FUZZ_DIR)/smoke-corpus/$$t && mkdir -p $(FUZZ_DIR)/smoke-corpus/$$t && \
	    $(FUZZ_DIR)/fuzz_$$t -runs=2000 -max_len=65536 $(FUZZ_DIR)/smoke-corpus/$$t tests/fuzz/corpus/$$t \
	      > $(FUZZ_DIR)/smoke-$$t.log 2>&1 \
	      && echo "ok - fuzz_$$t smoke: seeds + 2000 runs, no crash" \
	      || { echo "not ok - fuzz_$$t smoke"; tail -20 $(FUZZ_DIR)/smoke-$$t.log; exit 1; }; \
	  done; \
	elif command -v $(FUZZ_CC) > /dev/null && echo 'int LLVMFuzzerTestOneInput(void){return 0;}' | \
	    $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null 2> /dev/null; then \
	  echo "not ok - fuzz smoke: libFuzzer works but the fuzz targets do not build:"; tail -5 $(FUZZ_DIR).log; exit 1; \
	else echo "SKIPPED - fuzz smoke: clang with libFuzzer (libclang-rt-14-dev) not available; see $(FUZZ_DIR).log"; fi

# The suite's tools and unit tests under valgrind memcheck (tests/valgrind.sh).
valgrind: all $(UNIT_BIN)
	@KT_BIN=$(abspath $(BUILD)) bash tests/valgrind.sh

asan:
	$(MAKE) BUILD=build-asan SAN=1 check

# Rewrite the golden bundles (fixtures/golden/*.tar) after a deliberate format change.
golden: $(TOOLS)
	@KT_BIN=$(abspath $(BUILD)) bash tests/golden.sh --update

bench: $(TOOLS)
	@KT_BIN=$(abspath $(BUILD)) python3 tests/bench/bench.py
	@KT_BIN=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/image_bench.py

# Where the shipped data and docs are, compiled into core/datadir.c through a
# generated header that changes only when they do (a new PREFIX relinks).
$(BUILD)/gen/paths.h: FORCE
	@mkdir -p $(dir $@)
	@case '$(DATADIR)$(DOCDIR)' in *[!A-Za-z0-9/._+-]*) \
	  echo "DATADIR/DOCDIR (from PREFIX) may hold only A-Z a-z 0-9 / . _ + -" >&2; exit 1;; esac
	@printf '#define KT_DATADIR "%s"\n#define KT_DOCDIR "%s"\n' '$(DATADIR)' '$(DOCDIR)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/obj/core/datadir.o: $(BUILD)/gen/paths.h
$(BUILD)/obj/core/datadir.o: ALL_CFLAGS += -include $(BUILD)/gen/paths.h

# make install: the tools, their man pages (naming the installed paths), the
# shipped profiles and policy (DATADIR/profiles), the docs, the by-hand
# verifier and the CI workflow template (DOCDIR), bash completion. make
# uninstall removes exactly those files, and the kiemthu directories if empty.
SHARE_FILES := profiles/seccomp-deny-by-default.json profiles/seccomp-startup-safe.json \
               profiles/baseline.json profiles/policy.json profiles/README.md
DOC_FILES := README.md docs/FORMAT.md docs/GUARD.md docs/POLICY.md docs/RUN_RECORD.md \
             docs/THREAT_MODEL.md verify/kiemthu-verify-by-hand.sh docs/ci/kiemthu-evidence.yml
MAN_FILES := $(wildcard docs/man/*.1)
INSTALLED := $(addprefix $(BINDIR)/,$(notdir $(TOOLS))) \
             $(addprefix $(MANDIR)/,$(notdir $(MAN_FILES))) \
             $(addprefix $(DATADIR)/profiles/,$(notdir $(SHARE_FILES))) \
             $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES))) \
             $(addprefix $(COMPDIR)/,$(notdir $(TOOLS))) $(DOCDIR)/cJSON.LICENSE
SUBST := sed -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g'

install: $(TOOLS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DATADIR)/profiles \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(COMPDIR)
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	set -e; for m in $(MAN_FILES); do \
	  $(SUBST) $$m > $(DESTDIR)$(MANDIR)/$$(basename $$m); chmod 0644 $(DESTDIR)$(MANDIR)/$$(basename $$m); done
	install -m 0644 $(SHARE_FILES) $(DESTDIR)$(DATADIR)/profiles/
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	$(if $(filter static-pie,$(SANDBOX_LINK)),install -m 0644 third_party/cjson/LICENSE $(DESTDIR)$(DOCDIR)/cJSON.LICENSE)
	set -e; for t in $(notdir $(TOOLS)); do \
	  $(SUBST) docs/bash-completion/kiemthu > $(DESTDIR)$(COMPDIR)/$$t; chmod 0644 $(DESTDIR)$(COMPDIR)/$$t; done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	for d in $(DESTDIR)$(DATADIR)/profiles $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR); do \
	  if [ -d $$d ]; then rmdir $$d 2> /dev/null || echo "kept $$d: not empty"; fi; done

clean:
	rm -rf build build-asan build-fuzz build-fuzz.log out

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(C_FILES)
format-check:
	clang-format --dry-run -Werror $(C_FILES)

-include $(shell find $(BUILD) $(FUZZ_DIR) -name '*.d' 2>/dev/null)
