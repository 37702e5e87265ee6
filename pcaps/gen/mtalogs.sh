# shellcheck shell=bash
# MTA-log scenarios (issue 16, SPEC 9.4): captures whose MTA's own log is
# kept beside them as pcaps/NAME.maillog, for --mta-log. Sourced by lab.sh,
# which calls mta_scenarios with the scenario names asked for.
#
# A private Postfix server (pf-mtalog) listens on two addresses of its own:
# 198.51.100.47 logs as Postfix does by default, 198.51.100.48 with
# smtpd_client_port_logging = yes (the client port in every "[ip]:port").
# Exim is the lab's daemon; its main log is cut to the scenario's lines.

pf_mtalog() {
  local d=$W/pf-mtalog
  ip -n $NS addr add 198.51.100.47/24 dev s0 2>/dev/null || true
  ip -n $NS addr add 198.51.100.48/24 dev s0 2>/dev/null || true
  pf_common "$d" mx3.example.test
  cat >> "$d/main.cf" <<CF
smtpd_tls_chain_files = $P/valid.key, $P/valid.chain.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_banner = \$myhostname ESMTP
CF
  local S="inet  n       -       n       -       -       smtpd"
  cat >> "$d/master.cf" <<CF
198.51.100.47:smtp        $S
198.51.100.48:smtp        $S -o smtpd_client_port_logging=yes
CF
  ip netns exec $NS postfix -c "$d" start
  sleep 1
}

# keep_log NAME LOGFILE START: the lines LOGFILE gained since byte START
keep_log() {
  sleep 1   # postlogd and exim write asynchronously
  tail -c +$(( $3 + 1 )) "$2" > "$OUT/$1.maillog"
}
log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Several sessions from one client address at once (three good ones with a
# 256 KiB body, so they overlap), a TLS 1.0-only one the server refuses, and
# one in plaintext; server ADDR, client ports from BASE.
mta_burst() { # ADDR BASE
  local a=$1 b=$2
  echo "$(pyc $a 25 $b starttls --body-kib 256) & sleep 0.05; $(pyc $a 25 $((b+1)) starttls --body-kib 256) & sleep 0.05; $(pyc $a 25 $((b+2)) starttls --body-kib 256) & sleep 0.05; $(pyc $a 25 $((b+3)) starttls --max 1.0 --min 1.0 --ciphers DEFAULT:@SECLEVEL=0) & wait; sleep 0.5; $(pyc $a 25 $((b+4)) plain)"
}

mta_scenarios() {
  local want=" $* "
  msel() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }
  local n s
  if msel mtalog-postfix-concurrent-python || msel mtalog-postfix-port-logging-python; then
    pf_mtalog
    n=mtalog-postfix-concurrent-python
    if msel $n; then
      s=$(log_size "$W/pf-mtalog/maillog")
      cap $n -- "$(mta_burst 198.51.100.47 40401)"
      keep_log $n "$W/pf-mtalog/maillog" "$s"
    fi
    n=mtalog-postfix-port-logging-python
    if msel $n; then
      s=$(log_size "$W/pf-mtalog/maillog")
      cap $n -- "$(mta_burst 198.51.100.48 40411)"
      keep_log $n "$W/pf-mtalog/maillog" "$s"
    fi
  fi
  # Exim: a TLS 1.1 client refused by the 1.2-only address, one good
  # session, and STARTTLS refused (no certificate on .32)
  n=mtalog-exim-swaks-python
  if msel $n; then
    s=$(log_size "$W/exim/log/mainlog")
    cap $n -- "$(swk 198.51.100.27 25 40421 --tls --tls-verify --tls-protocol tlsv1_1 --tls-cipher DEFAULT:@SECLEVEL=0); $(pyc 198.51.100.26 25 40422 starttls); $(swk 198.51.100.32 25 40423 --tls)"
    keep_log $n "$W/exim/log/mainlog" "$s"
  fi
  # Postfix's smtp client limited to TLS 1.0 against a 1.2-only Postfix:
  # the client's log (the smtp side) is kept
  n=mtalog-postfix-client-tls10
  if msel $n; then
    s=$(log_size "$W/pf-client/maillog")
    cap $n -- "pf_send old10.test"
    keep_log $n "$W/pf-client/maillog" "$s"
  fi
  return 0
}
