#!/usr/bin/env python3
"""--mta-log end to end (SPEC 9.4): every lab capture with a log gets its
MTA's lines, checked line by line; the written forms (journalctl short-iso,
RFC 5424, gzip, standard input), a skewed clock, a log from another day,
Exchange protocol logs, Sendmail, --find and the unmatched failure list.

Usage: mtalog.py STI_BIN SRCDIR TMPDIR. Prints "ok"/"FAIL" lines; exit 1
on a failure. The skewed and other-day logs are made here from the real
lab logs by shifting their times (the shift is the only change)."""
import datetime, gzip, json, os, re, subprocess, sys

BIN, SRC, TMP = sys.argv[1:4]
P = os.path.join(SRC, "pcaps")
M = os.path.join(SRC, "tests", "e2e", "mtalogs")
failures = 0


def check(name, cond, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  " + str(detail)))
    if not cond:
        failures += 1


def run(args, stdin=None):
    r = subprocess.run([BIN] + args, input=stdin, capture_output=True)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def run_json(args, stdin=None):
    rc, out, err = run(["--json"] + args, stdin)
    objs = [json.loads(l) for l in out.splitlines() if l.strip()]
    sess = {o["source.port"]: o for o in objs if o["event.kind"] == "session"}
    mta = [o for o in objs if o["event.kind"] == "mta_log"]
    return rc, sess, (mta[0] if mta else None), objs


def lines_of(o, base=None):
    """{(log file name, match): [line numbers]} of a session."""
    got = {}
    for x in o.get("mta.log", []):
        f = os.path.basename(x["file"])
        if base and f != base:
            continue
        got.setdefault(f, []).append(x["line"])
    return got


def matches_of(o):
    return sorted({x["match"] for x in o.get("mta.log", [])})


def capture(name):
    return os.path.join(P, name + ".pcap")


def log(name):
    return os.path.join(P, name + ".maillog")


# --- every lab capture that keeps its log: each session, its lines --------
CONC = "mtalog-postfix-concurrent-python"
CONC_LINES = {
    40401: [1, 2, 12, 13, 15, 16, 23, 25],
    40402: [3, 4, 14, 17, 20, 22, 26, 27],
    40403: [10, 11, 18, 19, 21, 24, 28, 29],
    40404: [5, 6, 7, 8, 9],
    40405: [30, 31, 32, 33, 34, 35, 36],
}
PORTLOG = "mtalog-postfix-port-logging-python"
PORTLOG_LINES = {
    40411: [1, 2, 3, 4, 5, 6, 7, 8],
    40412: [9, 10, 12, 13, 15, 16, 17, 18],
    40413: [11, 14, 19, 20, 21, 22, 23, 24],
    40414: [25, 26, 27, 28, 29],
    40415: [30, 31, 32, 33, 34, 35, 36],
}
EXIM = "mtalog-exim-swaks-python"
EXIM_LINES = {40421: [5], 40422: [1, 3, 4], 40423: [6]}
CLIENT = "mtalog-postfix-client-tls10"
LAB = [
    (CONC, CONC_LINES, "ambiguous"),
    (PORTLOG, PORTLOG_LINES, "exact"),
    (EXIM, EXIM_LINES, "exact"),
]


def check_lines(label, sess, want, base, match):
    check(label + ": sessions", sorted(sess) == sorted(want), sorted(sess))
    for port, lines in want.items():
        o = sess.get(port, {})
        check("%s: %d carries its lines" % (label, port),
              lines_of(o, base).get(base) == lines, lines_of(o, base))
        check("%s: %d match %s" % (label, port, match), matches_of(o) == [match], matches_of(o))


for name, want, match in LAB:
    rc, sess, mta, _ = run_json(["--mta-log", log(name), capture(name)])
    check_lines(name, sess, want, name + ".maillog", match)
    check(name + ": no unmatched failure", mta and mta["mta.unmatched_total"] == 0, mta)

# the smtp client's log: one connection per delivery attempt, by time
rc, sess, mta, _ = run_json(["--mta-log", log(CLIENT), capture(CLIENT)])
ports = sorted(sess, key=lambda p: sess[p]["event.start"])
check(CLIENT + ": two attempts", len(ports) == 2, ports)
if len(ports) == 2:
    first, second = (lines_of(sess[p]).get(CLIENT + ".maillog", []) for p in ports)
    check(CLIENT + ": first attempt's lines", first == [4, 5, 6, 7], first)
    check(CLIENT + ": second attempt's lines", second == [1, 2, 3, 8, 9, 10], second)
    check(CLIENT + ": by time and address", matches_of(sess[ports[0]]) == ["time_and_address"])
    check(CLIENT + ": explanation cites Postfix",
          'Postfix logged "tlsv1 alert protocol version" (TLS library problem).'
          in sess[ports[0]]["verdict.explanation"], sess[ports[0]]["verdict.explanation"])

# --- the same real lines in other forms ----------------------------------
conc_log = open(log(CONC), "rb").read()
gz = os.path.join(TMP, "conc.maillog.gz")
with gzip.open(gz, "wb") as f:
    f.write(conc_log)
for label, args, stdin in [
        ("journalctl short-iso", ["--mta-log", os.path.join(M, "postfix-concurrent.journal")], None),
        ("gzip", ["--mta-log", gz], None),
        ("log on standard input", ["--mta-log", "-"], conc_log)]:
    rc, sess, mta, _ = run_json(args + [capture(CONC)], stdin)
    base = os.path.basename(args[1]) if args[1] != "-" else "-"
    shift = 2 if "journal" in label else 0   # two comment lines on top
    want = {p: [n + shift for n in l] for p, l in CONC_LINES.items()}
    check_lines(label, sess, want, base, "ambiguous")
rc, sess, mta, _ = run_json(["--mta-log", os.path.join(M, "postfix-port-logging.rfc5424"), capture(PORTLOG)])
check_lines("RFC 5424", sess, {p: [n + 2 for n in l] for p, l in PORTLOG_LINES.items()},
            "postfix-port-logging.rfc5424", "exact")
# the capture on standard input (copied for the join's first pass)
rc, sess, mta, _ = run_json(["--mta-log", log(PORTLOG), "-"], open(capture(PORTLOG), "rb").read())
check_lines("capture on standard input", sess, PORTLOG_LINES, PORTLOG + ".maillog", "exact")


# --- clocks: a skewed log, a log from another day -------------------------
def shifted(src, secs, out):
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    with open(out, "w") as f:
        for line in open(src):
            m = re.match(r"(\w{3}) (\d\d) (\d\d:\d\d:\d\d)(.*)", line)
            t = datetime.datetime.strptime("2026 %s %s %s" % m.group(1, 2, 3), "%Y %b %d %H:%M:%S")
            t += datetime.timedelta(seconds=secs)
            f.write("%s %02d %s%s\n" % (months[t.month - 1], t.day, t.strftime("%H:%M:%S"), m.group(4)))
    return out


skew_port = shifted(log(PORTLOG), 97, os.path.join(TMP, "portlog-skew97.maillog"))
rc, sess, mta, _ = run_json(["--mta-log", skew_port, capture(PORTLOG)])
check_lines("skewed clock +97 s", sess, PORTLOG_LINES, "portlog-skew97.maillog", "exact")
sk = mta["mta.skew"][0] if mta else {}
check("skewed clock: estimated", sk.get("known") and not sk.get("given") and 96 <= sk.get("seconds", 0) <= 97
      and sk.get("samples") == 5, sk)
rc, out, err = run(["--mta-log", skew_port, capture(PORTLOG)])
check("skewed clock: text says the skew", "log clock skew +96.360 s (estimated from 5 matches)" in out, out[-600:])

skew_conc = shifted(log(CONC), 97, os.path.join(TMP, "conc-skew97.maillog"))
rc, sess, mta, _ = run_json(["--mta-log", skew_conc, capture(CONC)])
check("skewed clock, no unambiguous match: nothing joined",
      all(not o.get("mta.log") for o in sess.values()), {p: lines_of(o) for p, o in sess.items()})
check("skewed clock, no unambiguous match: the failure lines are listed",
      mta and mta["mta.unmatched_total"] == 3, mta)
rc, sess, mta, _ = run_json(["--mta-log", skew_conc, "--log-skew", "97", capture(CONC)])
check_lines("--log-skew 97", sess, CONC_LINES, "conc-skew97.maillog", "ambiguous")
check("--log-skew 97: given", mta and mta["mta.skew"][0]["given"] and mta["mta.skew"][0]["seconds"] == 97, mta)

day = shifted(log(PORTLOG), 86400, os.path.join(TMP, "portlog-nextday.maillog"))
rc, sess, mta, _ = run_json(["--mta-log", day, capture(PORTLOG)])
check("log from another day: nothing joined", all(not o.get("mta.log") for o in sess.values()))
un = mta["mta.unmatched"] if mta else []
check("log from another day: its failure lines listed",
      [(u["line"], u["peer"], u["time"]) for u in un] ==
      [(26, "192.0.2.10", "2026-12-06T14:36:42.000000Z"), (27, "192.0.2.10", "2026-12-06T14:36:42.000000Z"),
       (28, "192.0.2.10", "2026-12-06T14:36:42.000000Z")], un)
rc, out, err = run(["--mta-log", day, capture(PORTLOG)])
check("log from another day: text lists them with the hint",
      "failure lines with no captured session:\n  2026-12-06T14:36:42Z  192.0.2.10  " in out
      and "hint: the capture was taken elsewhere" in out and "or the clocks differ" in out, out[-900:])

# --- Exchange (written examples) ------------------------------------------
RESET = "fail-server-reset-after-clienthello-python"
rc, sess, mta, _ = run_json(["--mta-log", os.path.join(M, "SEND2026112719-1.LOG"), capture(RESET)])
o = sess.get(40223, {})
check("Exchange send log: exact on both endpoints", lines_of(o).get("SEND2026112719-1.LOG") == list(range(12, 20))
      and matches_of(o) == ["exact"], lines_of(o))
check("Exchange send log: explanation cites it", o.get("verdict.explanation", "").endswith(
      'Exchange logged "TLS negotiation failed with error SocketError".'), o.get("verdict.explanation"))
check("Exchange send log: the retry no capture holds is listed",
      mta and [u["line"] for u in mta["mta.unmatched"]] == [23, 24]
      and "421 4.4.2 Connection dropped due to SocketError" in mta["mta.unmatched"][1]["text"], mta)

rc, sess, mta, _ = run_json(["--mta-log", os.path.join(M, "RECV2026120514-1.LOG"),
                             "--mta-log", os.path.join(M, "sendmail.maillog"), capture(CONC)])
check("Exchange receive log: 40401 exact", lines_of(sess[40401]).get("RECV2026120514-1.LOG") == list(range(11, 19)))
check("Exchange receive log: 40404 exact", lines_of(sess[40404]).get("RECV2026120514-1.LOG") == [19, 20, 21, 22])
check("Exchange receive log: message id", [x["message_id"] for x in sess[40401]["mta.log"] if x.get("message_id")][:1]
      == ["<20261205143637.40401@client.example.test>"])
check("Exchange receive log: 451 5.7.3 unmatched", mta and any(
      "451 5.7.3 Must issue a STARTTLS command first" in u["text"] and u["peer"] == "192.0.2.77"
      for u in mta["mta.unmatched"]), mta)
want_sm = {40401: [5, 9], 40402: [6, 11], 40403: [10, 12], 40404: [7, 8], 40405: [13]}
for port, lines in want_sm.items():
    check("Sendmail: %d carries its lines" % port, lines_of(sess[port]).get("sendmail.maillog") == lines,
          lines_of(sess[port]))

# --- --find: from the bounce to the session -------------------------------
rc, sess, mta, objs = run_json(["--mta-log", log(CONC), "--find", "48382A72AF9", capture(CONC)])
check("--find queue id: only that session", sorted(sess) == [40403], sorted(sess))
rc, out, err = run(["--mta-log", log(CONC), "--find", "48382A72AF9", capture(CONC)])
check("--find queue id: text shows it though it is ok",
      "#4 192.0.2.10:40403 -> 198.51.100.47:25" in out and "48382A72AF9: client=" in out
      and "#3 " not in out, out[:800])
rc, sess, mta, objs = run_json(["--mta-log", os.path.join(M, "sendmail.maillog"), "--find",
                                "20261205143637.4802@client.example.test", capture(CONC)])
check("--find message id", sorted(sess) == [40402], sorted(sess))
rc, sess, mta, objs = run_json(["--mta-log", log(CONC), "--find", "unsupported protocol", capture(CONC)])
check("--find text", sorted(sess) == [40404], sorted(sess))

# --- text and Markdown: the lines under the verdict -----------------------
rc, out, err = run(["--mta-log", log(PORTLOG), capture(PORTLOG)])
blk = out[out.find("#4 192.0.2.10:40414"):]
check("text: citation and lines under the verdict",
      'Postfix logged "unsupported protocol" (TLS library problem).' in blk
      and "  mta log: Postfix server, exact\n" in blk
      and ".maillog:26  Dec 05 14:36:42 mx3 postfix/smtpd[31491]: SSL_accept error" in blk, blk[:1500])
rc, out, err = run(["--format", "markdown", "--mta-log", log(PORTLOG), capture(PORTLOG)])
check("markdown: the MTA's lines and the closing section",
      "**Postfix logged** (server, match: exact):" in out and "## MTA logs" in out
      and "### Failure lines with no captured session" in out, out[-1500:])

# --- errors ----------------------------------------------------------------
for label, args, msg in [
        ("--find without --mta-log", ["--find", "x", capture(CONC)], "--find: needs --mta-log FILE"),
        ("--log-skew not a number", ["--mta-log", log(CONC), "--log-skew", "soon", capture(CONC)],
         "--log-skew: 'soon' is not a number of seconds"),
        ("missing log file", ["--mta-log", os.path.join(TMP, "nope.log"), capture(CONC)],
         "--mta-log " + os.path.join(TMP, "nope.log") + ": No such file or directory"),
        ("with -i", ["--mta-log", log(CONC), "-i", "lo"], "--mta-log: not available with -i"),
        ("log and capture both on standard input", ["--mta-log", "-", "-"],
         "--mta-log -: standard input is already the capture")]:
    rc, out, err = run(args)
    check(label + ": exit 2, one line", rc == 2 and err.count("\n") == 1 and msg in err, (rc, err))

sys.exit(1 if failures else 0)
