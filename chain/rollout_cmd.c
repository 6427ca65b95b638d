// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate rollout plan|advance|status: the manufacturer signs a staged rollout plan for a published update,
 * opens its stages one by one, and reads where the rollout stands from the verified chain
 * (Documentation/fwgate/tools.rst, "rollout").
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "client.h"
#include "cmdutil.h"
#include "exit.h"
#include "files.h"
#include "inventory.h"
#include "keys.h"
#include "log.h"
#include "rollout.h"
#include "rollout_cmd.h"

struct ropts {
	const char *key, *update, *node, *out, *stages[FWGATE_ROLLOUT_MAX_STAGES];
	unsigned int nr_stages;
	uint8_t genesis[FWGATE_ID_LEN];
	const uint8_t *pin;
	int json;
};

static int parse(int argc, char **argv, struct ropts *o, const char *usage)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "update", required_argument, NULL, 'U' },
		{ "node", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "stage", required_argument, NULL, 's' },
		{ "genesis", required_argument, NULL, 'G' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "k:U:n:o:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->key = optarg; break;
		case 'U': o->update = optarg; break;
		case 'n': o->node = optarg; break;
		case 'o': o->out = optarg; break;
		case 'J': o->json = 1; break;
		case 'G':
			fwg_genesis_arg(optarg, o->genesis);
			o->pin = o->genesis;
			break;
		case 's':
			if (o->nr_stages == FWGATE_ROLLOUT_MAX_STAGES)
				usagex("--stage: at most %d stages", FWGATE_ROLLOUT_MAX_STAGES);
			o->stages[o->nr_stages++] = optarg;
			break;
		default:
			usagex("usage: fwgate rollout %s %s", argv[0], usage);
		}
	}
	if (optind != argc)
		usagex("usage: fwgate rollout %s %s", argv[0], usage);
	return 0;
}

static void need(const char *val, const char *name, const char *cmd, const char *usage)
{
	if (!val)
		usagex("fwgate rollout %s: missing --%s; usage: fwgate rollout %s %s", cmd, name, cmd, usage);
}

static void load_update(const char *path, struct fwgate_update_stmt *u)
{
	struct fwg_signed_stmt s;
	uint8_t *buf;
	size_t len;

	if (fwg_read_file(path, &buf, &len, FWG_TX_MAX))
		exit(FWG_EXIT_FAIL);
	if (fwg_stmt_parse(buf, len, &s))
		fatalx("--update: %s is not a signed update statement", path);
	free(buf);
	*u = s.stmt;
}

/* Signs, writes with --out, submits with --node. */
static int emit(const struct ropts *o, struct fwg_key *key, uint8_t type, const void *stmt, size_t len)
{
	static uint8_t buf[FWG_TX_MAX];
	size_t n = fwg_tx_sign(key, type, stmt, len, NULL, 0, NULL, 0, buf, sizeof(buf));

	fwg_key_free(key);
	if (!n)
		fatalx("signing failed");
	return fwg_cmd_emit(o->node, o->out, buf, n);
}

/*
 * "--stage PERCENT[@WHEN]": the cumulative share, in percent with up to two decimals, and when the stage
 * opens by itself: UNIX seconds, or +SECONDS from now; without @, only an advance opens it (stage 0 opens
 * with the plan).
 */
static void parse_stage(const char *arg, struct fwgate_rollout_stage *s)
{
	char *end;
	double pct = strtod(arg, &end);
	unsigned long long at = 0;
	long share = (long)(pct * 100 + 0.5);

	if (end == arg || (*end && *end != '%' && *end != '@') || pct <= 0 || pct > 100)
		usagex("--stage \"%s\": not PERCENT[@WHEN], PERCENT above 0 and at most 100", arg);
	if (*end == '%')
		end++;
	if (*end == '@') {
		const char *w = end + 1;
		int rel = *w == '+';

		at = strtoull(w + rel, &end, 10);
		if (end == w + rel || *end || !at)
			usagex("--stage \"%s\": WHEN is UNIX seconds or +SECONDS from now", arg);
		if (rel)
			at += time(NULL);
	} else if (*end) {
		usagex("--stage \"%s\": not PERCENT[@WHEN]", arg);
	}
	s->share = htobe32(share);
	s->opens_at = htobe64(at);
}

int fwg_rollout_plan_cmd(int argc, char **argv)
{
	struct fwgate_rollout_stmt p = {};
	struct fwgate_update_stmt u;
	struct fwg_pubkey pub;
	struct fwg_key *key;
	struct fwg_err err;
	struct ropts o;
	unsigned int i;

	parse(argc, argv, &o, FWG_ROLLOUT_PLAN_ARGS);
	need(o.key, "key", "plan", FWG_ROLLOUT_PLAN_ARGS);
	need(o.update, "update", "plan", FWG_ROLLOUT_PLAN_ARGS);
	if (!o.nr_stages)
		usagex("fwgate rollout plan: at least one --stage; usage: fwgate rollout plan %s", FWG_ROLLOUT_PLAN_ARGS);
	load_update(o.update, &u);
	memcpy(p.magic, FWGATE_MAGIC_ROLLOUT, FWGATE_MAGIC_LEN);
	memcpy(p.u_id, u.u_id, FWGATE_ID_LEN);
	p.issued = htobe64(time(NULL));
	p.stages = htobe32(o.nr_stages);
	for (i = 0; i < o.nr_stages; i++)
		parse_stage(o.stages[i], &p.stage[i]);
	/* The node would refuse it naming the field: say so before signing. */
	if (fwg_rollout_plan_ok(&p, &err))
		usagex("--stage: %s", err.msg);
	key = fwg_key_load_private(o.key);
	if (!key || fwg_key_encode(key, &pub))
		return FWG_EXIT_FAIL;
	memcpy(p.m_id, pub.id, FWGATE_ID_LEN);
	return emit(&o, key, FWG_TX_ROLLOUT, &p, sizeof(p));
}

/* The verified chain, read into an inventory. */
struct reader {
	struct fwg_inv *inv;
	struct fwg_tx tx;
	struct fwg_err *err;
	uint64_t last_ms;
};

static int read_block(const uint8_t *buf, size_t len, void *arg)
{
	struct reader *r = arg;
	struct fwg_block b;
	uint32_t i;
	int ret = 0;

	if (fwg_block_decode(buf, len, &b, r->err))
		return -1;
	r->last_ms = b.hdr.time_ms;
	for (i = 0; i < b.hdr.nr_tx && !ret; i++) {
		if (fwg_tx_decode(b.tx[i], b.tx_len[i], &r->tx, r->err)) {
			ret = -1;
			break;
		}
		ret = fwg_inv_add(r->inv, &r->tx, b.hdr.height) ? -1 : 0;
		fwg_tx_release(&r->tx);
	}
	fwg_block_release(&b);
	return ret;
}

static struct fwg_inv *read_chain(const struct ropts *o)
{
	static struct reader r;
	struct fwg_state *st = fwg_state_new();
	struct fwg_err err;
	int ret;

	r.inv = fwg_inv_new();
	r.err = &err;
	if (!st || !r.inv)
		fatalx("out of memory");
	ret = fwg_node_follow_pinned(o->node, o->pin, st, read_block, &r, &err);
	fwg_state_free(st);
	if (ret)
		exit(fwg_follow_failed(&err));
	return r.inv;
}

int fwg_rollout_advance_cmd(int argc, char **argv)
{
	struct fwgate_advance_stmt a = {};
	struct fwgate_update_stmt u;
	const struct fwg_rollout *r;
	struct fwg_key *key;
	struct fwg_inv *inv;
	struct ropts o;
	unsigned long stage;
	char *end;
	int ret;

	parse(argc, argv, &o, FWG_ROLLOUT_ADVANCE_ARGS);
	need(o.key, "key", "advance", FWG_ROLLOUT_ADVANCE_ARGS);
	need(o.update, "update", "advance", FWG_ROLLOUT_ADVANCE_ARGS);
	need(o.node, "node", "advance", FWG_ROLLOUT_ADVANCE_ARGS);
	if (o.nr_stages != 1)
		usagex("fwgate rollout advance: one --stage N; usage: fwgate rollout advance %s", FWG_ROLLOUT_ADVANCE_ARGS);
	stage = strtoul(o.stages[0], &end, 10);
	if (end == o.stages[0] || *end || stage >= FWGATE_ROLLOUT_MAX_STAGES)
		usagex("--stage \"%s\": not a stage index, 0 to %d", o.stages[0], FWGATE_ROLLOUT_MAX_STAGES - 1);
	load_update(o.update, &u);
	inv = read_chain(&o);
	r = fwg_rollouts_find(fwg_inv_rollouts(inv), u.u_id);
	if (!r || !r->has_plan) {
		fwg_inv_free(inv);
		fatalx("--update: the chain holds no rollout plan for this update");
	}
	memcpy(a.magic, FWGATE_MAGIC_ADVANCE, FWGATE_MAGIC_LEN);
	memcpy(a.u_id, u.u_id, FWGATE_ID_LEN);
	memcpy(a.plan, r->digest, FWGATE_ID_LEN);
	a.stage = htobe32(stage);
	a.issued = htobe64(time(NULL));
	fwg_inv_free(inv);
	key = fwg_key_load_private(o.key);
	if (!key)
		return FWG_EXIT_FAIL;
	ret = emit(&o, key, FWG_TX_ADVANCE, &a, sizeof(a));
	return ret;
}

const char *fwg_rollout_state(const struct fwg_rollout *r)
{
	if (r->withdrawn)
		return "withdrawn";
	if (r->has_control && r->paused)
		return "paused";
	return "rolling out";
}

struct json_object *fwg_coverage_json(const struct fwg_coverage *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "devices", json_object_new_int64(c->fleet));
	json_object_object_add(o, "running", json_object_new_int64(c->n[FWG_OUT_RUNNING]));
	json_object_object_add(o, "installed", json_object_new_int64(c->n[FWG_OUT_INSTALLED]));
	json_object_object_add(o, "fell_back", json_object_new_int64(c->n[FWG_OUT_FELL_BACK]));
	json_object_object_add(o, "refused", json_object_new_int64(c->n[FWG_OUT_REFUSED]));
	json_object_object_add(o, "silent", json_object_new_int64(c->n[FWG_OUT_NONE]));
	return o;
}

/* One rollout as JSON: its plan, which stages are open at @now, and each stage's coverage. */
struct json_object *fwg_rollout_json(const struct fwg_inv *inv, const struct fwg_rollout *r, uint64_t now)
{
	struct json_object *o = json_object_new_object(), *stages = json_object_new_array(), *s;
	int open = fwg_rollout_open_through(r, now);
	struct fwg_coverage c;
	char h[2 * FWGATE_ID_LEN + 1];
	unsigned int i;

	fwg_hex(r->u_id, FWGATE_ID_LEN, h);
	json_object_object_add(o, "u_id", json_object_new_string(h));
	fwg_hex(r->digest, FWGATE_ID_LEN, h);
	json_object_object_add(o, "plan", json_object_new_string(h));
	json_object_object_add(o, "plan_height", json_object_new_int64(r->plan_height));
	json_object_object_add(o, "state", json_object_new_string(fwg_rollout_state(r)));
	json_object_object_add(o, "advanced", json_object_new_int(r->advanced));
	json_object_object_add(o, "open_through", json_object_new_int(open));
	for (i = 0; i < be32toh(r->plan.stages); i++) {
		fwg_inv_coverage(inv, r->u_id, i, &c);
		s = fwg_coverage_json(&c);
		json_object_object_add(s, "stage", json_object_new_int(i));
		json_object_object_add(s, "share", json_object_new_int(be32toh(r->plan.stage[i].share)));
		json_object_object_add(s, "opens_at", json_object_new_int64(be64toh(r->plan.stage[i].opens_at)));
		json_object_object_add(s, "open", json_object_new_boolean((int)i <= open));
		json_object_array_add(stages, s);
	}
	json_object_object_add(o, "stages", stages);
	fwg_inv_coverage(inv, r->u_id, -1, &c);
	json_object_object_add(o, "total", fwg_coverage_json(&c));
	return o;
}

static void print_rollout(const struct fwg_inv *inv, const struct fwg_rollout *r, uint64_t now)
{
	int open = fwg_rollout_open_through(r, now);
	struct fwg_coverage c;
	char h[2 * FWGATE_ID_LEN + 1];
	unsigned int i, prev = 0;

	fwg_hex(r->u_id, FWGATE_ID_LEN, h);
	printf("update %s: %s, plan of block %" PRIu64 ", ", h, fwg_rollout_state(r), r->plan_height);
	if (open > 0)
		printf("stages 0-%d open\n", open);
	else
		printf("%s\n", open ? "no stage open yet" : "stage 0 open");
	printf("  %-5s %-13s %-6s %-20s %8s %8s %9s %9s %8s\n", "stage", "share", "open", "opens at", "devices",
	       "running", "installed", "fell back", "refused");
	for (i = 0; i < be32toh(r->plan.stages); i++) {
		uint32_t share = be32toh(r->plan.stage[i].share);
		time_t at = be64toh(r->plan.stage[i].opens_at);
		char when[32] = "by advance", range[48];

		if (at)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", gmtime(&at));
		else if (!i)
			snprintf(when, sizeof(when), "with the plan");
		snprintf(range, sizeof(range), "%u.%02u-%u.%02u%%", prev / 100, prev % 100, share / 100, share % 100);
		fwg_inv_coverage(inv, r->u_id, i, &c);
		printf("  %-5u %-13s %-6s %-20s %8u %8u %9u %9u %8u\n", i, range, (int)i <= open ? "yes" : "no", when,
		       c.fleet, c.n[FWG_OUT_RUNNING], c.n[FWG_OUT_INSTALLED], c.n[FWG_OUT_FELL_BACK],
		       c.n[FWG_OUT_REFUSED]);
		prev = share;
	}
}

int fwg_rollout_status_cmd(int argc, char **argv)
{
	struct json_object *arr = NULL;
	const struct fwg_rollouts *rs;
	struct fwgate_update_stmt u;
	uint64_t now = time(NULL);
	struct fwg_inv *inv;
	struct ropts o;
	size_t i, shown = 0;

	parse(argc, argv, &o, FWG_ROLLOUT_STATUS_ARGS);
	need(o.node, "node", "status", FWG_ROLLOUT_STATUS_ARGS);
	if (o.update)
		load_update(o.update, &u);
	inv = read_chain(&o);
	rs = fwg_inv_rollouts(inv);
	if (o.json)
		arr = json_object_new_array();
	for (i = 0; i < rs->n; i++) {
		if (!rs->r[i].has_plan || (o.update && memcmp(rs->r[i].u_id, u.u_id, FWGATE_ID_LEN)))
			continue;
		shown++;
		if (o.json)
			json_object_array_add(arr, fwg_rollout_json(inv, &rs->r[i], now));
		else
			print_rollout(inv, &rs->r[i], now);
	}
	if (o.json)
		fwg_cmd_print_json(arr);
	else if (!shown)
		printf("no rollout plan on the chain%s\n", o.update ? " for this update" : "");
	fwg_inv_free(inv);
	return o.update && !shown ? FWG_EXIT_FAIL : 0;
}
