# Sourced by lab.sh: the scenarios with other TLS stacks (issue 13): Go's
# crypto/tls as SMTP client and server, Java's JSSE, curl, msmtp (GnuTLS),
# Sendmail as client and server, and a server that resets right after an
# old ClientHello. Uses lab.sh's namespaces, PKI, Postfix and Exim servers,
# cap() and the client helpers; adds its own server addresses .50-.59.
#
#   198.51.100.50  golab server, Go defaults (TLS 1.0-1.3)
#   198.51.100.51  golab server -min 1.2
#   198.51.100.52  golab server -max 1.0
#   198.51.100.53  golab server -max 1.1
#   198.51.100.57  Sendmail server limited to TLS 1.0 (an old MX)
#   198.51.100.58  silent_server.py --reset (RST after the ClientHello)
#   198.51.100.59  Sendmail server (sendmail-bin unpacked, private config)

SENDMAIL_ROOT=${SENDMAIL_ROOT:-/opt/starttls-lab-sendmail}
SM=$W/sendmail
GOLAB=$W/golab
JAVA_CP=$W/java

# Debian's sendmail-bin conflicts with postfix (both are the MTA): it is
# unpacked, not installed, like Exim (lab.sh install_exim).
install_sendmail() {
  if [ ! -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; then
    mkdir -p "$SENDMAIL_ROOT"
    (cd "$SENDMAIL_ROOT" && apt-get download sendmail-bin sendmail-cf >/dev/null 2>&1 &&
       for f in sendmail-bin_*.deb sendmail-cf_*.deb; do dpkg-deb -x "$f" "$SENDMAIL_ROOT"; done)
  fi
  # its Depends: line, less sendmail-base (which would pull in the MTA
  # packages); libwrap0 is the one a Postfix system lacks
  if ldd "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" | grep -q 'not found'; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libwrap0 liblockfile1 libsasl2-2 \
      libldap-2.5-0 libdb5.3 libnsl2 >/dev/null
  fi
  if ldd "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" | grep -q 'not found'; then
    echo "lab: sendmail library missing: $(ldd "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" | grep 'not found')" >&2; exit 1
  fi
  need m4
}

# A sendmail.cf from Debian's m4 kit: a private queue, no DNS (hosts are
# IP literals), STARTTLS with the lab PKI. $1 name, then extra m4 lines.
sm_cf() {
  local n=$1; shift
  mkdir -p "$SM/$n.q"
  {
    echo "include(\`$SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4')dnl"
    echo "OSTYPE(\`linux')dnl"
    echo "define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe,GroupReadableKeyFile,TrustStickyBit,NonRootSafeAddr,InsufficientEntropy')dnl"
    echo "define(\`confCACERT_PATH', \`$SM/certs')dnl"
    echo "define(\`confCACERT', \`$P/root.crt')dnl"
    echo "define(\`QUEUE_DIR', \`$SM/$n.q')dnl"
    echo "define(\`confPID_FILE', \`$SM/$n.pid')dnl"
    echo "define(\`ALIAS_FILE', \`$SM/aliases')dnl"
    echo "define(\`confTO_CONNECT', \`10s')dnl"
    echo "define(\`confLOG_LEVEL', \`14')dnl"
    # a busy lab machine must not make it refuse or queue (load average)
    echo "define(\`confQUEUE_LA', \`1000')dnl"
    echo "define(\`confREFUSE_LA', \`1000')dnl"
    printf '%s\n' "$@"
    echo "FEATURE(\`nocanonify')dnl"
    echo "MAILER(\`smtp')dnl"
  } > "$SM/$n.mc"
  m4 "$SM/$n.mc" > "$SM/$n.cf"
}

# Sendmail wants a fully qualified host name or it sleeps 60 s ("unqualified
# host name unknown"): each instance runs in its own UTS namespace.
sm_prepare() {
  rm -rf "$SM"; mkdir -p "$SM/certs"
  # Sendmail looks names up (its own and the peer's, for Received:):
  # `ip netns exec` mounts /etc/netns/NS/* over /etc, so the lab's names
  # resolve from a hosts file and DNS fails at once instead of timing out
  local n
  for n in $NC $NS; do
    mkdir -p "/etc/netns/$n"
    printf '192.0.2.10 client.example.test\n198.51.100.59 mx3.example.test\n198.51.100.57 mx4.example.test\n198.51.100.25 mx.example.test\n' > "/etc/netns/$n/hosts"
    echo "nameserver 127.0.0.1" > "/etc/netns/$n/resolv.conf"
  done
  : > "$SM/aliases"
  install -m 600 "$P/valid.key" "$SM/server.key"
  sm_cf client
  # the client limited to TLS 1.0 (OpenSSL options), as an old MTA
  sm_cf client10 "define(\`confCLIENT_SSL_OPTIONS', \`+SSL_OP_NO_TLSv1_1 +SSL_OP_NO_TLSv1_2 +SSL_OP_NO_TLSv1_3')dnl" \
    "define(\`confCIPHER_LIST', \`DEFAULT:@SECLEVEL=0')dnl" \
    "define(\`confTLS_FALLBACK_TO_CLEAR', \`true')dnl"
  sm_cf server "define(\`confSERVER_CERT', \`$P/valid.chain.pem')dnl" "define(\`confSERVER_KEY', \`$SM/server.key')dnl" \
    "FEATURE(\`no_default_msa')dnl" "DAEMON_OPTIONS(\`Port=smtp,Addr=198.51.100.59, Name=MTA')dnl" \
    "FEATURE(\`promiscuous_relay')dnl" \
    "define(\`confDELIVERY_MODE', \`deferred')dnl" \
    "define(\`confTO_IDENT', \`0')dnl"
  # an old MX: OpenSSL limited to TLS 1.0, with the 1.0 suites allowed
  sm_cf server10 "define(\`confSERVER_CERT', \`$P/valid.chain.pem')dnl" "define(\`confSERVER_KEY', \`$SM/server.key')dnl" \
    "define(\`confSERVER_SSL_OPTIONS', \`+SSL_OP_NO_TLSv1_1 +SSL_OP_NO_TLSv1_2 +SSL_OP_NO_TLSv1_3')dnl" \
    "define(\`confCIPHER_LIST', \`DEFAULT:@SECLEVEL=0')dnl" \
    "FEATURE(\`no_default_msa')dnl" "DAEMON_OPTIONS(\`Port=smtp,Addr=198.51.100.57, Name=MTA')dnl" \
    "FEATURE(\`promiscuous_relay')dnl" \
    "define(\`confDELIVERY_MODE', \`deferred')dnl" \
    "define(\`confTO_IDENT', \`0')dnl"
  # Sendmail sends only the leaf of its certificate file: a client that
  # trusts the issuing CA as well as the root can verify it
  cat "$P/root.crt" "$P/int.crt" > "$SM/root-and-issuing.pem"
}

# no RFC 1413 ident call back to the client: it would be a second TCP
# session in every capture of this server
sm_server() { # CF HOSTNAME
  ip netns exec $NS unshare -u sh -c "hostname $2; exec $SENDMAIL_ROOT/usr/libexec/sendmail/sendmail -C $SM/$1.cf -bD" \
    >>"$SM/$1.log" 2>&1 &
  PIDS+=($!)
}

# The Go peers are built offline from the standard library only, the Java
# client with the JDK's javac; both into the work directory.
build_stacks() {
  need go; need javac; need java; need curl; need msmtp
  (cd "$GEN/go" && GOFLAGS=-mod=mod GOPROXY=off GOCACHE=$W/gocache go build -o "$GOLAB" .)
  mkdir -p "$JAVA_CP"
  javac -d "$JAVA_CP" "$GEN/java/StartTlsClient.java"
  printf 'Subject: lab\r\n\r\nx\r\n' > "$W/msg.txt"
}

stacks_net() {
  local a
  for a in 50 51 52 53 57 58 59; do ip -n $NS addr add 198.51.100.$a/24 dev s0; done
}

go_server() { # ADDR [options...]: a golab server on ADDR:25 in the server namespace
  local a=$1; shift
  ip netns exec $NS "$GOLAB" server -listen "$a:25" -cert "$P/valid.chain.pem" -key "$P/valid.key" "$@" \
    >>"$W/goserver.log" 2>&1 &
  PIDS+=($!)
}

# ---------------------------------------------------------------- clients
goc() { # ADDR SPORT [options...]: the golab client
  local a=$1 sp=$2; shift 2
  echo "ip netns exec $NC timeout 20 $GOLAB client -server $a:25 -sport $sp -cafile $P/root.crt $*"
}
jav() { # ADDR SPORT [options...]: the JSSE client
  local a=$1 sp=$2; shift 2
  echo "ip netns exec $NC timeout 20 java -cp $JAVA_CP StartTlsClient $a 25 $sp --cafile $P/root.crt $*"
}
# curl verifies the name in the URL: mx.example.test is resolved to ADDR
crl() { # ADDR SPORT [options...]
  local a=$1 sp=$2; shift 2
  echo "ip netns exec $NC timeout 20 curl -sS --ssl-reqd --local-port $sp --resolve mx.example.test:25:$a smtp://mx.example.test:25/client.example.test --mail-from a@client.example.test --mail-rcpt b@example.test -T $W/msg.txt --cacert $P/root.crt $*"
}
# msmtp cannot bind a source port; --tls-host-override names the host to verify
# Sendmail delivering one message to the IP literal [ADDR] (-odi: now, in
# the foreground); CF names the client configuration
smc() { # CF ADDR
  echo "ip netns exec $NC unshare -u sh -c 'hostname client.example.test; exec $SENDMAIL_ROOT/usr/libexec/sendmail/sendmail -C $SM/$1.cf -odi -v -f a@client.example.test b@[$2]' < $W/msg.txt"
}
msm() { # ADDR [options...]
  local a=$1; shift
  echo "ip netns exec $NC timeout 20 msmtp -C /dev/null --host=$a --port=25 --auth=off --tls=on --tls-starttls=on --tls-trust-file=$P/root.crt --tls-host-override=mx.example.test --domain=client.example.test --from=a@client.example.test $* b@example.test < $W/msg.txt"
}

# ---------------------------------------------------------------- scenarios
run_stacks() {
  local want=" $* "
  ssel() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }
  local n
  # each: NAME and the command that makes it
  while read -r n cmd <&3; do
    [ -n "$n" ] || continue
    ssel "$n" && cap "$n" -- "$(eval "$cmd")" </dev/null
  done 3<<'LIST'
ok-starttls-tls12-postfix-goclient goc 198.51.100.25 42001 -max 1.2
ok-starttls-tls13-postfix-goclient goc 198.51.100.25 42002
fail-client-too-old-tls10-postfix-goclient goc 198.51.100.31 42003 -min 1.0 -max 1.0
fail-client-too-old-tls11-exim-goclient goc 198.51.100.27 42004 -min 1.0 -max 1.1
fail-server-too-old-postfix-goclient-defaults goc 198.51.100.28 42005
fail-no-shared-cipher-postfix-goclient goc 198.51.100.38 42006 -max 1.2 -ciphers TLS_RSA_WITH_AES_128_GCM_SHA256
fail-cert-expired-tls12-postfix-goclient goc 198.51.100.35 42007 -max 1.2
fail-cert-expired-tls13-postfix-goclient goc 198.51.100.35 42008
fail-cert-unknown-ca-tls12-postfix-goclient goc 198.51.100.37 42009 -max 1.2
fail-cert-unknown-ca-tls13-postfix-goclient goc 198.51.100.37 42010
fail-cert-name-mismatch-tls12-postfix-goclient goc 198.51.100.36 42011 -max 1.2
fail-cert-name-mismatch-tls13-postfix-goclient goc 198.51.100.36 42012
ok-starttls-tls12-goserver-python pyc 198.51.100.50 25 42021 starttls --max 1.2
ok-starttls-tls13-goserver-goclient goc 198.51.100.50 42022
fail-client-too-old-tls10-goserver-python pyc 198.51.100.51 25 42023 starttls --min 1.0 --max 1.0 --ciphers DEFAULT:@SECLEVEL=0
fail-server-too-old-goserver-python-defaults pyc 198.51.100.52 25 42024 starttls
fail-server-too-old-goserver-python-min12 pyc 198.51.100.53 25 42025 starttls --min 1.2
fail-no-shared-cipher-goserver-python pyc 198.51.100.50 25 42026 starttls --max 1.2 --ciphers AES128-SHA256
ok-starttls-tls12-postfix-curl crl 198.51.100.25 42031 --tls-max 1.2
ok-starttls-tls13-postfix-curl crl 198.51.100.25 42032
fail-client-too-old-tls10-postfix-curl crl 198.51.100.31 42033 --tlsv1.0 --tls-max 1.0 --ciphers DEFAULT:@SECLEVEL=0
fail-server-too-old-postfix-curl-defaults crl 198.51.100.28 42034
fail-server-too-old-postfix-curl-min12 crl 198.51.100.28 42035 --tlsv1.2
fail-no-shared-cipher-postfix-curl crl 198.51.100.38 42036 --tls-max 1.2 --ciphers AES128-SHA256
fail-cert-expired-tls12-postfix-curl crl 198.51.100.35 42037 --tls-max 1.2
fail-cert-expired-tls13-postfix-curl crl 198.51.100.35 42038
fail-cert-unknown-ca-tls12-postfix-curl crl 198.51.100.37 42039 --tls-max 1.2
fail-cert-unknown-ca-tls13-postfix-curl crl 198.51.100.37 42040
fail-cert-name-mismatch-tls12-postfix-curl crl 198.51.100.36 42041 --tls-max 1.2
fail-cert-name-mismatch-tls13-postfix-curl crl 198.51.100.36 42042
ok-starttls-tls12-postfix-msmtp msm 198.51.100.25 --tls-priorities=NORMAL:-VERS-TLS1.3
ok-starttls-tls13-postfix-msmtp msm 198.51.100.25
fail-client-too-old-tls10-postfix-msmtp msm 198.51.100.31 --tls-priorities=NORMAL:-VERS-ALL:+VERS-TLS1.0
deprecated-tls10-server-max-postfix-msmtp-defaults msm 198.51.100.28
fail-server-too-old-postfix-msmtp-min12 msm 198.51.100.28 --tls-priorities=NORMAL:-VERS-TLS1.0:-VERS-TLS1.1
fail-no-shared-cipher-postfix-msmtp msm 198.51.100.38 --tls-priorities=NORMAL:-VERS-TLS1.3:-KX-ALL:+RSA
fail-cert-expired-tls12-postfix-msmtp msm 198.51.100.35 --tls-priorities=NORMAL:-VERS-TLS1.3
fail-cert-expired-tls13-postfix-msmtp msm 198.51.100.35
fail-cert-unknown-ca-tls12-postfix-msmtp msm 198.51.100.37 --tls-priorities=NORMAL:-VERS-TLS1.3
fail-cert-unknown-ca-tls13-postfix-msmtp msm 198.51.100.37
fail-cert-name-mismatch-tls12-postfix-msmtp msm 198.51.100.36 --tls-priorities=NORMAL:-VERS-TLS1.3
fail-cert-name-mismatch-tls13-postfix-msmtp msm 198.51.100.36
ok-starttls-tls12-postfix-java jav 198.51.100.25 42051 --protocols TLSv1.2
ok-starttls-tls13-postfix-java jav 198.51.100.25 42052
fail-client-too-old-tls11-postfix-java jav 198.51.100.31 42053 --protocols TLSv1.1 --allow-old
fail-client-too-old-tls11-postfix-java-disabled jav 198.51.100.31 42054 --protocols TLSv1.1
fail-server-too-old-postfix-java-defaults jav 198.51.100.28 42055
fail-client-no-cipher-postfix-java-disabled jav 198.51.100.38 42056 --protocols TLSv1.2 --ciphers TLS_RSA_WITH_AES_128_CBC_SHA256
fail-cert-expired-tls12-postfix-java jav 198.51.100.35 42057 --protocols TLSv1.2
fail-cert-expired-tls13-postfix-java jav 198.51.100.35 42058
fail-cert-unknown-ca-tls12-postfix-java jav 198.51.100.37 42059 --protocols TLSv1.2
fail-cert-unknown-ca-tls13-postfix-java jav 198.51.100.37 42060
fail-cert-name-mismatch-tls12-postfix-java jav 198.51.100.36 42061 --protocols TLSv1.2
fail-cert-name-mismatch-tls13-postfix-java jav 198.51.100.36 42062
fail-client-too-old-tls10-resetserver-openssl ossl 198.51.100.58 -tls1 -cipher DEFAULT:@SECLEVEL=0
fail-client-too-old-tls11-resetserver-python pyc 198.51.100.58 25 42071 starttls --min 1.1 --max 1.1 --ciphers DEFAULT:@SECLEVEL=0
fail-client-too-old-tls10-resetserver-goclient goc 198.51.100.58 42072 -min 1.0 -max 1.0
fail-client-too-old-tls11-resetserver-curl crl 198.51.100.58 42073 --tlsv1.1 --tls-max 1.1 --ciphers DEFAULT:@SECLEVEL=0
fail-client-too-old-tls10-resetserver-java jav 198.51.100.58 42074 --protocols TLSv1 --allow-old
fail-client-too-old-tls11-resetserver-msmtp msm 198.51.100.58 --tls-priorities=NORMAL:-VERS-ALL:+VERS-TLS1.1
ok-starttls-tls13-postfix-sendmail smc client 198.51.100.25
ok-cert-expired-tls13-postfix-sendmail smc client 198.51.100.35
notls-fallback-after-tls-failure-sendmail smc client10 198.51.100.31
fail-cert-missing-intermediate-tls13-sendmail-python pyc 198.51.100.59 25 42081 starttls
fail-cert-missing-intermediate-tls12-sendmail-python pyc 198.51.100.59 25 42082 starttls --max 1.2
fail-client-too-old-tls10-sendmail-python pyc 198.51.100.59 25 42083 starttls --min 1.0 --max 1.0 --ciphers DEFAULT:@SECLEVEL=0
ok-starttls-tls13-sendmail-python pyc 198.51.100.59 25 42084 starttls --cafile $SM/root-and-issuing.pem
ok-starttls-tls12-sendmail-goclient goc 198.51.100.59 42085 -max 1.2 -cafile $SM/root-and-issuing.pem
fail-server-too-old-sendmail-python-defaults pyc 198.51.100.57 25 42086 starttls --cafile $SM/root-and-issuing.pem
fail-server-too-old-sendmail-goclient-defaults goc 198.51.100.57 42087
fail-server-too-old-sendmail-python-min12 pyc 198.51.100.57 25 42088 starttls --min 1.2 --max 1.3
fail-no-shared-cipher-postfix-java jav 198.51.100.38 42063 --protocols TLSv1.2 --ciphers TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
LIST
  return 0
}

# Start the servers the selected scenarios need.
start_stacks() {
  local want=" $* " all=0
  [ "$want" = "  " ] && all=1
  if [ $all = 1 ] || [[ "$want" == *goserver* ]]; then
    go_server 198.51.100.50
    go_server 198.51.100.51 -min 1.2
    go_server 198.51.100.52 -max 1.0
    go_server 198.51.100.53 -max 1.1
  fi
  if [ $all = 1 ] || [[ "$want" == *sendmail* ]]; then
    sm_prepare
    sm_server server mx3.example.test
    sm_server server10 mx4.example.test
  fi
  if [ $all = 1 ] || [[ "$want" == *resetserver* ]]; then
    ip netns exec $NS $PY "$GEN/silent_server.py" 198.51.100.58 25 --reset >/dev/null 2>&1 &
    PIDS+=($!)
  fi
  sleep 0.5
}
