#!/usr/bin/python3
"""Write crafted hostile bundles into OUTDIR and expect.tsv (name, exit, reason regex).

Usage: make_bundles.py OUTDIR TRUSTED_KEY OTHER_KEY  (PKCS#8 PEM, test-only keys)
Needs Debian's python3-cryptography for the validly signed cases.
"""
import base64, gzip, hashlib, io, json, lzma, sys
from cryptography.hazmat.primitives import serialization

OUT, TRUSTED, OTHER = sys.argv[1], sys.argv[2], sys.argv[3]
TYPE = b"application/vnd.in-toto+json"


def load(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), None)


def keyid(k):
    der = k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


KT, KO = load(TRUSTED), load(OTHER)


def octal(v, n):
    return b"%0*o\0" % (n, v)


def header(name, size, typeflag=b"0", mtime=0, linkname=b"", magic=b"ustar\x0000", split=False, dev=True):
    name = name.encode() if isinstance(name, str) else name
    prefix = b""
    if split and len(name) > 100:  # the old ustar prefix split (format 1)
        i = name.rfind(b"/", 0, 156)
        prefix, name = name[:i], name[i + 1:]
    h = bytearray(512)
    h[0:min(len(name), 100)] = name[:100]
    h[100:108] = octal(0o644, 7)
    h[108:116] = octal(0, 7)
    h[116:124] = octal(0, 7)
    h[124:136] = octal(size, 11)
    h[136:148] = octal(mtime, 11)
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = magic
    if dev:
        h[329:337] = octal(0, 7)
        h[337:345] = octal(0, 7)
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pax_record(key, value):
    body = b" %s=%s\n" % (key, value)
    n = len(body) + 1
    while len(b"%d" % n) + len(body) != n:
        n += 1
    return b"%d%s" % (n, body)


def pax(records, mtime=0, name=b"././@PaxHeader"):
    """A pax extended header (typeflag x) with these records, padded."""
    data = b"".join(records)
    return header(name, len(data), typeflag=b"x", mtime=mtime, dev=False) + data + b"\0" * ((512 - len(data) % 512) % 512)


def member(name, data, records=None, **kw):
    """A member as kiemthu writes it: names over 100 bytes get a pax path record."""
    bname = name.encode() if isinstance(name, str) else name
    pad = (512 - len(data) % 512) % 512
    pre = b""
    if records is not None:
        pre = pax(records, mtime=kw.get("mtime", 0))
    elif len(bname) > 100 and not kw.get("split"):
        pre = pax([pax_record(b"path", bname)], mtime=kw.get("mtime", 0))
    return pre + header(bname, len(data), **kw) + data + b"\0" * pad


def canon(obj):
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def statement(subjects, sde=0, extra=None):
    st = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://kiemthu.dev/evidence-bundle/v1",
          "subject": subjects,
          "predicate": {"created": "1970-01-01T00:00:00Z", "sourceDateEpoch": sde, "adjudication": None}}
    if extra:
        extra(st)
    return st


def subjects_of(evidence):
    return [{"name": n.decode(errors="replace") if isinstance(n, bytes) else n,
             "digest": {"sha256": hashlib.sha256(d).hexdigest()}} for n, d in evidence]


def envelope(payload, key=KT, kid=None, sigs=1, ptype=TYPE, b64=base64.b64encode):
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    sig = key.sign(pae)
    one = {"keyid": kid or keyid(key), "sig": b64(sig).decode()}
    return canon({"payload": b64(payload).decode(), "payloadType": ptype.decode(), "signatures": [one] * sigs})


EV = [("evidence/a.txt", b"alpha\n"), ("evidence/runs/r/run.json", b'{"started":true,"exit_code":0}\n')]


def bundle(evidence=EV, manifest=None, env=None, members=None, tail=b"\0" * 1024):
    man = manifest if manifest is not None else canon(statement(subjects_of(evidence)))
    env = env if env is not None else envelope(man)
    ms = members if members is not None else (
        [member(n, d) for n, d in evidence] + [member("manifest.dsse.json", env), member("manifest.json", man)])
    return b"".join(ms) + tail


cases = []


def case(name, data, reason, code=2):
    cases.append((name, data, code, reason))


good = bundle()
case("00-honest", good, "^AUTHENTIC", 4)  # no policy: authentic, nothing adjudicated
# names and member types
for i, (n, reason) in enumerate([("evidence/../x", r"\.\.\" component"), ("/etc/passwd", "absolute name"),
                                 ("evidence//x", "empty component"), ("evidence/a b", "is 0x20")]):
    case("01-name-%d" % i, bundle(members=[member(n, b"x")]), reason)
for tf, what in [(b"1", "hard link"), (b"2", "symbolic link"), (b"3", "character device"), (b"4", "block device"),
                 (b"5", "directory"), (b"6", "FIFO"), (b"x", "pax header"), (b"g", "pax extended header"),
                 (b"L", "GNU long-name header"), (b"K", "GNU long-name header")]:
    case("02-type-%s" % tf.decode(), bundle(members=[member("evidence/a.txt", b"alpha\n", typeflag=tf,
                                                            linkname=b"/etc/passwd" if tf in b"12" else b"")]), what)
case("03-duplicate", bundle(members=[member("evidence/a.txt", b"1"), member("evidence/a.txt", b"1")]), "duplicated")
case("03-unsorted", bundle(members=[member("evidence/b", b"1"), member("evidence/a", b"1")]), "out of sorted order")
case("03-gnu-magic", bundle(members=[member("evidence/a", b"1", magic=b"ustar  \0")]), "not POSIX ustar")
case("03-mtime-differs", bundle(members=[member("evidence/a", b"1"), member("evidence/b", b"1", mtime=5)]), "different mtime")
# sizes and truncation in every region
big = header("evidence/huge", 0o77777777777)
case("04-huge-declared", big + b"\0" * 1024, "declares 8589934591 bytes")
case("04-manifest-oversized", member("evidence/a", b"1") + header("manifest.dsse.json", 30 << 20) + b"\0" * 1024,
     "declares|limit")
for i, cut in enumerate([100, 512 + 3, 1024 + 100, len(good) - 1024, len(good) - 512, len(good) - 1]):
    case("05-truncated-%d" % i, good[:cut], "truncated|ustar|missing")
case("05-trailing-garbage", good + b"garbage", "trailing bytes")
case("05-extra-zero-block", good + b"\0" * 512, "trailing bytes")
case("05-nonzero-padding", good[:512 + 6 + 1] + b"X" + good[512 + 6 + 2:], "non-zero padding")
# wrappers and non-tar
case("06-gzip", gzip.compress(good, mtime=0), "gzip-compressed")
case("06-xz", lzma.compress(good), "xz-compressed")
case("06-zstd", b"\x28\xb5\x2f\xfd" + good, "zstd-compressed")
case("06-bzip2", b"BZh9" + good, "bzip2-compressed")
case("06-empty", b"", "empty")
case("06-not-tar", b"just some text\n" * 100, "not a ustar archive")
case("06-zeros-only", b"\0" * (64 << 10), "not a ustar archive")
# manifest problems (validly signed where it matters)
case("07-no-manifest", b"".join(member(n, d) for n, d in EV) + b"\0" * 1024, "has no manifest.dsse.json")
case("07-no-manifest-json", bundle(members=[member(n, d) for n, d in EV] + [member("manifest.dsse.json", envelope(canon(statement(subjects_of(EV)))))]), "no manifest.json")
case("07-manifest-duplicated", bundle(members=[member(n, d) for n, d in EV] + [member("manifest.dsse.json", envelope(canon(statement(subjects_of(EV))))), member("manifest.json", canon(statement(subjects_of(EV)))), member("manifest.json", b"{}\n")]), "duplicated")
deep = b"[" * 64 + b"]" * 64 + b"\n"
case("07-deeply-nested", bundle(manifest=deep), "nested deeper")
case("07-invalid-utf8", bundle(manifest=canon(statement(subjects_of(EV)))[:-3] + b"\xff}}\n"), "UTF-8")
case("07-embedded-nul", bundle(manifest=canon(statement(subjects_of(EV)))[:-2] + b"\0}\n"), "NUL")
case("07-not-canonical", bundle(manifest=json.dumps(statement(subjects_of(EV)), indent=1).encode() + b"\n"), "canonical")
case("08-subject-missing", bundle(manifest=canon(statement(subjects_of(EV)[:1]))), "has no subject")
case("08-subject-extra", bundle(manifest=canon(statement(subjects_of(EV) + [{"name": "evidence/zz", "digest": {"sha256": "0" * 64}}]))), "names no member")
wrong = subjects_of(EV)
wrong[0]["digest"]["sha256"] = hashlib.sha256(b"beta\n").hexdigest()
case("08-wrong-digest", bundle(manifest=canon(statement(wrong))), "does not match its sha256")
upper = subjects_of(EV)
upper[0]["digest"]["sha256"] = upper[0]["digest"]["sha256"].upper()
case("08-uppercase-hex", bundle(manifest=canon(statement(upper))), "lowercase hex")
unk = subjects_of(EV)
unk[0]["digest"] = {"sha3-256": "00"}
case("08-unknown-algorithms", bundle(manifest=canon(statement(unk))), "only unknown algorithms")
# envelopes
man = canon(statement(subjects_of(EV)))
case("09-no-signature", bundle(env=canon({"payload": base64.b64encode(man).decode(), "payloadType": TYPE.decode(), "signatures": []})), "no signatures")
case("09-two-signatures", bundle(env=envelope(man, sigs=2)), "two signatures by key")
def multi(payload, keys, order=sorted, kids=None):
    """An envelope signed by several keys, signatures in the given order."""
    pae = b"DSSEv1 %d %s %d %s" % (len(TYPE), TYPE, len(payload), payload)
    sigs = [{"keyid": (kids or {}).get(i, keyid(k)), "sig": base64.b64encode(k.sign(pae)).decode()} for i, k in enumerate(keys)]
    sigs = order(sigs, key=lambda x: x["keyid"])
    return canon({"payload": base64.b64encode(payload).decode(), "payloadType": TYPE.decode(), "signatures": sigs})
case("09-two-keys-honest", bundle(env=multi(man, [KT, KO])), "^AUTHENTIC", 4)
case("09-two-keys-unsorted", bundle(env=multi(man, [KT, KO], order=lambda l, key: sorted(l, key=key, reverse=True))), "sorted by keyid")
case("09-two-keys-other-keyid-twice", bundle(env=multi(man, [KT, KO], kids={1: keyid(KT)})), "two signatures by key")
case("09-second-keyid-names-pinned", bundle(env=multi(man, [KO, KO], kids={0: "0" * 64, 1: keyid(KT)})), "does not verify with pinned key")
case("09-bad-base64", bundle(env=envelope(man).replace(b'"sig":"', b'"sig":"!!')), "base64")
case("09-wrong-payload-type", bundle(env=envelope(man, ptype=b"application/json")), "payloadType")
case("09-other-key", bundle(env=envelope(man, key=KO)), "does not verify with any pinned key")
case("09-keyid-lies", bundle(env=envelope(man, key=KO, kid=keyid(KT))), "does not verify with pinned key")
case("09-urlsafe-base64", bundle(env=envelope(man, b64=base64.urlsafe_b64encode)), "canonical|AUTHENTIC")
case("09-envelope-whitespace", bundle(env=envelope(man).replace(b'","', b'", "', 1)), "canonical")
pub_other = KO.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
ev_with_key = [("evidence/a.txt", b"alpha\n"), ("evidence/ci.pub", pub_other)]
m2 = canon(statement(subjects_of(ev_with_key)))
case("09-key-shipped-inside", bundle(evidence=ev_with_key, manifest=m2, env=envelope(m2, key=KO)), "does not verify with any pinned key")
# adjudication: policy changed after signing; verdict flipped and re-signed
policy = canon({"kiemthuPolicy": 1, "name": "p", "verdict": "all", "checks": [
    {"id": "c", "description": "d", "type": "run_started", "run": "r", "profile": "s", "expect": True}]})
ev3 = [("evidence/policy.json", policy), ("evidence/runs/r/ladder.json", b'{"attempts":[{"attempted":true,"profile":"s"}],"canonical":"s"}\n'),
       ("evidence/runs/r/s/run.json", b'{"started":false,"exit_code":null}\n')]
def adj(result, verdict, pol=policy):
    def f(st):
        st["predicate"]["adjudication"] = {"checks": [{"evidence": [], "id": "c", "reason": "r", "result": result, "type": "run_started"}],
                                           "policy": "evidence/policy.json", "policyName": "p",
                                           "policySha256": hashlib.sha256(pol).hexdigest(), "verdict": verdict}
    return f
honest_fail = canon(statement(subjects_of(ev3), extra=adj("fail", "FAIL")))
case("10-honest-fail", bundle(evidence=ev3, manifest=honest_fail), "FAIL", 1)
flipped = canon(statement(subjects_of(ev3), extra=adj("pass", "PASS")))
case("10-verdict-flipped-resigned", bundle(evidence=ev3, manifest=flipped), "recorded adjudication and the evidence disagree")
ev4 = [("evidence/policy.json", policy.replace(b'"expect":true', b'"expect":false'))] + ev3[1:]
case("10-policy-changed-after-signing", bundle(evidence=ev4, manifest=honest_fail), "does not match its sha256")

# names: the one encoding (docs/FORMAT.md section 1), pax path records
def named(names):
    ev = [(n, b"x\n") for n in names]
    return bundle(evidence=ev)
LONG = "evidence/out/" + "%E1%BA%A1" * 30  # 283 bytes: needs a pax path record
case("11-long-name-honest", named([LONG]), "^AUTHENTIC", 4)
case("11-encoded-honest", named(["evidence/a%20b", "evidence/r%C3%A9sum%C3%A9"]), "^AUTHENTIC", 4)
case("11-literal-encoded", named(["evidence/a%41"]), "written as itself")
case("11-lowercase-hex", named(["evidence/a%e9"]), "upper-case hex")
case("11-encoded-slash", named(["evidence/a%2Fb"]), "written as itself")
case("11-encoded-nul", named(["evidence/a%00"]), "NUL")
case("11-bare-percent", named(["evidence/100%"]), "upper-case hex")
case("11-raw-utf8", named([b"evidence/r\xc3\xa9sum\xc3\xa9"]), "0xc3")
case("11-raw-escape", named([b"evidence/\x1b[2J"]), "0x1b")
case("11-duplicate-decoded", named(["evidence/a%41", "evidence/aA"]), "written as itself")
case("11-encoded-dotdot", named(["evidence/%2E%2E/x"]), "written as itself")
case("11-long-name-split", bundle(members=[member(LONG, b"x\n", split=True)]), "pax path record")
lp = pax_record(b"path", LONG.encode())
case("11-pax-extra-key", bundle(members=[member(LONG, b"x\n", records=[pax_record(b"mtime", b"0"), lp])]), "pax")
case("11-pax-key-after", bundle(members=[member(LONG, b"x\n", records=[lp, pax_record(b"uid", b"0")])]), "pax")
case("11-pax-no-path", bundle(members=[member(LONG, b"x\n", records=[pax_record(b"mtime", b"0")])]), "path")
case("11-pax-short-name", bundle(members=[member("evidence/a", b"x\n", records=[pax_record(b"path", b"evidence/a")])]), "pax header where")
case("11-pax-other-name", bundle(members=[pax([lp], name=b"evidence/out/PaxHeaders.4711/x") + header(LONG, 2) + b"x\n" + b"\0" * 510]), "pax header byte")
case("11-pax-name-differs", bundle(members=[member(LONG, b"x\n", records=[pax_record(b"path", LONG.replace("%A1", "%A2", 1).encode())])]), "header byte|name")
case("11-pax-traversal", bundle(members=[member(LONG, b"x\n", records=[pax_record(b"path", b"evidence/../../etc/" + b"p" * 100)])]), r"\.\.")
case("11-pax-nul", bundle(members=[member(LONG, b"x\n", records=[pax_record(b"path", LONG.encode()[:50] + b"\0" + LONG.encode()[51:])])]), "not a member name")
case("11-pax-huge", bundle(members=[header("././@PaxHeader", 1 << 30, typeflag=b"x", dev=False)]), "pax header declares")
case("11-pax-twice", bundle(members=[pax([lp]) + member(LONG, b"x\n")]), "two pax headers")

# output safety: bytes that try to act on the terminal showing the verdict
ERASE = b"\x1b[1A\x1b[2K\r\x1b[32mPASS 17/17 checks pass\x1b[0m"
case("12-ansi-member", named([b"evidence/x" + ERASE]), "0x1b")
case("12-c1-member", named([b"evidence/\xc2\x9b" + b"2KPASS"]), "0xc2")
case("12-ansi-keyid", bundle(env=envelope(man, key=KO, kid="\x1b[2K\rPASS \u202e" + "0" * 40)), "does not verify with any pinned key")
case("12-ansi-payload-type", bundle(env=envelope(man, ptype=b"\x1b]0;pwned\x07\x1b[2K\rPASS")), "payloadType")
case("12-html-member", named(["evidence/%3Ch2%3EPASS%3C/h2%3E%3Cimg%20src=x%3E"]), "^AUTHENTIC", 4)

with open(OUT + "/expect.tsv", "w") as f:
    for name, data, code, reason in cases:
        open("%s/%s.tar" % (OUT, name), "wb").write(data)
        f.write("%s\t%d\t%s\n" % (name, code, reason))
print(len(cases), "bundles")
