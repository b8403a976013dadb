#!/usr/bin/env bash
# Run every tests/e2e/t_*.sh against the binaries in $KT_BIN.
set -u
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/kt-e2e.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
source "$here/lib.sh"
for t in "$here"/t_*.sh; do
    echo "# $(basename "$t")"
    source "$t"
done
echo "e2e: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
