#include "policy.h"

#include "buf.h"
#include "fsutil.h"
#include "json_canon.h"
#include "junit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kt_policy {
    char *bytes;
    size_t n;
    char sha[KT_SHA256_HEX];
    char name[128];
    cJSON *root;
};

/* ---- check types and their parameters ---------------------------------
 * Parameter spec: "name:T" with T one of s (string), i (integer), b (bool),
 * a (array of strings), * (any JSON); a trailing '?' marks it optional. */
typedef struct check_ctx check_ctx;
typedef void (*check_fn)(check_ctx *c);

static void c_run_started(check_ctx *c);
static void c_exit_code(check_ctx *c);
static void c_canonical(check_ctx *c);
static void c_probe_report(check_ctx *c);
static void c_files_present(check_ctx *c);
static void c_report_triplet(check_ctx *c);
static void c_json_field(check_ctx *c);
static void c_profile_sha256(check_ctx *c);
static void c_image_digest(check_ctx *c);
static void c_junit(check_ctx *c);
static void c_guard(check_ctx *c);
static void c_venue(check_ctx *c);

static const struct ctype {
    const char *name;
    const char *params;
    check_fn fn;
} types[] = {
    {"run_started", "run:s profile:s expect:b", c_run_started},
    {"exit_code", "run:s profile:s expect:i", c_exit_code},
    {"canonical_profile", "run:s expect:s", c_canonical},
    {"probe_report", "run:s profile:s min_probes:i file:s?", c_probe_report},
    {"files_present", "run:s profile:s files:a", c_files_present},
    {"report_triplet", "run:s profile:s dir:s?", c_report_triplet},
    {"json_field", "file:s pointer:s equals:*", c_json_field},
    {"profile_sha256", "file:s sha256:s", c_profile_sha256},
    {"image_digest_consistent", "run:s pinned:s?", c_image_digest},
    {"junit", "file:s min_tests:i max_failures:i? max_errors:i?", c_junit},
    {"guard_passed", "file:s", c_guard},
    {"venue_fields", "file:s fields:a", c_venue},
};

static const struct ctype *type_of(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].name, name)) return &types[i];
    return NULL;
}

static int is_int(const cJSON *v)
{
    /* range first: converting an out-of-range double is undefined behaviour
     * (found by fuzz_policy; tests/fuzz/corpus/policy/regression-huge-number.json) */
    return cJSON_IsNumber(v) && v->valuedouble > -9007199254740991.0 &&
           v->valuedouble < 9007199254740991.0 &&
           v->valuedouble == (double)(long long)v->valuedouble;
}

static int param_ok(const cJSON *v, char t)
{
    switch (t) {
    case 's':
        return cJSON_IsString(v);
    case 'i':
        return is_int(v);
    case 'b':
        return cJSON_IsBool(v);
    case '*':
        return v != NULL;
    case 'a':
        if (!cJSON_IsArray(v)) return 0;
        for (const cJSON *c = v->child; c; c = c->next)
            if (!cJSON_IsString(c)) return 0;
        return 1;
    }
    return 0;
}

static int check_params(const cJSON *chk, const struct ctype *t, const char *what, int idx,
                        kt_err *err)
{
    /* every spec'd parameter present (unless optional) and of its type */
    char spec[128];
    snprintf(spec, sizeof spec, "%s", t->params);
    for (char *tok = strtok(spec, " "); tok; tok = strtok(NULL, " ")) {
        char *colon = strchr(tok, ':');
        *colon = '\0';
        int optional = colon[2] == '?';
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(chk, tok);
        if (!v && optional) continue;
        if (!v)
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): missing parameter \"%s\"", what,
                           idx, t->name, tok);
        if (!param_ok(v, colon[1]))
            return kt_fail(err, KT_E_DATA,
                           "%s: checks[%d] (%s): parameter \"%s\" has the wrong type", what, idx,
                           t->name, tok);
    }
    /* and nothing else */
    for (const cJSON *c = chk->child; c; c = c->next) {
        if (!strcmp(c->string, "id") || !strcmp(c->string, "type") ||
            !strcmp(c->string, "description"))
            continue;
        char key[80];
        snprintf(key, sizeof key, " %s:", c->string);
        char have[140];
        snprintf(have, sizeof have, " %s", t->params);
        if (!strstr(have, key))
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): unknown parameter \"%.64s\"", what,
                           idx, t->name, c->string);
    }
    return 0;
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

static int validate(const cJSON *root, const char *what, kt_err *err)
{
    static const char *const keys[] = {"kiemthuPolicy", "name",    "description",
                                       "checks",        "verdict", NULL};
    if (!cJSON_IsObject(root))
        return kt_fail(err, KT_E_DATA, "%s: a policy is a JSON object", what);
    for (const cJSON *c = root->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *k = keys; *k; k++) ok |= !strcmp(*k, c->string);
        if (!ok) return kt_fail(err, KT_E_DATA, "%s: unknown field \"%.64s\"", what, c->string);
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "kiemthuPolicy");
    if (!is_int(ver) || ver->valuedouble != 1)
        return kt_fail(err, KT_E_DATA, "%s: \"kiemthuPolicy\" must be 1 (the format version)",
                       what);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (!cJSON_IsString(name))
        return kt_fail(err, KT_E_DATA, "%s: \"name\" must be a string", what);
    const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(root, "verdict");
    if (!cJSON_IsString(verdict) || strcmp(verdict->valuestring, "all"))
        return kt_fail(err, KT_E_DATA, "%s: \"verdict\" must be \"all\" (every check must hold)",
                       what);
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(root, "checks");
    if (!cJSON_IsArray(checks) || !checks->child)
        return kt_fail(err, KT_E_DATA, "%s: \"checks\" must be a non-empty array", what);
    int i = 0;
    for (const cJSON *chk = checks->child; chk; chk = chk->next, i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(chk, "id");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(chk, "type");
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(chk, "description");
        if (!cJSON_IsObject(chk) || !cJSON_IsString(id) || !valid_id(id->valuestring))
            return kt_fail(err, KT_E_DATA, "%s: checks[%d]: \"id\" must be 1-63 of a-z 0-9 - _ .",
                           what, i);
        if (!cJSON_IsString(desc) || !*desc->valuestring || strlen(desc->valuestring) > 200 ||
            strchr(desc->valuestring, '\n'))
            return kt_fail(err, KT_E_DATA,
                           "%s: checks[%d] (%s): \"description\" must be one line of "
                           "1-200 characters",
                           what, i, id->valuestring);
        if (!cJSON_IsString(type))
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): \"type\" missing", what, i,
                           id->valuestring);
        const struct ctype *t = type_of(type->valuestring);
        if (!t)
            return kt_fail(err, KT_E_DATA, "%s: checks[%d] (%s): unknown check type \"%.64s\"",
                           what, i, id->valuestring, type->valuestring);
        if (check_params(chk, t, what, i, err) < 0) return -1;
        for (const cJSON *o = checks->child; o != chk; o = o->next)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring, id->valuestring))
                return kt_fail(err, KT_E_DATA, "%s: checks[%d]: duplicate id \"%s\"", what, i,
                               id->valuestring);
    }
    return 0;
}

int kt_policy_parse(const char *bytes, size_t n, const char *what, kt_policy **out, kt_err *err)
{
    if (n > KT_POLICY_MAX)
        return kt_fail(err, KT_E_LIMIT, "%s: larger than %u bytes", what, KT_POLICY_MAX);
    kt_policy *p = calloc(1, sizeof *p);
    if (!p || !(p->bytes = malloc(n + 1))) {
        free(p);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    memcpy(p->bytes, bytes, n);
    p->bytes[n] = '\0';
    p->n = n;
    uint8_t h[KT_SHA256_LEN];
    kt_sha256(bytes, n, h);
    kt_hex(h, sizeof h, p->sha);
    if (kt_json_parse(p->bytes, n, what, &p->root, err) < 0 || validate(p->root, what, err) < 0) {
        kt_policy_free(p);
        return -1;
    }
    snprintf(p->name, sizeof p->name, "%s",
             cJSON_GetObjectItemCaseSensitive(p->root, "name")->valuestring);
    *out = p;
    return 0;
}

int kt_policy_load(const char *path, kt_policy **out, kt_err *err)
{
    char *buf;
    size_t n;
    if (kt_read_file(path, KT_POLICY_MAX, &buf, &n, err) < 0) return -1;
    int rc = kt_policy_parse(buf, n, path, out, err);
    free(buf);
    return rc;
}

void kt_policy_free(kt_policy *p)
{
    if (!p) return;
    cJSON_Delete(p->root);
    free(p->bytes);
    free(p);
}

const char *kt_policy_sha256(const kt_policy *p)
{
    return p->sha;
}
const char *kt_policy_name(const kt_policy *p)
{
    return p->name;
}
const char *kt_policy_bytes(const kt_policy *p, size_t *n)
{
    *n = p->n;
    return p->bytes;
}

const char *kt_result_name(enum kt_result r)
{
    return r == KT_RESULT_PASS ? "pass" : r == KT_RESULT_FAIL ? "fail" : "error";
}

/* ---- evaluation ------------------------------------------------------- */

struct check_ctx {
    const cJSON *chk;
    kt_evidence *ev;
    kt_check_out *out;
    int decided;
};

static const char *str(check_ctx *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->chk, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long num(check_ctx *c, const char *key, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->chk, key);
    return v ? (long long)v->valuedouble : dflt;
}

static __attribute__((format(printf, 3, 4))) void verdict(check_ctx *c, enum kt_result r,
                                                          const char *fmt, ...)
{
    if (c->decided) return;
    c->decided = 1;
    c->out->result = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->out->reason, sizeof c->out->reason, fmt, ap);
    va_end(ap);
}

static void used(check_ctx *c, const char *path)
{
    for (int i = 0; i < c->out->nevidence; i++)
        if (!strcmp(c->out->evidence[i], path)) return;
    if (c->out->nevidence < 8) snprintf(c->out->evidence[c->out->nevidence++], 256, "%s", path);
}

/* Parse an evidence file as JSON; on failure the check is an error. */
static cJSON *json_file(check_ctx *c, const char *path)
{
    const char *data;
    size_t len;
    kt_err err;
    used(c, path);
    if (kt_ev_get(c->ev, path, &data, &len, &err) < 0) {
        verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return NULL;
    }
    cJSON *v = NULL;
    if (kt_json_parse(data, len, path, &v, &err) < 0) {
        verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return NULL;
    }
    return v;
}

/* runs/<run>/<profile>/run.json, parsed and with its required fields typed. */
static cJSON *run_json(check_ctx *c, const char *run, const char *profile)
{
    char path[512];
    snprintf(path, sizeof path, "runs/%s/%s/run.json", run, profile);
    cJSON *r = json_file(c, path);
    if (!r) return NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "started");
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(r, "exit_code");
    if (!cJSON_IsObject(r) || !cJSON_IsBool(st) || !(is_int(ec) || cJSON_IsNull(ec))) {
        verdict(c, KT_RESULT_ERROR,
                "%s: needs boolean \"started\" and integer-or-null \"exit_code\"", path);
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* The canonical profile of a run, re-derived from the raw records: the first
 * profile in ladder.json's attempt order whose own run.json says started.
 * ladder.json's recorded "canonical" must agree. */
static int canonical_of(check_ctx *c, const char *run, char *out, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "runs/%s/ladder.json", run);
    cJSON *l = json_file(c, path);
    if (!l) return -1;
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(l, "attempts");
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(l, "canonical");
    int rc = -1;
    out[0] = '\0';
    if (!cJSON_IsArray(att)) {
        verdict(c, KT_RESULT_ERROR, "%s: no \"attempts\" array", path);
        goto done;
    }
    for (const cJSON *a = att->child; a && !out[0]; a = a->next) {
        const cJSON *prof = cJSON_GetObjectItemCaseSensitive(a, "profile");
        const cJSON *tried = cJSON_GetObjectItemCaseSensitive(a, "attempted");
        if (!cJSON_IsString(prof) || !cJSON_IsBool(tried)) {
            verdict(c, KT_RESULT_ERROR, "%s: malformed attempt", path);
            goto done;
        }
        if (cJSON_IsFalse(tried)) continue;
        cJSON *r = run_json(c, run, prof->valuestring);
        if (!r) goto done;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "started")))
            snprintf(out, n, "%s", prof->valuestring);
        cJSON_Delete(r);
    }
    if (!out[0]) {
        verdict(c, KT_RESULT_FAIL, "run %s: no profile let the payload start", run);
        goto done;
    }
    if (!cJSON_IsString(rec) || strcmp(rec->valuestring, out)) {
        verdict(c, KT_RESULT_ERROR, "%s records canonical \"%s\" but the run records say \"%s\"",
                path, cJSON_IsString(rec) ? rec->valuestring : "(none)", out);
        goto done;
    }
    rc = 0;
done:
    cJSON_Delete(l);
    return rc;
}

/* The profile a check names, with "@canonical" resolved. */
static const char *profile_of(check_ctx *c, char *buf, size_t n)
{
    const char *p = str(c, "profile");
    if (strcmp(p, "@canonical")) return p;
    return canonical_of(c, str(c, "run"), buf, n) == 0 ? buf : NULL;
}

static void c_run_started(check_ctx *c)
{
    char buf[256];
    const char *prof = profile_of(c, buf, sizeof buf);
    cJSON *r = prof ? run_json(c, str(c, "run"), prof) : NULL;
    if (!r) return;
    int want = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->chk, "expect"));
    int got = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "started"));
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(r, "outcome");
    verdict(c, got == want ? KT_RESULT_PASS : KT_RESULT_FAIL, "%s/%s %s%s%s", str(c, "run"), prof,
            got ? "started" : "did not start", cJSON_IsString(outcome) ? ": " : "",
            cJSON_IsString(outcome) ? outcome->valuestring : "");
    cJSON_Delete(r);
}

static void c_exit_code(check_ctx *c)
{
    char buf[256];
    const char *prof = profile_of(c, buf, sizeof buf);
    cJSON *r = prof ? run_json(c, str(c, "run"), prof) : NULL;
    if (!r) return;
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(r, "exit_code");
    long long want = num(c, "expect", 0);
    if (cJSON_IsNull(ec))
        verdict(c, KT_RESULT_FAIL, "%s/%s has no exit code (not started or killed)", str(c, "run"),
                prof);
    else
        verdict(c, (long long)ec->valuedouble == want ? KT_RESULT_PASS : KT_RESULT_FAIL,
                "%s/%s exited %lld (expected %lld)", str(c, "run"), prof,
                (long long)ec->valuedouble, want);
    cJSON_Delete(r);
}

static void c_canonical(check_ctx *c)
{
    char got[256];
    if (canonical_of(c, str(c, "run"), got, sizeof got) < 0) return;
    verdict(c, !strcmp(got, str(c, "expect")) ? KT_RESULT_PASS : KT_RESULT_FAIL,
            "canonical profile of %s is %s, the strictest that started (expected %s)",
            str(c, "run"), got, str(c, "expect"));
}

static void c_probe_report(check_ctx *c)
{
    char buf[256], path[600];
    const char *prof = profile_of(c, buf, sizeof buf);
    if (!prof) return;
    snprintf(path, sizeof path, "runs/%s/%s/%s", str(c, "run"), prof,
             str(c, "file") ? str(c, "file") : "stdout");
    cJSON *r = json_file(c, path);
    if (!r) return;
    const cJSON *probes = cJSON_GetObjectItemCaseSensitive(r, "probes");
    const cJSON *passed = cJSON_GetObjectItemCaseSensitive(r, "passed");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(r, "total");
    long long n = 0, ok = 0;
    const char *first_bad = NULL;
    if (!cJSON_IsArray(probes) || !is_int(passed) || !is_int(total)) {
        verdict(c, KT_RESULT_ERROR, "%s: needs \"probes\" array and integer \"passed\", \"total\"",
                path);
        goto done;
    }
    for (const cJSON *p = probes->child; p; p = p->next, n++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
        const cJSON *pass = cJSON_GetObjectItemCaseSensitive(p, "pass");
        if (!cJSON_IsString(id) || !cJSON_IsBool(pass) ||
            !cJSON_GetObjectItemCaseSensitive(p, "expect") ||
            !cJSON_GetObjectItemCaseSensitive(p, "observed")) {
            verdict(c, KT_RESULT_ERROR, "%s: probe %lld is not {id, expect, observed, pass}", path,
                    n);
            goto done;
        }
        if (cJSON_IsTrue(pass))
            ok++;
        else if (!first_bad)
            first_bad = id->valuestring;
    }
    if (passed->valuedouble != (double)ok || total->valuedouble != (double)n) {
        verdict(c, KT_RESULT_ERROR, "%s: says %lld/%lld but lists %lld/%lld", path,
                (long long)passed->valuedouble, (long long)total->valuedouble, ok, n);
    } else if (first_bad) {
        verdict(c, KT_RESULT_FAIL, "%lld/%lld probes pass; first failing: %s", ok, n, first_bad);
    } else if (n < num(c, "min_probes", 0)) {
        verdict(c, KT_RESULT_FAIL, "%lld probes, fewer than %lld", n, num(c, "min_probes", 0));
    } else {
        verdict(c, KT_RESULT_PASS, "%lld/%lld probes pass", ok, n);
    }
done:
    cJSON_Delete(r);
}

static void c_files_present(check_ctx *c)
{
    char buf[256], path[600];
    const char *prof = profile_of(c, buf, sizeof buf);
    if (!prof) return;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(c->chk, "files");
    int n = 0;
    for (const cJSON *f = files->child; f; f = f->next, n++) {
        snprintf(path, sizeof path, "runs/%s/%s/%s", str(c, "run"), prof, f->valuestring);
        used(c, path);
        if (!kt_ev_exists(c->ev, path)) {
            verdict(c, KT_RESULT_FAIL, "%s is missing", path);
            return;
        }
    }
    verdict(c, KT_RESULT_PASS, "all %d files present in runs/%s/%s", n, str(c, "run"), prof);
}

static void c_report_triplet(check_ctx *c)
{
    char buf[256], base[600], path[700];
    const char *prof = profile_of(c, buf, sizeof buf);
    if (!prof) return;
    snprintf(base, sizeof base, "runs/%s/%s/%s", str(c, "run"), prof,
             str(c, "dir") ? str(c, "dir") : "out");
    static const char *const names[] = {"report.json", "report.md"};
    const char *sums;
    size_t slen;
    kt_err err;
    snprintf(path, sizeof path, "%s/report.sha256", base);
    used(c, path);
    if (kt_ev_get(c->ev, path, &sums, &slen, &err) < 0) {
        verdict(c, KT_RESULT_FAIL, "%s", err.msg);
        return;
    }
    /* exactly: "<hex>  report.json\n<hex>  report.md\n" (sha256sum's format) */
    char want[2 * (KT_SHA256_HEX + 16)] = "";
    for (int i = 0; i < 2; i++) {
        const char *data;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        used(c, path);
        if (kt_ev_get(c->ev, path, &data, &len, &err) < 0) {
            verdict(c, KT_RESULT_FAIL, "%s", err.msg);
            return;
        }
        uint8_t h[KT_SHA256_LEN];
        char hex[KT_SHA256_HEX], line[KT_SHA256_HEX + 16];
        kt_sha256(data, len, h);
        kt_hex(h, sizeof h, hex);
        snprintf(line, sizeof line, "%s  %s\n", hex, names[i]);
        strcat(want, line);
    }
    if (slen != strlen(want) || memcmp(sums, want, slen))
        verdict(c, KT_RESULT_FAIL, "%s/report.sha256 does not match report.json and report.md",
                base);
    else
        verdict(c, KT_RESULT_PASS, "report.sha256 matches report.json and report.md");
}

/* RFC 6901 JSON pointer. */
static const cJSON *pointer(const cJSON *v, const char *ptr)
{
    if (!*ptr) return v;
    if (*ptr != '/') return NULL;
    while (v && *ptr == '/') {
        ptr++;
        char tok[256];
        size_t n = 0;
        for (; *ptr && *ptr != '/' && n < sizeof tok - 1; ptr++) {
            if (*ptr == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
                tok[n++] = ptr[1] == '0' ? '~' : '/';
                ptr++;
            } else {
                tok[n++] = *ptr;
            }
        }
        tok[n] = '\0';
        if (cJSON_IsObject(v)) {
            v = cJSON_GetObjectItemCaseSensitive(v, tok);
        } else if (cJSON_IsArray(v)) {
            char *end;
            long i = strtol(tok, &end, 10);
            v = *tok && !*end && i >= 0 ? cJSON_GetArrayItem(v, (int)i) : NULL;
        } else {
            v = NULL;
        }
    }
    return v;
}

static int same_json(const cJSON *a, const cJSON *b)
{
    kt_buf x, y;
    kt_buf_init(&x, 1 << 20);
    kt_buf_init(&y, 1 << 20);
    int eq = kt_json_emit(a, &x, NULL) == 0 && kt_json_emit(b, &y, NULL) == 0 && x.len == y.len &&
             !memcmp(x.data, y.data, x.len);
    kt_buf_free(&x);
    kt_buf_free(&y);
    return eq;
}

static void c_json_field(check_ctx *c)
{
    cJSON *doc = json_file(c, str(c, "file"));
    if (!doc) return;
    const cJSON *v = pointer(doc, str(c, "pointer"));
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->chk, "equals");
    if (!v)
        verdict(c, KT_RESULT_FAIL, "%s has nothing at %s", str(c, "file"), str(c, "pointer"));
    else
        verdict(c, same_json(v, want) ? KT_RESULT_PASS : KT_RESULT_FAIL,
                "%s%s %s the expected value", str(c, "file"), str(c, "pointer"),
                same_json(v, want) ? "equals" : "differs from");
    cJSON_Delete(doc);
}

static void c_profile_sha256(check_ctx *c)
{
    const char *data;
    size_t len;
    kt_err err;
    used(c, str(c, "file"));
    if (kt_ev_get(c->ev, str(c, "file"), &data, &len, &err) < 0) {
        verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return;
    }
    uint8_t h[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    kt_sha256(data, len, h);
    kt_hex(h, sizeof h, hex);
    verdict(c, !strcmp(hex, str(c, "sha256")) ? KT_RESULT_PASS : KT_RESULT_FAIL,
            "%s has sha256 %.12s..., pinned %.12s...", str(c, "file"), hex, str(c, "sha256"));
}

static void c_image_digest(check_ctx *c)
{
    char path[512];
    snprintf(path, sizeof path, "runs/%s/ladder.json", str(c, "run"));
    cJSON *l = json_file(c, path);
    if (!l) return;
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(l, "attempts");
    char first[128] = "";
    int n = 0;
    for (const cJSON *a = cJSON_IsArray(att) ? att->child : NULL; a && !c->decided; a = a->next) {
        const cJSON *prof = cJSON_GetObjectItemCaseSensitive(a, "profile");
        if (!cJSON_IsString(prof) ||
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "attempted")))
            continue;
        cJSON *r = run_json(c, str(c, "run"), prof->valuestring);
        if (!r) break;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "image_digest");
        if (!cJSON_IsString(d))
            verdict(c, KT_RESULT_ERROR, "runs/%s/%s/run.json has no image_digest", str(c, "run"),
                    prof->valuestring);
        else if (!first[0])
            snprintf(first, sizeof first, "%s", d->valuestring);
        else if (strcmp(first, d->valuestring))
            verdict(c, KT_RESULT_FAIL, "image digest differs between attempts of %s",
                    str(c, "run"));
        n++;
        cJSON_Delete(r);
    }
    cJSON_Delete(l);
    if (c->decided) return;
    if (!n) {
        verdict(c, KT_RESULT_ERROR, "%s lists no attempted profile", path);
        return;
    }
    const char *pin = str(c, "pinned");
    if (pin && strcmp(pin, first))
        verdict(c, KT_RESULT_FAIL, "image digest %s is not the pinned %s", first, pin);
    else
        verdict(c, KT_RESULT_PASS, "%d attempt(s) ran image %s%s", n, first,
                pin ? " (pinned)" : "");
}

static void c_junit(check_ctx *c)
{
    const char *data;
    size_t len;
    kt_err err;
    kt_junit j;
    used(c, str(c, "file"));
    if (kt_ev_get(c->ev, str(c, "file"), &data, &len, &err) < 0 ||
        kt_junit_parse(data, len, str(c, "file"), &j, &err) < 0) {
        verdict(c, KT_RESULT_ERROR, "%s", err.msg);
        return;
    }
    long long min = num(c, "min_tests", 0), maxf = num(c, "max_failures", 0),
              maxe = num(c, "max_errors", 0);
    int ok = j.tests >= min && j.failures <= maxf && j.errors <= maxe;
    verdict(
        c, ok ? KT_RESULT_PASS : KT_RESULT_FAIL,
        "%ld tests, %ld failures, %ld errors, %ld skipped (need >= %lld tests, <= %lld failures, "
        "<= %lld errors)",
        j.tests, j.failures, j.errors, j.skipped, min, maxf, maxe);
}

static void c_guard(check_ctx *c)
{
    cJSON *g = json_file(c, str(c, "file"));
    if (!g) return;
    const cJSON *pass = cJSON_GetObjectItemCaseSensitive(g, "pass");
    const cJSON *viol = cJSON_GetObjectItemCaseSensitive(g, "violations");
    if (!cJSON_IsBool(pass) || !cJSON_IsArray(viol))
        verdict(c, KT_RESULT_ERROR, "%s: needs boolean \"pass\" and array \"violations\"",
                str(c, "file"));
    else if (cJSON_IsTrue(pass) && !viol->child)
        verdict(c, KT_RESULT_PASS, "capability guard passed, no violations");
    else
        verdict(c, KT_RESULT_FAIL, "capability guard: %d violation(s)", cJSON_GetArraySize(viol));
    cJSON_Delete(g);
}

static void c_venue(check_ctx *c)
{
    cJSON *v = json_file(c, str(c, "file"));
    if (!v) return;
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(c->chk, "fields");
    int n = 0;
    for (const cJSON *f = fields->child; f && !c->decided; f = f->next, n++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, f->valuestring);
        if (!(cJSON_IsString(x) && *x->valuestring) && !is_int(x))
            verdict(c, KT_RESULT_FAIL, "%s has no \"%s\"", str(c, "file"), f->valuestring);
    }
    verdict(c, KT_RESULT_PASS, "%s has all %d fields", str(c, "file"), n);
    cJSON_Delete(v);
}

int kt_policy_eval(const kt_policy *p, kt_evidence *ev, kt_adjudication *out, kt_err *err)
{
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(p->root, "checks");
    size_t n = (size_t)cJSON_GetArraySize(checks);
    out->checks = calloc(n, sizeof *out->checks);
    out->n = n;
    out->pass = 1;
    if (!out->checks) return kt_fail(err, KT_E_NOMEM, "out of memory");
    size_t i = 0;
    for (const cJSON *chk = checks->child; chk; chk = chk->next, i++) {
        kt_check_out *o = &out->checks[i];
        const char *type = cJSON_GetObjectItemCaseSensitive(chk, "type")->valuestring;
        snprintf(o->id, sizeof o->id, "%s",
                 cJSON_GetObjectItemCaseSensitive(chk, "id")->valuestring);
        snprintf(o->type, sizeof o->type, "%s", type);
        snprintf(o->description, sizeof o->description, "%s",
                 cJSON_GetObjectItemCaseSensitive(chk, "description")->valuestring);
        check_ctx c = {chk, ev, o, 0};
        const struct ctype *t = type_of(type); /* validated when the policy was read */
        if (t) t->fn(&c);
        if (!c.decided) verdict(&c, KT_RESULT_ERROR, "check reached no result");
        if (o->result != KT_RESULT_PASS) out->pass = 0;
    }
    return 0;
}

void kt_adjudication_free(kt_adjudication *a)
{
    free(a->checks);
    a->checks = NULL;
    a->n = 0;
}

cJSON *kt_adjudication_json(const kt_policy *p, const kt_adjudication *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", "evidence/" KT_POLICY_MEMBER);
    cJSON_AddStringToObject(o, "policyName", p->name);
    cJSON_AddStringToObject(o, "policySha256", p->sha);
    cJSON_AddStringToObject(o, "verdict", a->pass ? "PASS" : "FAIL");
    cJSON *arr = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; i < a->n; i++) {
        const kt_check_out *c = &a->checks[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", c->id);
        cJSON_AddStringToObject(e, "type", c->type);
        cJSON_AddStringToObject(e, "result", kt_result_name(c->result));
        cJSON_AddStringToObject(e, "reason", c->reason);
        cJSON *ev = cJSON_AddArrayToObject(e, "evidence");
        for (int k = 0; k < c->nevidence; k++) {
            char member[300];
            snprintf(member, sizeof member, "evidence/%s", c->evidence[k]);
            cJSON_AddItemToArray(ev, cJSON_CreateString(member));
        }
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

int kt_adjudication_compare(const cJSON *rec, const kt_policy *p, const kt_adjudication *a,
                            char *why, size_t n)
{
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(rec, "policySha256");
    const cJSON *verdict_rec = cJSON_GetObjectItemCaseSensitive(rec, "verdict");
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(rec, "checks");
    if (!cJSON_IsObject(rec) || !cJSON_IsString(sha) || !cJSON_IsString(verdict_rec) ||
        !cJSON_IsArray(checks))
        return snprintf(why, n, "the recorded adjudication is malformed"), -1;
    if (strcmp(sha->valuestring, p->sha))
        return snprintf(why, n,
                        "the recorded adjudication is for policy %.12s..., not the bundled "
                        "policy %.12s...",
                        sha->valuestring, p->sha),
               -1;
    if ((size_t)cJSON_GetArraySize(checks) != a->n)
        return snprintf(why, n, "the record has %d checks, the policy %zu",
                        cJSON_GetArraySize(checks), a->n),
               -1;
    size_t i = 0;
    for (const cJSON *c = checks->child; c; c = c->next, i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "result");
        if (!cJSON_IsString(id) || strcmp(id->valuestring, a->checks[i].id))
            return snprintf(why, n, "recorded check %zu is not \"%s\"", i, a->checks[i].id), -1;
        if (!cJSON_IsString(res) || strcmp(res->valuestring, kt_result_name(a->checks[i].result)))
            return snprintf(why, n, "check %s: recorded \"%s\" but the evidence gives \"%s\"",
                            a->checks[i].id, cJSON_IsString(res) ? res->valuestring : "?",
                            kt_result_name(a->checks[i].result)),
                   -1;
    }
    if (strcmp(verdict_rec->valuestring, a->pass ? "PASS" : "FAIL"))
        return snprintf(why, n, "recorded verdict %s but the evidence gives %s",
                        verdict_rec->valuestring, a->pass ? "PASS" : "FAIL"),
               -1;
    return 0;
}
