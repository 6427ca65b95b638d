// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "keys.h"
#include "proto.h"

static int terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

/*
 * The monitor trusts nothing the worker sends: every length inside a message must fit its buffer and every
 * name must be terminated before any field is used.
 */
int fwg_msg_check(const void *buf, size_t len)
{
	const struct fwg_msg_bundle *b = buf;
	const struct fwg_msg_begin *bg = buf;
	const struct fwg_msg_sign *s = buf;
	const struct fwg_msg_end *e = buf;
	const struct fwg_msg_rotate *r = buf;
	const struct fwg_msg_control *c = buf;
	uint32_t type, i;

	if (len < sizeof(type))
		return -1;
	memcpy(&type, buf, sizeof(type));
	switch (type) {
	case FWG_MSG_BUNDLE:
		if (len != sizeof(*b) || !b->sig_len || b->sig_len > FWGATE_MAX_SIG_LEN || b->nv > FWGATE_MAX_CHECKERS)
			return -1;
		for (i = 0; i < b->nv; i++)
			if (!b->v[i].sig_len || b->v[i].sig_len > FWGATE_MAX_SIG_LEN ||
			    (b->v[i].kind != FWGATE_VERDICT_APPROVE && b->v[i].kind != FWGATE_VERDICT_REJECT))
				return -1;
		return type;
	case FWG_MSG_BEGIN:
		if (len != sizeof(*bg) || bg->chunks_len > FWG_MSG_CHUNKS_MAX ||
		    bg->chunks_len != fwg_chunks_len(be64toh(bg->stmt.size)))
			return -1;
		return type;
	case FWG_MSG_DATA:
		return len > sizeof(type) && len <= sizeof(type) + FWG_MSG_DATA_MAX ? (int)type : -1;
	case FWG_MSG_END:
		return len == sizeof(*e) && e->abort <= 1 && e->reason <= FWGATE_NACK_WITHDRAWN ? (int)type : -1;
	case FWG_MSG_SIGN:
		if (len != sizeof(*s) || s->nack > 1 || (s->nack && (!s->reason || s->reason > FWGATE_NACK_WITHDRAWN)) ||
		    !terminated(s->target, sizeof(s->target)))
			return -1;
		return type;
	case FWG_MSG_INCLUDED:
		return len == sizeof(struct fwg_msg_id) ? (int)type : -1;
	case FWG_MSG_UNWRAP:
		return len == sizeof(struct fwg_msg_unwrap) ? (int)type : -1;
	case FWG_MSG_ROTATE:
		return len >= offsetof(struct fwg_msg_rotate, tx) && r->len <= sizeof(r->tx) &&
		       len == offsetof(struct fwg_msg_rotate, tx) + r->len ? (int)type : -1;
	case FWG_MSG_CONTROL:
		if (len != sizeof(*c) || !c->n || c->n > FWGATE_MAX_CHECKERS + 1)
			return -1;
		for (i = 0; i < c->n; i++)
			if (!c->sig[i].sig_len || c->sig[i].sig_len > FWGATE_MAX_SIG_LEN)
				return -1;
		return type;
	}
	return -1;
}
