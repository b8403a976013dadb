#!/bin/sh
# make-stamped-fixture.sh KT_BIN: (re)make fixtures/golden/stamped.tar (the
# sample evidence signed by both test keys, time-stamped by a throw-away test
# TSA) and fixtures/golden/stamped-tsa-ca.crt (that TSA's CA, to pin). A token
# holds the time it was made, so this bundle is a fixture, not a golden
# output: test_tsa reads it (every byte of the token changed, each refused).
set -eu
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2> /dev/null) 2> /dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
sh "$src/tests/helpers/mktsa.sh" "$work/ca" "kiemthu fixture CA"
sh "$src/tests/helpers/mktsa.sh" "$work/tsa" "kiemthu fixture TSA" "$work/ca"
/usr/bin/python3 "$src/tests/helpers/tsa-server.py" "$work/tsa" "$work/port" ok $$ & echo $! > "$work/pid"
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
for k in test-ed25519 test-other; do cp "$src/fixtures/keys/$k.key" "$work/$k.key"; chmod 600 "$work/$k.key"; done
SOURCE_DATE_EPOCH=1718000000 "$bin/kiemthu-bundle" create -q -e "$src/fixtures/sample-evidence" \
    -k "$work/test-ed25519.key" -k "$work/test-other.key" --tsa "http://127.0.0.1:$(cat "$work/port")" \
    -o "$src/fixtures/golden/stamped.tar" > /dev/null
cp "$work/ca/ca.crt" "$src/fixtures/golden/stamped-tsa-ca.crt"
echo "wrote fixtures/golden/stamped.tar and stamped-tsa-ca.crt"
