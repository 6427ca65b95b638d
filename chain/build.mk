# SPDX-License-Identifier: GPL-2.0
# The ledger (Documentation/fwgate/ledger.rst): its codec and state as a library, fwgate-node, the fwgate CLI's
# extra libraries, unit tests, and libFuzzer targets for every decoder.

CHAIN_SRC	:= chain/tx.c chain/block.c chain/state.c chain/seal.c chain/trust.c chain/control.c chain/rollout.c \
		   chain/inventory.c
CHAIN_CLIENT	:= $(BUILD)/chain/client.o
CHAIN_OBJ	:= $(patsubst chain/%.c,$(BUILD)/chain/%.o,$(CHAIN_SRC))
CHAIN_LIB	:= $(BUILD)/chain/libledger.a
CHAIN_NET_LIBS	:= -lmicrohttpd -lcurl -ljson-c -lpthread
CHAIN_FUZZERS	:= $(BUILD)/fuzz/fuzz_tx $(BUILD)/fuzz/fuzz_block $(BUILD)/fuzz/fuzz_proof $(BUILD)/fuzz/fuzz_seal

EXTRA_BINS += $(BUILD)/bin/fwgate-node $(BUILD)/tests/ledger_test $(BUILD)/tests/trust_test

$(BUILD)/chain/%.o: chain/%.c $(wildcard chain/*.h) $(wildcard lib/*.h) include/uapi/linux/fwgate.h
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -c -o $@ $<

$(CHAIN_LIB): $(CHAIN_OBJ)
	$(Q)$(AR) rcs $@ $^

# The CLI's rule is in the Makefile; it also needs the ledger, libcurl for --node, and `fwgate audit`.
CHAIN_AUDIT	:= $(BUILD)/chain/audit.o $(BUILD)/chain/grid.o $(BUILD)/chain/trust_audit.o $(BUILD)/chain/trust_cmd.o $(BUILD)/chain/control_cmd.o \
		   $(BUILD)/chain/rollout_cmd.o $(BUILD)/chain/cmdutil.o
$(BUILD)/bin/fwgate: $(CHAIN_LIB) $(CHAIN_CLIENT) $(CHAIN_AUDIT) chain/ledger.h chain/client.h chain/audit.h \
	chain/trust_cmd.h chain/control_cmd.h chain/rollout_cmd.h chain/cmdutil.h
$(BUILD)/bin/fwgate: ULIBS := $(CHAIN_AUDIT) $(CHAIN_CLIENT) $(CHAIN_LIB) $(ULIBS) -lcurl -ljson-c

$(BUILD)/bin/fwgate-node: $(BUILD)/chain/node.o $(BUILD)/chain/admit.o $(BUILD)/chain/cache.o $(BUILD)/chain/etcd.o $(CHAIN_CLIENT) $(CHAIN_LIB) $(LIBFWG)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -o $@ $(filter %.o,$^) $(CHAIN_LIB) $(ULIBS) $(CHAIN_NET_LIBS)

$(BUILD)/tests/ledger_test: tests/chain/ledger_test.c $(CHAIN_LIB) $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -o $@ $< $(CHAIN_LIB) $(ULIBS)

$(BUILD)/tests/trust_test: tests/chain/trust_test.c $(CHAIN_LIB) $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -o $@ $< $(CHAIN_LIB) $(ULIBS)

fuzzers: $(CHAIN_FUZZERS)

$(CHAIN_FUZZERS): $(BUILD)/fuzz/%: tests/fuzz/%.c $(CHAIN_SRC) chain/ledger.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Ichain -o $@ $< $(CHAIN_SRC) $(FUZZ_LIB) -lcrypto

EXTRA_BINS += $(BUILD)/tests/loadgen

$(BUILD)/tests/loadgen: tests/chain/loadgen.c $(CHAIN_LIB) $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -o $@ $< $(CHAIN_LIB) $(ULIBS) -lcurl -lpthread

EXTRA_BINS += $(BUILD)/tests/verify_chain_bench

$(BUILD)/tests/verify_chain_bench: tests/chain/verify_bench.c $(CHAIN_LIB) $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -o $@ $< $(CHAIN_LIB) $(ULIBS) -lpthread

EXTRA_BINS += $(BUILD)/tests/readgen

$(BUILD)/tests/readgen: tests/chain/readgen.c
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -o $@ $< -lpthread

# fwgate_build_info's version label: dkms.conf's PACKAGE_VERSION (VERSION in the Makefile), the one place.
$(BUILD)/chain/node.o: UCFLAGS += -DFWGATE_VERSION='"$(VERSION)"'
$(BUILD)/chain/node.o: dkms.conf

# Staged rollouts: the unit tests of chain/rollout.c, chain/inventory.c and fwgated's gate, and the fleet
# simulation's device side (tests/chain/rollout.sh).
EXTRA_BINS += $(BUILD)/tests/rollout_test $(BUILD)/tests/rollout_fleet

$(BUILD)/tests/rollout_test: tests/chain/rollout_test.c agent/gate.c agent/gate.h $(CHAIN_LIB) $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -Iagent -o $@ $< agent/gate.c $(CHAIN_LIB) $(ULIBS)

$(BUILD)/tests/rollout_fleet: tests/chain/rollout_fleet.c agent/gate.c agent/sync.c agent/store.c agent/control.c $(CHAIN_CLIENT) \
			      $(CHAIN_LIB) $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -Iagent -o $@ $< agent/gate.c agent/sync.c agent/store.c agent/control.c $(CHAIN_CLIENT) \
		$(CHAIN_LIB) $(ULIBS) -lcurl

# The rollouts, the inventory and fwgated's gate over a sequence of transactions (tests/fuzz/fuzz_rollout.c).
$(BUILD)/fuzz/fuzz_rollout: tests/fuzz/fuzz_rollout.c $(CHAIN_SRC) agent/gate.c agent/gate.h chain/rollout.h \
			    chain/inventory.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Ichain -Iagent -o $@ $< $(CHAIN_SRC) agent/gate.c $(FUZZ_LIB) -lcrypto

fuzzers: $(BUILD)/fuzz/fuzz_rollout
EXTRA_BINS += $(BUILD)/fuzz/fuzz_rollout
