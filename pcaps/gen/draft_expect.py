#!/usr/bin/env python3
"""Draft pcaps/NAME.expect from pcaps/NAME.pcap: the wire fields come from
tshark (the same reading as check-expectations), tls.established from the
records each side sent, the verdict from gen/verdicts.txt, and a comment
per session lists the decisive frames (SMTP replies, hellos, alerts, the
first FIN and RST) so a person can review the draft against the capture.
Drafts are reviewed and edited by hand before they are committed.
Usage: draft_expect.py NAME [NAME...]   (writes pcaps/NAME.expect)"""
import importlib.machinery
import importlib.util
import os
import subprocess
import sys

GEN = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.dirname(GEN)
loader = importlib.machinery.SourceFileLoader("chk", os.path.join(PCAPS, "check-expectations"))
spec = importlib.util.spec_from_loader("chk", loader)
chk = importlib.util.module_from_spec(spec)
loader.exec_module(chk)


def verdicts(name):
    rows = []
    with open(os.path.join(GEN, "verdicts.txt")) as f:
        for line in f:
            if line.lstrip().startswith("#"):
                continue
            line = line.split(" # ", 1)
            note = line[1].strip() if len(line) > 1 else ""
            p = line[0].split()
            # six columns, then optional key=value fields to expect too
            if len(p) >= 6 and p[0] == name:
                extra = [tuple(x.split("=", 1)) for x in p[6:] if "=" in x]
                rows.append((p[1], p[2:6], note, extra))
    return rows


def pick(rows, port, ordinal):
    for sel, v, note, extra in rows:
        if sel == "*" or sel == "#%d" % ordinal or sel == str(port):
            return v, note, extra
        if "-" in sel and not sel.startswith("#"):
            a, b = sel.split("-")
            if int(a) <= port <= int(b):
                return v, note, extra
    return None, "", []


def ladder(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==587,smtp", "-d", "tcp.port==465,tls",
           "-T", "fields", "-E", "separator=\t", "-e", "frame.number", "-e", "frame.time_relative",
           "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags.fin", "-e", "tcp.flags.reset",
           "-e", "tcp.flags.syn", "-e", "tls.record.content_type", "-e", "tls.record.opaque_type", "-e", "tls.record.length",
           "-e", "_ws.col.Info"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, errors="replace").stdout
    per = {}
    order = []
    for line in out.splitlines():
        p = line.split("\t")
        p += [""] * (11 - len(p))
        fno, t, sp, dp, fin, rst, syn, ct, ot, ln, info = p
        try:
            int(fno); sp = int(sp); dp = int(dp)
        except ValueError:
            continue
        ct = ",".join(x for x in (ct, ot) if x)
        if dp in chk.SERVER_PORTS and sp not in chk.SERVER_PORTS:
            cport, side = sp, "client"
        elif sp in chk.SERVER_PORTS:
            cport, side = dp, "server"
        else:
            cport, side = sp, "client"
        if cport not in per:
            order.append(cport)
            per[cport] = {"ev": [], "fin": None, "rst": None, "ct": {"client": [], "server": []}}
        s = per[cport]
        for c, l in zip(ct.split(","), ln.split(",")):
            if c:
                s["ct"][side].append((c, int(l), int(fno)))
        if fin in ("1", "True") and not s["fin"]:
            s["fin"] = "%s first FIN frame %s" % (side, fno)
        if rst in ("1", "True") and not s["rst"]:
            s["rst"] = "%s first RST frame %s" % (side, fno)
        keep = any(k in info for k in ("Hello", "Alert", "S: 4", "S: 5", "STARTTLS", "Change Cipher",
                                       "XXXXXXX", "S: 220 2.0.0", "Certificate", "Retry",
                                       "Retransmission"))
        cts = ct.split(",") if ct else []
        lns = ln.split(",") if ln else []
        if any(c == "23" and l == "19" for c, l in zip(cts, lns)):
            keep = True
            info += "  [a 19-byte encrypted record: an alert under TLS 1.3]"
        if keep:
            s["ev"].append("  %s %.3f %s: %s" % (fno, float(t), side, info[:160]))
    return per, order


# TLS 1.3 record sizes (RFC 8446 4.4.4, 5.2): the smallest Finished of any
# suite (4-byte header, 32-byte verify_data, inner type, 8-byte CCM_8 tag),
# and the longest record taken for an encrypted alert rather than data.
TLS13_MIN_FINISHED = 45
TLS13_ALERT_SIZED = 24


def established(ct, version):
    c, s = ct["client"], ct["server"]
    if version in ("1.0", "1.1", "1.2"):
        return any(x[0] == "20" for x in c) and any(x[0] == "20" for x in s)
    if version == "1.3":
        # as the tool reads it: the client's Finished (the first record
        # after the server's flight long enough to be one), then data
        # (longer than an alert) from both sides after it
        flight = next((x[2] for x in s if x[0] == "23"), None)
        if flight is None:
            return False
        # a short record the client follows with another is a handshake
        # message (an empty Certificate), not an alert: look past it
        after_flight = [x for x in c if x[0] == "23" and x[2] >= flight]
        while len(after_flight) > 1 and after_flight[0][1] < TLS13_MIN_FINISHED:
            after_flight.pop(0)
        fin = after_flight[0] if after_flight else None
        if fin is None or fin[1] < TLS13_MIN_FINISHED:
            return False
        after = lambda side: any(x[0] == "23" and x[1] > TLS13_ALERT_SIZED and x[2] >= fin[2] and x is not fin
                                 for x in side)
        return after(c) and after(s)
    return False


def main():
    for name in sys.argv[1:]:
        pcap = os.path.join(PCAPS, name + ".pcap")
        got = chk.analyse(pcap)
        per, order = ladder(pcap)
        rows = verdicts(name)
        out = ["# %s: drafted from the capture with tshark, reviewed by hand" % name]
        # the trust scenarios keep their run's lab root beside the capture
        # as the "public" store the expectation is judged against (SPEC 9.2)
        if os.path.exists(os.path.join(PCAPS, name + ".root.pem")):
            out.append("# options: --ca-file %s.root.pem" % name)
        for i, port in enumerate(order, 1):
            d = got.get(port)
            if d is None:
                continue
            v, note, extra = pick(rows, port, i)
            if v is None:
                v = ["?", "?", "?", "?"]
            out.append("")
            out.append("# session %d (#%d): %s" % (port, i, note))
            for e in per[port]["ev"][:16]:
                out.append("#" + e)
            for k in ("fin", "rst"):
                if per[port][k]:
                    out.append("#   " + per[port][k])
            out.append("session %d" % port)
            out.append("  verdict.outcome %s" % v[0])
            out.append("  verdict.cause %s" % v[1])
            out.append("  verdict.reason %s" % v[2])
            out.append("  verdict.confidence %s" % v[3])
            for k in ("smtp.mode", "smtp.starttls_offered", "tls.client.max_version",
                      "tls.client.versions", "tls.version"):
                out.append("  %s %s" % (k, d[k]))
            out.append("  tls.established %s" % str(established(per[port]["ct"], d["tls.version"])).lower())
            out.append("  tls.alerts %s" % d["tls.alerts"])
            for k, val in extra:
                out.append("  %s %s" % (k, val))
        with open(os.path.join(PCAPS, name + ".expect"), "w") as f:
            f.write("\n".join(out) + "\n")
        print("drafted", name)


if __name__ == "__main__":
    main()
