# The workflow template for a user's own job (docs/ci/kiemthu-evidence.yml):
# its shape (the key only in the signing job, which receives only the
# evidence; uploads under if: always()), then its three jobs run here by
# tests/helpers/gha-run.py — a PASS bundle, a FAIL bundle still signed and
# uploaded, and what kiemthu-verify says of a zip.
WF=$KT_SRC/docs/ci/kiemthu-evidence.yml
PY=/usr/bin/python3
if ! "$PY" -c 'import yaml' 2> /dev/null; then
    skip "workflow template (needs python3-yaml)"
    return 0
fi

"$PY" - "$WF" "$KT_SRC/.ci/packages.txt" > "$T/shape" 2>&1 << 'PY'
import re, sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
jobs = wf["jobs"]
def say(ok, msg): print(("ok" if ok else "not ok") + " - " + msg)
say(list(jobs) == ["build", "evidence", "sign"], f"three jobs: build, evidence, sign ({list(jobs)})")
text = {n: yaml.safe_dump(j) for n, j in jobs.items()}
say(all("secrets." not in t for n, t in text.items() if n != "sign") and "secrets.KIEMTHU_SIGNING_KEY" in text["sign"],
    "the signing key is used in the sign job only")
dl = [s["with"]["name"] for s in jobs["sign"]["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
say(dl == ["evidence.tar"], f"the sign job receives the evidence and nothing else ({dl})")
runs = "\n".join(s.get("run", "") for s in jobs["sign"]["steps"])
uses_of_project = re.findall(r"[^\s]*project[^\s]*", runs)
say(set(uses_of_project) <= {"project", "project/policy.json", "project/ci.pub"},
    f"the sign job runs nothing of the project (it reads policy.json and ci.pub): {sorted(set(uses_of_project))}")
say("make -C kiemthu" in runs and "kiemthu/build/kiemthu-bundle create" in runs, "the sign job builds and uses its own kiemthu-bundle")
ups = [(n, s) for n, j in jobs.items() for s in j["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
say(all(s.get("if") == "always()" for n, s in ups if n != "build"), "evidence and bundle uploads run if: always()")
say(all(str(s["with"].get("archive")).lower() == "false" for n, s in ups), "every artifact is one file uploaded unzipped (archive: false)")
say(jobs["sign"].get("if") == "${{ !cancelled() }}", "the sign job runs when the evidence job failed (a failed run is evidence)")
ev_runs = "\n".join(s.get("run", "") for s in jobs["evidence"]["steps"])
say("kiemthu-sandbox run" in ev_runs and "|| rc=$?" in ev_runs, "the payload's exit status does not stop the evidence job")
say("zip" in open(sys.argv[1]).read() and "unzip" in open(sys.argv[1]).read(), "the template says upload-artifact zips and to unzip")
# What make demands before compiling (.ci/deps.sh --check: the compiler,
# pkg-config and every -dev package .ci/packages.txt lists) is what the
# template installs: a package added there must reach the template too.
pk = [l.strip() for l in open(sys.argv[2]) if l.strip()]
# (dpkg-dev is not one: it unpacks cJSON's source for the static sandbox, .ci/cjson-src.sh)
need = {p for p in pk if (p in ("build-essential", "pkg-config") or p.endswith("-dev"))
        and not p.startswith("libclang") and p != "dpkg-dev"}
have = set(wf["env"]["KIEMTHU_PACKAGES"].split())
say(need <= have, f"KIEMTHU_PACKAGES has every package make requires (missing: {sorted(need - have)})")
PY
while IFS= read -r line; do
    case $line in "ok - "*) ok "${line#ok - }" ;; "not ok - "*) not_ok "${line#not ok - }" ;; *) echo "# $line" ;; esac
done < "$T/shape"

if ! is_root || ! command -v git > /dev/null; then
    skip "running the workflow's jobs here (needs root for the sandbox's cgroups, as the template's sudo, and git)"
    return 0
fi
# The README's project as the user's repository, with ci.pub committed.
PROJ=$(newdir)
sh "$KT_SRC/tests/helpers/readme-blocks.sh" "$KT_SRC/README.md" "Use it on your own project" |
    awk '/^kiemthu-sandbox run/ { exit } { print }' > "$T/project.sh" # step 1: the project
(cd "$PROJ" && HOME=$PROJ bash -e "$T/project.sh") > /dev/null 2>&1
P=$PROJ/wordcount
sh "$KT_SRC/tests/helpers/readme-blocks.sh" "$KT_SRC/README.md" "Use it on your own project" |
    sed -n "/^pin() /,/^END\$/p" > "$T/policy.sh" # step 4: its policy (pins from kiemthu-sandbox profiles)
(cd "$P" && PATH=$KT_BIN:$PATH KIEMTHU_DATADIR=$KT_SRC bash -e "$T/policy.sh")
"$BUNDLE" keygen -o "$T/ci" > /dev/null && cp "$T/ci.pub" "$P/ci.pub"
git -C "$P" add -A && git -C "$P" -c user.name=ci -c user.email=ci@example.org commit -qm 'policy, ci.pub'
[ -f "$P/count.sh" ] && [ -f "$P/policy.json" ] && ok "the README's project as a git repository (count.sh, data/, policy.json, ci.pub)" ||
    not_ok "README project not made"

G=$(newdir)
host_had=$(ls -d /usr/local/bin/kiemthu-sandbox /usr/local/share/kiemthu 2> /dev/null | tr '\n' ' ')
run nice "$PY" "$KT_SRC/tests/helpers/gha-run.py" "$WF" "$G" "$P" "$KT_SRC" "KIEMTHU_SIGNING_KEY=$(cat "$T/ci.key")"
cp "$T/out" "$T/gha.out"
grep -E '^ *(ok|FAIL|skip) |^job ' "$T/gha.out" | sed 's/^/#   /' 
[ "$RC" -eq 0 ] && grep -q '^job sign: success' "$T/out" && ok "the three jobs succeed" || not_ok "workflow run (exit $RC): $(grep -E 'FAIL|failure' "$T/out" | head -3)"
[ "$(ls "$G/artifacts" | tr '\n' ' ')" = "bundle.tar dist.tar evidence.tar " ] && ok "artifacts: dist.tar, evidence.tar, bundle.tar, unzipped" || not_ok "artifacts: $(ls "$G/artifacts")"
expect_msg 0 '^PASS' "the uploaded bundle.tar verifies offline against ci.pub: PASS" "$VERIFY" "$G/artifacts/bundle.tar" --key "$T/ci.pub"
tar -xOf "$G/artifacts/bundle.tar" evidence/venue.json > "$T/venue.json" 2> /dev/null
[ "$(jget "$T/venue.json" "d['ci']")" = github-actions ] && [ "$(jget "$T/venue.json" "d['run_id']")" = 4242 ] &&
    [ "$(jget "$T/venue.json" "d['commit']")" = "$(git -C "$P" rev-parse HEAD)" ] && [ "$(jget "$T/venue.json" "d['job']")" = sign ] &&
    ok "venue.json in the bundle: the signing runner's GITHUB_* (ci, run_id, commit, job sign)" || not_ok "venue: $(cat "$T/venue.json")"
tar -tf "$G/artifacts/bundle.tar" | grep -q '^evidence/profiles/seccomp-startup-safe.json$' && ok "the profiles came with the evidence (the sandbox put them there)" || not_ok "no profiles in the bundle"
grep -q 'PASS' "$G/sign/summary.md" && ok "the job summary has the Markdown verdict" || not_ok "summary: $(head -3 "$G/sign/summary.md")"
grep -q 'total: 9 words' "$T/gha.out" && ok "the evidence job's log shows the program's output (--tee)" || not_ok "no --tee output in the log"
[ "$(ls -d /usr/local/bin/kiemthu-sandbox /usr/local/share/kiemthu 2> /dev/null | tr '\n' ' ')" = "$host_had" ] &&
    [ -x "$G/evidence/root/usr/local/bin/kiemthu-sandbox" ] && ok "make install went into the job's DESTDIR, nothing on this host" || not_ok "install location"

# A FAIL verdict: the bundle is still signed, verified and uploaded; the job fails.
sed -i 's/"equals": 9,/"equals": 10,/' "$P/policy.json"
git -C "$P" -c user.name=ci -c user.email=ci@example.org commit -qam 'expect 10 words'
"$PY" -c 'import sys, yaml; w = yaml.safe_load(open(sys.argv[1])); w["jobs"] = {"sign": w["jobs"]["sign"]}; del w["jobs"]["sign"]["needs"]; yaml.safe_dump(w, open(sys.argv[2], "w"))' "$WF" "$T/sign-only.yml"
G2=$(newdir); mkdir -p "$G2/artifacts"; cp "$G/artifacts/evidence.tar" "$G2/artifacts/"
run nice "$PY" "$KT_SRC/tests/helpers/gha-run.py" "$T/sign-only.yml" "$G2" "$P" "$KT_SRC" "KIEMTHU_SIGNING_KEY=$(cat "$T/ci.key")"
[ "$RC" -eq 1 ] && grep -q 'FAIL  sign: Fail the job on a FAIL verdict' "$T/out" && grep -q 'ok    sign: actions/upload-artifact' "$T/out" &&
    ok "FAIL verdict: the job fails at its last step, after bundle.tar was uploaded" || not_ok "FAIL path (exit $RC): $(grep -E 'FAIL|skip' "$T/out" | head -4)"
expect_msg 1 'nine-words' "the FAIL bundle is authentic (exit 1, not 2) and names the failing check" "$VERIFY" "$G2/artifacts/bundle.tar" --key "$T/ci.pub"

# What a zip download gives, and what kiemthu-verify says of it.
(cd "$G/artifacts" && "$PY" -c 'import zipfile; zipfile.ZipFile("kiemthu-bundle.zip", "w").write("bundle.tar")')
expect_msg 2 'zip-compressed.*unzip' "verify on the artifact's .zip: REJECT (2) saying to unzip it" "$VERIFY" "$G/artifacts/kiemthu-bundle.zip" --key "$T/ci.pub"
