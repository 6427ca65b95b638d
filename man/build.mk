# SPDX-License-Identifier: GPL-2.0
# Man pages, from reStructuredText with docutils' rst2man: man/NAME.SECTION.rst -> build/man/NAME.SECTION.
RST2MAN	?= rst2man
MAN_SRC	:= $(wildcard man/*.rst)
MAN_PAGES := $(patsubst man/%.rst,$(BUILD)/man/%,$(MAN_SRC))

$(BUILD)/man/%: man/%.rst
	@echo "  RST2MAN $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(RST2MAN) --strict --no-generator --no-datestamp $< $@

EXTRA_BINS += $(MAN_PAGES)
