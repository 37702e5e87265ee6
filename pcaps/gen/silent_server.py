#!/usr/bin/env python3
"""A lab SMTP server that offers STARTTLS, answers 220 to it, then reads the
client's ClientHello and never answers (the silent peer of SPEC 6.1 item 13).
With --no-ack it stops reading after the 220, so the kernel still ACKs but the
application never replies.
With --reset it resets the connection (SO_LINGER 0) as soon as the
ClientHello is in: what SChannel peers are reported to do (SPEC 6.1.13).
With --garbage it answers the ClientHello with a handshake record header
claiming 20000 bytes, more than TLS allows (RFC 8446 5.1), then closes.
Usage: silent_server.py ADDR PORT [--reset | --garbage]"""
import socket, struct, sys, threading, time

def handle(c):
    f = c.makefile("rb")
    c.sendall(b"220 silent.example.test ESMTP\r\n")
    for line in f:
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            c.sendall(b"250-silent.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif cmd == b"STARTTLS":
            c.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            break
        elif cmd == b"QUIT":
            c.sendall(b"221 2.0.0 Bye\r\n")
            c.close()
            return
        else:
            c.sendall(b"250 2.0.0 Ok\r\n")
    if "--reset" in sys.argv or "--garbage" in sys.argv:
        try:
            c.recv(65536)   # the ClientHello (or its first segment)
            time.sleep(0.05)
            if "--garbage" in sys.argv:
                c.sendall(b"\x16\x03\x03\x4e\x20" + b"\x02" * 64)
                time.sleep(0.05)
            else:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        c.close()
        return
    # read and discard whatever comes (the ClientHello), never reply
    try:
        c.settimeout(60)
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()

def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((sys.argv[1], int(sys.argv[2])))
    ls.listen(8)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

if __name__ == "__main__":
    main()
