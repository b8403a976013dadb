#!/usr/bin/env bash
# Run every tests/e2e/t_*.sh (or those named in KT_E2E_ONLY) against the
# binaries in $KT_BIN, each file in its own shell with its own scratch
# directory, so no file's variables, functions or leftovers reach another.
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP=$(mktemp -d /tmp/kt-e2e.XXXXXX)
chmod 755 "$TOP"
trap 'rm -rf "$TOP"' EXIT
KT_SRC=$(cd "$here/../.." && pwd)

# Unprivileged runs (uid 65534) must reach the binaries, profiles and
# fixtures they bind. From a checkout in a private directory (root's 0700
# home) they cannot: run the suite from a staged copy they can reach.
if [ "$(id -u)" -eq 0 ] && [ -z "${KT_STAGED:-}" ] && command -v setpriv > /dev/null &&
    ! setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
        'test -r "$1/profiles/seccomp-startup-safe.json" && test -x "$2/kiemthu-sandbox"' sh "$KT_SRC" "$KT_BIN"; then
    stage=$TOP/stage
    echo "# uid 65534 cannot reach $KT_SRC or $KT_BIN: running the suite from a copy in $stage"
    mkdir -p "$stage/src" "$stage/bin"
    tar -C "$KT_SRC" --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./out -cf - . |
        tar -C "$stage/src" -xf - || exit 1
    (cd "$KT_BIN" && find . -path ./obj -prune -o -type f -perm -u+x -print | tar -cf - -T -) |
        tar -C "$stage/bin" -xf - || exit 1
    chmod -R a+rX "$stage"
    KT_BIN=$stage/bin KT_STAGED=1 bash "$stage/src/tests/e2e/run.sh"
    exit $?
fi

files=()
if [ -n "${KT_E2E_ONLY:-}" ]; then
    for f in $KT_E2E_ONLY; do files+=("$here/$f"); done
else
    files=("$here"/t_*.sh)
fi
passed=0 failed=0 skipped=0
for t in "${files[@]}"; do
    name=$(basename "$t" .sh)
    echo "# $name.sh"
    mkdir -m 755 "$TOP/$name"
    T=$TOP/$name bash -c 'source "$1/lib.sh"; source "$2"; echo "$PASSED $FAILED $SKIPPED" > "$T/.counts"' \
        e2e "$here" "$t"
    if read -r p f s < "$TOP/$name/.counts" 2> /dev/null; then
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    else
        echo "not ok - $name.sh did not finish"
        failed=$((failed + 1))
    fi
done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
