#!/usr/bin/env python3
"""Busy gateway: start many lab client sessions at once with mixed outcomes.
busy.py PYTHON PYCLIENT CAFILE  (run inside the client namespace)
Source ports are fixed per role so the expectation can name them:
see the table below and busy-gateway-mixed.expect."""
import subprocess, sys, time

py, client, ca = sys.argv[1:4]
ROLES = [  # (first port, count, server, port, mode, extra args)
    (41001, 12, "198.51.100.25", 25, "starttls", []),                       # ok TLS 1.3 postfix
    (41013, 6, "198.51.100.26", 25, "starttls", ["--max", "1.2"]),          # ok TLS 1.2 exim
    (41019, 6, "198.51.100.31", 25, "starttls", ["--max", "1.0", "--ciphers", "DEFAULT:@SECLEVEL=0"]),  # client too old
    (41025, 4, "198.51.100.37", 25, "starttls", []),                        # unknown CA, TLS 1.3
    (41029, 4, "198.51.100.33", 25, "plain", []),                           # STARTTLS not offered
    (41033, 4, "198.51.100.34", 25, "plain", []),                           # 530 required
    (41037, 4, "198.51.100.28", 25, "starttls", ["--min", "1.2"]),          # server too old
    (41041, 4, "198.51.100.30", 25, "starttls", ["--max", "1.0", "--ciphers", "DEFAULT:@SECLEVEL=0"]),  # deprecated 1.0
]
procs = []
for first, n, host, port, mode, extra in ROLES:
    for i in range(n):
        procs.append(subprocess.Popen([py, client, host, str(port), str(first + i), mode,
                                       "--cafile", ca] + extra))
        time.sleep(0.02)
for p in procs:
    p.wait()
