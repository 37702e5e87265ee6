#!/usr/bin/env python3
"""A tiny SMTP relaying middlebox for the lab (stdlib only).

It accepts a connection, opens one to the real server and copies bytes both
ways line by line, rewriting the way Cisco ASA ESMTP inspection does:
  - in the server's EHLO reply, 'STARTTLS' becomes 'XXXXXXXA' (same length);
  - with --rewrite-command, the client's 'STARTTLS' command becomes 'XXXXXXXX'.
Bytes that are not lines (a ClientHello pushed anyway) are passed on as they
come.  Usage: smtp_proxy.py LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT
[--rewrite-command] [--bind SRC_ADDR:SRC_PORT_BASE]
"""
import socket, sys, threading

def pump(src, dst, fn):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            buf += data
            out = b""
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                out += fn(line + b"\n")
            # a chunk without a line end that is not text (TLS bytes): pass on
            if buf and (buf[0] in (0x16, 0x15, 0x14, 0x17, 0x80) or len(buf) > 4096):
                out += buf
                buf = b""
            if out:
                dst.sendall(out)
    except OSError:
        pass
    finally:
        if buf:
            try:
                dst.sendall(fn(buf))
            except OSError:
                pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

def from_server(line):
    if line[:4] in (b"250-", b"250 ") and line[4:12].upper() == b"STARTTLS":
        return line[:4] + b"XXXXXXXA" + line[12:]
    return line

def main():
    la, lp, sa, sp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    rewrite_cmd = "--rewrite-command" in sys.argv
    src_port = None
    if "--bind" in sys.argv:
        src_port = int(sys.argv[sys.argv.index("--bind") + 1])
    def from_client(line):
        if rewrite_cmd and line.strip().upper() == b"STARTTLS":
            return b"XXXXXXXX" + line[8:]
        return line
    ls = socket.socket(socket.AF_INET6 if ":" in la else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((la, lp))
    ls.listen(16)
    print("proxy listening", flush=True)
    while True:
        c, _ = ls.accept()
        s = socket.socket(socket.AF_INET6 if ":" in sa else socket.AF_INET)
        if src_port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", src_port))
            src_port += 1
        s.connect((sa, sp))
        t1 = threading.Thread(target=pump, args=(c, s, from_client), daemon=True)
        t2 = threading.Thread(target=pump, args=(s, c, from_server), daemon=True)
        t1.start(); t2.start()

if __name__ == "__main__":
    main()
