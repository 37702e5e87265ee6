# shellcheck shell=bash
#
# live_lab.sh - the network-namespace lab of the live tests (live.sh,
# service.sh): a veth pair between a client and a server namespace,
# Postfix with STARTTLS on $SRV (TLS 1.2 and up) and a STARTTLS that fails
# on $REFUSE, and the clients that talk to it. Source it after setting
# NS NC (namespaces), VC VS (veth ends), SRV REFUSE CLI (addresses, in
# 198.18.0.0/24), PY and TOOLS; it sets W (a scratch directory) and the
# EXIT trap that removes it all. LAB_SKIP names the function called when
# namespaces cannot be made (default e2e_skip).

W=$(mktemp -d /tmp/sti-live.XXXXXX)
chmod 755 "$W"                   # postfix's own user walks into it
STI_PID= HOLD_PID=

cleanup() {
	[ -n "${KEEP:-}" ] && return   # KEEP=1: leave it all for a look
	[ -n "$STI_PID" ] && kill -9 "$STI_PID" 2>/dev/null
	[ -n "$HOLD_PID" ] && kill -9 "$HOLD_PID" 2>/dev/null
	ip netns exec $NS postfix -c "$W/pf" stop >/dev/null 2>&1
	[ -f "$W/pf/queue/pid/master.pid" ] &&
		kill "$(tr -d ' ' <"$W/pf/queue/pid/master.pid")" 2>/dev/null
	ip netns del $NS 2>/dev/null
	ip netns del $NC 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

net_up() {
	ip netns add $NS && ip netns add $NC || ${LAB_SKIP:-e2e_skip} "cannot create network namespaces"
	ip -n $NS link set lo up
	ip -n $NC link set lo up
	ip link add $VC netns $NC type veth peer name $VS netns $NS ||
		${LAB_SKIP:-e2e_skip} "cannot create a veth pair"
	ip -n $NC addr add $CLI/24 dev $VC
	ip -n $NS addr add $SRV/24 dev $VS
	ip -n $NS addr add $REFUSE/24 dev $VS
	ip -n $NC link set $VC up
	ip -n $NS link set $VS up
}

pki() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
		-subj /CN=mx.example.test >/dev/null 2>&1
}

# Postfix on $SRV with STARTTLS (TLS 1.2 and up), and on $REFUSE with a
# certificate that cannot be loaded, so that STARTTLS gets a 454.
postfix_up() {
	local d=$W/pf
	mkdir -p "$d/queue" "$d/data"
	chown postfix "$d/data"
	cat >"$d/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = discard:live
relay_transport = discard:live
local_transport = discard:live
inet_interfaces = all
inet_protocols = ipv4
mynetworks = 198.18.0.0/24
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = no
maillog_file = $d/maillog
maillog_file_prefixes = $d
smtpd_tls_chain_files = $W/key.pem, $W/cert.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
CF
	local S="inet  n       -       n       -       -       smtpd"
	cat >"$d/master.cf" <<CF
$SRV:smtp     $S
$REFUSE:smtp  $S -o smtpd_tls_chain_files= -o smtpd_tls_cert_file=$W/missing.pem -o smtpd_tls_key_file=$W/missing.key
CF
	grep -v '^#' "$STI_SRCDIR/pcaps/gen/postfix-services.cf" >>"$d/master.cf"
	ip netns exec $NS postfix -c "$d" start >"$W/postfix.out" 2>&1 </dev/null ||
		e2e_hard_error "postfix did not start: $(cat "$W/postfix.out")"
	for _ in $(seq 50); do
		ip netns exec $NC bash -c "exec 3<>/dev/tcp/$SRV/25" 2>/dev/null && return 0
		sleep 0.2
	done
	e2e_hard_error "postfix does not answer on $SRV:25"
}

# The real, effective, saved and file-system uid of a process, when they
# agree; "mixed" otherwise.
uid_of() {
	awk '/^Uid:/ { print ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : "mixed" }' \
		"/proc/$1/status" 2>/dev/null
}

running() { kill -0 "$STI_PID" 2>/dev/null; }

swaks_ok() {
	ip netns exec $NC timeout 20 swaks --server $SRV --port 25 --local-port 41001 \
		--helo client.example.test --from a@client.example.test \
		--to b@example.test --body x --tls >"$W/swaks.out" 2>&1
}

client_too_old() {
	(sleep 0.5; printf 'QUIT\r\n'; sleep 1) | ip netns exec $NC timeout 10 \
		openssl s_client -starttls smtp -connect $SRV:25 -crlf -ign_eof \
		-tls1 -cipher DEFAULT:@SECLEVEL=0 >"$W/ossl.out" 2>&1
}

# The namespaces, the certificate and Postfix, ready for a capture.
lab_setup() {
	net_up
	pki
	postfix_up
	sleep 1   # the readiness probe's connection is over before the capture
}
