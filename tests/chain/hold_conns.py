#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# hold_conns.py HOST PORT N READY RELEASE: opens N TCP connections to HOST:PORT that send nothing (half-open
# HTTP requests, as an attacker holds them), writes how many connected to READY, and holds them until the file
# RELEASE exists (at most 10 minutes).
import os
import resource
import socket
import sys
import time

host, port, n, ready, release = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(n):
    try:
        s = socket.create_connection((host, port), timeout=5)
    except OSError:
        break
    held.append(s)
with open(ready, "w") as f:
    f.write("%d\n" % len(held))
for _ in range(6000):
    if os.path.exists(release):
        break
    time.sleep(0.1)
