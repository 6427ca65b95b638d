// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "client.h"
#include "etcd.h"
#include "files.h"
#include "log.h"

#define MAX_ENDPOINTS 8

/* TLS towards the members: the CA that signed their certificates, and this node's client certificate. */
static struct {
	char *cacert, *cert, *key;
} tls;

static char *readable(const char *path)
{
	return path && !access(path, R_OK) ? strdup(path) : NULL;
}

int etcd_set_tls(const char *cacert, const char *cert, const char *key)
{
	tls.cacert = readable(cacert);
	tls.cert = readable(cert);
	tls.key = readable(key);
	return (cacert && !tls.cacert) || (cert && !tls.cert) || (key && !tls.key) ? -1 : 0;
}

/* For https:// members: verify them with the CA given (else the system's), and show our certificate. */
static void set_tls(CURL *curl)
{
	if (tls.cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, tls.cacert);
	if (tls.cert) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key);
	}
}

struct etcd {
	CURL *curl;
	char *ep[MAX_ENDPOINTS];
	unsigned int nr_ep, cur;
};

struct etcd *etcd_open(const char *endpoints)
{
	struct etcd *e = calloc(1, sizeof(*e));
	char *list, *tok, *save;

	if (!e)
		return NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	list = strdup(endpoints);
	for (tok = strtok_r(list, ",", &save); tok && e->nr_ep < MAX_ENDPOINTS; tok = strtok_r(NULL, ",", &save))
		e->ep[e->nr_ep++] = strdup(tok);
	free(list);
	e->curl = curl_easy_init();
	if (!e->nr_ep || !e->curl) {
		etcd_close(e);
		return NULL;
	}
	return e;
}

void etcd_close(struct etcd *e)
{
	unsigned int i;

	if (!e)
		return;
	for (i = 0; i < e->nr_ep; i++)
		free(e->ep[i]);
	curl_easy_cleanup(e->curl);
	free(e);
}

static char *b64(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		fwg_base64_encode(data, len, out);
	return out;
}

static uint8_t *unb64(const char *s, size_t *len)
{
	size_t n = strlen(s), room = 3 * (n / 4);
	uint8_t *out = malloc(room + 1);
	int m;

	if (!out)
		return NULL;
	m = fwg_base64_decode(s, n, out, room);
	if (m < 0) {
		free(out);
		return NULL;
	}
	*len = m;
	return out;
}

/*
 * POSTs body to path on the current member, moving on to the next one on a transport or server error.
 * Returns the parsed JSON answer, or NULL (with *sent set if some member may have received the request).
 */
static struct json_object *post(struct etcd *e, const char *path, const char *body, int *sent)
{
	struct json_object *j = NULL;
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	unsigned int tries;
	char url[512];

	*sent = 0;
	for (tries = 0; tries < 2 * e->nr_ep && !j; tries++) {
		struct fwg_http_body b = {};
		long code = 0;
		CURLcode rc;

		snprintf(url, sizeof(url), "%s%s", e->ep[e->cur], path);
		curl_easy_setopt(e->curl, CURLOPT_URL, url);
		curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, fwg_http_collect);
		curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, 500L);
		curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
		set_tls(e->curl);
		rc = curl_easy_perform(e->curl);
		curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK && code == 200)
			j = json_tokener_parse(b.p ? b.p : "");
		if (!j) {
			/* Connection refused means the member never saw it; anything later, it may have. */
			if (rc != CURLE_COULDNT_CONNECT)
				*sent = 1;
			log_debug("etcd %s: %s (HTTP %ld)", url, rc ? curl_easy_strerror(rc) : "bad answer", code);
			e->cur = (e->cur + 1) % e->nr_ep;
		}
		free(b.p);
	}
	curl_slist_free_all(hdr);
	return j;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

int etcd_range(struct etcd *e, const char *start, const char *end, unsigned int limit, struct etcd_kv **kvs,
	       size_t *n)
{
	struct json_object *req = json_object_new_object(), *resp, *arr;
	char *k = b64(start, strlen(start)), *r = end ? b64(end, strlen(end)) : NULL;
	int sent, ret = -1;
	size_t i;

	*kvs = NULL;
	*n = 0;
	json_object_object_add(req, "key", json_object_new_string(k));
	if (r)
		json_object_object_add(req, "range_end", json_object_new_string(r));
	if (limit)
		json_object_object_add(req, "limit", json_object_new_int64(limit));
	resp = post(e, "/v3/kv/range", json_object_to_json_string(req), &sent);
	json_object_put(req);
	free(k);
	free(r);
	if (!resp)
		return -1;
	if (!json_object_object_get_ex(resp, "kvs", &arr) || !json_object_is_type(arr, json_type_array)) {
		ret = 0;
		goto out;
	}
	*n = json_object_array_length(arr);
	*kvs = calloc(*n ? *n : 1, sizeof(**kvs));
	if (!*kvs)
		goto out;
	for (i = 0; i < *n; i++) {
		struct json_object *kv = json_object_array_get_idx(arr, i);
		const char *ks = jstr(kv, "key"), *vs = jstr(kv, "value");

		(*kvs)[i].key = (char *)unb64(ks ? ks : "", &(*kvs)[i].key_len);
		(*kvs)[i].value = unb64(vs ? vs : "", &(*kvs)[i].len);
		if (!(*kvs)[i].key || !(*kvs)[i].value)
			goto out;
		(*kvs)[i].key[(*kvs)[i].key_len] = '\0';
	}
	ret = 0;
out:
	if (ret) {
		etcd_kvs_free(*kvs, *n);
		*kvs = NULL;
		*n = 0;
	}
	json_object_put(resp);
	return ret;
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; kvs && i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
}

int etcd_put_if_absent(struct etcd *e, const char *absent, const struct etcd_kv *puts, size_t n)
{
	struct json_object *req = json_object_new_object(), *cmp = json_object_new_object();
	struct json_object *cmps = json_object_new_array(), *succ = json_object_new_array(), *resp, *ok;
	char *k = b64(absent, strlen(absent));
	int sent, ret;
	size_t i;

	json_object_object_add(cmp, "key", json_object_new_string(k));
	json_object_object_add(cmp, "target", json_object_new_string("VERSION"));
	json_object_object_add(cmp, "result", json_object_new_string("EQUAL"));
	json_object_object_add(cmp, "version", json_object_new_int64(0));
	json_object_array_add(cmps, cmp);
	free(k);
	for (i = 0; i < n; i++) {
		struct json_object *put = json_object_new_object(), *op = json_object_new_object();
		char *pk = b64(puts[i].key, strlen(puts[i].key)), *pv = b64(puts[i].value, puts[i].len);

		json_object_object_add(put, "key", json_object_new_string(pk));
		json_object_object_add(put, "value", json_object_new_string(pv));
		json_object_object_add(op, "request_put", put);
		json_object_array_add(succ, op);
		free(pk);
		free(pv);
	}
	json_object_object_add(req, "compare", cmps);
	json_object_object_add(req, "success", succ);
	resp = post(e, "/v3/kv/txn", json_object_to_json_string(req), &sent);
	json_object_put(req);
	if (!resp)
		return sent ? -1 : 0;
	ret = json_object_object_get_ex(resp, "succeeded", &ok) && json_object_get_boolean(ok);
	json_object_put(resp);
	return ret;
}

struct watch {
	void (*fn)(void *);
	void *arg;
};

static size_t watch_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;

	(void)data;
	w->fn(w->arg);
	return size * nmemb;
}

int etcd_watch(struct etcd *e, const char *key, void (*fn)(void *), void *arg)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	struct json_object *req = json_object_new_object(), *create = json_object_new_object();
	struct watch w = { fn, arg };
	char *k = b64(key, strlen(key));
	char url[512];

	json_object_object_add(create, "key", json_object_new_string(k));
	json_object_object_add(req, "create_request", create);
	free(k);
	snprintf(url, sizeof(url), "%s/v3/watch", e->ep[e->cur]);
	curl_easy_reset(e->curl);
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, json_object_to_json_string(req));
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, watch_data);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, 500L);
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	set_tls(e->curl);
	/*
	 * A member partitioned away keeps the stream open but silent. Heartbeat blocks move the head every few
	 * seconds, so 30 s without a byte means a member to leave.
	 */
	curl_easy_setopt(e->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_perform(e->curl);
	json_object_put(req);
	curl_slist_free_all(hdr);
	e->cur = (e->cur + 1) % e->nr_ep;
	return -1;
}
