#!/bin/bash
# starttls-inspect fixture lab: builds network namespaces joined by veth
# pairs, runs Postfix, Exim and small Python peers in them, drives real
# clients against them and captures one pcap per scenario into pcaps/.
# Run as root on Debian 12:  sudo pcaps/gen/lab.sh [SCENARIO...]
# With no argument every scenario is regenerated. See pcaps/README.md.
set -euo pipefail
GEN=$(cd "$(dirname "$0")" && pwd)
OUT=$(dirname "$GEN")
W=${LAB_WORK:-/tmp/starttls-lab}
PY=/usr/bin/python3
EXIM_ROOT=${EXIM_ROOT:-/opt/starttls-lab-exim}
# client, middlebox/router, server namespaces; LAB_NS_PREFIX lets a second
# lab run beside another one on the same machine
NSP=${LAB_NS_PREFIX:-lab}
NC=$NSP-c NM=$NSP-m NS=$NSP-s
PIDS=()

log() { echo "lab: $*" >&2; }

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$W/pf-server/main.cf" ] && ip netns exec $NS postfix -c "$W/pf-server" stop >/dev/null 2>&1
  [ -f "$W/pf-client/main.cf" ] && ip netns exec $NC postfix -c "$W/pf-client" stop >/dev/null 2>&1
  for f in "$W"/pf-*/queue/pid/master.pid; do
    [ -f "$f" ] && kill "$(tr -d ' ' < "$f")" 2>/dev/null
  done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for n in $NC $NM $NS; do ip netns del $n 2>/dev/null; rm -rf "/etc/netns/$n"; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

need() { command -v "$1" >/dev/null || { echo "lab: missing $1; install: apt-get install postfix tshark tcpdump gnutls-bin swaks openssl iproute2 ethtool iptables (see pcaps/README.md)" >&2; exit 1; }; }
for c in ip ethtool tcpdump tshark editcap mergecap openssl gnutls-cli swaks postfix postconf iptables; do need $c; done
[ "$(id -u)" = 0 ] || { echo "lab: run as root" >&2; exit 1; }

# ---------------------------------------------------------------- exim
# Debian's exim4 and postfix packages conflict: postfix is installed, exim's
# daemon package is unpacked (not installed) into $EXIM_ROOT.
install_exim() {
  if [ ! -x "$EXIM_ROOT/usr/sbin/exim4" ]; then
    mkdir -p "$EXIM_ROOT"
    (cd "$EXIM_ROOT" && apt-get download exim4-daemon-light >/dev/null 2>&1 &&
       dpkg-deb -x exim4-daemon-light_*.deb "$EXIM_ROOT")
  fi
  # exim re-executes itself by its compiled-in path /usr/sbin/exim4; with no
  # exim package installed that path is free, so point it at the unpacked copy
  [ -e /usr/sbin/exim4 ] || ln -s "$EXIM_ROOT/usr/sbin/exim4" /usr/sbin/exim4
  getent passwd Debian-exim >/dev/null ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin Debian-exim
  if ldd "$EXIM_ROOT/usr/sbin/exim4" | grep -q 'not found'; then
    # the libraries exim4-daemon-light depends on (its Depends: line, less
    # exim4-base which would pull in the conflicting MTA packages)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libcrypt1 libdb5.3 libgnutls-dane0 \
      libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0 >/dev/null
  fi
  if ldd "$EXIM_ROOT/usr/sbin/exim4" | grep -q 'not found'; then
    echo "lab: exim4 library missing: $(ldd "$EXIM_ROOT/usr/sbin/exim4" | grep 'not found')" >&2; exit 1
  fi
}

# ---------------------------------------------------------------- network
net_up() {
  cleanup_ns() { for n in $NC $NM $NS; do ip netns del $n 2>/dev/null || true; done; }
  cleanup_ns
  for n in $NC $NM $NS; do ip netns add $n; ip -n $n link set lo up; done
  ip link add c0 netns $NC type veth peer name m0 netns $NM
  ip link add s0 netns $NS type veth peer name m1 netns $NM
  ip -n $NC addr add 192.0.2.10/24 dev c0
  ip -n $NC addr add 2001:db8:c::10/64 dev c0 nodad
  ip -n $NM addr add 192.0.2.1/24 dev m0
  ip -n $NM addr add 2001:db8:c::1/64 dev m0 nodad
  ip -n $NM addr add 198.51.100.1/24 dev m1
  ip -n $NM addr add 2001:db8:5::1/64 dev m1 nodad
  ip -n $NM addr add 203.0.113.25/32 dev lo         # the middlebox's SMTP addresses
  ip -n $NM addr add 203.0.113.26/32 dev lo
  for a in 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 41 42 43 44 45 46 54; do
    ip -n $NS addr add 198.51.100.$a/24 dev s0
  done
  ip -n $NS addr add 2001:db8:5::25/64 dev s0 nodad
  ip -n $NS addr add 2001:db8:5::26/64 dev s0 nodad
  for i in "$NC c0" "$NM m0" "$NM m1" "$NS s0"; do
    set -- $i
    ip -n "$1" link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  done
  # routes only between the lab networks: no default route anywhere
  ip -n $NC route add 198.51.100.0/24 via 192.0.2.1
  ip -n $NC route add 203.0.113.0/24 via 192.0.2.1
  ip -n $NC -6 route add 2001:db8:5::/64 via 2001:db8:c::1
  ip -n $NS route add 192.0.2.0/24 via 198.51.100.1
  ip -n $NS -6 route add 2001:db8:c::/64 via 2001:db8:5::1
  ip netns exec $NM sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# ---------------------------------------------------------------- postfix
pf_common() { # dir hostname
  local d=$1 h=$2
  rm -rf "$d"; mkdir -p "$d/queue" "$d/data"
  chown postfix "$d/data"
  cat > "$d/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $h
mydomain = example.test
myorigin = \$myhostname
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = discard:lab
relay_transport = discard:lab
local_transport = discard:lab
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 [2001:db8::]/32
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = no
biff = no
maillog_file = $d/maillog
maillog_file_prefixes = $d
smtpd_tls_loglevel = 1
smtp_tls_loglevel = 1
CF
  grep -v "^#" "$GEN/postfix-services.cf" > "$d/master.cf"
}

P=$W/pki
pf_server() {
  local d=$W/pf-server
  pf_common "$d" mx.example.test
  cat >> "$d/main.cf" <<CF
smtpd_tls_chain_files = $P/valid.key, $P/valid.chain.pem
smtpd_tls_security_level = may
smtpd_banner = \$myhostname ESMTP
CF
  local S="inet  n       -       n       -       -       smtpd"
  local L0="-o smtpd_tls_protocols=>=TLSv1 -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0"
  cat >> "$d/master.cf" <<CF
198.51.100.25:smtp        $S
198.51.100.25:submission  $S
198.51.100.25:smtps       $S -o smtpd_tls_wrappermode=yes
[2001:db8:5::25]:smtp     $S
198.51.100.28:smtp        $S -o smtpd_tls_protocols=<=TLSv1 -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0
198.51.100.29:smtp        $S -o smtpd_tls_protocols=<=TLSv1.1 -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0
198.51.100.30:smtp        $S $L0
198.51.100.31:smtp        $S -o smtpd_tls_protocols=>=TLSv1.2
198.51.100.33:smtp        $S -o smtpd_tls_security_level=none
198.51.100.34:smtp        $S -o smtpd_tls_security_level=encrypt
198.51.100.35:smtp        $S -o smtpd_tls_chain_files=$P/expired.key,$P/expired.chain.pem
198.51.100.36:smtp        $S -o smtpd_tls_chain_files=$P/wrongname.key,$P/wrongname.chain.pem
198.51.100.37:smtp        $S -o smtpd_tls_chain_files=$P/selfsigned.key,$P/selfsigned.chain.pem
198.51.100.38:smtp        $S -o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_exclude_ciphers=kRSA
198.51.100.43:smtp        $S -o smtpd_tls_chain_files=$W/missing.key,$W/missing.pem
198.51.100.44:smtp        $S -o smtpd_tls_chain_files=$W/missing.key,$W/missing.pem -o smtpd_tls_security_level=encrypt
198.51.100.54:smtp        $S -o smtpd_tls_chain_files=$P/valid2050.key,$P/valid2050.chain.pem
CF
  ip netns exec $NS postfix -c "$d" start
}

pf_client() {
  local d=$W/pf-client
  pf_common "$d" client.example.test
  sed -i '/^default_transport\|^relay_transport/d' "$d/main.cf"
  cat >> "$d/main.cf" <<CF
default_transport = smtp
relay_transport = smtp
transport_maps = texthash:$d/transport
smtp_tls_security_level = may
smtp_tls_CAfile = $P/root.crt
smtp_helo_name = client.example.test
smtp_connect_timeout = 10s
smtp_helo_timeout = 20s
smtp_starttls_timeout = 20s
CF
  cat >> "$d/master.cf" <<CF
smtp10    unix  -       -       n       -       -       smtp -o smtp_tls_protocols=<=TLSv1 -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0
smtp12    unix  -       -       n       -       -       smtp -o smtp_tls_protocols=>=TLSv1.2,<=TLSv1.2
CF
  cat > "$d/transport" <<CF
pf13.test   smtp:[198.51.100.25]
pf12.test   smtp12:[198.51.100.25]
ex13.test   smtp:[198.51.100.26]
ex12.test   smtp12:[198.51.100.26]
old10.test  smtp10:[198.51.100.31]
CF
  ip netns exec $NC postfix -c "$d" start
}

pf_send() { # recipient domain: one tiny message from the client-side Postfix, wait for it to go
  # pickup hands the message to qmgr at once: no flush here (one made now
  # races with that first delivery and sometimes adds a third session)
  printf 'Subject: lab\n\nx\n' | ip netns exec $NC sendmail -C "$W/pf-client" -f a@client.example.test "b@$1"
  # a deferred message (TLS failed) is flushed once more: Postfix's
  # opportunistic TLS then retries in plaintext
  for i in $(seq 1 30); do
    sleep 0.5
    ip netns exec $NC postqueue -c "$W/pf-client" -p | grep -q 'Mail queue is empty' && break
    [ "$i" = 6 ] && ip netns exec $NC postqueue -c "$W/pf-client" -f
  done
  ip netns exec $NC postsuper -c "$W/pf-client" -d ALL >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- exim
ex_server() {
  local d=$W/exim
  rm -rf "$d"; mkdir -p "$d/spool" "$d/log"
  chown -R Debian-exim "$d/spool" "$d/log"
  cat > "$d/exim.conf" <<CF
primary_hostname = mx2.example.test
keep_environment =
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
spool_directory = $d/spool
log_file_path = $d/log/%slog
# the client port and the process id in each line: the --mta-log join
# (pcaps/gen/mtalogs.sh) uses them; nothing on the wire changes
log_selector = +incoming_port +pid
pid_file_path = $d/exim.pid
local_interfaces = <; 198.51.100.26.25 ; 198.51.100.26.587 ; 198.51.100.26.465 ; 198.51.100.27.25 ; 198.51.100.32.25 ; 198.51.100.39.25 ; 2001:db8:5::26.25
tls_on_connect_ports = 465
tls_advertise_hosts = *
tls_certificate = \${if eq{\$received_ip_address}{198.51.100.32}{$d/missing-cert.pem}{$P/valid.chain.pem}}
tls_privatekey = \${if eq{\$received_ip_address}{198.51.100.32}{$d/missing-key.pem}{$P/valid.key}}
tls_require_ciphers = \${if eq{\$received_ip_address}{198.51.100.27}{NORMAL:-VERS-TLS1.0:-VERS-TLS1.1}{\${if eq{\$received_ip_address}{198.51.100.39}{NORMAL:-VERS-ALL:+VERS-TLS1.0}{NORMAL}}}}
acl_smtp_rcpt = acl_rcpt
smtp_banner = \$smtp_active_hostname ESMTP Exim
begin acl
acl_rcpt:
  accept
begin routers
blackhole:
  driver = redirect
  data = :blackhole:
begin transports
CF
  ip netns exec $NS "$EXIM_ROOT/usr/sbin/exim4" -C "$d/exim.conf" -bdf &
  PIDS+=($!)
}

# ---------------------------------------------------------------- capture
# cap NAME [IFACE_SPEC] -- COMMANDS: capture one scenario to pcaps/NAME.pcap.
# IFACE_SPEC "ns:iface" (default lab-c:c0); COMMANDS run with bash -c.
cap() {
  local name=$1; shift
  local spec="$NC:c0"
  [ "$1" != "--" ] && { spec=$1; shift; }
  shift
  local ns=${spec%%:*} ifc=${spec#*:}
  log "scenario $name"
  rm -f "$W/td.err"
  ip netns exec "$ns" tcpdump -i "$ifc" -s 0 -U -n -w "$W/$name.pcap" tcp 2>"$W/td.err" &
  local td=$!
  PIDS+=($td)
  for _ in $(seq 1 50); do grep -q listening "$W/td.err" 2>/dev/null && break; sleep 0.1; done
  bash -c "$*" >"$W/$name.log" 2>&1 || log "  ($name: client exited non-zero, see $W/$name.log)"
  sleep 1
  kill -INT $td; wait $td || true
  cp "$W/$name.pcap" "$OUT/$name.pcap"
}
C() { echo "ip netns exec $NC $*"; }   # helper: a command in the client namespace

# ---------------------------------------------------------------- clients
EHLO_IN="printf 'EHLO client.example.test\nQUIT\n'"
# openssl s_client over STARTTLS; extra args appended
ossl() { # ADDR [args...]
  local a=$1; shift
  echo "(sleep 0.5; $EHLO_IN; sleep 1) | ip netns exec $NC timeout 10 openssl s_client -starttls smtp -name client.example.test -connect $a:25 -crlf -ign_eof -CAfile $P/root.crt -verify_return_error -verify_hostname mx.example.test -servername mx.example.test $*"
}
gtls() { # ADDR [args...]
  local a=$1; shift
  echo "(sleep 1; printf 'EHLO client.example.test\r\nQUIT\r\n'; sleep 1) | ip netns exec $NC timeout 10 gnutls-cli --starttls-proto=smtp --port 25 --x509cafile=$P/root.crt --verify-hostname=mx.example.test --sni-hostname=mx.example.test $* $a"
}
swk() { # ADDR PORT LPORT [args...]
  local a=$1 p=$2 lp=$3; shift 3
  echo "ip netns exec $NC timeout 15 swaks --server $a --port $p --local-port $lp --helo client.example.test --from a@client.example.test --to b@example.test --body x --tls-ca-path $P/root.crt $*"
}
export NC W
export -f pf_send
# shellcheck source=stacks.sh
. "$GEN/stacks.sh"
pyc() { echo "ip netns exec $NC timeout 15 $PY $GEN/pyclient.py $* --cafile $P/root.crt"; }

# scenarios with key logs (--keylog): pcaps/gen/keylog.sh
. "$GEN/keylog.sh"

run_scenarios() {
  run_keylog_scenarios "$@"
  local want=" $* "
  sel() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }

  # 1. success
  sel ok-starttls-tls12-postfix-openssl && cap ok-starttls-tls12-postfix-openssl -- "$(ossl 198.51.100.25 -tls1_2)"
  sel ok-starttls-tls13-postfix-openssl && cap ok-starttls-tls13-postfix-openssl -- "$(ossl 198.51.100.25)"
  sel ok-starttls-tls13-exim-gnutls && cap ok-starttls-tls13-exim-gnutls -- "$(gtls 198.51.100.26)"
  sel ok-starttls-tls12-exim-swaks && cap ok-starttls-tls12-exim-swaks -- "$(swk 198.51.100.26 25 40111 --tls --tls-verify --tls-protocol tlsv1_2)"
  sel ok-starttls-tls13-exim-python && cap ok-starttls-tls13-exim-python -- "$(pyc 198.51.100.26 25 40112 starttls)"
  sel ok-starttls-tls12-postfix-gnutls && cap ok-starttls-tls12-postfix-gnutls -- "$(gtls 198.51.100.25 --priority NORMAL:-VERS-TLS1.3)"
  sel ok-mta-tls13-postfix-to-postfix && cap ok-mta-tls13-postfix-to-postfix -- "pf_send pf13.test"
  sel ok-mta-tls12-postfix-to-exim && cap ok-mta-tls12-postfix-to-exim -- "pf_send ex12.test"
  sel ok-submission-587-postfix-swaks && cap ok-submission-587-postfix-swaks -- "$(swk 198.51.100.25 587 40121 --tls --tls-verify)"
  sel ok-submission-587-exim-python && cap ok-submission-587-exim-python -- "$(pyc 198.51.100.26 587 40122 starttls)"
  sel ok-implicit-465-postfix-python && cap ok-implicit-465-postfix-python -- "$(pyc 198.51.100.25 465 40131 implicit)"
  sel ok-implicit-465-exim-swaks && cap ok-implicit-465-exim-swaks -- "$(swk 198.51.100.26 465 40132 --tls-on-connect --tls-verify)"
  sel ok-tls13-hrr-postfix-openssl && cap ok-tls13-hrr-postfix-openssl -- "$(ossl 198.51.100.25 -groups ffdhe2048:X25519)"
  # a certificate valid until 2050, seen in clear under TLS 1.2
  sel ok-cert-2050-tls12-postfix-openssl && cap ok-cert-2050-tls12-postfix-openssl -- "$(ossl 198.51.100.54 -tls1_2)"
  sel ok-ipv6-postfix-swaks && cap ok-ipv6-postfix-swaks -- "$(swk 2001:db8:5::25 25 40141 --tls --tls-verify)"
  sel ok-ipv6-exim-python && cap ok-ipv6-exim-python -- "$(pyc 2001:db8:5::26 25 40142 starttls)"
  if sel ok-small-mtu-tls12-postfix-swaks; then
    ip -n $NC link set c0 mtu 576
    cap ok-small-mtu-tls12-postfix-swaks -- "$(swk 198.51.100.25 25 40143 --tls --tls-verify --tls-protocol tlsv1_2)"
    ip -n $NC link set c0 mtu 1500
  fi

  # 2. deprecated but working
  sel deprecated-tls10-postfix-openssl && cap deprecated-tls10-postfix-openssl -- "$(ossl 198.51.100.30 -tls1 -cipher DEFAULT:@SECLEVEL=0)"
  sel deprecated-tls11-exim-gnutls && cap deprecated-tls11-exim-gnutls -- "$(gtls 198.51.100.26 --priority NORMAL:-VERS-ALL:+VERS-TLS1.1)"
  sel deprecated-tls10-exim-python && cap deprecated-tls10-exim-python -- "$(pyc 198.51.100.26 25 40151 starttls --max 1.0 --min 1.0 --ciphers DEFAULT:@SECLEVEL=0)"
  sel deprecated-tls11-server-max-postfix-python && cap deprecated-tls11-server-max-postfix-python -- "$(pyc 198.51.100.29 25 40152 starttls --min 1.0 --ciphers DEFAULT:@SECLEVEL=0)"

  # 3. client too old
  sel fail-client-too-old-tls10-postfix-openssl && cap fail-client-too-old-tls10-postfix-openssl -- "$(ossl 198.51.100.31 -tls1 -cipher DEFAULT:@SECLEVEL=0)"
  sel fail-client-too-old-tls11-exim-swaks && cap fail-client-too-old-tls11-exim-swaks -- "$(swk 198.51.100.27 25 40161 --tls --tls-verify --tls-protocol tlsv1_1 --tls-cipher DEFAULT:@SECLEVEL=0)"
  sel fail-mta-client-too-old-postfix-tls10 && cap fail-mta-client-too-old-postfix-tls10 -- "pf_send old10.test"

  # 4. server too old
  sel fail-server-too-old-postfix-openssl-defaults && cap fail-server-too-old-postfix-openssl-defaults -- "$(ossl 198.51.100.28)"
  # GnuTLS on its defaults still offers TLS 1.0 and accepts it: this one is deprecated, not failed
  sel deprecated-tls10-server-max-exim-gnutls-defaults && cap deprecated-tls10-server-max-exim-gnutls-defaults -- "$(gtls 198.51.100.39)"
  sel fail-server-too-old-exim-gnutls-min12 && cap fail-server-too-old-exim-gnutls-min12 -- "$(gtls 198.51.100.39 --priority NORMAL:-VERS-TLS1.0:-VERS-TLS1.1)"
  sel deprecated-tls11-server-max-postfix-gnutls && cap deprecated-tls11-server-max-postfix-gnutls -- "$(gtls 198.51.100.29 --priority NORMAL:-VERS-TLS1.0)"
  sel fail-server-too-old-postfix-python-min12 && cap fail-server-too-old-postfix-python-min12 -- "$(pyc 198.51.100.28 25 40171 starttls --min 1.2)"
  sel fail-server-too-old-exim-openssl-min12 && cap fail-server-too-old-exim-openssl-min12 -- "$(ossl 198.51.100.39 -no_tls1 -no_tls1_1)"

  # 5. ciphers and groups
  sel fail-no-shared-cipher-postfix-openssl && cap fail-no-shared-cipher-postfix-openssl -- "$(ossl 198.51.100.38 -tls1_2 -cipher AES128-SHA256)"
  sel fail-no-shared-group-postfix-openssl && cap fail-no-shared-group-postfix-openssl -- "$(ossl 198.51.100.25 -tls1_3 -groups ffdhe2048)"
  sel fail-client-no-cipher-openssl && cap fail-client-no-cipher-openssl -- "$(ossl 198.51.100.25 -tls1_2 -cipher NULL-SHA256)"

  # Postfix with its certificate files missing: offers STARTTLS, then 40 (SPEC 6.1.6)
  sel fail-server-missing-cert-postfix-openssl && cap fail-server-missing-cert-postfix-openssl -- "$(ossl 198.51.100.43)"
  sel fail-server-missing-cert-encrypt-postfix-swaks && cap fail-server-missing-cert-encrypt-postfix-swaks -- "$(swk 198.51.100.44 25 40185 --tls --tls-verify)"

  # 6. certificate rejected by the client
  sel fail-cert-expired-tls12-postfix-openssl && cap fail-cert-expired-tls12-postfix-openssl -- "$(ossl 198.51.100.35 -tls1_2)"
  sel fail-cert-expired-tls13-postfix-openssl && cap fail-cert-expired-tls13-postfix-openssl -- "$(ossl 198.51.100.35)"
  sel fail-cert-expired-tls13-postfix-gnutls && cap fail-cert-expired-tls13-postfix-gnutls -- "$(gtls 198.51.100.35)"
  sel fail-cert-unknown-ca-tls12-postfix-openssl && cap fail-cert-unknown-ca-tls12-postfix-openssl -- "$(ossl 198.51.100.37 -tls1_2)"
  sel fail-cert-unknown-ca-tls13-postfix-openssl && cap fail-cert-unknown-ca-tls13-postfix-openssl -- "$(ossl 198.51.100.37)"
  sel fail-cert-unknown-ca-tls13-postfix-gnutls && cap fail-cert-unknown-ca-tls13-postfix-gnutls -- "$(gtls 198.51.100.37)"
  sel fail-cert-unknown-ca-tls12-exim-gnutls && cap fail-cert-unknown-ca-tls12-exim-gnutls -- "$(gtls 198.51.100.26 --priority NORMAL:-VERS-TLS1.3 --x509cafile=$P/selfsigned.crt)"
  sel fail-cert-name-mismatch-tls12-postfix-openssl && cap fail-cert-name-mismatch-tls12-postfix-openssl -- "$(ossl 198.51.100.36 -tls1_2)"
  sel fail-cert-name-mismatch-tls13-postfix-python && cap fail-cert-name-mismatch-tls13-postfix-python -- "$(pyc 198.51.100.36 25 40181 starttls)"
  sel fail-cert-name-mismatch-tls13-postfix-gnutls && cap fail-cert-name-mismatch-tls13-postfix-gnutls -- "$(gtls 198.51.100.36)"

  # 7. STARTTLS level
  sel notls-starttls-not-offered-postfix-swaks && cap notls-starttls-not-offered-postfix-swaks -- "$(swk 198.51.100.33 25 40191 --tls-optional)"
  sel fail-starttls-refused-454-exim-swaks && cap fail-starttls-refused-454-exim-swaks -- "$(swk 198.51.100.32 25 40192 --tls)"
  sel fail-starttls-refused-454-exim-openssl && cap fail-starttls-refused-454-exim-openssl -- "$(ossl 198.51.100.32)"
  sel notls-starttls-required-530-postfix-python && cap notls-starttls-required-530-postfix-python -- "$(pyc 198.51.100.34 25 40193 plain)"
  sel notls-client-skipped-starttls-postfix-python && cap notls-client-skipped-starttls-postfix-python -- "$(pyc 198.51.100.25 25 40194 plain)"
  sel fail-plaintext-injection-postfix-python && cap fail-plaintext-injection-postfix-python -- "$(pyc 198.51.100.25 25 40195 inject)"

  # 8. middlebox
  if sel middlebox-stripped-swaks || sel middlebox-stripped-two-leg-openssl; then
    ip netns exec $NM $PY "$GEN/smtp_proxy.py" 203.0.113.25 25 198.51.100.25 25 --bind 40300 >/dev/null 2>&1 &
    PIDS+=($!)
    ip netns exec $NM $PY "$GEN/smtp_proxy.py" 203.0.113.26 25 198.51.100.25 25 --rewrite-command --bind 40310 >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 1
    sel middlebox-stripped-swaks && cap middlebox-stripped-swaks -- "$(swk 203.0.113.25 25 40201 --tls-optional)"
    if sel middlebox-stripped-two-leg-openssl; then
      ip netns exec $NS tcpdump -i s0 -s 0 -U -n -w "$W/leg-server.pcap" tcp 2>"$W/td2.err" &
      local td2=$!; PIDS+=($td2)
      for _ in $(seq 1 50); do grep -q listening "$W/td2.err" 2>/dev/null && break; sleep 0.1; done
      cap middlebox-leg-client -- "$(ossl 203.0.113.26 | sed 's/-verify_hostname mx.example.test//')"
      kill -INT $td2; wait $td2 || true
      mergecap -F pcap -w "$OUT/middlebox-stripped-two-leg-openssl.pcap" "$W/middlebox-leg-client.pcap" "$W/leg-server.pcap"
      rm -f "$OUT/middlebox-leg-client.pcap"
    fi
  fi

  # 9. aborts and incomplete captures
  if sel fail-client-reset-after-clienthello-python; then
    # the router drops every segment from the server to this client port whose
    # payload does not start with a digit (SMTP replies do, the TLS flight and
    # its continuation segments do not), so the client's RST 50 ms after its
    # ClientHello is always the next thing on the client's wire; without this
    # the RST and the server's flight race
    local r
    for r in 0x00:0x2F 0x3A:0xFF; do
      ip netns exec $NM iptables -I FORWARD -p tcp -s 198.51.100.25 --sport 25 --dport 40211 \
        -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0>>24=$r" -j DROP
    done
    cap fail-client-reset-after-clienthello-python -- "$(pyc 198.51.100.25 25 40211 reset --delay 0.05)"
    ip netns exec $NM iptables -F FORWARD
  fi

  sel fail-client-reset-after-serverhello-tls12-python && cap fail-client-reset-after-serverhello-tls12-python -- "$(pyc 198.51.100.25 25 40212 reset --max 1.2 --delay 0.5)"
  sel fail-client-reset-after-serverhello-tls13-python && cap fail-client-reset-after-serverhello-tls13-python -- "$(pyc 198.51.100.25 25 40213 reset --delay 0.5)"
  if sel incomplete-server-silent-after-clienthello; then
    ip netns exec $NS $PY "$GEN/silent_server.py" 198.51.100.41 25 >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 0.5
    # the client is still waiting when the capture stops; it is killed after
    cap incomplete-server-silent-after-clienthello -- "$(pyc 198.51.100.41 25 40221 starttls) & echo \$! > $W/silent-client.pid; sleep 6"
    kill "$(cat "$W/silent-client.pid")" 2>/dev/null || true
    pkill -P "$(cat "$W/silent-client.pid")" 2>/dev/null || true
    sleep 1
  fi
  # a server that resets right after a modern ClientHello (SChannel style),
  # and one that answers it with a record no TLS stack may send
  if sel fail-server-reset-after-clienthello-python; then
    ip netns exec $NS $PY "$GEN/silent_server.py" 198.51.100.45 25 --reset >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 0.5
    cap fail-server-reset-after-clienthello-python -- "$(pyc 198.51.100.45 25 40223 starttls)"
  fi
  if sel fail-server-malformed-record-python; then
    ip netns exec $NS $PY "$GEN/silent_server.py" 198.51.100.46 25 --garbage >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 0.5
    cap fail-server-malformed-record-python -- "$(pyc 198.51.100.46 25 40224 starttls)"
  fi
  # opportunistic TLS falling back to plaintext (what Exchange Online and
  # Postfix do after a TLS failure): a TLS 1.0-only attempt at a server that
  # requires 1.2, then the same message in clear to the same server
  sel notls-fallback-after-tls-failure-python && cap notls-fallback-after-tls-failure-python -- \
    "$(pyc 198.51.100.31 25 40225 starttls --max 1.0 --min 1.0 --ciphers DEFAULT:@SECLEVEL=0); sleep 0.3; $(pyc 198.51.100.31 25 40226 plain)"
  if sel incomplete-capture-starts-mid-session; then
    cap full-session-for-cut -- "$(swk 198.51.100.25 25 40231 --tls --tls-verify --tls-protocol tlsv1_2)"
    rm -f "$OUT/full-session-for-cut.pcap"
    # keep from the client's first TLS application data record onwards: no
    # SYN, no EHLO, no STARTTLS and no handshake message is left
    local ad
    ad=$(tshark -r "$W/full-session-for-cut.pcap" -Y 'tls.record.content_type==23 && tcp.dstport==25' \
           -T fields -e frame.number 2>/dev/null | head -1)
    editcap -F pcap -r "$W/full-session-for-cut.pcap" "$OUT/incomplete-capture-starts-mid-session.pcap" "$ad-100000"
  fi

  # long encrypted sessions (message bodies of 128 KiB to 1.5 MiB) that the
  # benchmark clones into its large corpus (bench/README.md)
  sel ok-big-body-tls13-postfix-python && cap ok-big-body-tls13-postfix-python -- "$(pyc 198.51.100.25 25 40241 starttls --body-kib 1536)"
  sel ok-big-body-tls12-exim-python && cap ok-big-body-tls12-exim-python -- "$(pyc 198.51.100.26 25 40242 starttls --max 1.2 --body-kib 512)"
  sel ok-big-body-implicit-465-postfix-python && cap ok-big-body-implicit-465-postfix-python -- "$(pyc 198.51.100.25 465 40243 implicit --body-kib 128)"

  # 10. busy gateway
  sel busy-gateway-mixed && cap busy-gateway-mixed -- "ip netns exec $NC $PY $GEN/busy.py $PY $GEN/pyclient.py $P/root.crt"

  # the other TLS stacks (stacks.sh), before the orphaned client below
  run_stacks "$@"

  if sel incomplete-server-no-ack-after-clienthello; then
    # the server host drops every TCP segment whose payload starts with a TLS
    # handshake record (0x16): the ClientHello is never ACKed, the client
    # retransmits it with backoff until the capture ends (SPEC 6.1.11).
    # Last of all: the orphaned client socket keeps retransmitting for minutes
    # and would show up in any capture made after it.
    ip netns exec $NS $PY "$GEN/silent_server.py" 198.51.100.42 25 >/dev/null 2>&1 &
    PIPIDS=$!; PIDS+=($!)
    ip netns exec $NS iptables -A INPUT -d 198.51.100.42 -p tcp --dport 25 \
      -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0>>24=0x16" -j DROP
    sleep 0.5
    cap incomplete-server-no-ack-after-clienthello -- "$(pyc 198.51.100.42 25 40222 starttls) & echo \$! > $W/noack-client.pid; sleep 8"
    kill "$(cat "$W/noack-client.pid")" 2>/dev/null || true
    # both kernels keep retransmitting for this connection for minutes (the
    # orphaned client socket, the silent server's unanswered FIN); keep that
    # off the wire of every later capture, at each side's output
    ip netns exec $NC iptables -A OUTPUT -d 198.51.100.42 -p tcp --sport 40222 -j DROP
    ip netns exec $NS iptables -A OUTPUT -s 198.51.100.42 -p tcp --dport 40222 -j DROP
    sleep 1
  fi
  return 0
}

# ---------------------------------------------------------------- no SMTP (SPEC 9.1)
# Connections to a mail port that never became an SMTP conversation: a SYN
# answered by a reset (a firewall's tcp-reset reject), SYNs never answered
# (dropped), and a connection on which neither side sent a byte (the server
# accepts and stays silent, the client gives up). Each uses its own server
# address (.60-.62, which nothing else uses: the MTA-log scenarios have
# .47/.48) so the rules do not touch the other scenarios, and each leaves
# nothing behind on the wire for the captures after it.
TCPC="import socket,sys,time
s=socket.socket(); s.settimeout(float(sys.argv[3]))
s.bind(('192.0.2.10', int(sys.argv[4])))
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); time.sleep(1)
except OSError as e:
    print(e)
s.close()"
run_not_smtp_scenarios() {
  local want=" $* "
  sel() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }
  if sel not-smtp-tcp-refused; then
    ip -n $NS addr add 198.51.100.60/24 dev s0 2>/dev/null || true
    ip netns exec $NS iptables -A INPUT -d 198.51.100.60 -p tcp --dport 25 -j REJECT --reject-with tcp-reset
    cap not-smtp-tcp-refused -- "ip netns exec $NC $PY -c \"\$TCPC\" 198.51.100.60 25 5 40301"
  fi
  if sel not-smtp-tcp-no-answer; then
    ip -n $NS addr add 198.51.100.61/24 dev s0 2>/dev/null || true
    ip netns exec $NS iptables -A INPUT -d 198.51.100.61 -p tcp --dport 25 -j DROP
    cap not-smtp-tcp-no-answer -- "ip netns exec $NC $PY -c \"\$TCPC\" 198.51.100.61 25 4 40302"
  fi
  if sel not-smtp-no-payload; then
    ip -n $NS addr add 198.51.100.62/24 dev s0 2>/dev/null || true
    ip netns exec $NS $PY -c "import socket,time
l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('198.51.100.62', 25)); l.listen(4)
c,_=l.accept(); time.sleep(30)" >/dev/null 2>&1 &
    local silent=$!
    PIDS+=($silent)
    sleep 0.5
    cap not-smtp-no-payload -- "ip netns exec $NC $PY -c \"\$TCPC\" 198.51.100.62 25 5 40303"
    # its close must not land in the next capture
    kill $silent 2>/dev/null || true
    sleep 1
  fi
  return 0
}
export TCPC

# ---------------------------------------------------------------- trust (SPEC 9.2)
# A complete, valid chain to the lab root, rejected by a client given
# another CA file: the client's trust store is what is out of date. The lab
# root of the run is kept beside the capture (NAME.root.pem) so the
# expectation can name it with --ca-file as the "public" store.
run_trust_scenarios() {
  local want=" $* "
  sel() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }
  local n=fail-cert-client-store-outdated-tls12-exim-gnutls
  if sel $n; then
    cap $n -- "$(gtls 198.51.100.26 --priority NORMAL:-VERS-TLS1.3 --x509cafile=$P/selfsigned.crt)"
    cp "$P/root.crt" "$OUT/$n.root.pem"
  fi
  return 0
}

# ---------------------------------------------------------------- main
mkdir -p "$W"
install_exim
install_sendmail
build_stacks
"$GEN/pki.sh" "$P" >/dev/null
net_up
stacks_net
pf_server
pf_client
ex_server
start_stacks "$@"
sleep 2
run_scenarios "$@"
run_not_smtp_scenarios "$@"
run_trust_scenarios "$@"
# the MTA-log scenarios (pcaps/gen/mtalogs.sh) keep the MTA's log beside the capture
. "$GEN/mtalogs.sh"
mta_scenarios "$@"
cleanup
trap - EXIT
# expectations are drafted from the new captures (wire fields by tshark, the
# verdicts and review notes from gen/verdicts.txt), then checked
names=$(cd "$OUT" && for f in *.pcap; do n=${f%.pcap}; if [ $# = 0 ] || [[ " $* " == *" $n "* ]]; then echo "$n"; fi; done)
# shellcheck disable=SC2086
$PY "$GEN/draft_expect.py" $names >/dev/null 2>&1
$PY "$GEN/index.py"
$PY "$OUT/check-expectations" | tail -1
log "done; captures in $OUT"
