// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfload.h"
#include "loader.h"
#include "lock.h"
#include "log.h"

#define MAX_ALLOW	64

struct fwg_agent_bpf {
	struct fwg_guard *guard;
	struct fwg_egress *egress;
	struct fwg_filter *filter;
};

static void denial(const struct guard_event *e, void *arg)
{
	(void)arg;
	log_warnx("guard: denied %s to pid %u (%.16s) on dev %u:%u: %s", fwg_guard_hook_name(e->hook), e->pid,
		  e->comm, e->dev >> 20, e->dev & 0xfffff,
		  e->reason < GUARD_NR_REASONS ? fwg_guard_reason_names[e->reason] : "?");
}

int fwg_agent_bpf_poll(struct fwg_agent_bpf *b)
{
	if (!b || !b->guard)
		return 0;
	return fwg_guard_poll(b->guard, 0, denial, NULL);
}

/* "http://host[:port]/path" -> each address of host, as "a.b.c.d:port" or "[v6]:port". */
static unsigned int url_addrs(const char *url, char **out, unsigned int room)
{
	char host[256], port[8] = "80", addr[INET6_ADDRSTRLEN];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	const char *p = strstr(url, "://"), *end, *colon;
	unsigned int n = 0;
	size_t len;

	if (!p)
		return 0;
	if (!strncmp(url, "https", 5))
		strcpy(port, "443");
	p += 3;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		colon = memchr(p, ']', end - p);
		if (!colon)
			return 0;
		len = colon - p - 1;
		p++;
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = memchr(p, ':', end - p);
		len = (colon ? colon : end) - p;
	}
	if (len >= sizeof(host))
		return 0;
	memcpy(host, p, len);
	host[len] = '\0';
	if (colon && end - colon - 1 > 0 && end - colon - 1 < (long)sizeof(port)) {
		memcpy(port, colon + 1, end - colon - 1);
		port[end - colon - 1] = '\0';
	}
	if (getaddrinfo(host, port, &hints, &res)) {
		log_warnx("egress: %s: can not resolve %s", url, host);
		return 0;
	}
	for (ai = res; ai && n < room; ai = ai->ai_next) {
		char buf[INET6_ADDRSTRLEN + 10];

		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr, sizeof(addr));
		else
			continue;
		snprintf(buf, sizeof(buf), ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", addr, port);
		out[n] = strdup(buf);
		if (out[n])
			n++;
	}
	freeaddrinfo(res);
	return n;
}

/* "a.b.c.d:port" or "[v6]:port" -> "a.b.c.d" or "v6", in place: the filter's allow-list takes addresses. */
static void strip_port(char *a)
{
	char *p = a[0] == '[' ? strchr(a, ']') : strrchr(a, ':');

	if (a[0] == '[' && p) {
		memmove(a, a + 1, p - a - 1);
		a[p - a - 1] = '\0';
	} else if (p) {
		*p = '\0';
	}
}

/* The nodes' and mirrors' addresses into the egress map and, without ports, the filter's allow-lists. */
static int set_allow(struct fwg_agent_bpf *b, const struct fwg_conf *c)
{
	char *allow[MAX_ALLOW] = { 0 };
	unsigned int i, n = 0;
	int err = 0;

	for (i = 0; i < c->nr_nodes; i++)
		n += url_addrs(c->nodes[i], allow + n, MAX_ALLOW - n);
	for (i = 0; i < c->nr_mirrors; i++)
		n += url_addrs(c->mirrors[i], allow + n, MAX_ALLOW - n);
	if (b->egress)
		err = fwg_egress_set_allow(b->egress, allow, n);
	for (i = 0; i < n; i++) {
		log_debug("egress: allow %s", allow[i]);
		strip_port(allow[i]);
	}
	if (b->filter && !err)
		err = fwg_filter_set_allow(b->filter, allow, n);
	for (i = 0; i < n; i++)
		free(allow[i]);
	return err;
}

/* The XDP filter on the configured uplink: update ports from the nodes and mirrors only, the relay rate-limited. */
static int start_filter(struct fwg_agent_bpf *b, const struct fwg_conf *c)
{
	struct fwg_filter_config fc = { .relay_port = c->relay_port, .relay_rate = c->relay_rate,
					.relay_burst = c->relay_burst };
	unsigned int i;

	for (i = 0; i < c->nr_filter_ports; i++)
		fc.update_ports[fc.n_update_ports++] = c->filter_ports[i];
	b->filter = fwg_filter_open(&fc);
	if (!b->filter || set_allow(b, c) || fwg_filter_attach(b->filter, c->filter_if)) {
		if (b->filter)
			fwg_filter_destroy(b->filter);
		b->filter = NULL;
		return -1;
	}
	log_info("bpf: traffic filter on %s", c->filter_if);
	return 0;
}

/*
 * The cgroup v2 directory this process runs in; not the root one, which holds the whole system. Under
 * systemd with the worker a unit of its own, both units run in fwgate.slice (Slice=): that slice, which
 * holds nothing else, so that the restriction covers the worker.
 */
static int own_cgroup(char *path, size_t len)
{
	char line[512], *slash;
	FILE *f = fopen("/proc/self/cgroup", "r");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			found = strcmp(line + 3, "/") != 0;
			slash = strrchr(line + 3, '/');
			if (found && slash > line + 3 && slash - (line + 3) >= 13 &&
			    !strncmp(slash - 13, "/fwgate.slice", 13))
				*slash = '\0';
			snprintf(path, len, "/sys/fs/cgroup%s", line + 3);
		}
	fclose(f);
	return found ? 0 : -1;
}

struct fwg_agent_bpf *fwg_agent_bpf_start(const struct fwg_conf *c, int (*lock_policy)(void *arg), void *arg,
					  int *err)
{
	struct fwg_lock_opts lo = { .signed_modules = c->signed_modules, .lock_policy = lock_policy, .arg = arg };
	int must = !strcmp(c->bpf, "yes");
	struct fwg_agent_bpf *b;
	char cg[640];

	*err = 0;
	lo.guard = must ? FWG_LOCK_GUARD_YES : strcmp(c->bpf, "no") ? FWG_LOCK_GUARD_AUTO : FWG_LOCK_GUARD_NO;
	b = calloc(1, sizeof(*b));
	if (!b || fwg_gate_lock(&lo, &b->guard)) {
		*err = 1;
		goto fail;
	}
	if (lo.guard == FWG_LOCK_GUARD_NO) {
		free(b);
		return NULL;
	}
	if (c->filter_if[0] && start_filter(b, c)) {
		log_warnx("bpf: the traffic filter on %s did not load%s", c->filter_if, must ? "" : "; going on without it");
		if (must)
			goto fail;
	}
	if (own_cgroup(cg, sizeof(cg))) {
		log_info("bpf: the agent runs in no cgroup of its own: no egress restriction");
		return b;
	}
	b->egress = fwg_egress_open();
	if (!b->egress || set_allow(b, c) || fwg_egress_attach(b->egress, cg)) {
		log_warnx("bpf: the egress restriction on %s did not load%s", cg, must ? "" : "; going on without it");
		if (must)
			goto fail;
		if (b->egress)
			fwg_egress_destroy(b->egress);
		b->egress = NULL;
		return b;
	}
	log_info("bpf: egress of %s restricted to the nodes and mirrors", cg);
	return b;
fail:
	fwg_agent_bpf_stop(b);
	*err |= must;
	return NULL;
}

int fwg_agent_bpf_update(struct fwg_agent_bpf *b, const struct fwg_conf *c)
{
	return b && (b->egress || b->filter) ? set_allow(b, c) : 0;
}

void fwg_agent_bpf_stop(struct fwg_agent_bpf *b)
{
	if (!b)
		return;
	if (b->egress)
		fwg_egress_destroy(b->egress);
	if (b->filter)
		fwg_filter_destroy(b->filter);
	if (b->guard)
		fwg_guard_destroy(b->guard);
	free(b);
}
