# SPDX-License-Identifier: GPL-2.0
# The device agent's pieces. The configuration parser comes first; fwgated itself is issue 4.

AGENT_OBJ := $(BUILD)/agent/conf.o $(BUILD)/agent/boot.o $(BUILD)/agent/queue.o

$(BUILD)/agent/%.o: agent/%.c $(wildcard agent/*.h) $(wildcard lib/*.h)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -c -o $@ $<

$(BUILD)/tests/conf_test: tests/agent/conf_test.c $(AGENT_OBJ) $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -I$(BUILD)/kselftest -Iagent -o $@ $< $(AGENT_OBJ) $(ULIBS)

$(BUILD)/tests/boot_test: tests/agent/boot_test.c $(AGENT_OBJ) $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-unused-result -I$(BUILD)/kselftest -Iagent -o $@ $< \
		$(AGENT_OBJ) $(ULIBS)

$(BUILD)/tests/queue_test: tests/agent/queue_test.c $(AGENT_OBJ) $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -I$(BUILD)/kselftest -Iagent -o $@ $< $(AGENT_OBJ) $(ULIBS)

$(BUILD)/fuzz/fuzz_conf: tests/fuzz/fuzz_conf.c agent/conf.c agent/conf.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Iagent -o $@ $< agent/conf.c $(FUZZ_LIB) -lcrypto

EXTRA_BINS += $(BUILD)/tests/conf_test $(BUILD)/tests/boot_test $(BUILD)/tests/queue_test $(BUILD)/fuzz/fuzz_conf

# The download (agent/fetch.c) opens sealed images with chain/seal.c; chain/build.mk comes later, so no
# $(CHAIN_LIB) in prerequisites here.
FETCH_OBJ := $(BUILD)/agent/fetch.o

$(FETCH_OBJ): chain/seal.h
$(FETCH_OBJ): UCFLAGS += -Ichain

$(BUILD)/tests/fetch_test: tests/agent/fetch_test.c $(FETCH_OBJ) $(BUILD)/chain/libledger.a $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-sign-compare -I$(BUILD)/kselftest -Iagent -Ichain -o $@ $< \
		$(FETCH_OBJ) $(BUILD)/chain/libledger.a $(ULIBS) -lcurl

$(BUILD)/fuzz/fuzz_seal_stream: tests/fuzz/fuzz_seal_stream.c chain/seal.c chain/seal.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Ichain -o $@ $< chain/seal.c $(FUZZ_LIB) -lcrypto

EXTRA_BINS += $(BUILD)/tests/fetch_test $(BUILD)/fuzz/fuzz_seal_stream

# fwgated: the monitor (root) and the worker (network, unprivileged) in one binary.
FWGATED_OBJ := $(BUILD)/agent/fwgated.o $(BUILD)/agent/worker.o $(BUILD)/agent/sync.o $(BUILD)/agent/store.o \
	       $(FETCH_OBJ) $(AGENT_OBJ)

$(filter-out $(FETCH_OBJ) $(AGENT_OBJ),$(FWGATED_OBJ)): UCFLAGS += -Ichain $(BPF_CFLAGS) -DFWG_WITH_BPF
$(filter-out $(FETCH_OBJ) $(AGENT_OBJ),$(FWGATED_OBJ)): $(wildcard chain/*.h)
$(BUILD)/agent/fwgated.o: $(BPF_LIB)

$(BUILD)/bin/fwgated: $(FWGATED_OBJ) $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(LIBFWG) $(BPF_LIB)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -o $@ $(FWGATED_OBJ) $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(BPF_LIB) \
		$(ULIBS) $(BPF_LIBS) -lcurl

EXTRA_BINS += $(BUILD)/bin/fwgated
