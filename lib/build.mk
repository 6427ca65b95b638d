# SPDX-License-Identifier: GPL-2.0
# lib/http.c, the agent's HTTP client: its test against tests/agent/http_server.py and a libFuzzer target for
# its response parser. The library itself is built by the top Makefile, with every lib/*.c.

$(BUILD)/tests/http_test: tests/agent/http_test.c $(LIBFWG) $(KSELFTEST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) -Wno-unused-parameter -Wno-sign-compare -I$(BUILD)/kselftest -o $@ $< $(ULIBS)

$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c lib/http.c lib/http.h
	@echo "  FUZZ    $@"
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< lib/http.c $(HTTP_LIBS)

fuzzers: $(BUILD)/fuzz/fuzz_http
EXTRA_BINS += $(BUILD)/tests/http_test $(BUILD)/fuzz/fuzz_http
