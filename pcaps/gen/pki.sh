#!/bin/bash
# Build the lab PKI in $1: root CA -> intermediate -> server certs.
# Leaf certs: valid (mx.example.test + one name per server address role),
# expired, wrong-name, self-signed.  Expired dates need `openssl ca`
# (-startdate/-enddate); `openssl x509 -req` in OpenSSL 3.0 cannot backdate.
set -euo pipefail
D=$1
rm -rf "$D"; mkdir -p "$D"; cd "$D"
export OPENSSL_CONF=/dev/null   # no surprises from the system openssl.cnf

cat > ca.cnf <<'CNF'
[ca]
default_ca = ca_sect
[ca_sect]
dir = .
database = $dir/DB/index.txt
new_certs_dir = $dir/DB
serial = $dir/DB/serial
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = copy
email_in_dn = no
[pol]
commonName = supplied
organizationName = optional
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_int]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

newdb() { rm -rf DB; mkdir DB; : > DB/index.txt; echo 1000 > DB/serial; }
key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null; }

# root (self-signed, 10 years)
key root
openssl req -new -x509 -key root.key -subj "/O=Example Test Lab/CN=Example Test Root CA" \
  -days 3650 -sha256 -config ca.cnf -extensions v3_ca -out root.crt
# intermediate
key int
openssl req -new -key int.key -subj "/O=Example Test Lab/CN=Example Test Issuing CA" -out int.csr
newdb
openssl ca -batch -config ca.cnf -cert root.crt -keyfile root.key -extensions v3_int \
  -days 1825 -in int.csr -out int.crt -notext 2>/dev/null

leaf() { # name cn sans startdate enddate
  local n=$1 cn=$2 sans=$3 sd=$4 ed=$5
  key "$n"
  openssl req -new -key "$n.key" -subj "/O=Example Test Lab/CN=$cn" \
    -addext "subjectAltName=$sans" -out "$n.csr"
  openssl ca -batch -config ca.cnf -cert int.crt -keyfile int.key -extensions v3_leaf \
    -startdate "$sd" -enddate "$ed" -in "$n.csr" -out "$n.crt" -notext 2>/dev/null
  cat "$n.crt" int.crt > "$n.chain.pem"
}
NOW_S=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
LATER=$(date -u -d '+825 days' +%Y%m%d%H%M%SZ)
leaf valid   mx.example.test  "DNS:mx.example.test,DNS:mx2.example.test,DNS:mx6.example.test" "$NOW_S" "$LATER"
leaf expired mx.example.test  "DNS:mx.example.test" 20230101000000Z 20240101000000Z
leaf wrongname www.other.test "DNS:www.other.test"  "$NOW_S" "$LATER"
# valid past 2038 (GeneralizedTime): a 32-bit time_t would call it expired
leaf valid2050 mx.example.test "DNS:mx.example.test" "$NOW_S" 20500601120000Z
# self-signed leaf, not issued by the lab CA
key selfsigned
openssl req -new -x509 -key selfsigned.key -subj "/O=Self Signed/CN=mx.example.test" \
  -addext "subjectAltName=DNS:mx.example.test" -days 825 -sha256 -out selfsigned.crt
cp selfsigned.crt selfsigned.chain.pem
chmod 644 ./*.key ./*.crt ./*.pem
echo "PKI ready in $D"
