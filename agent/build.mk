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
