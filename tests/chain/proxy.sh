# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/chain/nginx and tests/agent/e2e.sh: Debian's nginx as the caching reverse proxy an operator
# would put in front of a node. The cache follows the node's Cache-Control and collapses concurrent misses into
# one request to the node. Files under $W: nginx.conf, nginx.pid, nginx.err, cache/, tmp/, and nginx.access,
# one line per request: "PORT REQUEST STATUS CACHE-STATUS" (CACHE-STATUS "-" when the cache was not consulted).

# nginx_conf PORT:NODE_PORT...: one proxy on 127.0.0.1:PORT per pair, in front of the node on NODE_PORT. While
# $W/proxy-PORT.down exists, that proxy answers 503, as a node that cannot be reached.
nginx_conf() {
	mkdir -p "$W/cache" "$W/tmp"
	{
		# As root, nginx's workers would run as www-data, which may not enter $W (mode 0700).
		[ "$(id -u)" = 0 ] && echo "user root;"
		echo "worker_processes 1; pid $W/nginx.pid; error_log $W/nginx.err;"
		echo "events { worker_connections 512; }"
		echo "http {"
		echo "  log_format fwgate '\$server_port \"\$request\" \$status \$upstream_cache_status';"
		echo "  access_log $W/nginx.access fwgate;"
		echo "  client_body_temp_path $W/tmp/body; proxy_temp_path $W/tmp/proxy;"
		echo "  fastcgi_temp_path $W/tmp/fcgi; uwsgi_temp_path $W/tmp/uwsgi; scgi_temp_path $W/tmp/scgi;"
		echo "  proxy_cache_path $W/cache levels=1:2 keys_zone=fwgate:10m max_size=1g inactive=1d use_temp_path=off;"
		for pair in "$@"; do
			echo "  server {"
			echo "    listen 127.0.0.1:${pair%%:*};"
			echo "    location / {"
			echo "      if (-f $W/proxy-${pair%%:*}.down) { return 503; }"
			echo "      proxy_pass http://127.0.0.1:${pair#*:};"
			echo "      proxy_http_version 1.1; proxy_set_header Connection \"\";"
			echo "      proxy_cache fwgate; proxy_cache_lock on; proxy_cache_revalidate on;"
			echo "      add_header X-Cache \$upstream_cache_status always;"
			echo "    }"
			echo "  }"
		done
		echo "}"
	} >"$W/nginx.conf"
}

# nginx_start PORT:NODE_PORT...: writes the configuration, starts nginx, waits until every proxy listens.
nginx_start() {
	nginx_conf "$@" && nginx -c "$W/nginx.conf" -p "$W" || return 1
	for pair in "$@"; do
		for _ in $(seq 50); do
			curl -s -o /dev/null "http://127.0.0.1:${pair%%:*}/" && break
			sleep 0.1
		done
	done
}

nginx_stop() {
	stop_pid "$W/nginx.pid"
}
