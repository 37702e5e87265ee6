#!/usr/bin/env python3
"""Build the fuzz seed corpora from captures (fixtures and public ones).

Usage: mkcorpus.py OUTDIR CAPTURE...

Writes OUTDIR/smtp, OUTDIR/tls, OUTDIR/hello and OUTDIR/pipeline:
  smtp      each TCP session's payload, both directions in capture order, in
            the operation format of fuzz/chunks.h (up to the first TLS byte)
  tls       the same from the first TLS byte of each direction on
  hello     each cleartext ClientHello, ServerHello and Certificate body,
            behind the parser selector byte of fuzz_hello.c (plus a TLS 1.3
            form of a Certificate and an SSLv2 ClientHello built here)
  pipeline  the small capture files themselves
File names are a hash of the content, so a rerun adds nothing twice. Seeds
are cut to a size cap to keep the committed corpus small. Only pcap files
are read for streams (pcapng files go to the pipeline corpus whole).
"""
import hashlib
import os
import struct
import sys

SEED_MAX = 4 * 1024        # bytes per stream seed
PIPELINE_MAX = 8 * 1024    # capture files larger than this are skipped
PER_TARGET_MAX = {"smtp": 50, "tls": 50, "hello": 60, "pipeline": 30}
PER_CAPTURE_MAX = 2        # seeds per target from one capture: variety
TLS_PORTS = {465, 993, 995, 443}


def read_pcap(path):
    """Yield (linktype, frame bytes) of a classic pcap file; None if not one."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    frames, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16
        if caplen > len(data) - off:
            break
        frames.append(data[off:off + caplen])
        off += caplen
    return linktype, frames


def network_layer(linktype, frame):
    """(ethertype-ish version, bytes) of the IP packet, or None."""
    if linktype == 1:                      # Ethernet, VLAN tags
        off, etype = 12, None
        while off + 2 <= len(frame):
            etype = struct.unpack(">H", frame[off:off + 2])[0]
            off += 2
            if etype in (0x8100, 0x88A8):
                off += 2
                continue
            break
        return etype, frame[off:]
    if linktype == 113:                    # Linux cooked v1
        return struct.unpack(">H", frame[14:16])[0] if len(frame) >= 16 else None, frame[16:]
    if linktype == 276:                    # Linux cooked v2
        return struct.unpack(">H", frame[0:2])[0] if len(frame) >= 20 else None, frame[20:]
    if linktype in (0, 108):               # BSD loopback
        return (0x0800 if frame[4:5] and frame[4] >> 4 == 4 else 0x86DD), frame[4:]
    if linktype in (12, 14, 101, 228, 229):  # raw IP
        return (0x0800 if frame[:1] and frame[0] >> 4 == 4 else 0x86DD), frame
    return None, b""


def tcp_segment(linktype, frame):
    """(src, dst, sport, dport, seq, flags, payload) or None."""
    etype, ip = network_layer(linktype, frame)
    if etype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        src, dst, tcp = ip[12:16], ip[16:20], ip[ihl:total if total >= ihl else len(ip)]
    elif etype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
        plen = struct.unpack(">H", ip[4:6])[0]
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if len(tcp) < 20:
        return None
    sport, dport, seq = struct.unpack(">HHI", tcp[:8])
    doff = (tcp[12] >> 4) * 4
    return src, dst, sport, dport, seq, tcp[13], tcp[doff:]


def sessions(linktype, frames):
    """Per TCP session: list of (dir, bytes) in capture order, in-order data only."""
    out, state = {}, {}
    for frame in frames:
        seg = tcp_segment(linktype, frame)
        if not seg:
            continue
        src, dst, sport, dport, seq, flags, payload = seg
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b))
        if key not in out:
            out[key] = []
            # The server: the SYN's target, else the lower port.
            if flags & 0x12 == 0x02:
                server = b
            elif flags & 0x12 == 0x12:
                server = a
            else:
                server = a if sport < dport else b
            state[key] = {"server": server, "next": {}}
        st = state[key]
        d = 1 if a == st["server"] else 0
        if flags & 0x02:
            st["next"][d] = (seq + 1) & 0xFFFFFFFF
            continue
        if not payload:
            continue
        nxt = st["next"].setdefault(d, seq)
        skip = (nxt - seq) & 0xFFFFFFFF
        if skip >= len(payload):       # a retransmission, or out of order
            continue
        out[key].append((d, payload[skip:]))
        st["next"][d] = (seq + len(payload)) & 0xFFFFFFFF
    return [(state[k]["server"][1], v) for k, v in out.items() if v]


def tls_start(stream, implicit):
    """Offset of the first TLS record in one direction's bytes, or None."""
    if implicit:
        return 0
    at = stream.find(b"STARTTLS")
    start = 0 if at < 0 else at
    for i in range(start, len(stream) - 2):
        if stream[i] in (0x16, 0x15) and stream[i + 1] == 3 and stream[i + 2] <= 4:
            return i
    return None


def ops_bytes(ops):
    """The chunks.h form of [(dir, bytes)], capped at SEED_MAX."""
    out = bytearray()
    for d, data in ops:
        for i in range(0, len(data), 0xFFFF):
            part = data[i:i + 0xFFFF]
            out += bytes([d]) + struct.pack(">H", len(part)) + part
            if len(out) >= SEED_MAX:
                return bytes(out[:SEED_MAX])
    out += b"\x06\x07"   # end of both directions
    return bytes(out)


def split_streams(port, ops):
    """(plaintext ops, tls ops) of one session."""
    whole = [b"".join(p for d, p in ops if d == k) for k in (0, 1)]
    implicit = port in TLS_PORTS or whole[0][:1] == b"\x16"
    starts = [tls_start(whole[k], implicit) for k in (0, 1)]
    plain, tls, pos = [], [], [0, 0]
    for d, p in ops:
        s = starts[d]
        lo = pos[d]
        pos[d] += len(p)
        if s is None or pos[d] <= s:
            plain.append((d, p))
        elif lo >= s:
            tls.append((d, p))
        else:
            plain.append((d, p[:s - lo]))
            tls.append((d, p[s - lo:]))
    if all(s is None for s in starts):
        tls = []
    return plain, tls


def handshake_bodies(ops, d):
    """[(type, body)] of the cleartext handshake messages of direction d."""
    stream = b"".join(p for k, p in ops if k == d)
    hs, off = bytearray(), 0
    while off + 5 <= len(stream):
        ctype, length = stream[off], struct.unpack(">H", stream[off + 3:off + 5])[0]
        if ctype != 22:
            break
        hs += stream[off + 5:off + 5 + length]
        off += 5 + length
    msgs, off = [], 0
    while off + 4 <= len(hs):
        mtype, mlen = hs[off], int.from_bytes(hs[off + 1:off + 4], "big")
        if off + 4 + mlen > len(hs):
            break
        msgs.append((mtype, bytes(hs[off + 4:off + 4 + mlen])))
        off += 4 + mlen
    return msgs


def tls13_certificate(body12):
    """A TLS 1.2 Certificate body rewritten in the TLS 1.3 layout."""
    certs, off, total = bytearray(), 3, int.from_bytes(body12[:3], "big")
    while off + 3 <= min(len(body12), 3 + total):
        n = int.from_bytes(body12[off:off + 3], "big")
        certs += body12[off:off + 3 + n] + b"\x00\x00"
        off += 3 + n
    return b"\x00" + len(certs).to_bytes(3, "big") + bytes(certs)


def sslv2_client_hello():
    """An SSLv2-compatible ClientHello message (RFC 5246 E.2), after its header."""
    specs = bytes.fromhex("010080" "0700c0" "000035" "00002f" "00000a")
    challenge = bytes(range(16))
    return (b"\x01\x03\x01" + struct.pack(">HHH", len(specs), 0, len(challenge))
            + specs + challenge)


class Corpus:
    def __init__(self, root):
        self.root = root
        self.count = {}
        self.this_capture = {}

    def next_capture(self):
        self.this_capture = {}

    def add(self, target, data):
        if not data or self.count.get(target, 0) >= PER_TARGET_MAX[target]:
            return
        if self.this_capture.get(target, 0) >= PER_CAPTURE_MAX:
            return
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, hashlib.sha1(data).hexdigest()[:16])
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.count[target] = self.count.get(target, 0) + 1
            self.this_capture[target] = self.this_capture.get(target, 0) + 1


SELECTOR = {1: 0, 2: 2, 11: 3}


def add_capture(corpus, path):
    corpus.next_capture()
    if os.path.getsize(path) <= PIPELINE_MAX:
        with open(path, "rb") as f:
            corpus.add("pipeline", f.read())
    parsed = read_pcap(path)
    if not parsed:
        return
    for port, ops in sessions(*parsed):
        plain, tls = split_streams(port, ops)
        if plain:
            corpus.add("smtp", ops_bytes(plain))
        if not tls:
            continue
        corpus.add("tls", ops_bytes(tls))
        for d in (0, 1):
            for mtype, body in handshake_bodies(tls, d):
                if mtype in SELECTOR:
                    corpus.add("hello", bytes([SELECTOR[mtype]]) + body)
                if mtype == 11:
                    corpus.add("hello", b"\x04" + tls13_certificate(body))


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: mkcorpus.py OUTDIR CAPTURE...")
    corpus = Corpus(argv[1])
    corpus.add("hello", b"\x01" + sslv2_client_hello())
    for path in sorted(argv[2:]):
        add_capture(corpus, path)
    for target in sorted(corpus.count):
        print("%s: %d new seeds" % (target, corpus.count[target]))


if __name__ == "__main__":
    main(sys.argv)
