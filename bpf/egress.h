/* SPDX-License-Identifier: GPL-2.0 */
/* What egress.bpf.c and its loader share: the allow map's key and the counters. */
#ifndef FWG_BPF_EGRESS_H
#define FWG_BPF_EGRESS_H

enum egress_counter {
	EGRESS_ALLOWED,
	EGRESS_DENIED,
	EGRESS_NR_COUNTERS,
};

/* An IPv6 or v4-mapped address (network order) and a port in host order; port 0 allows every port. */
struct egress_key {
	__u32	addr[4];
	__u16	port;
	__u16	pad;
};

#endif
