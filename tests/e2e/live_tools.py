#!/usr/bin/env python3
"""live_tools.py - helpers for live.sh.

  live_tools.py find FILE TIMEOUT KEY=VALUE...
      Wait until FILE (NDJSON being written by a running starttls-inspect)
      holds an object whose flat keys have all the given values; print it
      and exit 0, or exit 1 after TIMEOUT seconds.
  live_tools.py smtp HOST PORT MODE
      A plain SMTP client: "refused" sends EHLO, STARTTLS, QUIT; "hold"
      sends EHLO and STARTTLS, then a partial ClientHello record, and waits
      (the session stays open until it is killed).
"""
import json
import socket
import sys
import time


def find(path, timeout, conds):
    want = dict(c.split("=", 1) for c in conds)
    deadline = time.time() + timeout
    while True:
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue   # a line still being written
                    if all(str(obj.get(k)) == v for k, v in want.items()):
                        print(line.strip())
                        return 0
        except FileNotFoundError:
            pass
        if time.time() > deadline:
            return 1
        time.sleep(0.1)


def reply(f):
    """Read one SMTP reply (all its lines); return the code."""
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


def smtp(host, port, mode):
    s = socket.create_connection((host, int(port)), timeout=10)
    f = s.makefile("rb")
    reply(f)
    s.sendall(b"EHLO client.test\r\n")
    reply(f)
    s.sendall(b"STARTTLS\r\n")
    code = reply(f)
    if mode == "refused":
        s.sendall(b"QUIT\r\n")
        reply(f)
        s.close()
        return 0 if code == 454 else 1
    # hold: the start of a ClientHello record, then silence
    s.sendall(bytes([0x16, 0x03, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x7c, 0x03, 0x03]))
    print("holding", flush=True)   # the caller waits for this line
    time.sleep(60)
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "find":
        return find(argv[2], float(argv[3]), argv[4:])
    if len(argv) == 5 and argv[1] == "smtp":
        return smtp(argv[2], argv[3], argv[4])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
