# SPDX-License-Identifier: GPL-2.0
# bpf/: the CO-RE BPF programs (clang -target bpf), their bpftool skeletons and the loader that fwgatectl
# links. vmlinux.h is generated from the build machine's kernel BTF, or without it from the 6.12 test kernel
# that tests/vm/run extracts; CO-RE relocates the programs for the kernels they load on. Nothing generated is
# committed.

VMLINUX_BTF ?= $(firstword $(wildcard /sys/kernel/btf/vmlinux) $(BUILD)/vm/$(K612)/vmlinux)
BPF_OUT     := $(BUILD)/bpf
BPF_PROGS   := guard filter egress
BPF_SKELS   := $(patsubst %,$(BPF_OUT)/%.skel.h,$(BPF_PROGS))
BPF_LIB     := $(BPF_OUT)/libfwgbpf.a
BPF_CFLAGS  := -Ibpf -I$(BPF_OUT)
BPF_LIBS    := -lbpf -lelf -lz
BPF_CLANG_FLAGS = -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I/usr/include/$(MULTIARCH) -I$(BPF_OUT) -Ibpf

EXTRA_BINS += $(BPF_SKELS) $(BPF_LIB) $(BUILD)/tests/bpf_filter_test $(BUILD)/tests/bpf_open_bench \
	$(BUILD)/tests/bpf_ioctl_probe $(BUILD)/tests/bpf_fd_probe $(BUILD)/tests/bpf_self_probe

$(BPF_OUT)/vmlinux.h: $(VMLINUX_BTF)
	@echo "  GEN     $@"
	$(Q)mkdir -p $(@D)
	$(Q)bpftool btf dump file $< format c >$@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c bpf/%.h $(BPF_OUT)/vmlinux.h
	@echo "  BPF     $@"
	$(Q)clang $(BPF_CLANG_FLAGS) -c $< -o $@

$(BPF_OUT)/%.skel.h: $(BPF_OUT)/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)bpftool gen skeleton $< name $*_bpf >$@.tmp && mv $@.tmp $@

$(BPF_OUT)/loader.o $(BPF_OUT)/command.o $(BPF_OUT)/lock.o: $(BPF_OUT)/%.o: bpf/%.c $(wildcard bpf/*.h) $(BPF_SKELS) lib/log.h
	@echo "  CC      $@"
	$(Q)$(CC) $(UCFLAGS) $(BPF_CFLAGS) -c -o $@ $<

# The loader, the lock sequence and the "fwgatectl bpf" command, for fwgatectl, fwgated and the tests.
$(BPF_LIB): $(BPF_OUT)/loader.o $(BPF_OUT)/command.o $(BPF_OUT)/lock.o
	$(Q)$(AR) rcs $@ $^

$(BUILD)/tests/bpf_filter_test: tests/bpf/filter_test.c $(BPF_LIB) $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(BPF_CFLAGS) -I$(BUILD)/kselftest -o $@ $< $(BPF_LIB) $(LIBFWG) $(BPF_LIBS)

$(BUILD)/tests/bpf_open_bench $(BUILD)/tests/bpf_ioctl_probe $(BUILD)/tests/bpf_fd_probe \
$(BUILD)/tests/bpf_self_probe: $(BUILD)/tests/bpf_%: tests/bpf/%.c
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $<

# Kept for bpftool prog load and inspection.
.SECONDARY: $(patsubst %,$(BPF_OUT)/%.bpf.o,$(BPF_PROGS))
