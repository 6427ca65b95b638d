#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A misbehaving image mirror and node proxy for fwgated's end-to-end tests.

  /good/<file>    the file, with single-range Range support
  /tamper/<file>  the file with one byte flipped in its middle (a tampered mirror)
  /slow/<file>    throttled to --rate bytes/s; the first request of each file is cut after --drop bytes
  /cut/...        proxied to --node; every /blocks stream is cut in its middle (a node that dies mid-sync);
                  other paths pass through

Every request is logged to stdout as "METHOD path range -> status bytes".
"""
import argparse
import http.server
import os
import re
import socketserver
import sys
import time
import urllib.request

args = None
dropped = set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def note(self, status, n):
        print(f"{self.command} {self.path} {self.headers.get('Range', '-')} -> {status} {n}", flush=True)

    def do_GET(self):
        m = re.match(r"^/(good|tamper|slow)/([0-9a-zA-Z._-]+)$", self.path)
        if m:
            return self.serve_file(m.group(1), m.group(2))
        if self.path.startswith("/cut/"):
            return self.proxy(self.path[4:])
        self.send_error(404)
        self.note(404, 0)

    def serve_file(self, mode, name):
        path = os.path.join(args.dir, name)
        try:
            data = open(path, "rb").read()
        except OSError:
            self.send_error(404)
            self.note(404, 0)
            return
        if mode == "tamper":
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        start, end, status = 0, len(data), 200
        r = self.headers.get("Range")
        m = re.match(r"^bytes=(\d+)-(\d*)$", r or "")
        if m and int(m.group(1)) < len(data):
            start = int(m.group(1))
            if m.group(2):
                end = min(end, int(m.group(2)) + 1)
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        limit = end
        if mode == "slow" and name not in dropped:
            dropped.add(name)
            limit = min(end, start + args.drop)
        sent, off = 0, start
        while off < limit:
            chunk = data[off:min(off + 65536, limit)]
            try:
                self.wfile.write(chunk)
            except OSError:
                break
            off += len(chunk)
            sent += len(chunk)
            if mode == "slow":
                time.sleep(len(chunk) / args.rate)
        self.note(status, sent)
        if limit < end:
            self.close_connection = True
            self.connection.shutdown(2)

    def proxy(self, rest):
        try:
            up = urllib.request.urlopen(args.node + rest, timeout=30)
        except urllib.error.HTTPError as e:
            self.send_error(e.code)
            self.note(e.code, 0)
            return
        except OSError:
            self.send_error(502)
            self.note(502, 0)
            return
        body = up.read()
        # A stream of blocks loses its second half, mid-block: the node died while sending it.
        keep = len(body) // 2 if rest.startswith("/blocks") and len(body) > 4 else len(body)
        self.send_response(up.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:keep])
        self.note(up.status, keep)
        if keep < len(body):
            self.close_connection = True
            self.connection.shutdown(2)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--dir", required=True)
    p.add_argument("--node", default="")
    p.add_argument("--rate", type=int, default=2 << 20)
    p.add_argument("--drop", type=int, default=1 << 20)
    args = p.parse_args()
    host, port = args.listen.rsplit(":", 1)
    Server((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
