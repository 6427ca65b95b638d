// SPDX-License-Identifier: GPL-2.0
/*
 * The update-traffic filter (XDP): update ports accept packets only from the nodes and mirrors on the IPv4 and
 * IPv6 LPM allow-lists; the peer-relay port admits each source at a token-bucket rate; every drop is counted by
 * reason. Everything else passes untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "filter.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define NEXTHDR_HOP	0
#define NEXTHDR_ROUTING	43
#define NEXTHDR_FRAGMENT	44
#define NEXTHDR_DEST	60

char LICENSE[] SEC("license") = "GPL";

/* Relay rate: one packet costs relay_cost_ns of credit; a source holds at most relay_burst_ns. 0: no limit. */
const volatile __u64 relay_cost_ns;
const volatile __u64 relay_burst_ns;

/* Per destination port: the class of TCP traffic in the low nibble, of UDP traffic in the high one. */
const volatile __u8 port_class[65536];

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct filter_v4_key);
	__type(value, __u8);
} allow_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct filter_v6_key);
	__type(value, __u8);
} allow_v6 SEC(".maps");

/* Per-source token buckets, keyed by the IPv6 (or v4-mapped) source; the least recently seen are evicted. */
struct relay_bucket {
	__u64 credit_ns;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct in6_addr);
	__type(value, struct relay_bucket);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FILTER_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static int verdict(__u32 counter, int action)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &counter);

	if (n)
		(*n)++;
	return action;
}

/* Concurrent packets of one source on two CPUs may both spend the same credit: the limit is approximate. */
static bool relay_admit(const struct in6_addr *src)
{
	__u64 now = bpf_ktime_get_ns(), credit;
	struct relay_bucket *b, fresh;

	if (!relay_cost_ns)
		return true;
	b = bpf_map_lookup_elem(&buckets, src);
	if (!b) {
		fresh.credit_ns = relay_burst_ns - relay_cost_ns;
		fresh.last_ns = now;
		bpf_map_update_elem(&buckets, src, &fresh, BPF_ANY);
		return true;
	}
	credit = b->credit_ns + (now - b->last_ns);
	if (credit > relay_burst_ns)
		credit = relay_burst_ns;
	b->last_ns = now;
	if (credit < relay_cost_ns) {
		b->credit_ns = credit;
		return false;
	}
	b->credit_ns = credit - relay_cost_ns;
	return true;
}

/*
 * The transport header at @l4, of protocol @proto, from @src (v4-mapped for IPv4); @lpm_key is the source's
 * allow-list key in @allow, looked up only for update traffic.
 */
/*
 * A port as an index into port_class. Verifiers before Linux 6.10 lose the bounds of a byte swap, so the
 * mask is made opaque to the compiler, which would otherwise drop it as redundant after a 16-bit swap.
 */
static __always_inline __u32 port_index(__be16 port)
{
	__u32 p = bpf_ntohs(port);

	barrier_var(p);
	return p & 0xffff;
}

static __always_inline int classify(void *l4, void *end, __u8 proto, const struct in6_addr *src, void *allow, void *lpm_key)
{
	__u8 class;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || th->doff < 5)
			return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
		class = port_class[port_index(th->dest)] & 0xf;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
		class = port_class[port_index(uh->dest)] >> 4;
	} else {
		return verdict(FILTER_PASSED, XDP_PASS);
	}
	if (!class)
		return verdict(FILTER_PASSED, XDP_PASS);
	if (class == FILTER_PORT_UPDATE)
		return bpf_map_lookup_elem(allow, lpm_key) ? verdict(FILTER_UPDATE_ACCEPTED, XDP_PASS) :
				 verdict(FILTER_DROP_NOT_ALLOWED, XDP_DROP);
	return relay_admit(src) ? verdict(FILTER_RELAY_ACCEPTED, XDP_PASS) :
				  verdict(FILTER_DROP_RATE, XDP_DROP);
}

static int ipv4(void *l3, void *end)
{
	struct filter_v4_key key = { .prefixlen = 32 };
	struct iphdr *iph = l3;
	struct in6_addr src = {};
	__u32 hlen;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
	hlen = iph->ihl * 4;
	if (l3 + hlen > end || bpf_ntohs(iph->tot_len) < hlen)
		return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
	/* A later fragment has no transport header; without its first fragment it can not be reassembled. */
	if (bpf_ntohs(iph->frag_off) & IP_OFFSET)
		return verdict(FILTER_PASSED, XDP_PASS);
	__builtin_memcpy(key.addr, &iph->saddr, 4);
	src.in6_u.u6_addr16[5] = 0xffff;
	src.in6_u.u6_addr32[3] = iph->saddr;
	return classify(l3 + hlen, end, iph->protocol, &src, &allow_v4, &key);
}

static int ipv6(void *l3, void *end)
{
	struct filter_v6_key key = { .prefixlen = 128 };
	struct ipv6hdr *ip6h = l3;
	void *l4 = ip6h + 1;
	__u8 next;
	int i;

	if (l4 > end || ip6h->version != 6)
		return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
	next = ip6h->nexthdr;
	for (i = 0; i < 4; i++) {
		struct ipv6_opt_hdr *opt = l4;

		if (next != NEXTHDR_HOP && next != NEXTHDR_ROUTING && next != NEXTHDR_DEST &&
		    next != NEXTHDR_FRAGMENT)
			break;
		if ((void *)(opt + 1) > end)
			return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
		if (next == NEXTHDR_FRAGMENT) {
			struct frag_hdr *fh = l4;

			if ((void *)(fh + 1) > end)
				return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
			if (bpf_ntohs(fh->frag_off) & ~0x7)
				return verdict(FILTER_PASSED, XDP_PASS);
			next = fh->nexthdr;
			l4 = fh + 1;
		} else {
			next = opt->nexthdr;
			l4 += (opt->hdrlen + 1) * 8;
		}
	}
	__builtin_memcpy(key.addr, &ip6h->saddr, 16);
	return classify(l4, end, next, &ip6h->saddr, &allow_v6, &key);
}

SEC("xdp")
int filter_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	if (l3 > end)
		return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return verdict(FILTER_DROP_MALFORMED, XDP_DROP);
		proto = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return ipv4(l3, end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return ipv6(l3, end);
	return verdict(FILTER_PASSED, XDP_PASS);
}
