/* SPDX-License-Identifier: GPL-2.0 */
/* fwgatectl's trust-anchor commands (agent/fwgatectl_trust.c): enrolment and the policy's history. */
#ifndef FWG_AGENT_FWGATECTL_TRUST_H
#define FWG_AGENT_FWGATECTL_TRUST_H

int fwgctl_enrol(int argc, char **argv);
/* "fwgatectl policy [show]": @json when --json or -o json was given (the caller took it out of argv). */
int fwgctl_policy_show(int argc, char **argv, int json);

#endif
