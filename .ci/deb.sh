#!/usr/bin/env bash
# Build the Debian package from the release tarball, check it with lintian
# and hardening-check, install it on this machine, run the installed program
# on a fixture, then remove it again.
#   .ci/deb.sh TARBALL       (the tarball that make distcheck made)
# Everything is built under _ci/deb: dpkg-buildpackage writes its results
# into the parent of the tree it builds, never into the checkout.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$top/_ci/deb
fixture=$top/pcaps/fail-mta-client-too-old-postfix-tls10.pcap

rm -rf "$work"
mkdir -p "$work"
tar -xzf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'starttls-inspect-*')
cp -r "$top/debian" "$src/"
# The upstream tarball under the name the 3.0 (quilt) format expects.
version=${src##*/starttls-inspect-}
cp "$tarball" "$work/starttls-inspect_$version.orig.tar.gz"

echo "=== deb: dpkg-buildpackage -us -uc -b"
# The test suite already ran three times (gcc, sanitizers, distcheck).
if ! (cd "$src" && DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck \
	dpkg-buildpackage -us -uc -b) >"$work/build.out" 2>&1; then
	tail -40 "$work/build.out"
	exit 1
fi
deb=$(find "$work" -maxdepth 1 -name 'starttls-inspect_*.deb')
changes=$(find "$work" -maxdepth 1 -name 'starttls-inspect_*.changes')
dpkg-deb --info "$deb" | grep -E '^ (Package|Version|Depends):'
dpkg-deb --contents "$deb" | awk '{ print "   " $6 }' | grep -v '/$'

echo "=== deb: lintian"
lintian --fail-on error --display-info "$changes"

echo "=== deb: hardening-check"
# Every feature dpkg-buildflags gives on Debian 12 (hardening=+all in
# debian/rules); it does not ask for control-flow protection.
hardening-check --nocfprotection "$src/debian/starttls-inspect/usr/bin/starttls-inspect"

echo "=== deb: install and run"
apt-get install -y -qq "$deb" >"$work/install.out" 2>&1 || {
	cat "$work/install.out"; exit 1; }
status=0
check() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: expected '$2', got '$3'"
		status=1
	fi
}
check "installed binary" /usr/bin/starttls-inspect "$(command -v starttls-inspect)"
rc=0
/usr/bin/starttls-inspect --json "$fixture" >"$work/run.json" || rc=$?
check "exit status on a failed session" 1 "$rc"
# Two sessions, both the client's TLS 1.0 against a server requiring 1.2.
check "verdicts" '2 "verdict.outcome":"failed","verdict.cause":"client","verdict.reason":"client_version_too_low"' \
	"$(grep -o '"verdict.outcome":"[a-z_]*","verdict.cause":"[a-z_]*","verdict.reason":"[a-z_]*"' \
		"$work/run.json" | uniq -c | sed 's/^ *//')"
# And every fixture against its expectations, as tests/e2e/fixtures.tap does
# for the built binary.
if python3 "$top/tests/e2e/expectations.py" /usr/bin/starttls-inspect \
	"$top"/pcaps/*.expect >"$work/fixtures.out" 2>&1; then
	echo "ok: fixtures: $(tail -n 1 "$work/fixtures.out")"
else
	grep -v '^PASS' "$work/fixtures.out"
	echo "FAIL: fixtures"
	status=1
fi
check "man page" /usr/share/man/man1/starttls-inspect.1.gz "$(man -w starttls-inspect)"
check "man page names the installed schema" yes \
	"$(zgrep -q '^\.It Pa /usr/share/starttls-inspect/starttls-inspect.schema.json$' \
		/usr/share/man/man1/starttls-inspect.1.gz && echo yes || echo no)"
for f in /usr/share/starttls-inspect/starttls-inspect.schema.json \
	/usr/share/starttls-inspect/database.md \
	/usr/share/bash-completion/completions/starttls-inspect \
	/lib/systemd/system/starttls-inspect@.service \
	/etc/default/starttls-inspect /etc/logrotate.d/starttls-inspect \
	/usr/share/doc/starttls-inspect/examples/index-template.json; do
	check "$f" yes "$([ -f "$f" ] && echo yes || echo no)"
done
# The gateway service (SPEC 9.6): installed, not enabled; the unit and the
# logrotate snippet as the installed tools read them.
check "unit not enabled" no \
	"$([ -e /etc/systemd/system/multi-user.target.wants/starttls-inspect@.service ] && echo yes || echo no)"
if command -v systemd-analyze >/dev/null 2>&1; then
	check "systemd-analyze verify" "0" \
		"$(systemd-analyze verify --man=no starttls-inspect@eth0.service >"$work/verify.out" 2>&1; echo $?)"
	cat "$work/verify.out"
fi
if command -v logrotate >/dev/null 2>&1; then
	check "logrotate reads the snippet" 0 \
		"$(logrotate -d /etc/logrotate.d/starttls-inspect >"$work/logrotate.out" 2>&1; echo $?)"
fi

apt-get purge -y -qq starttls-inspect >/dev/null 2>&1
check "removed" "" "$(command -v starttls-inspect || true)"
exit $status
