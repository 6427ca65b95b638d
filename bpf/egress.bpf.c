// SPDX-License-Identifier: GPL-2.0
/*
 * The egress restriction: cgroup sock_addr programs that let the agent's cgroup connect (and send datagrams)
 * only to the configured nodes and mirrors. A refused connect() or sendmsg() fails with EPERM.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "egress.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct egress_key);
	__type(value, __u8);
} allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EGRESS_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static int verdict(struct egress_key *key)
{
	__u32 counter = EGRESS_ALLOWED;
	int ok = 1;
	__u64 *n;

	if (!bpf_map_lookup_elem(&allow, key)) {
		key->port = 0;
		if (!bpf_map_lookup_elem(&allow, key)) {
			counter = EGRESS_DENIED;
			ok = 0;
		}
	}
	n = bpf_map_lookup_elem(&counters, &counter);
	if (n)
		(*n)++;
	return ok;
}

static int check4(struct bpf_sock_addr *ctx)
{
	struct egress_key key = {};

	key.addr[2] = bpf_htonl(0xffff);
	key.addr[3] = ctx->user_ip4;
	key.port = bpf_ntohs(ctx->user_port);
	return verdict(&key);
}

static int check6(struct bpf_sock_addr *ctx)
{
	struct egress_key key = {};

	/* The context allows only 4-byte reads of the address. */
	key.addr[0] = ctx->user_ip6[0];
	key.addr[1] = ctx->user_ip6[1];
	key.addr[2] = ctx->user_ip6[2];
	key.addr[3] = ctx->user_ip6[3];
	key.port = bpf_ntohs(ctx->user_port);
	return verdict(&key);
}

SEC("cgroup/connect4")
int egress_connect4(struct bpf_sock_addr *ctx)
{
	return check4(ctx);
}

SEC("cgroup/sendmsg4")
int egress_sendmsg4(struct bpf_sock_addr *ctx)
{
	return check4(ctx);
}

SEC("cgroup/connect6")
int egress_connect6(struct bpf_sock_addr *ctx)
{
	return check6(ctx);
}

SEC("cgroup/sendmsg6")
int egress_sendmsg6(struct bpf_sock_addr *ctx)
{
	return check6(ctx);
}
