# keylog.sh - lab scenarios whose clients also write an NSS key log
# (SSLKEYLOGFILE), for --keylog (SPEC 9.3). Sourced by lab.sh, which calls
# run_keylog_scenarios with the scenario names asked for; each capture gets
# its key log beside it as pcaps/NAME.keys. The keys are those of lab
# sessions between the lab's own namespaces and certificates: nothing else.
#
# Clients: OpenSSL s_client -keylogfile, gnutls-cli through SSLKEYLOGFILE,
# Python's SSLContext.keylog_filename (pyclient.py --keylog).

# gnutls-cli as gtls() runs it, with SSLKEYLOGFILE in its environment.
gtls_keys() { # KEYFILE ADDR [args...]
  local k=$1; shift
  gtls "$@" | sed "s|ip netns exec $NC timeout|ip netns exec $NC env SSLKEYLOGFILE=$k timeout|"
}

# cap, then the key log next to the capture.
cap_keys() { # NAME COMMAND
  local name=$1 cmd=$2
  rm -f "$W/$name.keys"
  cap "$name" -- "$cmd"
  if [ -s "$W/$name.keys" ]; then
    cp "$W/$name.keys" "$OUT/$name.keys"
  else
    log "  ($name: the client wrote no key log)"
  fi
}

run_keylog_scenarios() {
  local want=" $* "
  sel() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }
  local n
  n=ok-starttls-tls13-postfix-openssl-keylog
  sel $n && cap_keys $n "$(ossl 198.51.100.25 -keylogfile $W/$n.keys)"
  # TLS 1.2 with CLIENT_RANDOM: an AEAD suite, and CBC with HMAC (OpenSSL
  # negotiates encrypt-then-MAC for it)
  n=ok-starttls-tls12-postfix-openssl-keylog
  sel $n && cap_keys $n "$(ossl 198.51.100.25 -tls1_2 -keylogfile $W/$n.keys)"
  n=ok-starttls-tls12-cbc-postfix-openssl-keylog
  sel $n && cap_keys $n "$(ossl 198.51.100.25 -tls1_2 -cipher ECDHE-RSA-AES128-SHA -keylogfile $W/$n.keys)"
  n=fail-cert-expired-tls13-postfix-gnutls-keylog
  sel $n && cap_keys $n "$(gtls_keys $W/$n.keys 198.51.100.35)"
  n=fail-cert-unknown-ca-tls13-postfix-gnutls-keylog
  sel $n && cap_keys $n "$(gtls_keys $W/$n.keys 198.51.100.37)"
  n=fail-cert-unknown-ca-tls13-postfix-openssl-keylog
  sel $n && cap_keys $n "$(ossl 198.51.100.37 -keylogfile $W/$n.keys)"
  n=fail-cert-name-mismatch-tls13-postfix-python-keylog
  sel $n && cap_keys $n "$(pyc 198.51.100.36 25 40251 starttls --keylog $W/$n.keys)"
  return 0
}
