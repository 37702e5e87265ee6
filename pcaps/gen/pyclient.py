#!/usr/bin/env python3
"""Lab SMTP client on Python's smtplib + ssl (stdlib only).

pyclient.py HOST PORT SPORT MODE [options]
MODE: starttls   EHLO, STARTTLS, TLS, EHLO, tiny message, QUIT
      implicit   TLS from the first byte (465), then the same
      plain      EHLO and a tiny message without STARTTLS even if offered
      reset      EHLO, STARTTLS, send a ClientHello, then close with
                 SO_LINGER 0 (an RST) before the server's reply is read
      inject     EHLO, then "STARTTLS" and "RSET" in one segment (the
                 CVE-2011-0411 probe), TLS after the 220, then the same
options: --min V --max V (1.0 1.1 1.2 1.3), --ciphers STR, --cafile F,
         --name SNI/verify name, --noverify, --groups (ignored: ssl has no API),
         --body-kib N (a message body of N KiB of text lines instead of "x",
         for the benchmark's long encrypted sessions),
         --keylog F (append the TLS secrets to F in NSS key log format)
Prints one line with the outcome; never raises.
"""
import smtplib, socket, ssl, struct, sys, time

V = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
     "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

def opt(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default

def make_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if opt("--ciphers"):
        ctx.set_ciphers(opt("--ciphers"))
    if opt("--min"):
        ctx.minimum_version = V[opt("--min")]
    if opt("--max"):
        ctx.maximum_version = V[opt("--max")]
    if opt("--keylog"):
        ctx.keylog_filename = opt("--keylog")
    if "--noverify" in sys.argv:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(opt("--cafile"))
    return ctx

def message():
    kib = int(opt("--body-kib", "0"))
    if not kib:
        return b"Subject: t\r\n\r\nx\r\n"
    # numbered 64-byte lines: readable, and never a lone "." line
    lines = [b"line %08d of a long lab message body .........................\r\n" % i
             for i in range(kib * 1024 // 64)]
    return b"Subject: t\r\n\r\n" + b"".join(lines)


def main():
    host, port, sport, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    name = opt("--name", "mx.example.test")
    src = ("::" if ":" in host else "0.0.0.0", sport)
    try:
        if mode == "reset":
            s = socket.create_connection((host, port), timeout=10, source_address=src)
            f = s.makefile("rb")
            def reply():
                while True:
                    l = f.readline()
                    if not l or l[3:4] != b"-":
                        return l
            reply()
            s.sendall(b"EHLO client.example.test\r\n"); reply()
            s.sendall(b"STARTTLS\r\n"); reply()
            ctx = make_ctx()
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            obj = ctx.wrap_bio(inc, out, server_hostname=name)
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            hello = out.read()
            delay = float(opt("--delay", "0"))
            # linger set before the send, so that with no delay the RST
            # follows the ClientHello within microseconds, before the
            # server's flight (signing takes it about a millisecond)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(hello)
            if delay:
                time.sleep(delay)
            s.close()
            print("reset sent")
            return
        if mode == "implicit":
            class Implicit(smtplib.SMTP_SSL):
                def _get_socket(self, h, p, timeout):
                    sock = socket.create_connection((h, p), timeout, self.source_address)
                    return self.context.wrap_socket(sock, server_hostname=name)
            c = Implicit(host, port, timeout=10, source_address=src,
                         context=make_ctx(), local_hostname="client.example.test")
        else:
            c = smtplib.SMTP(timeout=10, source_address=src, local_hostname="client.example.test")
            c._host = name
            c.connect(host, port, source_address=src)
        c.ehlo()
        if mode == "inject":
            # Plaintext pipelined after STARTTLS: a server that keeps it
            # would run it inside the TLS session. The reply to RSET, if
            # any, would come in clear before the handshake; none is read.
            c.sock.sendall(b"STARTTLS\r\nRSET\r\n")
            code, msg = c.getreply()
            if code != 220:
                print("STARTTLS refused", code, msg)
                return
            mode = "starttls-after-220"
        if mode == "starttls-after-220" or mode == "starttls":
            code, msg = (220, b"") if mode != "starttls" else c.docmd("STARTTLS")
            if code != 220:
                print("STARTTLS refused", code, msg)
                c.quit()
                return
            c.sock = make_ctx().wrap_socket(c.sock, server_hostname=name)
            c.file = None
            c.helo_resp = c.ehlo_resp = None
            c.esmtp_features = {}
            c.does_esmtp = False
            c.ehlo()
            print("TLS", c.sock.version(), c.sock.cipher()[0])
        c.sendmail("a@client.example.test", ["b@example.test"], message())
        c.quit()
        print("sent")
    except Exception as e:  # report and go on: failures are the point
        print("error:", type(e).__name__, e)

if __name__ == "__main__":
    main()
