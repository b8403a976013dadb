# lib.sh - tiny TAP-like harness for the end-to-end tests (sourced by run.sh).
# Each check prints "ok", "not ok" or "SKIPPED ... (why)"; run.sh prints the
# totals as "N passed, N failed, N skipped" and fails if anything failed.
: "${KT_BIN:?KT_BIN must point at the build directory}"
KT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUNDLE=$KT_BIN/kiemthu-bundle
VERIFY=$KT_BIN/kiemthu-verify
FIXKEYS=$KT_SRC/fixtures/keys
PASSED=0 FAILED=0 SKIPPED=0

ok()      { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok()  { FAILED=$((FAILED + 1)); echo "not ok - $*"; [ -s "$T/err" ] && sed 's/^/#   stderr: /' "$T/err" | head -5; [ -s "$T/out" ] && sed 's/^/#   stdout: /' "$T/out" | head -5; return 0; }
skip()    { SKIPPED=$((SKIPPED + 1)); echo "SKIPPED - $*"; }

# run CMD...: run it, keep stdout/stderr in $T/out, $T/err and status in RC.
run() { "$@" > "$T/out" 2> "$T/err"; RC=$?; }

# expect WANT_RC DESC CMD...: run and check the exit status.
expect() {
    local want=$1 desc=$2; shift 2
    run "$@"
    if [ "$RC" -eq "$want" ]; then ok "$desc"; else not_ok "$desc (exit $RC, want $want)"; fi
}

# expect_msg WANT_RC REGEX DESC CMD...: status and a message on stdout/stderr.
expect_msg() {
    local want=$1 re=$2 desc=$3; shift 3
    run "$@"
    if [ "$RC" -ne "$want" ]; then not_ok "$desc (exit $RC, want $want)"; return; fi
    if cat "$T/out" "$T/err" | grep -qE -- "$re"; then ok "$desc"; else not_ok "$desc (no /$re/ in output)"; fi
}

check() { # check DESC CMD...: passes when CMD succeeds
    local desc=$1; shift
    if "$@" > /dev/null 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

newdir() { local d; d=$(mktemp -d "$T/d.XXXXXX"); chmod 755 "$d"; echo "$d"; }

seckey() { # seckey NAME FIXTURE: a 0600 copy of a committed test key
    cp "$FIXKEYS/$2" "$T/$1"; chmod 600 "$T/$1"; echo "$T/$1"
}

make_evidence() { # make_evidence DIR: a small evidence folder
    mkdir -p "$1/runs/probe/strict" "$1/runs/probe/startup-safe" "$1/tests" "$1/profiles"
    echo '{"ci":"local"}' > "$1/venue.json"
    printf 'operation not permitted\n' > "$1/runs/probe/strict/stderr"
    : > "$1/runs/probe/startup-safe/stderr"
    echo '{"started":true,"exit_code":0}' > "$1/runs/probe/startup-safe/run.json"
    head -c 70000 /dev/urandom > "$1/tests/junit.xml"
    cp "$KT_SRC/tests/fixtures/moby-default-seccomp.json" "$1/profiles/"
}

# resign_bundle IN OUT KEY PUB EDIT...: IN with its manifest.json changed by the command
# EDIT... (given the file's path as its last argument), signed again with KEY (PUB its public
# half) and rebuilt with GNU tar as OUT: what the key's holder, or another tool, could make.
resign_bundle() {
    local in=$1 out=$2 key=$3 pub=$4; shift 4
    local F; F=$(newdir); tar -xf "$in" -C "$F"
    "$@" "$F/manifest.json" || return 1
    local type='application/vnd.in-toto+json'
    { printf 'DSSEv1 %s %s %s ' "${#type}" "$type" "$(wc -c < "$F/manifest.json")"; cat "$F/manifest.json"; } > "$T/pae"
    openssl pkeyutl -sign -inkey "$key" -rawin -in "$T/pae" -out "$T/sig" 2> /dev/null
    local keyid; keyid=$(openssl pkey -pubin -in "$pub" -outform DER | sha256sum | cut -d' ' -f1)
    printf '{"payload":"%s","payloadType":"%s","signatures":[{"keyid":"%s","sig":"%s"}]}\n' \
        "$(base64 -w0 < "$F/manifest.json")" "$type" "$keyid" "$(base64 -w0 < "$T/sig")" > "$F/manifest.dsse.json"
    local sde; sde=$(sed -n 's/.*"sourceDateEpoch":\([0-9]*\).*/\1/p' "$F/manifest.json")
    (cd "$F" && tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 --mtime="@$sde" -b1 \
        --no-recursion -cf "$out" $(tar -tf "$in"))
    local rc=$?
    rm -rf "$F"
    return $rc
}

is_root() { [ "$(id -u)" -eq 0 ]; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

b4_only_policy() { # b4_only_policy OUT [ID...]: the shipped policy's B4' and profile checks only, less IDs
    /usr/bin/python3 - "$KT_SRC/profiles/policy.json" "$@" << 'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["checks"] = [c for c in p["checks"] if c["id"].startswith(("b4-", "profile-")) and c["id"] not in sys.argv[3:]]
json.dump(p, open(sys.argv[2], "w"))
PY
}

# A run that a regression could leave spinning: net_on PID SIGKILLs it after
# 60 s; net_wait PID waits for it (RC: its status; no "Alarm clock" from the
# shell) and takes the net down.
net_on() { ( sleep 60; kill -9 "$1" 2> /dev/null ) & NET=$!; }
net_wait() { { wait "$1"; } 2> /dev/null; RC=$?; kill "$NET" 2> /dev/null; wait "$NET" 2> /dev/null; }
# exec_with PYTHON CMD...: CMD exec'd from a process that ran PYTHON first
# (with os, signal, sys imported): what a parent leaves to the runner.
exec_with() {
    local pre=$1; shift
    /usr/bin/python3 -c "import os, signal, sys
$pre
os.execv(sys.argv[1], sys.argv[1:])" "$@"
}

jget() { # jget FILE PYEXPR: a Python expression over the JSON document d (strings raw, else JSON)
    /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" "$2" 2> /dev/null
}

# Host-wide state scoped to one sandbox run (parallel jobs must not break the
# assertions): the sandbox names its cgroups kiemthu-<its pid>-<attempt>.
# run_sb CMD...: like run, and SBPID is the sandbox's pid.
run_sb() { "$@" > "$T/out" 2> "$T/err" < /dev/null & SBPID=$!; wait "$SBPID"; RC=$?; }
own_cgroups() { # own_cgroups PID: that run's cgroups still present, in any hierarchy
    find /sys/fs/cgroup -maxdepth 6 -type d -name "kiemthu-$1-*" 2> /dev/null
}
own_procs() { # own_procs PID: processes still in that run's cgroups
    grep -l "/kiemthu-$1-" /proc/[0-9]*/cgroup 2> /dev/null | cut -d/ -f3
}
