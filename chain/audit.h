/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgate audit: the accountability report, built from a verified chain alone (Documentation/fwgate/tools.rst).
 * Per update, manufacturer, device and checker; as a text table, JSON, or one self-contained HTML file.
 */
#ifndef FWG_AUDIT_H
#define FWG_AUDIT_H

#define FWG_AUDIT_ARGS "--node URL [--genesis HASH] [--json | --html FILE]"

/* The `fwgate audit` command; argv[0] is "audit". */
int fwg_audit_cmd(int argc, char **argv);

#endif
