#!/bin/sh
# Install what starttls-inspect needs to build and test on Debian 12.
# One list, used by the README's first command and by .ci/run.
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake pkg-config \
	libpcap-dev libcmocka-dev libssl-dev zlib1g-dev \
	clang libclang-rt-14-dev \
	postfix swaks openssl iproute2 tcpreplay ethtool \
	python3 python3-jsonschema tshark tcpdump valgrind time \
	mandoc bash-completion \
	dpkg-dev debhelper lintian devscripts >/dev/null
