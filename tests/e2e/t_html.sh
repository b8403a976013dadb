# kiemthu-verify --format html (issue 15 item 8): one self-contained page,
# rendered by headless Chromium. Its text shows the verdict, the signer, the
# checks, the ladders, the probes and the members; for a hostile bundle whose
# names, ids, records and policy carry <script>, <img onerror>, links and
# control bytes, the rendered DOM holds no element and no attribute that came
# from the bundle, no script ran, and the page asked for nothing.

KEY=$(seckey k.key test-ed25519.key)
PUB=$FIXKEYS/test-ed25519.pub
export SOURCE_DATE_EPOCH=1718000000

# An honest run: a ladder (strict not started, safe started), a probe report.
E=$(newdir)
mkdir -p "$E/runs/probe/strict" "$E/runs/probe/safe/out"
cat > "$E/runs/probe/ladder.json" << 'J'
{"attempts":[{"attempted":true,"outcome":"not started: execve: Operation not permitted","profile":"strict","started":false},{"attempted":true,"outcome":"started, exit 0","profile":"safe","started":true}],"canonical":"safe","interrupted":null,"runner_error":null}
J
echo '{"exit_code":null,"outcome":"not started: execve: Operation not permitted","started":false}' > "$E/runs/probe/strict/run.json"
cat > "$E/runs/probe/safe/run.json" << 'J'
{"exit_code":0,"outcome":"started, exit 0","started":true,"timed_out":false,"limits":{"pids":{"enforced_by":"cgroup2","hit":true},"memory":{"enforced_by":"cgroup2","hit":false},"memory_swap":{"enforced_by":"cgroup2","hit":false},"cpus":{"enforced_by":"rlimit","hit":null}}}
J
echo '{"passed":2,"probes":[{"expect":"65532","id":"uid","observed":"65532","pass":true},{"expect":"EPERM","id":"io-uring-denied","observed":"EPERM","pass":true}],"total":2}' > "$E/runs/probe/safe/stdout"
echo '{"ci":"local","run_id":"42"}' > "$E/venue.json"
cat > "$T/policy.json" << 'P'
{"kiemthuPolicy": 1, "name": "html-test", "verdict": "all", "checks": [
 {"id": "probes-pass", "type": "probe_report", "run": "probe", "profile": "@canonical", "min_probes": 2, "description": "every probe passes"},
 {"id": "canonical-safe", "type": "canonical_profile", "run": "probe", "expect": "safe", "description": "safe is canonical"}]}
P
"$BUNDLE" create -q -e "$E" -k "$KEY" -p "$T/policy.json" -o "$T/b.tar" > /dev/null

run "$VERIFY" "$T/b.tar" --key "$PUB" -f html
cp "$T/out" "$T/b.html"
[ "$RC" -eq 0 ] && head -1 "$T/b.html" | grep -q '^<!DOCTYPE html>$' && [ "$(grep -c '<html' "$T/b.html")" -eq 1 ] &&
    ok "-f html: one page, exit 0 (the verdict's code)" || not_ok "-f html (exit $RC)"
[ "$(LC_ALL=C tr -d '\n\040-\176' < "$T/b.html" | wc -c)" -eq 0 ] && ok "the page is printable ASCII" || not_ok "raw bytes in the page"
grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-" "$T/b.html" &&
    ok "a CSP meta: default-src 'none', the one style allowed by its sha256" || not_ok "no CSP meta"
css=$(sed -n 's/.*<style>\(.*\)<\/style>.*/\1/p' "$T/b.html")
want=$(printf '%s' "$css" | openssl dgst -sha256 -binary | base64)
grep -qF "'sha256-$want'" "$T/b.html" && ok "... and that sha256 is the style's (openssl)" || not_ok "style hash mismatch"
! grep -qiE 'https?:|src=|href=|url\(|<script|<img|<link|<iframe|@import' "$T/b.html" &&
    ok "no URL, src, href, url(), script, img, link or import anywhere in the page" || not_ok "an external reference: $(grep -oiE 'https?:|src=|href=|url\(|<script|<img|<link' "$T/b.html" | head -3)"
run sh -c "cat '$T/b.tar' | '$VERIFY' - --key '$PUB' -f html"
sed 's|<code>[^<]*b&#46;tar</code>|B|; s|<code>&#45;</code>|B|' "$T/out" > "$T/pipe.html"
sed 's|<code>[^<]*b&#46;tar</code>|B|' "$T/b.html" | cmp -s - "$T/pipe.html" &&
    ok "from a pipe: the same page (the run records kept from the stream)" || not_ok "pipe page differs: $(diff <(sed 's|<code>[^<]*b&#46;tar</code>|B|' "$T/b.html") "$T/pipe.html" | head -4)"
run "$VERIFY" "$T/b.tar" --key "$FIXKEYS/test-other.pub" -f html
[ "$RC" -eq 2 ] && grep -q '<h1 class="v v-reject">REJECT</h1>' "$T/out" && ! grep -q '<h2>Members' "$T/out" &&
    ok "REJECT: the page says so, exit 2, and lists nothing from the bundle" || not_ok "REJECT page (exit $RC)"
run "$VERIFY" "$T/none.tar" --key "$PUB" -f html
[ "$RC" -eq 3 ] && grep -q 'UNCHECKED</h1>' "$T/out" && grep -q 'could not be checked' "$T/out" &&
    ok "a missing bundle: an UNCHECKED page, exit 3" || not_ok "UNCHECKED page (exit $RC)"

# Issue 14 on the page: every signature, the threshold and the time-stamp.
ST=$KT_SRC/fixtures/golden/stamped.tar
run "$VERIFY" "$ST" --key "$PUB" --key "$FIXKEYS/test-other.pub" --threshold 2 \
    --tsa-cert "$KT_SRC/fixtures/golden/stamped-tsa-ca.crt" -f html
[ "$RC" -eq 4 ] && [ "$(grep -c '<tr><th>signed by key</th><td><code>[0-9a-f]\{64\}</code> (<code>' "$T/out")" -eq 2 ] &&
    grep -q '<tr><th>keys</th><td>2 trusted keys signed and count&#44; 2 required</td>' "$T/out" &&
    grep -q '<tr><th>time-stamped</th><td><code>20[0-9&#;A-Z]*</code> by <code>[^<]*kiemthu fixture TSA</code> (verified' "$T/out" &&
    ok "a stamped bundle signed twice: both signers, 2 of 2 required, the verified time-stamp" ||
    not_ok "signatures/time-stamp on the page (exit $RC): $(grep -E 'signed by|time-stamp' "$T/out" | head -3)"
run "$VERIFY" "$ST" --key "$PUB" -f html
[ "$RC" -eq 4 ] && grep -q '<tr><th>also signed by key</th><td><code>[0-9a-f]*</code>: not trusted, not checked' "$T/out" &&
    grep -q '<tr><th>time-stamp token</th><td>says <code>[^<]*</code>, <b>NOT verified</b>' "$T/out" &&
    ok "... one key pinned, no TSA: the other signature not checked, the token NOT verified" ||
    not_ok "unpinned signer/token on the page (exit $RC)"

# Caps: a 2 MiB run.json is named, not read; 1,500 probes show the first 1,000.
C=$(newdir)
mkdir -p "$C/runs/big/s" "$C/runs/many/s"
echo '{"attempts":[{"attempted":true,"profile":"s","started":true}],"canonical":"s"}' > "$C/runs/big/ladder.json"
cp "$C/runs/big/ladder.json" "$C/runs/many/ladder.json"
/usr/bin/python3 -c 'import json, sys
json.dump({"exit_code": 0, "pad": "x" * (2 << 20)}, open(sys.argv[1] + "/runs/big/s/run.json", "w"))
json.dump({"exit_code": 0}, open(sys.argv[1] + "/runs/many/s/run.json", "w"))
json.dump({"probes": [{"id": "p%d" % i, "expect": 1, "observed": 1, "pass": True} for i in range(1500)]},
          open(sys.argv[1] + "/runs/many/s/stdout", "w"))' "$C"
"$BUNDLE" create -q -e "$C" -k "$KEY" -o "$T/c.tar" > /dev/null 2>&1
run "$VERIFY" "$T/c.tar" --key "$PUB" -f html
[ "$RC" -eq 4 ] && grep -q 'run&#46;json is 209[0-9]* bytes&#59; the report reads files of at most 1048576 bytes' "$T/out" &&
    grep -q 'Probes of <code>many</code> under s: 1500/1500 pass' "$T/out" && grep -q 'Only the first 1000 probes are shown' "$T/out" &&
    [ "$(grep -c '<tr><td>p[0-9]' "$T/out")" -eq 1000 ] &&
    ok "caps: a 2 MiB run.json is named and not read; of 1,500 probes the first 1,000 are shown (exit 4: no policy)" ||
    not_ok "caps (exit $RC): $(grep -o 'run&#46;json is[^<]*' "$T/out" | head -2)"

# A hostile bundle: every string the page shows tries to become markup.
H=$(newdir)
mkdir -p "$H/runs/probe/p/out" "$H/runs/x<img src=x onerror=alert(9)>"
/usr/bin/python3 - "$H" << 'PY'
import json, sys
h = sys.argv[1]
S = "<script>document.title='PWNED'</script>"
I = "<img src=x onerror=\"document.title='PWNED'\">"
A = "<a href=\"http://evil.example/\">click</a>"
E = "\u001b[2J\u001b]0;pwned\u0007\r\u009b31m\u202egnp.exe"
w = lambda p, d: open(h + "/" + p, "w").write(json.dumps(d) + "\n")
w("runs/probe/ladder.json", {"attempts": [
    {"attempted": True, "profile": S, "started": False, "outcome": I},
    {"attempted": True, "profile": "p", "started": True, "outcome": A}],
    "canonical": "p", "interrupted": E, "runner_error": S})
w("runs/probe/p/run.json", {"exit_code": 0, "outcome": I, "started": True, "signal_name": S,
    "limits": {"pids": {"enforced_by": A, "hit": True}, "memory": {"enforced_by": E, "hit": False}}})
ids = [S, I, A, E, "<style>*{display:none}</style>", "<meta http-equiv=refresh content=0;url=http://evil/>"]
w("runs/probe/p/stdout", {"probes": [{"id": i, "expect": A, "observed": I, "pass": n == 0} for n, i in enumerate(ids)],
                         "passed": 1, "total": len(ids)})
w("venue.json", {"ci": S, "run_id": I, "<b>key</b>": E})
open(h + "/runs/x<img src=x onerror=alert(9)>/ladder.json", "w").write("{" + S)
open(h + "/runs/probe/p/out/" + I.replace("/", ""), "w").write("x")
open(h + "/runs/probe/p/out/" + E, "w").write("y")
json.dump({"kiemthuPolicy": 1, "name": "<h2>ALL GOOD</h2>" + I, "verdict": "all", "checks": [
    {"id": "probes", "type": "probe_report", "run": "probe", "profile": "p", "min_probes": 1, "description": S + A},
    {"id": "field", "type": "json_field", "file": "venue.json", "pointer": "/ci", "equals": I, "description": "<b>field</b>" + I}]},
    open(h + "/../hpolicy.json", "w"))
PY
run "$BUNDLE" create -q -e "$H" -k "$KEY" -p "$(dirname "$H")/hpolicy.json" -o "$T/h.tar"
[ "$RC" -eq 1 ] && ok "a hostile evidence folder and policy bundle (FAIL, exit 1)" || not_ok "create the hostile bundle (exit $RC)"
run "$VERIFY" "$T/h.tar" --key "$PUB" -f html --list
cp "$T/out" "$T/h.html"
[ "$RC" -eq 1 ] && [ "$(LC_ALL=C tr -d '\n\040-\176' < "$T/h.html" | wc -c)" -eq 0 ] &&
    ok "hostile bundle: FAIL (1), the page printable ASCII" || not_ok "hostile page (exit $RC)"
! grep -qiE '<script|<img|<a |<style>\*|<meta http-equiv=.?refresh|<h2>ALL|<b>key' "$T/h.html" &&
    ok "hostile bundle: none of its markup is in the page's bytes" || not_ok "markup from the bundle: $(grep -oiE '<script|<img|<a |<h2>ALL' "$T/h.html" | head -3)"

if ! command -v chromium > /dev/null; then
    skip "rendering in headless Chromium (chromium is not installed: apt-get install chromium)"
else
    render() { # render HTML DOM PNG: headless Chromium, a fresh profile, no network features
        local u
        u=$(mktemp -d "$T/chromium.XXXXXX")
        timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
            --disable-component-update --disable-sync --user-data-dir="$u" --window-size=1200,3000 \
            --screenshot="$3" --dump-dom "file://$1" > "$2" 2> "$T/chromium.err"
    }
    dom_check() { # dom_check DOM: the tags, attributes and title of the rendered DOM, and its text
        /usr/bin/python3 - "$1" << 'PY'
import sys
from html.parser import HTMLParser
ours = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "tbody", "tr", "th",
        "td", "code", "br", "span", "b"}
attrs_ok = {"lang", "charset", "http-equiv", "content", "name", "class"}
class P(HTMLParser):
    tags, bad, title, intitle, text = set(), [], "", False, []
    def handle_starttag(self, t, a):
        self.tags.add(t)
        self.intitle = t == "title"
        for k, v in a:
            if k not in attrs_ok: self.bad.append("%s@%s" % (t, k))
        if t == "meta" and dict(a).get("http-equiv", "").lower() not in ("", "content-security-policy"): self.bad.append("meta refresh")
    def handle_endtag(self, t): self.intitle = False
    def handle_data(self, d):
        if self.intitle: self.title += d
        self.text.append(d)
p = P(); p.feed(open(sys.argv[1]).read())
extra = sorted(p.tags - ours)
print("tags-ok" if not extra else "extra tags %s" % extra)
print("attrs-ok" if not p.bad else "bad attributes %s" % p.bad)
print("title=" + p.title)
open(sys.argv[1] + ".txt", "w").write("".join(p.text))
PY
    }
    render "$T/b.html" "$T/b.dom" "$T/b.png"
    rc=$?
    [ "$rc" -eq 0 ] && [ -s "$T/b.dom" ] && [ "$(head -c 4 "$T/b.png" | od -An -c | tr -d ' ')" = '211PNG' ] &&
        ok "headless Chromium renders the page (DOM dump and a PNG screenshot)" || not_ok "chromium (exit $rc): $(tail -2 "$T/chromium.err")"
    dom_check "$T/b.dom" > "$T/b.check"
    grep -qx tags-ok "$T/b.check" && grep -qx attrs-ok "$T/b.check" && grep -qx 'title=kiemthu-verify: PASS' "$T/b.check" &&
        ok "rendered: only the page's own elements and attributes, title 'kiemthu-verify: PASS'" || not_ok "DOM: $(cat "$T/b.check")"
    txt=$T/b.dom.txt
    keyid=$("$BUNDLE" keyid "$PUB")
    grep -q 'PASS' "$txt" && grep -qF "$keyid" "$txt" && grep -q '2024-06-10T06:13:20Z' "$txt" &&
        ok "its text: the verdict, the signer's key id and the time" || not_ok "verdict/signer/time missing from the text"
    grep -q 'probes-pass' "$txt" && grep -q 'canonical-safe' "$txt" && grep -q 'min_probes = 2' "$txt" &&
        grep -q 'canonical profile of probe is safe' "$txt" &&
        ok "its text: the check ids, what each expected and what it found" || not_ok "checks missing from the text"
    grep -q 'not started: execve: Operation not permitted' "$txt" && grep -q 'pids: HIT (cgroup2)' "$txt" &&
        grep -q 'cpus: unknown (rlimit)' "$txt" && grep -q 'Canonical profile.*: safe' "$txt" &&
        ok "its text: the ladder (which profile started, the limit hit, an unknown one)" || not_ok "ladder missing from the text"
    grep -q 'Probes of probe under safe: 2/2 pass' "$txt" && grep -q 'io-uring-denied' "$txt" &&
        ok "its text: the probe results" || not_ok "probes missing from the text"
    grep -q 'evidence/runs/probe/safe/stdout' "$txt" && grep -qF "$(sha256sum < "$E/runs/probe/safe/stdout" | cut -c1-64)" "$txt" &&
        grep -q 'manifest.dsse.json' "$txt" && ok "its text: the members with their sha256" || not_ok "members missing from the text"

    render "$T/h.html" "$T/h.dom" "$T/h.png"
    dom_check "$T/h.dom" > "$T/h.check"
    grep -qx tags-ok "$T/h.check" && grep -qx attrs-ok "$T/h.check" &&
        ok "hostile bundle, rendered: no element and no attribute from the bundle (no script, img, a, style, meta refresh)" ||
        not_ok "hostile DOM: $(cat "$T/h.check")"
    grep -qx 'title=kiemthu-verify: FAIL' "$T/h.check" && ! grep -q PWNED "$T/h.check" &&
        ok "hostile bundle, rendered: no script ran (the title is still ours)" || not_ok "title: $(grep title= "$T/h.check")"
    txt=$T/h.dom.txt
    grep -qF "<script>document.title='PWNED'</script>" "$txt" && grep -qF '<img src=x onerror="document.title=' "$txt" &&
        grep -qF '<h2>ALL GOOD</h2>' "$txt" && grep -qF '<a href="http://evil.example/">click</a>' "$txt" &&
        ok "hostile bundle, rendered: its markup is there as text (policy name, probe ids, ladder, venue)" ||
        not_ok "hostile strings not shown as text"
    grep -qF '\x1b[2J\x1b]0;pwned\x07\x0d\u{009B}31m\u{202E}gnp.exe' "$txt" && ! LC_ALL=C grep -q "$(printf '\033')" "$T/h.dom" &&
        ok "hostile bundle, rendered: control bytes, C1 and bidi overrides shown as \\xNN / \\u{XXXX}" || not_ok "control bytes in the DOM"
    grep -qF 'x%3Cimg%20src=x%20onerror=alert%289%29%3E' "$txt" && grep -q 'ladder.json' "$txt" &&
        ok "hostile bundle: a run whose ladder is not JSON is shown with the reason" || not_ok "broken ladder not shown"
fi
