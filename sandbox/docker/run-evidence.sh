#!/usr/bin/env bash
# run-evidence.sh - for CI that keeps the seed's `docker run`: run a payload
# with exactly the seed's deny-by-default flags under each profile (strictest
# first, like the seed's run_one()), and write the evidence layout kiemthu
# bundles (docs/RUN_RECORD.md).
#
#   [DOCKER=podman] run-evidence.sh --evidence DIR --run NAME --image IMAGE \
#                   --in DIR --out DIR --profile P.json [--profile P2.json]... [-- ARG...]
#
# Writes DIR/runs/NAME/<profile>/{run.json,stdout,stderr}, DIR/runs/NAME/ladder.json
# and copies the profiles to DIR/profiles/. In ARGs, {profile} becomes the
# attempt's profile file name (e.g. for `kiemthu-probe --profile /in/{profile}`
# with the profiles in --in). Exit: the payload's exit under the canonical
# profile; 125 if no profile let it start; 64 usage.
set -euo pipefail

usage() { sed -n '2,15p' "$0" >&2; exit 64; }
DOCKER=${DOCKER:-docker}
ev= run= image= in= out=
profiles=()
while [ $# -gt 0 ]; do
    case $1 in
    --evidence) ev=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --in) in=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --profile) profiles+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) usage ;;
    esac
done
[ -n "$ev" ] && [ -n "$run" ] && [ -n "$image" ] && [ -n "$in" ] && [ -n "$out" ] && [ ${#profiles[@]} -gt 0 ] || usage
args=("$@")
in=$(cd "$in" && pwd)
out=$(cd "$out" && pwd)
chmod 0777 "$out" # the payload runs as uid 65532 (the seed did the same)
mkdir -p "$ev/runs/$run" "$ev/profiles"

json_str() { # JSON string of $1 (control characters escaped; a byte that is not UTF-8 as the text \xNN)
    printf '%s' "$1" | /usr/bin/python3 -c 'import json, sys; sys.stdout.write(json.dumps(sys.stdin.buffer.read().decode("utf-8", "backslashreplace")))'
}
shown() { # $1 for a terminal, as kiemthu's escaper shows it (core/escape.h): printable ASCII, \\, \xNN, \u{XXXX}
    printf '%s' "$1" | /usr/bin/python3 -c 'import sys
s = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
e = lambda c: "\\\\" if c == "\\" else c if " " <= c <= "~" else "\\x%02x" % (ord(c) & 255) if ord(c) < 128 or 0xDC80 <= ord(c) <= 0xDCFF else "\\u{%04X}" % ord(c)
sys.stdout.write("".join(map(e, s)))'
}

# Podman mounts tmpfs at /run, /var/tmp and /tmp with --read-only unless told
# not to; Docker does not. Same semantics as the seed's Docker, so: off.
extra=()
case $($DOCKER --version 2> /dev/null) in podman*) extra=(--read-only-tmpfs=false) ;; esac
runtime=$($DOCKER info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Version}}' 2> /dev/null | head -1 ||
    $DOCKER info --format '{{.DefaultRuntime}}' 2> /dev/null | head -1 || true)

digest=$($DOCKER inspect --format '{{index .RepoDigests 0}}' "$image" 2> /dev/null |
    sed -n 's/.*@\(sha256:[0-9a-f]*\)$/\1/p')
[ -n "$digest" ] || digest=$($DOCKER inspect --format '{{.Id}}' "$image")
case $digest in sha256:*) ;; *) digest=sha256:$digest ;; esac

# Did the payload start? Exit codes cannot tell (runc <= 1.1 exits 1 when
# its exec is denied, as a payload may): the runtime's own exec-failure
# message decides, it must be all the attempt printed, and only under a
# profile that denies execve (denies_exec below): elsewhere the payload may
# have printed it.
#   runc <= 1.1: stderr is exactly "exec PATH: operation not permitted", exit 1
#   runc >= 1.2: "... unable to start container process: ... exec ...: operation not permitted", exit 255
#   crun:        {"msg":"exec container process `PATH`: Operation not permitted",...}
#   docker/podman's own failures: exit 125/126/127 with "Error: ..." / "docker: ..." naming the OCI runtime
not_started_rule() { # not_started_rule RC DIR: print the matched rule, or nothing
    local rc=$1 dir=$2
    local LC_ALL=C # bytes: in a UTF-8 locale [^ ] matches no byte that is not UTF-8 (a path the image chose)
    export LC_ALL
    [ -s "$dir/stdout" ] && return 0
    local lines; lines=$(grep -c '' "$dir/stderr" || true)
    if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qxE 'exec [^ ]+: operation not permitted' "$dir/stderr"; then
        echo "runc<=1.1: exec PATH: operation not permitted, exit 1"
    elif [ "$rc" -eq 255 ] && grep -qE 'unable to start container process: .*exec.*: operation not permitted' "$dir/stderr"; then
        echo "runc>=1.2: unable to start container process: exec: operation not permitted, exit 255"
    elif grep -qE '^\{"msg":"exec container process `[^`]*`: Operation not permitted"' "$dir/stderr" ||
        grep -qE '^(Error: )?(OCI runtime error: )?crun: exec container process `[^`]*`: Operation not permitted' "$dir/stderr"; then
        echo "crun: exec container process: Operation not permitted, exit $rc"
    elif [ "$rc" -ge 125 ] && [ "$rc" -le 127 ] && grep -qE '^(Error|docker): .*(OCI|runc|crun)' "$dir/stderr"; then
        echo "$DOCKER: the runtime could not start the container, exit $rc"
    fi
}

# Whether a profile certainly denies execve (and execveat): then the payload cannot have
# started under it, and whatever the attempt printed is the runtime's. Under
# a profile that lets execve through (or might: a conditional or gated allow
# rule, an action this does not know) the payload ran and could have written
# the runtime's message itself, so the message decides nothing there.
denies_exec() { # denies_exec PROFILE: exit 0 if every execve and execveat is denied
    /usr/bin/python3 - "$1" << 'PY'
import json, sys
deny = {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"}
# The runtime reads the profile with Go's encoding/json, which also takes a
# key in another letter case ("DefaultAction", "Args") and the last of two
# equal keys: anything this reads differently from it is not certain.
top = {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags",
       "listenerPath", "listenerMetadata"}
rule_keys = {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"}
def pairs(kv):
    keys = [k for k, _ in kv]
    if len({k.lower() for k in keys}) != len(keys):
        raise ValueError("a key given twice, in any letter case")
    return dict(kv)
try:
    p = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=pairs)
    rules = p.get("syscalls") or []
    if set(p) - top or not isinstance(rules, list) or any(not isinstance(r, dict) or set(r) - rule_keys for r in rules):
        sys.exit(1)
    def names(r):
        n = r.get("names") or []
        if not isinstance(n, list) or not all(isinstance(x, str) for x in n) or not isinstance(r.get("name", ""), str):
            raise ValueError("names")
        return n + ([r["name"]] if "name" in r else [])
    plain = lambda r: not r.get("args") and not r.get("includes") and not r.get("excludes")
    for call in ("execve", "execveat"):
        rs = [r for r in rules if call in names(r)]
        if any(r.get("action") not in deny for r in rs):
            sys.exit(1)  # an allow (or unknown) rule for it, whatever its conditions
        if p.get("defaultAction") not in deny and not any(plain(r) for r in rs):
            sys.exit(1)
    sys.exit(0)
except Exception:
    sys.exit(1)
PY
}

canonical=
attempts=
rc_canonical=125
for p in "${profiles[@]}"; do
    name=$(basename "$p" .json)
    cp "$p" "$ev/profiles/"
    dir=$ev/runs/$run/$name
    sha=$(sha256sum < "$p" | cut -d' ' -f1)
    if [ -n "$canonical" ]; then
        attempts+="${attempts:+,}{\"attempted\":false,\"outcome\":\"not tried (a stricter profile started)\",\"profile\":\"$name\",\"profile_sha256\":\"$sha\",\"started\":false}"
        continue
    fi
    mkdir -p "$dir"
    pargs=()
    for a in ${args[@]+"${args[@]}"}; do pargs+=("${a//\{profile\}/$name.json}"); done
    cmd=("$DOCKER" run --rm --name "kiemthu-$run-$name-$$" ${extra[@]+"${extra[@]}"}
        --network none --user 65532:65532 --read-only
        --tmpfs /tmp:rw,noexec,nosuid,nodev,size=16m
        --cap-drop ALL --security-opt no-new-privileges
        --security-opt "seccomp=$p"
        --pids-limit 64 --memory 256m --memory-swap 256m --cpus 1
        --env-file /dev/null
        -v "$in":/in:ro -v "$out":/out:rw
        "$image" ${pargs[@]+"${pargs[@]}"})
    start=$(date +%s%3N)
    set +e
    "${cmd[@]}" > "$dir/stdout" 2> "$dir/stderr"
    rc=$?
    set -e
    dur=$(( $(date +%s%3N) - start ))
    rule=$(not_started_rule "$rc" "$dir")
    ignored=null
    if [ -n "$rule" ] && ! denies_exec "$ev/profiles/$(basename "$p")"; then # the copy made before the run
        ignored=$(json_str "$rule (the profile lets execve through: the payload could have written it)")
        rule=
    fi
    if [ -n "$rule" ]; then
        started=false exit_code=null
        outcome="not started: $(head -c 200 "$dir/stderr" | tr '\n' ' ' | sed 's/ *$//')"
        why=$(json_str "$rule")
    else
        started=true exit_code=$rc outcome="started, exit $rc" why=null
        canonical=$name rc_canonical=$rc
    fi
    argv=$(for a in ${pargs[@]+"${pargs[@]}"}; do json_str "$a"; printf ','; done | sed 's/,$//')
    rargv=$(for a in "${cmd[@]}"; do json_str "$a"; printf ','; done | sed 's/,$//')
    unk='"events":{},"hit":null,"hit_unknown":"run-evidence.sh does not read the container runtime'"'"'s cgroup counters"'
    lim() { printf '"%s":{"enforced_by":"%s",%s,"unit":"%s","value":%s}' "$1" "$DOCKER" "$unk" "$2" "$3"; }
    cat > "$dir/run.json" << JSON
{"argv":[$argv],"duration_ms":$dur,"exit_code":$exit_code,"image_digest":"$digest","image_kind":"docker-image","limits":{$(lim cpus millicpus 1000),$(lim memory bytes 268435456),$(lim memory_swap bytes 268435456),$(lim pids tasks 64)},"not_started_rule":$why,"not_started_rule_ignored":$ignored,"outcome":$(json_str "$outcome"),"profile":"$name","profile_sha256":"$sha","runtime":$(json_str "$DOCKER${runtime:+ + $runtime}"),"runtime_argv":[$rargv],"runtime_exit_code":$rc,"schema":1,"signal":null,"started":$started,"timed_out":false,"tool":"run-evidence.sh ($DOCKER run)"}
JSON
    attempts+="${attempts:+,}{\"attempted\":true,\"outcome\":$(json_str "$outcome"),\"profile\":\"$name\",\"profile_sha256\":\"$sha\",\"started\":$started}"
    echo "run-evidence: $(shown "$run/$name: $outcome")" >&2
done
printf '{"attempts":[%s],"canonical":%s,"rule":"the first profile, strictest first, under which the payload started","schema":1}\n' \
    "$attempts" "$([ -n "$canonical" ] && printf '"%s"' "$canonical" || echo null)" > "$ev/runs/$run/ladder.json"
exit $rc_canonical
