# e4ctl — top-level build.  GNU make.
#
# make [all]            build $(BUILD)/e4ctl
# make stress           the crash sweeps of tests/crash at every cut point
# make check            deps, then the build (with bench/gdt) + unit tests (plain and
#                       ASan/UBSan) + integration + VM tests
# make demo             deps, then the build + a walk through e4ctl on a scratch image
# make deps             install the Debian packages the build, tests and VM need
# make install          PREFIX=/usr/local DESTDIR=
# BUILD=dir             out-of-tree objects (several builds may share a checkout)

PREFIX   ?= /usr/local
BUILD    ?= build
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS     := ext2fs e2p com_err blkid mount smartcols popt liburcu
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

MAN_PAGES := $(wildcard man/*.8)

.PHONY: all check unit demo deps install clean lint-man bench stress
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
BENCH_BIN := $(BUILD)/bench/gdt

$(BUILD)/bench/%: bench/%.c $(BUILD)/libe4.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes $(PKG_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libe4.a $(PKG_LIBS)

# make bench: the benchmarks that need no setup, with their ratios
bench: $(BUILD)/bench/gdt
	$(BUILD)/bench/gdt

# deps first, then the build in a second make: as prerequisites side by
# side, make -j would compile before the packages are installed.
check: deps
	$(MAKE) all unit $(BENCH_BIN)
	BUILD=$(BUILD) tests/run

# Every cut point of every crash sweep (make check samples them).
stress: all
	E4_CRASH_ALL=1 E4CTL=$(abspath $(BUILD))/e4ctl bats tests/crash

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) scripts/demo

deps:
	@scripts/deps

lint-man:
	@for m in $(MAN_PAGES); do groff -man -ww -z $$m || exit 1; done

install: all
	install -D -m 0755 $(BUILD)/e4ctl $(DESTDIR)$(PREFIX)/sbin/e4ctl
	for m in $(MAN_PAGES); do install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/$$(basename $$m); done
	install -D -m 0644 completions/e4ctl $(DESTDIR)$(PREFIX)/share/bash-completion/completions/e4ctl

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(ASAN_LIB_OBJ:.o=.d) $(BENCH_BIN:=.d)
