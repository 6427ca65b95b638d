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

# fwgated, the monitor (root: netlink, /dev/fwgate, BPF, the device key), and fwgated-worker (unprivileged: the
# network, libcurl), two programs so that each maps only the libraries it needs.
FWGATED_OBJ := $(BUILD)/agent/fwgated.o $(BUILD)/agent/bpfload.o $(BUILD)/agent/proto.o $(AGENT_OBJ)
WORKER_OBJ  := $(BUILD)/agent/fwgated-worker.o $(BUILD)/agent/worker.o $(BUILD)/agent/sync.o \
	       $(BUILD)/agent/store.o $(FETCH_OBJ) $(BUILD)/agent/conf.o
AGENT_LDFLAGS := -Wl,--as-needed
# bpf/build.mk is read after this file: prerequisites name its library by path.
AGENT_BPF_LIB := $(BUILD)/bpf/libfwgbpf.a

$(BUILD)/agent/fwgated.o $(BUILD)/agent/bpfload.o $(BUILD)/agent/proto.o $(BUILD)/agent/fwgated-worker.o \
$(BUILD)/agent/worker.o $(BUILD)/agent/sync.o $(BUILD)/agent/store.o: UCFLAGS += -Ichain $(BPF_CFLAGS)
$(BUILD)/agent/fwgated.o $(BUILD)/agent/worker.o $(BUILD)/agent/sync.o: $(wildcard chain/*.h)
$(BUILD)/agent/fwgated.o $(BUILD)/agent/bpfload.o: $(AGENT_BPF_LIB)

$(BUILD)/bin/fwgated: $(FWGATED_OBJ) $(BUILD)/chain/libledger.a $(LIBFWG) $(AGENT_BPF_LIB)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(AGENT_LDFLAGS) -o $@ $(FWGATED_OBJ) $(BUILD)/chain/libledger.a $(BPF_LIB) \
		$(ULIBS) $(BPF_LIBS)

$(BUILD)/bin/fwgated-worker: $(WORKER_OBJ) $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(LIBFWG)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(AGENT_LDFLAGS) -o $@ $(WORKER_OBJ) $(BUILD)/chain/client.o \
		$(BUILD)/chain/libledger.a $(ULIBS) -lcurl -lpthread

EXTRA_BINS += $(BUILD)/bin/fwgated $(BUILD)/bin/fwgated-worker

# tests/agent/bench: fwgated's sync code on the host, and chain/etcd.c to load its chain into etcd.
SYNC_BENCH_OBJ := $(BUILD)/agent/sync.o $(BUILD)/agent/store.o $(BUILD)/chain/client.o $(BUILD)/chain/etcd.o

$(BUILD)/tests/sync_bench: tests/agent/sync_bench.c $(SYNC_BENCH_OBJ) $(BUILD)/chain/libledger.a $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Iagent -Ichain -o $@ $< $(SYNC_BENCH_OBJ) $(BUILD)/chain/libledger.a $(ULIBS) \
		-lcurl -ljson-c -lpthread

EXTRA_BINS += $(BUILD)/tests/sync_bench

# libFuzzer targets for what the agent reads: the node's block stream and head (sync), its own store files.
AGENT_FUZZERS := $(BUILD)/fuzz/fuzz_sync $(BUILD)/fuzz/fuzz_store $(BUILD)/fuzz/fuzz_proto
AGENT_FUZZ_SRC := agent/sync.c agent/store.c agent/proto.c chain/client.c chain/tx.c chain/block.c chain/state.c

$(AGENT_FUZZERS): $(BUILD)/fuzz/%: tests/fuzz/%.c $(AGENT_FUZZ_SRC) agent/sync.h agent/store.h chain/ledger.h \
		  $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Iagent -Ichain -o $@ $< $(AGENT_FUZZ_SRC) $(FUZZ_LIB) -lcrypto -lcurl -lpthread

fuzzers: $(AGENT_FUZZERS)
EXTRA_BINS += $(AGENT_FUZZERS)

$(BUILD)/tests/sync_test: tests/agent/sync_test.c agent/sync.c agent/store.c agent/sync.h agent/store.h \
			  $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-unused-result -Wno-sign-compare -I$(BUILD)/kselftest -Iagent -Ichain \
		-o $@ $< \
		agent/sync.c agent/store.c $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(ULIBS) -lcurl

EXTRA_BINS += $(BUILD)/tests/sync_test
