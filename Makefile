# SPDX-License-Identifier: GPL-2.0
#
# make                 build the module for every test kernel, and the userspace
# make modules KDIR=D  build only the module, against the headers in D
# make check           install dependencies, then run every test
# make bench           print one "name value unit" line per metric
# make demo            the end-to-end story on this machine
# make check-fresh     README.md's two commands in a fresh Debian 12 made with mmdebstrap, as root
# make dkms-install    register, build and install the module with DKMS
# make style           checkpatch and clang-format
# make regen           regenerate the netlink code from Documentation/netlink/specs/fwgate.yaml
# make install         the programs, units, man pages and DKMS source under DESTDIR and PREFIX (default /usr/local)
# make deb             the five Debian packages with dpkg-buildpackage, into build/deb/, and lintian on them
#
# Quiet unless V=1.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
KDIR	?= /lib/modules/$(shell uname -r)/build

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory -s
endif

-include $(BUILD)/kernels.env
KERNELS := $(K61) $(K612)

CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -Wall -Wextra -Werror -I$(TOP)/include/uapi
# pkg-config and the compiler are asked when a recipe first needs them, not when make reads this file: on a
# fresh machine they only arrive with "deps". Each is asked once (the eval makes the variable a simple one).
NL_CFLAGS = $(eval NL_CFLAGS := $$(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null))$(NL_CFLAGS)
NL_LIBS   = $(eval NL_LIBS := $$(shell pkg-config --libs libnl-genl-3.0 2>/dev/null))$(NL_LIBS)
MULTIARCH = $(eval MULTIARCH := $$(shell $$(CC) -dumpmachine))$(MULTIARCH)

KMOD_SRC := Kbuild $(wildcard kmod/*.c kmod/*.h kmod/*.sh) $(wildcard include/uapi/linux/*.h)

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
LIBFWG   := $(BUILD)/lib/libfwgate.a
# Hardened as Debian builds its packages (dpkg-buildflags' hardening=+all): fortified libc calls, stack
# protector, read-only relocations bound at start. The linker flags are ignored where a recipe only compiles.
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -Wl,-z,relro -Wl,-z,now
UCFLAGS  = $(CFLAGS) $(HARDEN) -Ilib $(NL_CFLAGS) -DFWG_VERSION='"$(VERSION)"'
ULIBS    = $(LIBFWG) $(NL_LIBS) -lcrypto
# The device agent's library: the same objects with the mbedTLS backend for the OpenSSL one (lib/crypto.h),
# and mbedTLS linked statically.
MBED_OBJ := $(filter-out $(BUILD)/lib/crypto_openssl.o,$(LIB_OBJ)) $(BUILD)/lib/mbed/crypto_mbedtls.o
LIBFWG_MBED := $(BUILD)/lib/libfwgate-mbedtls.a
MBED_LIBS := -l:libmbedcrypto.a
# lib/http.c's TLS, linked statically: only the programs that make HTTP requests pull it in.
HTTP_LIBS := -l:libmbedtls.a -l:libmbedx509.a -l:libmbedcrypto.a
ULIBS    += $(HTTP_LIBS)
BINS     := $(BUILD)/bin/fwgate $(BUILD)/bin/fwgatectl

KSELFTEST := $(BUILD)/kselftest/kselftest_harness.h
FUZZERS := $(BUILD)/fuzz/fuzz_der $(BUILD)/fuzz/fuzz_files $(BUILD)/fuzz/fuzz_policy $(BUILD)/fuzz/fuzz_key \
	$(BUILD)/fuzz/fuzz_chunks $(BUILD)/fuzz/fuzz_policy_enc $(BUILD)/fuzz/fuzz_policy_encoding
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(TOP)/include/uapi -Ilib -Ikmod $(NL_CFLAGS)
FUZZ_LIB := lib/files.c lib/keys.c lib/log.c lib/policy.c lib/crypto_openssl.c
FUZZ_LIB_MBED := lib/files.c lib/keys.c lib/log.c lib/policy.c lib/mbed/crypto_mbedtls.c

# Subsystems (bpf/, chain/, ...) add their rules in a build.mk and their outputs to EXTRA_BINS.
.DEFAULT_GOAL := all
EXTRA_BINS :=
include $(wildcard */build.mk)

.PHONY: all build-all modules kmods kmods-build userspace fuzzers deps check check-kernel check-dkms check-fresh \
	bench demo dkms-install style regen regen-check ynl clean install install-programs deb

# The dependencies first, then everything else in a make that reads the makefiles again with them installed
# (kernels.env, the headers, pkg-config): so that "make -jN" never compiles before "deps" is done.
all: deps
	$(Q)$(MAKE) build-all

build-all: kmods-build userspace fuzzers $(EXTRA_BINS)

deps: $(BUILD)/.deps
$(BUILD)/.deps: scripts/install-deps
	$(Q)./scripts/install-deps
	$(Q)touch $@

# The module, against KDIR, in the source tree.
modules:
	$(Q)$(MAKE) -C $(KDIR) M=$(TOP) modules

# One out-of-tree copy per kernel, so builds for several kernels coexist. A sub-make, so that it reads the
# kernels.env that deps writes.
kmods: deps
	$(Q)$(MAKE) kmods-build

kmods-build: $(foreach k,$(KERNELS),$(BUILD)/modules/$(k)/fwgate.ko)
	$(Q)test -n "$(KERNELS)" || { echo "no kernels in $(BUILD)/kernels.env: run scripts/install-deps"; exit 1; }

$(BUILD)/modules/%/fwgate.ko: $(KMOD_SRC)
	@echo "  KMOD    $*"
	$(Q)mkdir -p $(@D)/src
	$(Q)cp -r Kbuild kmod include $(@D)/src/
	$(Q)$(MAKE) -C /usr/src/linux-headers-$* M=$(@D)/src modules >$(@D)/build.log 2>&1 || \
		{ cat $(@D)/build.log; exit 1; }
	$(Q)if grep -E "warning:|error:" $(@D)/build.log; then exit 1; fi
	$(Q)cp $(@D)/src/fwgate.ko $@

# ----------------------------------------------------------------- userspace


$(KSELFTEST):
	@echo "  EXTRACT kselftest headers from linux-source-6.1"
	$(Q)mkdir -p $(@D)
	$(Q)tar -xJf $$(ls /usr/src/linux-source-6.1.tar.* | head -n 1) -C $(@D) --strip-components=4 \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	$(Q)touch $@

userspace: $(BINS) $(BUILD)/tests/fwgate_test

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) include/uapi/linux/fwgate.h
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -c -o $@ $<

$(LIBFWG): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(LIBFWG_MBED): $(MBED_OBJ)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/bin/fwgate: chain/fwgate.c $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -o $@ $< $(ULIBS)

FWGATECTL_SRC := agent/fwgatectl.c agent/fwgatectl_trust.c agent/anchor.c agent/store.c agent/conf.c agent/bootstate.c

# chain/build.mk comes later: its library by path.
$(BUILD)/bin/fwgatectl: $(FWGATECTL_SRC) $(wildcard agent/*.h) $(LIBFWG) $(BPF_LIB) $(BUILD)/chain/libledger.a
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(BPF_CFLAGS) -Iagent -Ichain -o $@ $(FWGATECTL_SRC) $(BPF_LIB) \
		$(BUILD)/chain/libledger.a $(ULIBS) $(BPF_LIBS)

$(BUILD)/tests/fwgate_test: tests/kernel/fwgate_test.c include/uapi/linux/fwgate.h $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/kselftest $(NL_CFLAGS) -o $@ $< $(NL_LIBS) -lcrypto -lz

# ------------------------------------------------------------------- netlink

# The kernel's YNL tools and netlink schemas, from linux-source-6.12: ynl-gen-c.py generates the netlink code
# from the spec (make regen), cli.py drives the family from the spec in tests/netlink.
YNL := $(BUILD)/ynl/.extracted

ynl: $(YNL)

# After deps, which installs linux-source-6.12: "make -jN check" would otherwise race it on a fresh machine.
$(YNL): $(BUILD)/.deps
	@echo "  EXTRACT tools/net/ynl and Documentation/netlink from linux-source-6.12"
	$(Q)mkdir -p $(@D)
	$(Q)tar -xJf $$(ls /usr/src/linux-source-6.12.tar.* | head -n 1) -C $(@D) --strip-components=1 \
		--wildcards '*/tools/net/ynl/*' '*/Documentation/netlink/*.yaml' '*/MAINTAINERS'
	$(Q)touch $@

regen: $(YNL)
	$(Q)scripts/ynl-regen

# Fails when a generated file differs from what the spec gives.
regen-check: $(YNL)
	$(Q)scripts/ynl-regen --check

# --------------------------------------------------------------------- fuzz

fuzzers: $(FUZZERS)

$(BUILD)/fuzz/fuzz_der: tests/fuzz/fuzz_der.c kmod/der.h
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $<

$(BUILD)/fuzz/fuzz_policy_encoding: tests/fuzz/fuzz_policy_encoding.c kmod/policy-encoding.h \
		include/uapi/linux/fwgate.h include/uapi/linux/fwgate_netlink.h
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< -lcrypto

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(wildcard lib/*.h)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB) -lcrypto

# --------------------------------------------------------------------- tests

check: all $(YNL)
	$(Q)tests/run-all

bench: all
	$(Q)tests/bench/run

demo: all
	$(Q)tests/demo/run

# A minimal Debian 12 made with mmdebstrap, this repository's HEAD cloned into it, the README's commands run
# in a chroot of it (scripts/check-fresh; FRESH_RUN=demo or check for one of them).
check-fresh:
	$(Q)scripts/check-fresh $(FRESH_RUN)

dkms-install: deps
	$(Q)scripts/dkms-install

# ------------------------------------------------------------------ install

# One version, written once: dkms.conf's PACKAGE_VERSION (scripts/dkms-install checks kmod/main.c against it).
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
LIBDIR	?= $(PREFIX)/lib
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/fwgate
# Debian 12 ships units in /lib/systemd/system (debian/rules says so); elsewhere, PREFIX's lib.
UNITDIR	?= $(LIBDIR)/systemd/system
SYSCONFDIR ?= /etc
# DKMS finds module sources only here, whatever the prefix.
DKMSDIR	?= /usr/src/fwgate-$(VERSION)
INSTALL	?= install

USER_PROGS := $(BUILD)/bin/fwgatectl $(BUILD)/bin/fwgated $(BUILD)/bin/fwgated-worker $(BUILD)/bin/fwgate-node \
	$(BUILD)/bin/fwgate-checker

# Only what the programs need: no test binaries, no modules (DKMS builds those on the target).
install-programs: $(BINS) $(EXTRA_BINS) $(MAN_PAGES)

install: install-programs
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(LIBDIR)/sysusers.d $(DESTDIR)$(LIBDIR)/tmpfiles.d $(DESTDIR)$(LIBDIR)/modules-load.d \
		$(DESTDIR)$(LIBDIR)/fwgate-checker/rules $(DESTDIR)$(LIBDIR)/fwgate-checker/signatures \
		$(DESTDIR)$(LIBDIR)/fwgate-checker/analysers $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/uapi/linux
	$(Q)$(INSTALL) -m 0755 $(BUILD)/bin/fwgate $(DESTDIR)$(BINDIR)/
	$(Q)$(INSTALL) -m 0755 $(USER_PROGS) $(DESTDIR)$(SBINDIR)/
	$(Q)for u in dist/systemd/*.service dist/systemd/*.socket dist/systemd/*.slice; do \
		sed 's|@SBINDIR@|$(SBINDIR)|g; s|@LIBDIR@|$(LIBDIR)|g' $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u); \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	$(Q)$(INSTALL) -m 0644 dist/sysusers.d/fwgate.conf $(DESTDIR)$(LIBDIR)/sysusers.d/fwgate.conf
	$(Q)$(INSTALL) -m 0644 dist/tmpfiles.d/fwgate.conf $(DESTDIR)$(LIBDIR)/tmpfiles.d/fwgate.conf
	$(Q)$(INSTALL) -m 0644 dist/modules-load.d/fwgate.conf $(DESTDIR)$(LIBDIR)/modules-load.d/fwgate.conf
	$(Q)$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/default
	$(Q)$(INSTALL) -m 0644 dist/default/fwgate-node dist/default/fwgate-checker $(DESTDIR)$(SYSCONFDIR)/default/
	$(Q)$(INSTALL) -m 0644 agent/fwgated.conf.example $(DESTDIR)$(DOCDIR)/examples/fwgated.conf
	$(Q)$(INSTALL) -m 0644 checker/checker.conf checker/ANALYSERS.md $(DESTDIR)$(LIBDIR)/fwgate-checker/
	$(Q)$(INSTALL) -m 0755 $(filter-out %.sh,$(wildcard checker/analysers/*)) $(DESTDIR)$(LIBDIR)/fwgate-checker/analysers/
	$(Q)$(INSTALL) -m 0644 checker/analysers/*.sh $(DESTDIR)$(LIBDIR)/fwgate-checker/analysers/
	$(Q)$(INSTALL) -m 0644 checker/rules/* $(DESTDIR)$(LIBDIR)/fwgate-checker/rules/
	$(Q)$(INSTALL) -m 0644 checker/signatures/* $(DESTDIR)$(LIBDIR)/fwgate-checker/signatures/
	$(Q)for m in $(MAN_PAGES); do \
		s=$${m##*.}; $(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	$(Q)ln -sf fwgated.8 $(DESTDIR)$(MANDIR)/man8/fwgated-worker.8
	$(Q)$(INSTALL) -m 0644 dkms.conf Kbuild $(DESTDIR)$(DKMSDIR)/
	$(Q)$(INSTALL) -m 0644 kmod/*.c kmod/*.h $(DESTDIR)$(DKMSDIR)/kmod/
	$(Q)$(INSTALL) -m 0755 kmod/*.sh $(DESTDIR)$(DKMSDIR)/kmod/
	$(Q)$(INSTALL) -m 0644 include/uapi/linux/*.h $(DESTDIR)$(DKMSDIR)/include/uapi/linux/

# Binary packages only (no source package: the tree is the source), all written to build/deb/ rather than to
# the parent directory. dpkg-buildpackage's own "clean" is skipped (-nc) so that it reuses build/.
DEB_OUT := $(BUILD)/deb

deb: all
	$(Q)rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)
	$(Q)DEB_OUT=$(DEB_OUT) dpkg-buildpackage -b -nc -uc -us \
		--buildinfo-file=$(DEB_OUT)/fwgate.buildinfo --changes-file=$(DEB_OUT)/fwgate.changes \
		--buildinfo-option=-u$(DEB_OUT) --changes-option=-u$(DEB_OUT) \
		>$(DEB_OUT)/build.log 2>&1 || { tail -n 40 $(DEB_OUT)/build.log; exit 1; }
	$(Q)ls $(DEB_OUT)/*.deb
	$(Q)lintian --fail-on error,warning $(DEB_OUT)/fwgate.changes

CHECKPATCH := $(BUILD)/checkpatch/checkpatch.pl
KERNELDOC := $(BUILD)/kernel-doc/kernel-doc
KERNEL_SRC := kmod/*.c kmod/*.h include/uapi/linux/*.h

$(CHECKPATCH):
	$(Q)mkdir -p $(@D)
	$(Q)tar -xJf $$(ls /usr/src/linux-source-6.1.tar.* | head -n 1) -C $(@D) --strip-components=2 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	$(Q)touch $@

# 6.12's, for -Wall (missing descriptions of members, parameters and return values).
$(KERNELDOC):
	$(Q)mkdir -p $(@D)
	$(Q)tar -xJf $$(ls /usr/src/linux-source-6.12.tar.* | head -n 1) -C $(@D) --strip-components=2 \
		--wildcards '*/scripts/kernel-doc'
	$(Q)touch $@

# checkpatch --strict with no error and no warning (its CHECKs are printed), kernel-doc with no warning, and
# sparse with no warning against every test kernel.
style: $(CHECKPATCH) $(KERNELDOC)
	$(Q)perl $(CHECKPATCH) --strict --no-tree --terse --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
		-f $(KERNEL_SRC) | grep -v ' 0 errors, 0 warnings, 0 checks' | tee $(BUILD)/checkpatch.log; \
		! grep -qE ': (ERROR|WARNING):' $(BUILD)/checkpatch.log
	$(Q)perl $(KERNELDOC) -none -Wall $(KERNEL_SRC) 2>&1 | tee $(BUILD)/kernel-doc.log; \
		test ! -s $(BUILD)/kernel-doc.log
	$(Q)for k in $(KERNELS); do \
		d=$(BUILD)/sparse/$$k; rm -rf $$d; mkdir -p $$d; cp -r Kbuild kmod include $$d/; \
		$(MAKE) --no-silent -C /usr/src/linux-headers-$$k M=$$d C=2 modules >$$d/build.log 2>&1 || \
			{ cat $$d/build.log; exit 1; }; \
		if grep -E "warning:|error:" $$d/build.log; then exit 1; fi; \
		echo "  SPARSE  $$k: $$(grep -c ' CHECK ' $$d/build.log) files, no warning"; \
	done

clean:
	$(Q)rm -rf $(BUILD)/modules $(BUILD)/tests
	$(Q)rm -rf debian/.debhelper debian/tmp debian/files debian/debhelper-build-stamp debian/*.substvars \
		debian/*.debhelper debian/*.debhelper.log $(addprefix debian/,fwgate-dkms fwgated fwgate-tools \
		fwgate-node fwgate-checker)
	$(Q)$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null || true

endif
