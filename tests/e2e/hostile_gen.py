#!/usr/bin/env python3
"""Hostile captures for tests/e2e/hostile.py, built from scratch.

A small pcap writer and TCP/SMTP/TLS builders (Python 3 standard library
only). Every capture is made at test time into a temporary directory; none
is committed. Checksums are left zero: the tool does not verify them.
"""
import os
import struct
import sys

LINKTYPE_ETHERNET = 1
CLIENT_IP = bytes([192, 0, 2, 10])
SERVER_IP = bytes([198, 51, 100, 25])
T0 = 1_800_000_000  # capture time, seconds: inside the fixture certificate's life


def pcap_header(snaplen=262144, linktype=LINKTYPE_ETHERNET):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(ts_us, frame, caplen=None, wirelen=None):
    caplen = len(frame) if caplen is None else caplen
    wirelen = len(frame) if wirelen is None else wirelen
    return struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, caplen, wirelen) + frame


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000,
                     64, 6, 0, src, dst)
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Capture:
    """Frames in order, with a clock that moves 100 microseconds a frame."""

    def __init__(self):
        self.records = []
        self.clock = T0 * 1_000_000

    def add(self, frame):
        self.clock += 100
        self.records.append(pcap_record(self.clock, frame))

    def add_raw(self, record):
        self.records.append(record)

    def data(self, snaplen=262144):
        return pcap_header(snaplen) + b"".join(self.records)

    def write(self, path, snaplen=262144):
        with open(path, "wb") as f:
            f.write(self.data(snaplen))


class Conn:
    """One TCP connection from CLIENT_IP:cport to SERVER_IP:sport."""

    def __init__(self, cap, cport, sport=25, cli_ip=CLIENT_IP, srv_ip=SERVER_IP):
        self.cap, self.cport, self.sport = cap, cport, sport
        self.cli_ip, self.srv_ip = cli_ip, srv_ip
        self.seq = [1000, 5000]   # next sequence number: client, server

    def pkt(self, d, flags, payload=b"", seq=None):
        s = self.seq[d] if seq is None else seq
        if d == 0:
            f = ipv4_tcp(self.cli_ip, self.srv_ip, self.cport, self.sport, s, self.seq[1], flags, payload)
        else:
            f = ipv4_tcp(self.srv_ip, self.cli_ip, self.sport, self.cport, s, self.seq[0], flags, payload)
        self.cap.add(f)

    def handshake(self):
        self.pkt(0, SYN)
        self.seq[0] += 1
        self.pkt(1, SYN | ACK)
        self.seq[1] += 1
        self.pkt(0, ACK)
        return self

    def send(self, d, data, segment=1400):
        for i in range(0, len(data), segment):
            part = data[i:i + segment]
            self.pkt(d, PSH | ACK, part)
            self.seq[d] += len(part)
        return self

    def c(self, data, segment=1400):
        return self.send(0, data, segment)

    def s(self, data, segment=1400):
        return self.send(1, data, segment)

    def close(self):
        self.pkt(0, FIN | ACK)
        self.seq[0] += 1
        self.pkt(1, FIN | ACK)
        self.seq[1] += 1
        self.pkt(0, ACK)
        return self


def smtp_to_starttls(conn, segment=1400):
    """Greeting, EHLO with STARTTLS offered, STARTTLS and its 220."""
    conn.s(b"220 mx.example.test ESMTP\r\n", segment)
    conn.c(b"EHLO client.example.test\r\n", segment)
    conn.s(b"250-mx.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", segment)
    conn.c(b"STARTTLS\r\n", segment)
    conn.s(b"220 2.0.0 Ready to start TLS\r\n", segment)
    return conn


# ---- TLS ----

def u8(n):
    return bytes([n])


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return n.to_bytes(3, "big")


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def record(ctype, body, version=0x0303):
    return u8(ctype) + u16(version) + u16(len(body)) + body


def handshake(mtype, body):
    return u8(mtype) + u24(len(body)) + body


def ext(etype, body):
    return u16(etype) + vec16(body)


MODERN_CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02F, 0xC030, 0xC02B]


def client_hello_body(ciphers=None, exts=None, version=0x0303, sni=b"mx.example.test",
                      tls13=True):
    ciphers = MODERN_CIPHERS if ciphers is None else ciphers
    if exts is None:
        exts = [ext(0x0000, vec16(b"\x00" + vec16(sni))),
                ext(0x000A, vec16(u16(0x001D) + u16(0x0017))),
                ext(0x000D, vec16(u16(0x0403) + u16(0x0804)))]
        if tls13:
            exts.append(ext(0x002B, vec8(u16(0x0304) + u16(0x0303))))
            exts.append(ext(0x0033, vec16(u16(0x001D) + vec16(bytes(32)))))
        exts = b"".join(exts)
    return (u16(version) + bytes(range(32)) + vec8(bytes(32)) +
            vec16(b"".join(u16(c) for c in ciphers)) + vec8(b"\x00") + vec16(exts))


def server_hello_body(version=0x0303, cipher=0xC02F, exts=b""):
    return u16(version) + bytes(range(100, 132)) + vec8(bytes(32)) + u16(cipher) + b"\x00" + vec16(exts)


def certificate_body(ders):
    return u24(sum(3 + len(d) for d in ders)) + b"".join(u24(len(d)) + d for d in ders)


def tls12_full_handshake(conn, cert_der, ch=None, segment=1400, record_split=None):
    """A TLS 1.2 handshake that completes, then a little application data.

    record_split: carry the ClientHello in records of this many bytes.
    """
    ch = client_hello_body(tls13=False) if ch is None else ch
    msg = handshake(1, ch)
    if record_split:
        conn.c(b"".join(record(22, msg[i:i + record_split], 0x0301)
                        for i in range(0, len(msg), record_split)), segment)
    else:
        conn.c(record(22, msg, 0x0301), segment)
    flight = (handshake(2, server_hello_body()) + handshake(11, certificate_body([cert_der])) +
              handshake(12, bytes(64)) + handshake(14, b""))
    conn.s(record(22, flight), segment)
    conn.c(record(22, handshake(16, vec8(bytes(65)))) + record(20, b"\x01") +
           record(22, bytes(40)), segment)
    conn.s(record(20, b"\x01") + record(22, bytes(40)), segment)
    for _ in range(3):
        conn.c(record(23, bytes(100)), segment)
        conn.s(record(23, bytes(100)), segment)
    return conn


def fixture_certificate(srcdir):
    """The leaf certificate (DER) of a TLS 1.2 lab fixture, for handshakes
    that complete with a certificate the tool can decode."""
    sys.path.insert(0, os.path.join(srcdir, "fuzz"))
    import mkcorpus
    path = os.path.join(srcdir, "pcaps", "ok-starttls-tls12-postfix-openssl.pcap")
    for port, ops in mkcorpus.sessions(*mkcorpus.read_pcap(path)):
        _, tls = mkcorpus.split_streams(port, ops)
        for mtype, body in mkcorpus.handshake_bodies(tls, 1):
            if mtype == 11:
                n = int.from_bytes(body[3:6], "big")
                return body[6:6 + n]
    raise SystemExit("no certificate in %s" % path)
