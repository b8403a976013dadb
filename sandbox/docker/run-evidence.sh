#!/usr/bin/env bash
# run-evidence.sh - for CI that keeps the seed's `docker run`: run a payload
# with exactly the seed's deny-by-default flags under each profile (strictest
# first, like the seed's run_one()), and write the evidence layout kiemthu
# bundles (docs/RUN_RECORD.md, with "enforced_by": "docker").
#
#   run-evidence.sh --evidence DIR --run NAME --image IMAGE --in DIR --out DIR \
#                   --profile P.json [--profile P2.json]... [-- ARG...]
#
# Writes DIR/runs/NAME/<profile>/{run.json,stdout,stderr}, DIR/runs/NAME/ladder.json
# and copies the profiles to DIR/profiles/. Exit: the payload's exit under the
# canonical profile; 125 if no profile let it start.
set -euo pipefail

usage() { sed -n '2,13p' "$0" >&2; exit 64; }
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

json_str() { # JSON string of $1
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$image" 2> /dev/null |
    sed -n 's/.*@\(sha256:[0-9a-f]*\)$/\1/p')
[ -n "$digest" ] || digest=$(docker inspect --format '{{.Id}}' "$image")

canonical=
attempts=
rc_canonical=125
for p in "${profiles[@]}"; do
    name=$(basename "$p" .json)
    cp "$p" "$ev/profiles/"
    dir=$ev/runs/$run/$name
    if [ -n "$canonical" ]; then
        attempts+="${attempts:+,}{\"attempted\":false,\"outcome\":\"not tried (a stricter profile started)\",\"profile\":\"$name\",\"started\":false}"
        continue
    fi
    mkdir -p "$dir"
    start=$(date +%s%3N)
    set +e
    docker run --rm --name "kiemthu-$run-$name-$$" \
        --network none --user 65532:65532 --read-only \
        --tmpfs /tmp:rw,noexec,nosuid,nodev,size=16m \
        --cap-drop ALL --security-opt no-new-privileges \
        --security-opt "seccomp=$p" \
        --pids-limit 64 --memory 256m --memory-swap 256m --cpus 1 \
        --env-file /dev/null \
        -v "$in":/in:ro -v "$out":/out:rw \
        "$image" "${args[@]}" > "$dir/stdout" 2> "$dir/stderr"
    rc=$?
    set -e
    dur=$(( $(date +%s%3N) - start ))
    # Docker's convention: 125 the daemon/runtime could not create or start
    # the container (a filter that denies execve ends here), 126 the command
    # could not be invoked, 127 not found. Anything else: it ran.
    if [ $rc -eq 125 ] || [ $rc -eq 126 ] || [ $rc -eq 127 ]; then
        started=false exit_code=null outcome="not started: docker run exited $rc: $(head -c 200 "$dir/stderr" | tr '\n' ' ')"
    else
        started=true exit_code=$rc outcome="started, exit $rc"
        canonical=$name rc_canonical=$rc
    fi
    sha=$(sha256sum < "$p" | cut -d' ' -f1)
    argv=$(for a in "${args[@]}"; do json_str "$a"; printf ','; done | sed 's/,$//')
    cat > "$dir/run.json" << JSON
{"argv":[$argv],"duration_ms":$dur,"exit_code":$exit_code,"image_digest":"$digest","image_kind":"docker-image","limits":{"cpus":{"enforced_by":"docker","unit":"millicpus","value":1000},"memory":{"enforced_by":"docker","unit":"bytes","value":268435456},"memory_swap":{"enforced_by":"docker","unit":"bytes","value":268435456},"pids":{"enforced_by":"docker","unit":"tasks","value":64}},"outcome":$(json_str "$outcome"),"profile":"$name","profile_sha256":"$sha","schema":1,"signal":null,"started":$started,"timed_out":false,"tool":"run-evidence.sh (docker run)"}
JSON
    attempts+="${attempts:+,}{\"attempted\":true,\"outcome\":$(json_str "$outcome"),\"profile\":\"$name\",\"started\":$started}"
    echo "run-evidence: $run/$name: $outcome" >&2
done
printf '{"attempts":[%s],"canonical":%s,"rule":"the first profile, strictest first, under which the payload started","schema":1}\n' \
    "$attempts" "$([ -n "$canonical" ] && printf '"%s"' "$canonical" || echo null)" > "$ev/runs/$run/ladder.json"
exit $rc_canonical
