#!/bin/sh
# mktsa.sh DIR NAME [CA_DIR]: a test PKI with the openssl CLI.
#   Without CA_DIR: DIR/ca.key, DIR/ca.crt, a CA (basicConstraints CA:true).
#   With CA_DIR: a TSA signed by CA_DIR's CA: DIR/tsa.key, DIR/tsa.crt
#   (extendedKeyUsage critical timeStamping), DIR/chain.pem (the CA),
#   DIR/tsa.cnf and DIR/serial for `openssl ts -reply` (tests/helpers/tsa-server.py).
set -eu
dir=$1 name=$2
mkdir -p "$dir"
if [ $# -lt 3 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" \
        -out "$dir/ca.crt" -subj "/CN=$name" -days 3650 \
        -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
    exit 0
fi
ca=$3
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/tsa.key" \
    -out "$dir/tsa.csr" -subj "/CN=$name" 2> /dev/null
printf 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:false\n' > "$dir/ext"
openssl x509 -req -in "$dir/tsa.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial \
    -days 365 -extfile "$dir/ext" -out "$dir/tsa.crt" 2> /dev/null
cp "$ca/ca.crt" "$dir/chain.pem"
echo 01 > "$dir/serial"
cat > "$dir/tsa.cnf" << CNF
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = $dir
serial = \$dir/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
