# Evidence without hand work (issue 15 item 4): kiemthu-sandbox puts the
# profiles it used (and the baseline) into the evidence folder, never over a
# different file; kiemthu-bundle venue writes venue.json from the CI's
# variables.
SANDBOX=$KT_BIN/kiemthu-sandbox
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
sha() { sha256sum < "$1" | cut -d' ' -f1; }

# ---- kiemthu-bundle venue (no sandbox needed) -------------------------------
V=$(newdir)
vrun() { run env -i PATH=/usr/bin:/bin "$@"; } # only the variables given
vrun GITHUB_ACTIONS=true GITHUB_REPOSITORY=acme/app GITHUB_RUN_ID=4242 GITHUB_RUN_ATTEMPT=2 GITHUB_SHA=0123abc \
    GITHUB_REF=refs/heads/main RUNNER_OS=Linux RUNNER_ARCH=X64 GITHUB_JOB=build "$BUNDLE" venue -o "$V/gh.json"
[ "$RC" -eq 0 ] && [ "$(cat "$V/gh.json")" = '{"ci":"github-actions","commit":"0123abc","job":"build","ref":"refs/heads/main","repository":"acme/app","run_attempt":"2","run_id":"4242","runner_arch":"X64","runner_os":"Linux"}' ] &&
    ok "venue: GitHub Actions from GITHUB_*/RUNNER_*, canonical JSON" || not_ok "venue github (exit $RC): $(cat "$V/gh.json" 2> /dev/null)"
vrun GITLAB_CI=true CI_PROJECT_PATH=g/p CI_PIPELINE_ID=77 CI_JOB_ID=9 CI_COMMIT_SHA=fed CI_COMMIT_REF_NAME=dev "$BUNDLE" venue -o "$V/gl.json"
[ "$(cat "$V/gl.json")" = '{"ci":"gitlab-ci","commit":"fed","job":"9","ref":"dev","repository":"g/p","run_id":"77"}' ] && ok "venue: GitLab CI from CI_*" || not_ok "venue gitlab: $(cat "$V/gl.json")"
vrun JENKINS_URL=https://ci.example/ BUILD_TAG=jenkins-app-5 GIT_COMMIT=c0ffee "$BUNDLE" venue -o "$V/jk.json"
[ "$(cat "$V/jk.json")" = '{"ci":"jenkins","commit":"c0ffee","run_id":"jenkins-app-5","server_url":"https://ci.example/"}' ] && ok "venue: Jenkins" || not_ok "venue jenkins: $(cat "$V/jk.json")"
vrun GITHUB_ACTIONS=false "$BUNDLE" venue -o "$V/local.json" --set commit=abc123 --set run_id=local-1
[ "$(cat "$V/local.json")" = '{"ci":"local","commit":"abc123","run_id":"local-1"}' ] && ok "venue: outside CI \"local\", --set adds fields" || not_ok "venue local: $(cat "$V/local.json")"
vrun GITHUB_ACTIONS=true GITHUB_SHA=aaa GITHUB_RUN_ID=1 "$BUNDLE" venue -o - --set commit=bbb
[ "$(cat "$T/out")" = '{"ci":"github-actions","commit":"bbb","run_id":"1"}' ] && ok "venue -o -: stdout; --set replaces a detected field" || not_ok "venue --set replace: $(cat "$T/out")"
vrun GITHUB_ACTIONS=true GITHUB_RUN_ID=1 GITHUB_REF="$(printf 'refs/heads/x\033[2J\033]0;t\007')" GITHUB_REPOSITORY="$(printf 'a\xffb')" "$BUNDLE" venue -o -
[ "$RC" -eq 0 ] && [ "$(cat "$T/out")" = '{"ci":"github-actions","run_id":"1"}' ] && ok "venue: a value with control bytes or invalid UTF-8 is left out" || not_ok "venue hostile values: $(od -c "$T/out" | head -3)"
expect_msg 73 'exists; the venue is written once' "venue -o an existing file: 73, not overwritten" "$BUNDLE" venue -o "$V/gh.json"
grep -q acme "$V/gh.json" && ok "the existing venue.json is unchanged" || not_ok "venue.json was overwritten"
echo keep > "$V/target"; ln -s target "$V/link.json"
expect 73 "venue -o a symbolic link: 73" "$BUNDLE" venue -o "$V/link.json"
[ "$(cat "$V/target")" = keep ] && ok "the link's target is untouched" || not_ok "venue wrote through a symlink"
expect_msg 64 'not ci' "venue --set ci=...: usage error (the CI is detected, not claimed)" "$BUNDLE" venue -o - --set ci=github-actions
expect_msg 64 'without control characters' "venue --set with a control byte: usage error" "$BUNDLE" venue -o - --set "k=$(printf 'a\033b')"
expect_msg 64 'KEY lower-case' "venue --set Bad-Key=x: usage error" "$BUNDLE" venue -o - --set Bad-Key=x
expect 64 "venue without -o: usage error" "$BUNDLE" venue
expect 73 "venue -o into a missing directory: 73" "$BUNDLE" venue -o "$V/nope/venue.json"
find "$V" -name '.*' -type f | grep -q . && not_ok "venue left a hidden temporary file" || ok "venue leaves no temporary file"
P=$(newdir)
echo '{"kiemthuPolicy":1,"name":"v","verdict":"all","checks":[{"id":"venue","type":"venue_fields","file":"venue.json","fields":["ci","run_id","commit"],"description":"where it ran"}]}' > "$P/policy.json"
E=$(newdir); cp "$V/gh.json" "$E/venue.json"
expect_msg 0 'verdict: PASS' "the written venue.json passes the shipped venue_fields check" "$BUNDLE" check-policy --policy "$P/policy.json" --evidence "$E"

# ---- kiemthu-sandbox puts its profiles into the evidence -------------------
if ! is_root && ! unshare -U true 2> /dev/null; then
    skip "profiles copied into the evidence (needs root or user namespaces)"
    return 0
fi
EV=$(newdir)/evidence
expect_msg 0 "the profiles used are in $EV/profiles/ \(3 new\)" "RECORD=EVIDENCE/runs/app: profiles and baseline copied, said on stderr" \
    "$SANDBOX" run -p "$STRICT" -p "$SAFE" --record "$EV/runs/app" -- /bin/true
cmp -s "$EV/profiles/seccomp-deny-by-default.json" "$STRICT" && cmp -s "$EV/profiles/seccomp-startup-safe.json" "$SAFE" &&
    cmp -s "$EV/profiles/kiemthu-baseline.json" "$KT_SRC/profiles/baseline.json" &&
    ok "EVIDENCE/profiles/: both profiles and kiemthu-baseline.json, byte for byte" || not_ok "profiles in the evidence: $(ls "$EV/profiles" 2>&1)"
[ "$(jget "$EV/runs/app/seccomp-startup-safe/run.json" "d['profile_sha256']")" = "$(sha "$EV/profiles/seccomp-startup-safe.json")" ] &&
    [ "$(jget "$EV/runs/app/seccomp-startup-safe/run.json" "d['baseline']['sha256']")" = "$(sha "$EV/profiles/kiemthu-baseline.json")" ] &&
    ok "their sha256 are run.json's profile_sha256 and baseline.sha256" || not_ok "sha256 mismatch with run.json"
expect_msg 0 '\(0 new\)' "a second run with the same profiles: kept, nothing rewritten" \
    "$SANDBOX" run -p "$SAFE" --record "$EV/runs/again" -- /bin/true
[ "$(ls "$EV/profiles" | tr '\n' ' ')" = "kiemthu-baseline.json seccomp-deny-by-default.json seccomp-startup-safe.json " ] &&
    ok "exactly those three files, no temporary left" || not_ok "profiles/: $(ls -A "$EV/profiles")"

# A different profile under a name already there: refused before anything runs.
D=$(newdir); /usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["syscalls"].append({"names":["getpid"],"action":"SCMP_ACT_ALLOW"}); json.dump(p, open(sys.argv[2],"w"))' "$SAFE" "$D/seccomp-startup-safe.json"
expect_msg 125 'seccomp-startup-safe.json exists and is not the profile this run used' "a different profile of the same name: 125, naming the file" \
    "$SANDBOX" run -p "$D/seccomp-startup-safe.json" --record "$EV/runs/other" -- /bin/true
cmp -s "$EV/profiles/seccomp-startup-safe.json" "$SAFE" && ok "the file already there is not overwritten" || not_ok "a profile in the evidence was overwritten"
[ -z "$(ls -A "$EV/runs/other" 2> /dev/null)" ] && ok "nothing ran (no attempt recorded)" || not_ok "an attempt ran despite the conflict"

# Links are never followed: profiles/ as a link, a profile file as a link.
L=$(newdir); mkdir -p "$L/ev/runs" "$L/elsewhere"; ln -s ../elsewhere "$L/ev/profiles"
expect 125 "EVIDENCE/profiles a symbolic link: refused" "$SANDBOX" run -p "$SAFE" --record "$L/ev/runs/x" -- /bin/true
[ -z "$(ls -A "$L/elsewhere")" ] && ok "nothing written through the link" || not_ok "wrote through a linked profiles/"
mkdir -p "$L/ev2/profiles"; cp "$SAFE" "$L/real.json"; ln -s ../../real.json "$L/ev2/profiles/seccomp-startup-safe.json"
expect 125 "EVIDENCE/profiles/NAME.json a symbolic link (even to the same bytes): refused" "$SANDBOX" run -p "$SAFE" --record "$L/ev2/runs/x" -- /bin/true

# --evidence DIR, explicit; no evidence folder when RECORD is not .../runs/X.
X=$(newdir)
expect 0 "--evidence DIR with the record elsewhere" "$SANDBOX" run -p "$SAFE" --baseline none --evidence "$X/ev" --record "$X/rec" -- /bin/true
[ "$(ls "$X/ev/profiles")" = seccomp-startup-safe.json ] && ok "--evidence: the profile (no baseline with --baseline none)" || not_ok "--evidence: $(ls "$X/ev/profiles" 2>&1)"
expect 0 "a record not under runs/" "$SANDBOX" run -p "$SAFE" --record "$X/plain/rec" -- /bin/true
[ ! -e "$X/plain/profiles" ] && [ ! -e "$X/profiles" ] && ! grep -q 'profiles used are in' "$T/err" && ok "...copies nothing and says nothing" || not_ok "profiles copied without an evidence folder"
cp "$KT_SRC/profiles/baseline.json" "$X/my-base.json"
expect 0 "--baseline FILE" "$SANDBOX" run -p "$SAFE" --baseline "$X/my-base.json" --record "$X/ev3/runs/r" -- /bin/true
cmp -s "$X/ev3/profiles/my-base.json" "$X/my-base.json" && ok "--baseline FILE: copied under its own name" || not_ok "--baseline FILE copy: $(ls "$X/ev3/profiles")"

# The payload's /out may not land in the evidence: it would choose evidence.
expect_msg 64 'overlap; the payload.s files would be evidence it chose' "--out inside the evidence folder: usage error" \
    "$SANDBOX" run -p "$SAFE" --record "$X/ev4/runs/r" --out "$X/ev4/out" -- /bin/true
expect_msg 64 'overlap' "--out inside an explicit --evidence: usage error" \
    "$SANDBOX" run -p "$SAFE" --evidence "$X/ev5" --record "$X/rec5" --out "$X/ev5/out" -- /bin/true

# Runs in parallel share one folder: every one succeeds, one copy each.
PEV=$(newdir)/ev
pids=()
for i in 1 2 3 4; do "$SANDBOX" run -p "$STRICT" -p "$SAFE" --record "$PEV/runs/p$i" -- /bin/true > "$T/par$i" 2>&1 & pids+=($!); done
fails=0; for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
[ "$fails" -eq 0 ] && [ "$(ls -A "$PEV/profiles" | wc -l)" -eq 3 ] && cmp -s "$PEV/profiles/seccomp-startup-safe.json" "$SAFE" &&
    ok "4 runs at once into one evidence folder: all succeed, 3 files" || not_ok "parallel runs: $fails failed, $(ls -A "$PEV/profiles" | tr '\n' ' '): $(cat "$T"/par* | grep -v started | head -3)"
new=$(cat "$T"/par[1-4] | sed -n 's/.*profiles used are in .* (\([0-9]*\) new)$/\1/p' | awk '{ s += $1 } END { print s + 0 }')
[ "$new" = 3 ] && ! grep -q 'cannot create' "$T"/par[1-4] && ok "...each file written by exactly one of them (3 new in all), no error said" ||
    not_ok "parallel runs: $new new in all: $(grep -h 'cannot' "$T"/par[1-4] | head -2)"
