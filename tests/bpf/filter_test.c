// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the update-traffic filter (bpf/filter.bpf.c), run on the host with BPF_PROG_TEST_RUN: each test
 * loads the program through the loader, configures it as fwgatectl would, feeds it hand-built frames and
 * checks the XDP verdict and the counter of each reason. Needs root (CAP_BPF, CAP_NET_ADMIN).
 *
 * With --bench N it prints instead the average run time of the program over N repeats of an allowed IPv4
 * update packet, in ns ("xdp_ns_per_pkt"), as the kernel's BPF_PROG_TEST_RUN reports it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
/* The harness is not -Wextra clean. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define UPDATE_PORT	8443
#define RELAY_PORT	7000
#define OTHER_PORT	22

struct frame {
	unsigned char b[256];
	unsigned int len;
};

static void eth(struct frame *f, __u16 proto)
{
	struct ethhdr *e = (void *)f->b;

	memset(f, 0, sizeof(*f));
	memset(e->h_dest, 0x02, ETH_ALEN);
	memset(e->h_source, 0x04, ETH_ALEN);
	e->h_proto = htons(proto);
	f->len = sizeof(*e);
}

/* Appends a TCP (or UDP) header to port @dport at f->len. */
static void l4(struct frame *f, int proto, __u16 dport)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *t = (void *)(f->b + f->len);

		t->source = htons(40000);
		t->dest = htons(dport);
		t->doff = 5;
		t->syn = 1;
		f->len += sizeof(*t);
	} else {
		struct udphdr *u = (void *)(f->b + f->len);

		u->source = htons(40000);
		u->dest = htons(dport);
		u->len = htons(sizeof(*u));
		f->len += sizeof(*u);
	}
}

static void v4(struct frame *f, const char *src, int proto, __u16 dport)
{
	struct iphdr *ip;

	eth(f, ETH_P_IP);
	ip = (void *)(f->b + f->len);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = proto;
	inet_pton(AF_INET, src, &ip->saddr);
	inet_pton(AF_INET, "192.0.2.1", &ip->daddr);
	f->len += sizeof(*ip);
	l4(f, proto, dport);
	ip->tot_len = htons(f->len - ETH_HLEN);
}

static void v6(struct frame *f, const char *src, int proto, __u16 dport, int hop_by_hop)
{
	struct ipv6hdr *ip;

	eth(f, ETH_P_IPV6);
	ip = (void *)(f->b + f->len);
	ip->version = 6;
	ip->hop_limit = 64;
	ip->nexthdr = proto;
	inet_pton(AF_INET6, src, &ip->saddr);
	inet_pton(AF_INET6, "2001:db8:ffff::1", &ip->daddr);
	f->len += sizeof(*ip);
	if (hop_by_hop) {
		/* An 8-byte hop-by-hop header: next header, length 0, PadN. */
		f->b[f->len] = proto;
		f->b[f->len + 2] = 1;
		f->b[f->len + 3] = 4;
		ip->nexthdr = 0;
		f->len += 8;
	}
	l4(f, proto, dport);
	ip->payload_len = htons(f->len - ETH_HLEN - sizeof(*ip));
}

/* The XDP verdict of one run over @f, or -1. */
static int run(struct fwg_filter *flt, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len, .repeat = 1);

	if (bpf_prog_test_run_opts(fwg_filter_prog_fd(flt), &o))
		return -1;
	return o.retval;
}

static int counter(struct fwg_filter *flt, enum filter_counter c)
{
	uint64_t v[FILTER_NR_COUNTERS];

	fwg_filter_counters(flt, v);
	return v[c];
}

static struct fwg_filter *open_filter(__u32 rate, __u32 burst)
{
	struct fwg_filter_config c = {
		.update_ports = { UPDATE_PORT }, .n_update_ports = 1,
		.relay_port = RELAY_PORT, .relay_rate = rate, .relay_burst = burst,
	};
	char *allow[] = { "192.0.2.0/24", "203.0.113.7", "2001:db8:1::/48" };
	struct fwg_filter *f = fwg_filter_open(&c);

	if (f && fwg_filter_set_allow(f, allow, 3)) {
		fwg_filter_destroy(f);
		return NULL;
	}
	return f;
}

FIXTURE(filter) {
	struct fwg_filter *f;
	struct frame p;
};

FIXTURE_SETUP(filter)
{
	self->f = open_filter(1, 5);
	ASSERT_NE(NULL, self->f);
}

FIXTURE_TEARDOWN(filter)
{
	fwg_filter_destroy(self->f);
}

TEST_F(filter, update_port_accepts_allowed_ipv4_prefix)
{
	v4(&self->p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	v4(&self->p, "203.0.113.7", IPPROTO_TCP, UPDATE_PORT);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	EXPECT_EQ(2, counter(self->f, FILTER_UPDATE_ACCEPTED));
}

TEST_F(filter, update_port_drops_unlisted_ipv4)
{
	v4(&self->p, "198.51.100.7", IPPROTO_TCP, UPDATE_PORT);
	EXPECT_EQ(XDP_DROP, run(self->f, &self->p));
	/* A neighbour of an allowed /32 is not allowed. */
	v4(&self->p, "203.0.113.8", IPPROTO_TCP, UPDATE_PORT);
	EXPECT_EQ(XDP_DROP, run(self->f, &self->p));
	EXPECT_EQ(2, counter(self->f, FILTER_DROP_NOT_ALLOWED));
	EXPECT_EQ(0, counter(self->f, FILTER_UPDATE_ACCEPTED));
}

TEST_F(filter, update_port_accepts_allowed_ipv6_and_drops_unlisted)
{
	v6(&self->p, "2001:db8:1:2::9", IPPROTO_TCP, UPDATE_PORT, 0);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	v6(&self->p, "2001:db8:2::9", IPPROTO_TCP, UPDATE_PORT, 0);
	EXPECT_EQ(XDP_DROP, run(self->f, &self->p));
	EXPECT_EQ(1, counter(self->f, FILTER_UPDATE_ACCEPTED));
	EXPECT_EQ(1, counter(self->f, FILTER_DROP_NOT_ALLOWED));
}

TEST_F(filter, ipv6_extension_header_does_not_hide_the_port)
{
	v6(&self->p, "2001:db8:2::9", IPPROTO_TCP, UPDATE_PORT, 1);
	EXPECT_EQ(XDP_DROP, run(self->f, &self->p));
	v6(&self->p, "2001:db8:1::9", IPPROTO_TCP, UPDATE_PORT, 1);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
}

TEST_F(filter, vlan_tag_does_not_hide_the_port)
{
	struct frame *p = &self->p;

	v4(p, "198.51.100.7", IPPROTO_TCP, UPDATE_PORT);
	memmove(p->b + 16, p->b + 12, p->len - 12);
	p->b[12] = 0x81;
	p->b[13] = 0x00;
	p->b[14] = 0x00;
	p->b[15] = 0x05;
	p->len += 4;
	EXPECT_EQ(XDP_DROP, run(self->f, p));
}

TEST_F(filter, other_traffic_passes)
{
	v4(&self->p, "198.51.100.7", IPPROTO_TCP, OTHER_PORT);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	/* The update ports are TCP: UDP to the same number is other traffic. */
	v4(&self->p, "198.51.100.7", IPPROTO_UDP, UPDATE_PORT);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	eth(&self->p, 0x0806);
	self->p.len = 60;
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	EXPECT_EQ(3, counter(self->f, FILTER_PASSED));
}

TEST_F(filter, malformed_headers_are_dropped)
{
	struct frame *p = &self->p;
	struct iphdr *ip = (void *)(p->b + ETH_HLEN);

	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	p->len = ETH_HLEN + 10;				/* IPv4 header cut short */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	ip->ihl = 4;					/* header length below 20 */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	ip->ihl = 15;					/* options past the end */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	ip->tot_len = htons(12);			/* total length below the header */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	p->len -= 8;					/* TCP header cut short */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	p->b[ETH_HLEN + 20 + 12] = 0x20;		/* TCP data offset 2 */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v4(p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	ip->version = 6;				/* IPv6 in an IPv4 frame */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v6(p, "2001:db8:1::9", IPPROTO_TCP, UPDATE_PORT, 0);
	p->len = ETH_HLEN + 30;				/* IPv6 header cut short */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	v6(p, "2001:db8:1::9", IPPROTO_TCP, UPDATE_PORT, 1);
	p->len = ETH_HLEN + 40 + 4;			/* extension header cut short */
	EXPECT_EQ(XDP_DROP, run(self->f, p));
	EXPECT_EQ(9, counter(self->f, FILTER_DROP_MALFORMED));
	EXPECT_EQ(0, counter(self->f, FILTER_UPDATE_ACCEPTED));
}

TEST_F(filter, relay_rate_limits_each_source_to_its_burst)
{
	int i, passed = 0;

	/* 1 packet/s with a burst of 5: a flood gets 5 through, another source keeps its own bucket. */
	v4(&self->p, "198.51.100.7", IPPROTO_UDP, RELAY_PORT);
	for (i = 0; i < 20; i++)
		passed += run(self->f, &self->p) == XDP_PASS;
	EXPECT_EQ(5, passed);
	EXPECT_EQ(15, counter(self->f, FILTER_DROP_RATE));
	v6(&self->p, "2001:db8:9::1", IPPROTO_TCP, RELAY_PORT, 0);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	EXPECT_EQ(6, counter(self->f, FILTER_RELAY_ACCEPTED));
}

TEST_F(filter, relay_bucket_refills_at_the_rate)
{
	struct fwg_filter *f = open_filter(100, 2);
	struct frame p;

	/* Its own filter: 100 packets/s with a burst of 2. */
	ASSERT_NE(NULL, f);
	v4(&p, "198.51.100.7", IPPROTO_UDP, RELAY_PORT);
	EXPECT_EQ(XDP_PASS, run(f, &p));
	EXPECT_EQ(XDP_PASS, run(f, &p));
	EXPECT_EQ(XDP_DROP, run(f, &p));
	usleep(25000);	/* 2.5 packets' worth at 100/s, capped at the burst of 2 */
	EXPECT_EQ(XDP_PASS, run(f, &p));
	EXPECT_EQ(XDP_PASS, run(f, &p));
	EXPECT_EQ(XDP_DROP, run(f, &p));
	fwg_filter_destroy(f);
}

TEST_F(filter, allow_list_update_replaces_the_old_list)
{
	char *next[] = { "198.51.100.0/24", "2001:db8:2::9/128" };

	ASSERT_EQ(0, fwg_filter_set_allow(self->f, next, 2));
	v4(&self->p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	EXPECT_EQ(XDP_DROP, run(self->f, &self->p));
	v4(&self->p, "198.51.100.7", IPPROTO_TCP, UPDATE_PORT);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
	v6(&self->p, "2001:db8:1::9", IPPROTO_TCP, UPDATE_PORT, 0);
	EXPECT_EQ(XDP_DROP, run(self->f, &self->p));
	v6(&self->p, "2001:db8:2::9", IPPROTO_TCP, UPDATE_PORT, 0);
	EXPECT_EQ(XDP_PASS, run(self->f, &self->p));
}

TEST_F(filter, rejects_a_bad_cidr)
{
	char *bad[] = { "192.0.2.0/33" };
	char *worse[] = { "node.example" };

	EXPECT_NE(0, fwg_filter_set_allow(self->f, bad, 1));
	EXPECT_NE(0, fwg_filter_set_allow(self->f, worse, 1));
}

static int bench(int repeat)
{
	struct fwg_filter *f = open_filter(1000000, 1000000);
	struct frame p;
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = repeat);

	if (!f)
		return 1;
	v4(&p, "192.0.2.77", IPPROTO_TCP, UPDATE_PORT);
	o.data_in = p.b;
	o.data_size_in = p.len;
	if (bpf_prog_test_run_opts(fwg_filter_prog_fd(f), &o) || o.retval != XDP_PASS) {
		fwg_filter_destroy(f);
		return 1;
	}
	printf("%u\n", o.duration);
	fwg_filter_destroy(f);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("bpf_filter_test", 0);
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(atoi(argv[2]));
	return test_harness_run(argc, argv);
}
