/* checks_pin.c - check types that pin what ran, from the run records
 * (docs/RUN_RECORD.md): the seccomp profile each attempt ran under (its
 * profile_sha256, as the sandbox hashed the bytes it compiled), the baseline
 * filter, the image, and whether a limit was hit. The evidence copies under
 * profiles/ say what a profile should be; only these say what ran. */
#include "check.h"

#include <stdio.h>
#include <string.h>

/* A string field of a run record, or NULL. */
static const char *field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

typedef struct pins {
    const cJSON *profiles;
    char names[200];
} pins;

static int pin_profile(check_ctx *c, const char *prof, const cJSON *att, const cJSON *r, void *arg)
{
    pins *p = arg;
    const char *run = ck_str(c, "run");
    const char *got = field(r, "profile_sha256"), *lad = field(att, "profile_sha256");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "profile");
    const char *pin = field(p->profiles, prof);
    if (!got)
        ck_verdict(c, KT_RESULT_ERROR, "runs/%s/%s/run.json has no profile_sha256", run, prof);
    else if (name && (!cJSON_IsString(name) || strcmp(name->valuestring, prof)))
        ck_verdict(c, KT_RESULT_ERROR, "runs/%s/%s/run.json is the record of another profile", run,
                   prof);
    else if (cJSON_GetObjectItemCaseSensitive(att, "profile_sha256") && (!lad || strcmp(lad, got)))
        ck_verdict(c, KT_RESULT_ERROR,
                   "runs/%s/ladder.json and runs/%s/%s/run.json record different profile_sha256",
                   run, run, prof);
    else if (!pin)
        ck_verdict(c, KT_RESULT_FAIL,
                   "run %s attempted profile %s (sha256 %s), which the policy does not pin", run,
                   prof, got);
    else if (strcmp(got, pin))
        ck_verdict(c, KT_RESULT_FAIL, "runs/%s/%s/run.json: profile_sha256 is %s, pinned %s", run,
                   prof, got, pin);
    else
        snprintf(p->names + strlen(p->names), sizeof p->names - strlen(p->names), "%s%s",
                 p->names[0] ? ", " : "", prof);
    return c->decided;
}

void ck_run_profiles_pinned(check_ctx *c)
{
    pins p = {cJSON_GetObjectItemCaseSensitive(c->chk, "profiles"), ""};
    int n = ck_attempts(c, ck_str(c, "run"), pin_profile, &p);
    if (n > 0)
        ck_verdict(c, KT_RESULT_PASS, "%d attempt(s) of %s ran pinned profiles: %s", n,
                   ck_str(c, "run"), p.names);
}

typedef struct baseline {
    char name[64], sha[KT_SHA256_HEX];
} baseline;

static int check_baseline(check_ctx *c, const char *prof, const cJSON *att, const cJSON *r,
                          void *arg)
{
    (void)att;
    baseline *b = arg;
    const char *run = ck_str(c, "run"), *pin = ck_str(c, "sha256");
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(r, "baseline");
    const char *name = field(bl, "name"), *sha = field(bl, "sha256");
    if (!bl)
        ck_verdict(c, KT_RESULT_ERROR,
                   "runs/%s/%s/run.json has no \"baseline\" (a sandbox that records none)", run,
                   prof);
    else if (cJSON_IsString(bl) && !strcmp(bl->valuestring, "none"))
        ck_verdict(c, KT_RESULT_FAIL, "runs/%s/%s ran with --baseline none: no baseline filter",
                   run, prof);
    else if (!cJSON_IsObject(bl) || !name || !sha || !kt_is_sha256_hex(sha))
        ck_verdict(c, KT_RESULT_ERROR,
                   "runs/%s/%s/run.json: \"baseline\" is neither {name, sha256} nor \"none\"", run,
                   prof);
    else if (pin && strcmp(sha, pin))
        ck_verdict(c, KT_RESULT_FAIL, "runs/%s/%s: baseline %.64s has sha256 %s, pinned %s", run,
                   prof, name, sha, pin);
    else if (b->sha[0] && strcmp(b->sha, sha))
        ck_verdict(c, KT_RESULT_FAIL, "baseline differs between attempts of %s: %s, then %s", run,
                   b->sha, sha);
    if (!c->decided) {
        snprintf(b->name, sizeof b->name, "%s", name);
        snprintf(b->sha, sizeof b->sha, "%s", sha);
    }
    return c->decided;
}

void ck_run_baseline(check_ctx *c)
{
    baseline b = {"", ""};
    int n = ck_attempts(c, ck_str(c, "run"), check_baseline, &b);
    if (n > 0)
        ck_verdict(c, KT_RESULT_PASS, "%d attempt(s) of %s ran with baseline %s (sha256 %s%s)", n,
                   ck_str(c, "run"), b.name, b.sha, ck_str(c, "sha256") ? ", pinned" : "");
}

typedef struct filtered {
    long long min, least; /* the pin; the fewest points of a compiled filter (-1: none yet) */
    int compiled;
} filtered;

/* filter_checked_points / filter_bpf_sha256 (docs/RUN_RECORD.md): a filter
 * was compiled (the digest is a sha256) and run at min points or more
 * before anything ran under it; null digest: nothing was compiled. */
static int check_filtered(check_ctx *c, const char *prof, const cJSON *att, const cJSON *r,
                          void *arg)
{
    (void)att;
    filtered *f = arg;
    const char *run = ck_str(c, "run");
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(r, "filter_checked_points");
    const cJSON *bpf = cJSON_GetObjectItemCaseSensitive(r, "filter_bpf_sha256");
    if (!pts || !bpf)
        ck_verdict(c, KT_RESULT_ERROR,
                   "runs/%s/%s/run.json has no \"filter_checked_points\" and \"filter_bpf_sha256\" "
                   "(a sandbox from before 2026-11-29, which did not check the filter)",
                   run, prof);
    else if (!kt_json_is_int(pts) || pts->valuedouble < 0 ||
             !(cJSON_IsNull(bpf) || (cJSON_IsString(bpf) && kt_is_sha256_hex(bpf->valuestring))))
        ck_verdict(c, KT_RESULT_ERROR,
                   "runs/%s/%s/run.json: \"filter_checked_points\" is not a count or "
                   "\"filter_bpf_sha256\" neither a sha256 nor null",
                   run, prof);
    else if (!cJSON_IsNull(bpf) && pts->valuedouble < (double)f->min)
        ck_verdict(c, KT_RESULT_FAIL,
                   "runs/%s/%s: its filter (BPF sha256 %.16s...) was checked at %.0f points, fewer "
                   "than %lld",
                   run, prof, bpf->valuestring, pts->valuedouble, f->min);
    else if (!cJSON_IsNull(bpf)) {
        f->compiled++;
        if (f->least < 0 || pts->valuedouble < (double)f->least)
            f->least = (long long)pts->valuedouble;
    }
    return c->decided;
}

void ck_run_filter_checked(check_ctx *c)
{
    filtered f = {ck_num(c, "min_points", 1), -1, 0};
    const char *run = ck_str(c, "run");
    int n = ck_attempts(c, run, check_filtered, &f);
    if (n <= 0) return;
    if (!f.compiled)
        ck_verdict(c, KT_RESULT_FAIL, "no attempt of %s compiled a filter", run);
    else
        ck_verdict(c, KT_RESULT_PASS,
                   "%d of %d attempt(s) of %s compiled a filter, each checked at %lld points or "
                   "more before anything ran under it",
                   f.compiled, n, run, f.least);
}

typedef struct image {
    const char *pin;
    char first[128], first_profile[128];
} image;

static int check_image(check_ctx *c, const char *prof, const cJSON *att, const cJSON *r, void *arg)
{
    (void)att;
    image *im = arg;
    const char *run = ck_str(c, "run"), *d = field(r, "image_digest");
    if (!d)
        ck_verdict(c, KT_RESULT_ERROR, "runs/%s/%s/run.json has no image_digest", run, prof);
    else if (im->pin && strcmp(d, im->pin))
        ck_verdict(c, KT_RESULT_FAIL, "runs/%s/%s/run.json: image_digest is %.80s, pinned %s", run,
                   prof, d, im->pin);
    else if (im->first[0] && strcmp(im->first, d))
        ck_verdict(c, KT_RESULT_FAIL,
                   "image digest differs between attempts of %s: %.80s under %s, %.80s under %s",
                   run, im->first, im->first_profile, d, prof);
    if (!c->decided && !im->first[0]) {
        snprintf(im->first, sizeof im->first, "%s", d);
        snprintf(im->first_profile, sizeof im->first_profile, "%s", prof);
    }
    return c->decided;
}

static void image_check(check_ctx *c, const char *pin)
{
    image im = {pin, "", ""};
    int n = ck_attempts(c, ck_str(c, "run"), check_image, &im);
    if (n > 0)
        ck_verdict(c, KT_RESULT_PASS, "%d attempt(s) ran image %s%s", n, im.first,
                   pin ? " (pinned)" : "");
}

void ck_image_pinned(check_ctx *c)
{
    image_check(c, ck_str(c, "digest"));
}

void ck_image_digest(check_ctx *c)
{
    image_check(c, ck_str(c, "pinned"));
}

/* limits.<name>.hit: true (hit), false (not hit), null (cannot be known,
 * e.g. enforced by an rlimit); absent when the sandbox predates the field. */
void ck_limit_not_hit(check_ctx *c)
{
    char buf[256], hit[160] = "", unknown[200] = "";
    const char *prof = ck_profile_of(c, buf, sizeof buf);
    cJSON *r = prof ? ck_run_json(c, ck_str(c, "run"), prof) : NULL;
    if (!r) return;
    const cJSON *limits = cJSON_GetObjectItemCaseSensitive(r, "limits");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->chk, "limits");
    for (const cJSON *l = names->child; l; l = l->next) {
        const cJSON *lim = cJSON_GetObjectItemCaseSensitive(limits, l->valuestring);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(lim, "hit");
        const char *how = field(lim, "enforced_by");
        char *to = cJSON_IsTrue(h) ? hit : unknown;
        size_t cap = cJSON_IsTrue(h) ? sizeof hit : sizeof unknown, used = strlen(to);
        if (cJSON_IsFalse(h)) continue;
        snprintf(to + used, cap - used, "%s%s (%s%.24s)", used ? ", " : "", l->valuestring,
                 cJSON_IsTrue(h)   ? "hit, enforced by "
                 : cJSON_IsNull(h) ? "cannot be known, enforced by "
                 : !h              ? "not recorded"
                                   : "malformed",
                 (cJSON_IsTrue(h) || cJSON_IsNull(h)) ? (how ? how : "?") : "");
    }
    if (hit[0])
        ck_verdict(c, KT_RESULT_FAIL, "%s/%s hit its limits: %s", ck_str(c, "run"), prof, hit);
    else if (unknown[0])
        ck_verdict(c, KT_RESULT_ERROR, "%s/%s: whether the limits were hit is unknown: %s",
                   ck_str(c, "run"), prof, unknown);
    else
        ck_verdict(c, KT_RESULT_PASS, "%s/%s hit none of its limits (%d checked)", ck_str(c, "run"),
                   prof, cJSON_GetArraySize(names));
    cJSON_Delete(r);
}
