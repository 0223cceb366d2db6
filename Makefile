# e4ctl — top-level build.  GNU make.
#
# make [all]            build $(BUILD)/e4ctl
# make stress           the crash sweeps of tests/crash at every cut point
# make check            deps, then the build (with bench/gdt) + unit tests (plain and
#                       ASan/UBSan) + integration + VM tests
# make stress           the long sweeps (damaged images, shrink matrix, full size)
# make demo             deps, then the build + a walk through e4ctl on a scratch image
# make san              build $(BUILD)/san/e4ctl with ASan/UBSan (SANITIZE=1)
# make deps             install the Debian packages the build, tests and VM need
# make install          PREFIX=/usr/local SBINDIR=$(PREFIX)/sbin DESTDIR=
# make deb              deps, then the Debian package (dpkg-buildpackage) in $(BUILD)/deb
# make fuzz             build the libFuzzer harnesses (tests/fuzz) and run each for
#                       FUZZ_TIME seconds (default 60); make fuzz-build only builds them
# BUILD=dir             out-of-tree objects (several builds may share a checkout)

PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BUILD    ?= build
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS     := ext2fs e2p com_err blkid mount smartcols popt liburcu-qsbr
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -Iinclude -D_GNU_SOURCE -DE4_VERSION='"$(VERSION)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

LIB_SRC  := $(sort $(wildcard lib/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
ASAN_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/unit/%)
ASAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# make SANITIZE=1 BUILD=build-san: e4ctl itself under ASan/UBSan (gcc or
# clang, -Werror as always); `make san` is that in $(BUILD)/san.
ifeq ($(SANITIZE),1)
CFLAGS   += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
endif

MAN_PAGES := $(wildcard man/*.8)

.PHONY: all check unit demo deps install clean lint-man bench deb san stress fuzz fuzz-build
all: $(BUILD)/e4ctl

$(BUILD)/e4ctl: $(CMD_OBJ) $(BUILD)/libe4.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libe4.a $(PKG_LIBS)

$(BUILD)/libe4.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -O1 -g $(SANFLAGS) $(WARN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libe4.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes $(PKG_CFLAGS) -o $@ $< $(BUILD)/libe4.a $(PKG_LIBS) -lcmocka

$(BUILD)/asan/libe4.a: $(ASAN_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/unit/%: tests/unit/%.c $(BUILD)/asan/libe4.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -O1 -g $(SANFLAGS) $(WARN) -Wno-missing-prototypes $(PKG_CFLAGS) -o $@ $< $(BUILD)/asan/libe4.a $(PKG_LIBS) -lcmocka

unit: $(UNIT_BIN) $(ASAN_BIN)

# bench programs: bench/<name>.c -> $(BUILD)/bench/<name>.  `make check`
# builds the ones that need no setup (BENCH_BIN), so that they cannot rot.
BENCH_BIN := $(BUILD)/bench/gdt $(BUILD)/bench/inline_scan

$(BUILD)/bench/%: bench/%.c $(BUILD)/libe4.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes $(PKG_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libe4.a $(PKG_LIBS)

# make bench: the benchmarks that need no setup, with their ratios
bench: $(BUILD)/bench/gdt
	$(BUILD)/bench/gdt

san:
	$(MAKE) SANITIZE=1 BUILD=$(BUILD)/san all

# libFuzzer harnesses: tests/fuzz/fuzz_<name>.c -> $(BUILD)/fuzz/fuzz_<name>,
# linked against the library built again by clang with coverage and
# ASan/UBSan.  tests/fuzz/fuzz.bats replays their corpora in `make check`.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC   := $(filter-out tests/fuzz/fuzz_util.c,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
FUZZ_OBJ   := $(FUZZ_SRC:%.c=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/tests/fuzz/fuzz_util.o

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Ilib $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/libe4.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(BUILD)/fuzz/tests/fuzz/fuzz_util.o $(BUILD)/fuzz/libe4.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	BUILD=$(BUILD) tests/fuzz/run fuzz $(FUZZ_TIME)

# deps first, then the build in a second make: as prerequisites side by
# side, make -j would compile before the packages are installed.
check: deps
	$(MAKE) all unit san $(BENCH_BIN) fuzz-build
	BUILD=$(BUILD) tests/run

# make stress: the long sweeps that make check only samples.
STRESS := tests/damage/sweep
stress: deps
	$(MAKE) all san
	for s in $(STRESS); do BUILD=$(BUILD) E4_DAMAGE_ALL=1 $$s || exit 1; done
	E4CTL=$(abspath $(BUILD))/e4ctl E4_TEST_SHRINK_PROFILE=full bats tests/resize-shrink
	E4_CRASH_ALL=1 E4CTL=$(abspath $(BUILD))/e4ctl bats tests/crash

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) scripts/demo

deps:
	@scripts/deps

lint-man:
	@for m in $(MAN_PAGES); do groff -man -ww -z $$m || exit 1; done

install: all
	install -D -m 0755 $(BUILD)/e4ctl $(DESTDIR)$(SBINDIR)/e4ctl
	for m in $(MAN_PAGES); do install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/$$(basename $$m); done
	install -D -m 0644 completions/e4ctl $(DESTDIR)$(PREFIX)/share/bash-completion/completions/e4ctl

# dpkg-buildpackage writes the .deb next to the source tree, so it runs
# in a copy under $(BUILD)/deb and everything it writes stays there.  The
# copy's own make must not inherit this one's BUILD (its `make clean'
# would remove it) nor its command-line variables.
DEB_DIR := $(BUILD)/deb
DEB_SRC := Makefile VERSION README.md cmd lib include man completions contrib debian

deb: deps
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/e4ctl-$(VERSION)
	cp -a $(DEB_SRC) $(DEB_DIR)/e4ctl-$(VERSION)/
	cd $(DEB_DIR)/e4ctl-$(VERSION) && \
		env -u BUILD -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(ASAN_LIB_OBJ:.o=.d) $(BENCH_BIN:=.d)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
