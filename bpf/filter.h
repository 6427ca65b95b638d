/* SPDX-License-Identifier: GPL-2.0 */
/* What filter.bpf.c and its loader share: the allow-list keys, the port classes and the counters. */
#ifndef FWG_BPF_FILTER_H
#define FWG_BPF_FILTER_H

enum filter_counter {
	FILTER_PASSED,		/* not update or relay traffic */
	FILTER_UPDATE_ACCEPTED,	/* update traffic from an allowed source */
	FILTER_RELAY_ACCEPTED,	/* relay traffic within its source's rate */
	FILTER_DROP_NOT_ALLOWED,	/* update traffic from a source not on the allow-list */
	FILTER_DROP_RATE,	/* relay traffic over its source's rate */
	FILTER_DROP_MALFORMED,	/* truncated or inconsistent headers */
	FILTER_NR_COUNTERS,
};

/* port_class[port]: the TCP class in the low nibble, the UDP class in the high one. */
enum filter_port_class {
	FILTER_PORT_UPDATE = 1,	/* only from the allow-lists */
	FILTER_PORT_RELAY,	/* from anyone, rate-limited per source */
};

struct filter_v4_key {
	__u32	prefixlen;
	__u8	addr[4];
};

struct filter_v6_key {
	__u32	prefixlen;
	__u8	addr[16];
};

#endif
