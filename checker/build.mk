# SPDX-License-Identifier: GPL-2.0
# fwgate-checker (checker/ANALYSERS.md): the analysis pipeline and its CLI. The analysers are scripts under
# checker/analysers/, run in place with checker/checker.conf.

CHECKER_SRC	:= checker/fwgate-checker.c checker/pipeline.c checker/daemon.c

EXTRA_BINS += $(BUILD)/bin/fwgate-checker

$(BUILD)/bin/fwgate-checker: $(CHECKER_SRC) checker/pipeline.h checker/daemon.h $(LIBFWG) $(CHAIN_LIB) \
		$(CHAIN_CLIENT)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Ichecker -Ichain -o $@ $(CHECKER_SRC) $(CHAIN_CLIENT) $(CHAIN_LIB) $(ULIBS) \
		-ljson-c -lcurl

# The stages' reports are parsed after the stages read hostile images: a libFuzzer target for the parser.
CHECKER_FUZZER	:= $(BUILD)/fuzz/fuzz_checker_report

fuzzers: $(CHECKER_FUZZER)

$(CHECKER_FUZZER): tests/fuzz/fuzz_checker_report.c checker/pipeline.c checker/pipeline.h $(FUZZ_LIB)
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Ichecker -o $@ $< checker/pipeline.c $(FUZZ_LIB) -lcrypto -ljson-c
