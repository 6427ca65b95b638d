// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate-node's connection admission (admit.h). The HTTP library closes a connection past its limit at once,
 * so a client that opens as many connections as the limit and sends nothing would keep every other client
 * out until its connections time out (120 s). Instead, once the node holds max_conn - max_conn / 64
 * connections, each new one makes it close the connection idle longest: one that has not sent a complete
 * request header yet, or a keep-alive connection between requests. A connection in a request (a submission,
 * a follow=1 stream) is never closed for another.
 *
 * Closing is shutdown(2) of the victim's socket: its thread in the library sees the end of the stream and
 * closes the connection as if the client had. The library calls the CLOSED notification before it closes the
 * socket, and a slot leaves the list under the same lock as shutdown() runs, so the file descriptor is never
 * one that was reused meanwhile.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "admit.h"

struct slot {
	struct slot *prev, *next;	/* in the list: longest idle first */
	int fd;
	int busy;			/* under lock: a request is in progress */
};

static struct {
	pthread_mutex_t lock;
	struct slot *head, *tail;	/* under lock */
	unsigned int open;		/* under lock: connections in the list */
	unsigned int mark;		/* from this many open connections on, a new one closes another */
	uint64_t evictions;		/* under lock */
} adm = { .lock = PTHREAD_MUTEX_INITIALIZER };

void fwg_admit_init(unsigned int max_conn)
{
	unsigned int spare = max_conn / 64 ? max_conn / 64 : 1;

	adm.mark = max_conn > spare ? max_conn - spare : 1;
}

static void unlink_slot(struct slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		adm.head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		adm.tail = s->prev;
	s->prev = s->next = NULL;
}

static void append_slot(struct slot *s)
{
	s->prev = adm.tail;
	s->next = NULL;
	if (adm.tail)
		adm.tail->next = s;
	else
		adm.head = s;
	adm.tail = s;
}

/* Under lock: shuts the longest idle connection down, if one is idle. */
static void evict_one(void)
{
	struct slot *s;

	for (s = adm.head; s && s->busy; s = s->next)
		;
	if (!s)
		return;
	shutdown(s->fd, SHUT_RDWR);
	/* Out of the way of the next eviction; the CLOSED notification frees it. */
	unlink_slot(s);
	s->busy = -1;
	adm.open--;
	adm.evictions++;
}

void fwg_admit_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct slot *s;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		s = calloc(1, sizeof(*s));
		if (!s || !ci) {
			free(s);
			return;
		}
		s->fd = ci->connect_fd;
		pthread_mutex_lock(&adm.lock);
		if (adm.open >= adm.mark)
			evict_one();
		append_slot(s);
		adm.open++;
		pthread_mutex_unlock(&adm.lock);
		*socket_context = s;
		return;
	}
	s = *socket_context;
	if (!s)
		return;
	pthread_mutex_lock(&adm.lock);
	if (s->busy >= 0) {
		unlink_slot(s);
		adm.open--;
	}
	pthread_mutex_unlock(&adm.lock);
	free(s);
	*socket_context = NULL;
}

void fwg_admit_busy(struct MHD_Connection *c, int busy)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct slot *s = ci ? ci->socket_context : NULL;

	if (!s)
		return;
	pthread_mutex_lock(&adm.lock);
	if (s->busy >= 0) {
		s->busy = busy;
		/* Idle from now on: the end of the list. */
		if (!busy) {
			unlink_slot(s);
			append_slot(s);
		}
	}
	pthread_mutex_unlock(&adm.lock);
}

uint64_t fwg_admit_evictions(void)
{
	uint64_t n;

	pthread_mutex_lock(&adm.lock);
	n = adm.evictions;
	pthread_mutex_unlock(&adm.lock);
	return n;
}
