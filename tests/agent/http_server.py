#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The server tests/agent/http_test.c talks to: raw HTTP/1.1 responses, well-formed or not, chosen by path.

usage: http_server.py PORT [--bind ADDR] [--tls CERT KEY]; prints "ready" once it listens.
"""
import os
import socket
import socketserver
import ssl
import sys
import time

RANGE_BODY = bytes((i * 7 + (i >> 3)) & 0xff for i in range(1000))


def head(status, *headers):
    return ("HTTP/1.1 %s\r\n" % status + "".join(h + "\r\n" for h in headers) + "\r\n").encode()


class Handler(socketserver.BaseRequestHandler):
    def read_request(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return None, {}, b""
            data += chunk
        text, body = data.split(b"\r\n\r\n", 1)
        lines = text.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = self.request.recv(4096)
            if not chunk:
                break
            body += chunk
        return lines[0].split(" "), headers, body

    def handle(self):
        try:
            request, headers, body = self.read_request()
            if request:
                self.respond(request[0], request[1], headers, body)
        except (OSError, ssl.SSLError):
            pass

    def respond(self, method, path, headers, body):
        send = self.request.sendall
        port = self.server.server_address[1]
        if path == "/length":
            send(head("200 OK", "Content-Length: 11") + b"hello world")
        elif path == "/empty":
            send(head("200 OK", "Content-Length: 0"))
        elif path == "/chunked":
            send(head("200 OK", "Transfer-Encoding: chunked") +
                 b"5;ext=1\r\nhello\r\n1\r\n \r\n00E ; name=\"value\"\r\nworld, chunked\r\n0\r\n"
                 b"X-Trailer: yes\r\nX-Other: 2\r\n\r\n")
        elif path == "/close":
            send(b"HTTP/1.0 200 OK\r\nServer: test\r\n\r\nread until the close")
        elif path == "/range":
            rng = headers.get("range", "")
            if rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                send(head("206 Partial Content", "Content-Range: bytes %d-999/1000" % start,
                          "Content-Length: %d" % (1000 - start)) + RANGE_BODY[start:])
            else:
                send(head("200 OK", "Content-Length: 1000") + RANGE_BODY)
        elif path.startswith("/redirect/"):
            n = int(path[10:])
            if n == 0:
                send(head("200 OK", "Content-Length: 7") + b"arrived")
            elif n % 3 == 0:
                send(head("301 Moved", "Location: http://localhost:%d/redirect/%d" % (port, n - 1),
                          "Content-Length: 5") + b"moved")
            elif n % 3 == 1:
                send(head("302 Found", "Location: /redirect/%d" % (n - 1), "Content-Length: 0"))
            else:
                send(head("307 Temporary Redirect", "Location: %d" % (n - 1)))
        elif path == "/loop":
            send(head("302 Found", "Location: /loop", "Content-Length: 0"))
        elif path == "/to-ftp":
            send(head("302 Found", "Location: ftp://localhost/x", "Content-Length: 0"))
        elif path == "/stall":
            send(head("200 OK", "Content-Length: 100") + b"x" * 10)
            time.sleep(10)
        elif path == "/truncated":
            send(head("200 OK", "Content-Length: 100") + b"x" * 50)
        elif path == "/truncated-chunked":
            send(head("200 OK", "Transfer-Encoding: chunked") + b"a\r\n0123456789\r\n10\r\nshort")
        elif path == "/long-header":
            send(head("200 OK", "X-Long: " + "a" * 9000, "Content-Length: 2") + b"ok")
        elif path == "/many-headers":
            send(head("200 OK", *["X-H%d: %d" % (i, i) for i in range(150)]) + b"ok")
        elif path == "/bad-chunk":
            send(head("200 OK", "Transfer-Encoding: chunked") + b"zz\r\nhello\r\n0\r\n\r\n")
        elif path == "/beyond-length":
            send(head("200 OK", "Content-Length: 5") + b"hello, and more")
        elif path == "/bad-status":
            send(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n")
        elif path == "/echo":
            send(head("200 OK", "Content-Length: %d" % len(body), "X-Method: " + method,
                      "X-Content-Type: " + headers.get("content-type", "-"),
                      "X-User-Agent: " + headers.get("user-agent", "-")) + body)
        else:
            send(head("404 Not Found", "Content-Length: 5") + b"nope\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    tls = None

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls:
            sock.settimeout(5)
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request, client_address):
        try:
            if self.tls:
                request.do_handshake()
            super().finish_request(request, client_address)
        except (OSError, ssl.SSLError):
            pass


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    bind, cert = "::", None
    while args:
        opt = args.pop(0)
        if opt == "--bind":
            bind = args.pop(0)
        elif opt == "--tls":
            cert = (args.pop(0), args.pop(0))
    Server.address_family = socket.AF_INET if "." in bind else socket.AF_INET6
    try:
        server = Server((bind, port), Handler)
    except OSError as e:
        sys.exit("http_server.py: port %d: %s" % (port, e.strerror))
    if cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(*cert)
    os.write(1, b"ready\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
