# tlsmatrix — the targets are the README's verbs.
#   make          build bin/tlsm-{client,server}-{openssl,gnutls}
#   make test     C units, harness tests and the case matrix; units + a matrix sample under ASan+UBSan
#   make run      the full default matrix against the reference implementations, with reports in out/
#   make bench    the matrix's throughput against openssl s_time's raw handshake rate
#   make fuzz     libFuzzer over the URL grammar, the --batch reader and option parsing
#   make clean

PYTHON ?= /usr/bin/python3
CC ?= cc
OPT ?= -O2 -g
# A library is one entry here plus a directory lib/backends/<name>/ (its *.c and headers, all
# built with the library's pkg-config cflags); its pkg-config module name follows.
LIBS := openssl gnutls
PKG_openssl := openssl
PKG_gnutls := gnutls

# Release build into build/ and bin/; `make SAN=1` builds the sanitized twin into build-san/ and bin-san/.
ifeq ($(SAN),1)
BUILD := build-san
BINDIR := bin-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1 -g
else
BUILD := build
BINDIR := bin
SANFLAGS :=
endif

STD_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
              -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib
ALL_CFLAGS = $(STD_CFLAGS) $(OPT) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

CORE_SRC := $(filter-out lib/backends/%,$(wildcard lib/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CORE_HDR := $(wildcard lib/*.h)

PROGRAMS := $(foreach l,$(LIBS),$(BINDIR)/tlsm-client-$(l) $(BINDIR)/tlsm-server-$(l))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Ensure the Debian packages exist before anything needs them (no-op when all are installed).
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps test test-units test-san test-py run bench fuzz clean
all: $(PROGRAMS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): ci/deps.sh
	bash ci/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c $(CORE_HDR) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Per library: each lib/backends/<lib>/*.c becomes $(BUILD)/<lib>/*.o with the library's cflags,
# rebuilt when a header of that directory changes; select.c names the backend of the binaries.
define LIB_RULES
$(1)_OBJ := $(patsubst lib/backends/$(1)/%.c,$(BUILD)/$(1)/%.o,$(wildcard lib/backends/$(1)/*.c))
$$($(1)_OBJ): $(BUILD)/$(1)/%.o: lib/backends/$(1)/%.c $(CORE_HDR) $(wildcard lib/backends/$(1)/*.h) | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(shell pkg-config --cflags $(PKG_$(1))) -c $$< -o $$@
$(BUILD)/$(1)/select.o: lib/backends/select.c $(CORE_HDR) | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) -DTLSM_BACKEND=tlsm_backend_$(1) -c $$< -o $$@
$(BINDIR)/tlsm-client-$(1): $(BUILD)/clients/client.o $$($(1)_OBJ) $(BUILD)/$(1)/select.o $(CORE_OBJ)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(shell pkg-config --libs $(PKG_$(1))) -lpthread
$(BINDIR)/tlsm-server-$(1): $(BUILD)/servers/server.o $$($(1)_OBJ) $(BUILD)/$(1)/select.o $(CORE_OBJ)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(shell pkg-config --libs $(PKG_$(1))) -lpthread
endef
$(foreach l,$(LIBS),$(eval $(call LIB_RULES,$(l))))

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ) tests/unit/unit.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_OBJ) $(ALL_LDFLAGS) -lpthread

test-units: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $$t; done

# The sanitized twin: C units and a sample of the matrix (cases marked `sanitizer_sample = true`).
test-san:
	$(MAKE) SAN=1 all test-units
	TLSM_BIN=$(CURDIR)/bin-san $(PYTHON) -m pytest -q -p no:cacheprovider --tlsm-isolated \
	  -m sanitizer_sample tests cases

test-py: all
	$(PYTHON) -m pytest -q -p no:cacheprovider -n auto tests cases

test: all test-units test-py test-san

# The reports (docs/reports.md) go to OUT: results.json, summary.md, report.html, junit.xml.
OUT ?= out
run: all
	$(PYTHON) -m harness run --out $(OUT); rc=$$?; \
	  echo "tlsmatrix: open $(abspath $(OUT))/report.html (also results.json, summary.md, junit.xml)"; \
	  exit $$rc

# The default matrix with 2 workers, then openssl s_time for the raw handshake rate
# (docs/performance.md). BENCH_ARGS=--isolated measures a server and client process per case.
BENCH_SECONDS ?= 5
bench: all
	$(PYTHON) -m harness bench --jobs auto --out $(OUT)/bench --seconds $(BENCH_SECONDS) $(BENCH_ARGS)

# Fuzzing: each target runs FUZZ_SECONDS on a scratch corpus seeded from tests/fuzz/corpus/<target>.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L \
               -D_DEFAULT_SOURCE -Ilib

build/fuzz/%: tests/fuzz/fuzz_%.c $(CORE_SRC) $(CORE_HDR)
	@bash ci/deps.sh fuzz
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRC)

fuzz: $(FUZZ_TARGETS:%=build/fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus-$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    build/fuzz/corpus-$$t tests/fuzz/corpus/$$t; \
	done

clean:
	rm -rf build build-san bin bin-san out
