# SPDX-License-Identifier: GPL-2.0
# The device agent's pieces. The configuration parser comes first; fwgated itself is issue 4.

AGENT_OBJ := $(BUILD)/agent/conf.o $(BUILD)/agent/boot.o $(BUILD)/agent/bootstate.o $(BUILD)/agent/queue.o

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

$(BUILD)/fuzz/fuzz_bootstate: tests/fuzz/fuzz_bootstate.c agent/bootstate.c agent/bootstate.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Iagent -o $@ $< agent/bootstate.c $(FUZZ_LIB) -lcrypto

EXTRA_BINS += $(BUILD)/tests/conf_test $(BUILD)/tests/boot_test $(BUILD)/tests/queue_test $(BUILD)/fuzz/fuzz_conf \
	$(BUILD)/fuzz/fuzz_bootstate

# The download (agent/fetch.c) opens sealed images with chain/seal.c; chain/build.mk comes later, so no
# $(CHAIN_LIB) in prerequisites here.
FETCH_OBJ := $(BUILD)/agent/fetch.o

$(FETCH_OBJ): chain/seal.h
$(FETCH_OBJ): UCFLAGS += -Ichain

$(BUILD)/tests/fetch_test: tests/agent/fetch_test.c $(FETCH_OBJ) $(BUILD)/chain/libledger.a $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-sign-compare -I$(BUILD)/kselftest -Iagent -Ichain -o $@ $< \
		$(FETCH_OBJ) $(BUILD)/chain/libledger.a $(ULIBS)

$(BUILD)/fuzz/fuzz_seal_stream: tests/fuzz/fuzz_seal_stream.c chain/seal.c chain/seal.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Ichain -o $@ $< chain/seal.c $(FUZZ_LIB) -lcrypto

# The same target over the agent's backend, whose GCM decryption buffers partial blocks itself.
$(BUILD)/fuzz/fuzz_seal_stream_mbedtls: tests/fuzz/fuzz_seal_stream.c chain/seal.c chain/seal.h $(FUZZ_LIB_MBED)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Ichain -o $@ $< chain/seal.c $(FUZZ_LIB_MBED) $(MBED_LIBS)

EXTRA_BINS += $(BUILD)/tests/fetch_test $(BUILD)/fuzz/fuzz_seal_stream $(BUILD)/fuzz/fuzz_seal_stream_mbedtls

# fwgated, the monitor (root: netlink, /dev/fwgate, BPF, the device key), and fwgated-worker (unprivileged: the
# network, lib/http.c), two programs so that each maps only the libraries it needs. Both have the mbedTLS backend
# of lib/crypto.h, linked statically: OpenSSL alone would take more than their memory budget.
FWGATED_OBJ := $(BUILD)/agent/fwgated.o $(BUILD)/agent/bpfload.o $(BUILD)/agent/proto.o $(BUILD)/agent/anchor.o \
	       $(BUILD)/agent/store.o $(AGENT_OBJ)
WORKER_OBJ  := $(BUILD)/agent/fwgated-worker.o $(BUILD)/agent/worker.o $(BUILD)/agent/sync.o $(BUILD)/agent/gate.o \
	       $(BUILD)/agent/control.o $(BUILD)/agent/store.o $(BUILD)/agent/follow.o $(FETCH_OBJ) $(BUILD)/agent/conf.o
# AGENT_STATIC=1 (the default) links them as static PIEs: a process then maps only the library pages it uses,
# and none of the dynamic loader's; about 1.6 MiB less per process (Documentation/fwgate/fwgated.rst, "Memory").
# Static glibc resolves users and hosts with the "files" and "dns" sources only. AGENT_STATIC=0: shared libraries.
AGENT_STATIC ?= 1
ifeq ($(AGENT_STATIC),1)
AGENT_LDFLAGS := -static-pie
AGENT_NL_LIBS := -l:libnl-genl-3.a -l:libnl-3.a -lpthread -lm
AGENT_BPF_LIBS := -l:libbpf.a -l:libelf.a -l:libz.a
# glibc's link-time note on getpwnam/getaddrinfo in static programs is the caveat above: not repeated per build.
AGENT_LD_NOTE = 2>$@.ld || { cat $@.ld >&2; rm -f $@.ld; exit 1; }; \
	grep -v -e "statically linked applications requires at runtime" -e ": in function \`" $@.ld >&2; rm -f $@.ld
else
AGENT_LDFLAGS := -Wl,--as-needed
AGENT_NL_LIBS := $(NL_LIBS)
AGENT_BPF_LIBS = $(BPF_LIBS)
AGENT_LD_NOTE :=
endif
AGENT_LIBS := $(LIBFWG_MBED) $(AGENT_NL_LIBS) $(MBED_LIBS)
# bpf/build.mk is read after this file: prerequisites name its library by path.
AGENT_BPF_LIB := $(BUILD)/bpf/libfwgbpf.a

$(BUILD)/agent/fwgated.o $(BUILD)/agent/bpfload.o $(BUILD)/agent/proto.o $(BUILD)/agent/fwgated-worker.o \
$(BUILD)/agent/worker.o $(BUILD)/agent/sync.o $(BUILD)/agent/store.o $(BUILD)/agent/anchor.o \
$(BUILD)/agent/follow.o $(BUILD)/agent/control.o $(BUILD)/agent/gate.o: UCFLAGS += -Ichain $(BPF_CFLAGS)
$(BUILD)/agent/fwgated.o $(BUILD)/agent/worker.o $(BUILD)/agent/sync.o $(BUILD)/agent/anchor.o \
$(BUILD)/agent/follow.o $(BUILD)/agent/control.o $(BUILD)/agent/gate.o: $(wildcard chain/*.h)
$(BUILD)/agent/fwgated.o $(BUILD)/agent/bpfload.o: $(AGENT_BPF_LIB)

$(BUILD)/bin/fwgated: $(FWGATED_OBJ) $(BUILD)/chain/libledger.a $(LIBFWG_MBED) $(AGENT_BPF_LIB)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(AGENT_LDFLAGS) -o $@ $(FWGATED_OBJ) $(BUILD)/chain/libledger.a $(BPF_LIB) \
		$(AGENT_LIBS) $(AGENT_BPF_LIBS) $(AGENT_LD_NOTE)

$(BUILD)/bin/fwgated-worker: $(WORKER_OBJ) $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(LIBFWG_MBED)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(AGENT_LDFLAGS) -o $@ $(WORKER_OBJ) $(BUILD)/chain/client.o \
		$(BUILD)/chain/libledger.a $(AGENT_LIBS) $(HTTP_LIBS) $(AGENT_LD_NOTE)

# The backends side by side: crypto_tool over mbedTLS, driven by a test over OpenSSL, since both define the
# same symbols.
$(BUILD)/tests/crypto_tool_mbedtls: tests/agent/crypto_tool.c $(BUILD)/chain/libledger.a $(LIBFWG_MBED)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichain -o $@ $< $(BUILD)/chain/libledger.a $(AGENT_LIBS)

$(BUILD)/tests/crypto_backends_test: tests/agent/crypto_backends_test.c $(BUILD)/chain/libledger.a $(LIBFWG) \
		$(KSELFTEST) $(BUILD)/tests/crypto_tool_mbedtls
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-sign-compare -I$(BUILD)/kselftest -Ichain -o $@ $< \
		$(BUILD)/chain/libledger.a $(ULIBS)

EXTRA_BINS += $(BUILD)/tests/crypto_tool_mbedtls $(BUILD)/tests/crypto_backends_test

EXTRA_BINS += $(BUILD)/bin/fwgated $(BUILD)/bin/fwgated-worker

# tests/agent/bench: fwgated's sync code on the host, and chain/etcd.c to load its chain into etcd.
SYNC_BENCH_OBJ := $(BUILD)/agent/sync.o $(BUILD)/agent/control.o $(BUILD)/agent/store.o $(BUILD)/chain/client.o $(BUILD)/chain/etcd.o

$(BUILD)/tests/sync_bench: tests/agent/sync_bench.c $(SYNC_BENCH_OBJ) $(BUILD)/chain/libledger.a $(LIBFWG)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Iagent -Ichain -o $@ $< $(SYNC_BENCH_OBJ) $(BUILD)/chain/libledger.a $(ULIBS) \
		-lcurl -ljson-c -lpthread

# The same with the agent's crypto (mbedTLS: its SHA-256 hashes every block), for "run", which is what is
# measured; "gen" signs the chain with OpenSSL, which is much faster at it.
$(BUILD)/tests/sync_bench_mbedtls: tests/agent/sync_bench.c $(SYNC_BENCH_OBJ) $(BUILD)/chain/libledger.a \
		$(LIBFWG_MBED)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Iagent -Ichain -o $@ $< $(SYNC_BENCH_OBJ) $(BUILD)/chain/libledger.a \
		$(LIBFWG_MBED) $(NL_LIBS) $(HTTP_LIBS) -lcurl -ljson-c -lpthread

EXTRA_BINS += $(BUILD)/tests/sync_bench $(BUILD)/tests/sync_bench_mbedtls

# libFuzzer targets for what the agent reads: the node's block stream and head (sync), its own store files.
AGENT_FUZZERS := $(BUILD)/fuzz/fuzz_sync $(BUILD)/fuzz/fuzz_store $(BUILD)/fuzz/fuzz_proto
AGENT_FUZZ_SRC := agent/sync.c agent/control.c agent/store.c agent/proto.c chain/client.c chain/tx.c chain/block.c \
		  chain/state.c chain/trust.c chain/control.c chain/rollout.c \
		  lib/http.c

$(AGENT_FUZZERS): $(BUILD)/fuzz/%: tests/fuzz/%.c $(AGENT_FUZZ_SRC) agent/sync.h agent/store.h chain/ledger.h \
		  $(FUZZ_LIB_MBED)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Iagent -Ichain -o $@ $< $(AGENT_FUZZ_SRC) $(FUZZ_LIB_MBED) $(HTTP_LIBS) -lpthread

# Keys and signatures from the chain, through each backend (tests/fuzz/fuzz_key.c).
$(BUILD)/fuzz/fuzz_key_mbedtls: tests/fuzz/fuzz_key.c $(FUZZ_LIB_MBED) $(wildcard lib/*.h)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_MBED) $(MBED_LIBS)

fuzzers: $(BUILD)/fuzz/fuzz_key_mbedtls
EXTRA_BINS += $(BUILD)/fuzz/fuzz_key_mbedtls

fuzzers: $(AGENT_FUZZERS)
EXTRA_BINS += $(AGENT_FUZZERS)

$(BUILD)/tests/sync_test: tests/agent/sync_test.c agent/sync.c agent/control.c agent/store.c agent/sync.h agent/store.h \
			  $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-unused-result -Wno-sign-compare -I$(BUILD)/kselftest -Iagent -Ichain \
		-o $@ $< \
		agent/sync.c agent/control.c agent/store.c $(BUILD)/chain/client.o $(BUILD)/chain/libledger.a $(ULIBS)

EXTRA_BINS += $(BUILD)/tests/sync_test

$(BUILD)/tests/follow_test: tests/agent/follow_test.c agent/follow.c agent/proto.c agent/anchor.c agent/store.c \
			    agent/follow.h agent/proto.h agent/anchor.h agent/store.h \
			    $(BUILD)/chain/libledger.a $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-sign-compare -I$(BUILD)/kselftest -Iagent -Ichain -o $@ $< \
		agent/follow.c agent/proto.c agent/anchor.c agent/store.c $(BUILD)/chain/libledger.a $(ULIBS)

EXTRA_BINS += $(BUILD)/tests/follow_test

