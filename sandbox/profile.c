#include "profile.h"

#include "../core/jsondoc.h"
#include "rulesel.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROFILE_MAX (4u << 20)

/* One read: the exact bytes, their sha256 and the validated tree
 * (core/jsondoc.h), so what is hashed, shown to the payload and compiled is
 * the same buffer. */
struct kt_profile {
    kt_jsondoc doc;
};

static const struct {
    const char *name;
    uint32_t base;
    int takes_errno;
} actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, 0},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0},
    {"SCMP_ACT_ERRNO", 0, 1},
    {"SCMP_ACT_TRACE", 0, 2},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, 0},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, 0},
};

static const struct {
    const char *name;
    enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const char *const flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

int kt_profile_action(const char *name, int errno_ret, uint32_t *out)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(name, actions[i].name) != 0) continue;
        if (actions[i].takes_errno == 1)
            *out = SCMP_ACT_ERRNO((uint32_t)errno_ret);
        else if (actions[i].takes_errno == 2)
            *out = SCMP_ACT_TRACE((uint32_t)errno_ret);
        else
            *out = actions[i].base;
        return 0;
    }
    return -1;
}

int kt_profile_op(const char *name, enum scmp_compare *out)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(name, ops[i].name) == 0) return *out = ops[i].op, 0;
    return -1;
}

uint32_t kt_profile_arch_token(const char *docker)
{
    if (strncmp(docker, "SCMP_ARCH_", 10) != 0 || strlen(docker) > 40) return 0;
    char lower[48];
    size_t i = 0;
    for (const char *p = docker + 10; *p; p++) lower[i++] = (char)tolower((unsigned char)*p);
    lower[i] = '\0';
    return seccomp_arch_resolve_name(lower);
}

/* ---- validation ------------------------------------------------------- */

typedef struct vctx {
    const char *file;
    kt_err *err;
} vctx;

static __attribute__((format(printf, 3, 4))) int bad(vctx *v, const char *path, const char *fmt,
                                                     ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return kt_fail(v->err, KT_E_DATA, "%s: %s: %s", v->file, path, why);
}

static int only_keys(vctx *v, const cJSON *o, const char *path, const char *const *keys)
{
    for (const cJSON *c = o->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *k = keys; *k; k++) ok |= strcmp(*k, c->string) == 0;
        if (!ok) {
            char p[512];
            snprintf(p, sizeof p, "%s.%.64s", path, c->string);
            return bad(v, p, "unknown field%s", "");
        }
    }
    return 0;
}

static int is_uint(const cJSON *n, double max)
{
    return cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble <= max &&
           n->valuedouble == (double)(uint64_t)n->valuedouble;
}

static int check_string_array(vctx *v, const cJSON *a, const char *path, int nonempty)
{
    if (!cJSON_IsArray(a)) return bad(v, path, "must be an array of strings%s", "");
    if (nonempty && !a->child) return bad(v, path, "must not be empty%s", "");
    int i = 0;
    for (const cJSON *c = a->child; c; c = c->next, i++) {
        if (!cJSON_IsString(c)) {
            char p[512];
            snprintf(p, sizeof p, "%s[%d]", path, i);
            return bad(v, p, "must be a string%s", "");
        }
    }
    return 0;
}

/* The architecture names the OCI runtime-spec defines. Some are newer than
 * this libseccomp (LOONGARCH64 in 2.5.4): valid, but never the native
 * architecture here, so compiling simply skips them. */
static const char *const spec_arches[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static int check_arch(vctx *v, const cJSON *s, const char *path)
{
    if (!cJSON_IsString(s)) return bad(v, path, "must be a string");
    for (size_t i = 0; i < sizeof spec_arches / sizeof spec_arches[0]; i++)
        if (!strcmp(s->valuestring, spec_arches[i])) return 0;
    return bad(v, path, "unknown architecture \"%s\"", s->valuestring);
}

static int check_filter(vctx *v, const cJSON *f, const char *path)
{
    static const char *const keys[] = {"caps", "arches", "minKernel", NULL};
    char p[512];
    if (!cJSON_IsObject(f)) return bad(v, path, "must be an object%s", "");
    if (only_keys(v, f, path, keys) < 0) return -1;
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(f, "caps");
    const cJSON *arches = cJSON_GetObjectItemCaseSensitive(f, "arches");
    const cJSON *mk = cJSON_GetObjectItemCaseSensitive(f, "minKernel");
    snprintf(p, sizeof p, "%s.caps", path);
    if (caps && check_string_array(v, caps, p, 0) < 0) return -1;
    if (caps && cJSON_GetArraySize(caps) > KT_RULESEL_MAX)
        return bad(v, p, "at most %d entries", KT_RULESEL_MAX);
    snprintf(p, sizeof p, "%s.arches", path);
    if (arches && check_string_array(v, arches, p, 0) < 0) return -1;
    if (arches && cJSON_GetArraySize(arches) > KT_RULESEL_MAX)
        return bad(v, p, "at most %d entries", KT_RULESEL_MAX);
    if (mk) {
        unsigned a, b;
        char tail;
        snprintf(p, sizeof p, "%s.minKernel", path);
        if (!cJSON_IsString(mk) || sscanf(mk->valuestring, "%u.%u%c", &a, &b, &tail) != 2)
            return bad(v, p, "must be a \"major.minor\" string%s", "");
    }
    return 0;
}

static int check_rule(vctx *v, const cJSON *r, int idx)
{
    static const char *const keys[] = {"names",    "name",     "action",  "errnoRet", "args",
                                       "includes", "excludes", "comment", NULL};
    static const char *const argkeys[] = {"index", "value", "valueTwo", "op", NULL};
    char path[128], p[512];
    snprintf(path, sizeof path, "$.syscalls[%d]", idx);
    if (!cJSON_IsObject(r)) return bad(v, path, "must be an object%s", "");
    if (only_keys(v, r, path, keys) < 0) return -1;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "names");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(r, "action");
    const cJSON *eret = cJSON_GetObjectItemCaseSensitive(r, "errnoRet");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(r, "args");
    if (!names && !name) return bad(v, path, "needs \"names\" (or the legacy \"name\")%s", "");
    snprintf(p, sizeof p, "%s.names", path);
    if (names && check_string_array(v, names, p, 1) < 0) return -1;
    snprintf(p, sizeof p, "%s.name", path);
    if (name && !cJSON_IsString(name)) return bad(v, p, "must be a string%s", "");
    snprintf(p, sizeof p, "%s.action", path);
    uint32_t act;
    if (!cJSON_IsString(action)) return bad(v, p, "missing or not a string%s", "");
    if (kt_profile_action(action->valuestring, 1, &act) < 0)
        return bad(v, p, "unknown action \"%s\"", action->valuestring);
    snprintf(p, sizeof p, "%s.errnoRet", path);
    if (eret && !is_uint(eret, 4095)) return bad(v, p, "must be an integer 0..4095%s", "");
    if (args) {
        snprintf(p, sizeof p, "%s.args", path);
        if (!cJSON_IsArray(args)) return bad(v, p, "must be an array%s", "");
        int i = 0;
        for (const cJSON *a = args->child; a; a = a->next, i++) {
            snprintf(p, sizeof p, "%s.args[%d]", path, i);
            if (i >= KT_PROFILE_MAX_ARGS) /* the compiler takes no more (filter.c) */
                return bad(v, p, "at most %d conditions in one rule", KT_PROFILE_MAX_ARGS);
            if (!cJSON_IsObject(a)) return bad(v, p, "must be an object%s", "");
            if (only_keys(v, a, p, argkeys) < 0) return -1;
            const cJSON *ix = cJSON_GetObjectItemCaseSensitive(a, "index");
            const cJSON *val = cJSON_GetObjectItemCaseSensitive(a, "value");
            const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(a, "valueTwo");
            const cJSON *op = cJSON_GetObjectItemCaseSensitive(a, "op");
            enum scmp_compare cmp;
            if (!is_uint(ix, 5)) return bad(v, p, "\"index\" must be 0..5%s", "");
            if (!val || !is_uint(val, 9007199254740991.0))
                return bad(v, p, "\"value\" must be an integer 0..2^53-1%s", "");
            if (v2 && !is_uint(v2, 9007199254740991.0))
                return bad(v, p, "\"valueTwo\" must be an integer 0..2^53-1%s", "");
            if (!cJSON_IsString(op) || kt_profile_op(op->valuestring, &cmp) < 0)
                return bad(v, p, "unknown or missing \"op\" \"%s\"",
                           cJSON_IsString(op) ? op->valuestring : "");
        }
    }
    const cJSON *inc = cJSON_GetObjectItemCaseSensitive(r, "includes");
    const cJSON *exc = cJSON_GetObjectItemCaseSensitive(r, "excludes");
    snprintf(p, sizeof p, "%s.includes", path);
    if (inc && check_filter(v, inc, p) < 0) return -1;
    snprintf(p, sizeof p, "%s.excludes", path);
    if (exc && check_filter(v, exc, p) < 0) return -1;
    return 0;
}

static int validate(vctx *v, const cJSON *root)
{
    static const char *const keys[] = {
        "defaultAction", "defaultErrnoRet", "architectures",    "archMap", "flags",
        "syscalls",      "listenerPath",    "listenerMetadata", NULL};
    if (!cJSON_IsObject(root)) return bad(v, "$", "a profile must be a JSON object%s", "");
    if (only_keys(v, root, "$", keys) < 0) return -1;
    if (cJSON_GetObjectItemCaseSensitive(root, "listenerPath"))
        return bad(v, "$.listenerPath",
                   "seccomp agents (SCMP_ACT_NOTIFY listeners) are not "
                   "supported%s",
                   "");
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(root, "defaultAction");
    uint32_t act;
    if (!da) return bad(v, "$.defaultAction", "missing%s", "");
    if (!cJSON_IsString(da) || kt_profile_action(da->valuestring, 1, &act) < 0)
        return bad(v, "$.defaultAction", "unknown action \"%s\"",
                   cJSON_IsString(da) ? da->valuestring : "");
    const cJSON *der = cJSON_GetObjectItemCaseSensitive(root, "defaultErrnoRet");
    if (der && !is_uint(der, 4095))
        return bad(v, "$.defaultErrnoRet", "must be an integer 0..4095%s", "");
    const cJSON *arches = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *amap = cJSON_GetObjectItemCaseSensitive(root, "archMap");
    if (arches && amap)
        return bad(v, "$", "has both \"architectures\" and \"archMap\"; use one%s", "");
    char p[512];
    if (arches) {
        if (check_string_array(v, arches, "$.architectures", 0) < 0) return -1;
        int i = 0;
        for (const cJSON *a = arches->child; a; a = a->next, i++) {
            snprintf(p, sizeof p, "$.architectures[%d]", i);
            if (check_arch(v, a, p) < 0) return -1;
        }
    }
    if (amap) {
        static const char *const mkeys[] = {"architecture", "subArchitectures", NULL};
        if (!cJSON_IsArray(amap)) return bad(v, "$.archMap", "must be an array%s", "");
        int i = 0;
        for (const cJSON *m = amap->child; m; m = m->next, i++) {
            snprintf(p, sizeof p, "$.archMap[%d]", i);
            if (!cJSON_IsObject(m)) return bad(v, p, "must be an object%s", "");
            if (only_keys(v, m, p, mkeys) < 0) return -1;
            snprintf(p, sizeof p, "$.archMap[%d].architecture", i);
            if (check_arch(v, cJSON_GetObjectItemCaseSensitive(m, "architecture"), p) < 0)
                return -1;
            const cJSON *subs = cJSON_GetObjectItemCaseSensitive(m, "subArchitectures");
            snprintf(p, sizeof p, "$.archMap[%d].subArchitectures", i);
            if (subs && !cJSON_IsNull(subs)) { /* Go writes an empty list as null */
                if (check_string_array(v, subs, p, 0) < 0) return -1;
                int j = 0;
                for (const cJSON *s = subs->child; s; s = s->next, j++) {
                    snprintf(p, sizeof p, "$.archMap[%d].subArchitectures[%d]", i, j);
                    if (check_arch(v, s, p) < 0) return -1;
                }
            }
        }
    }
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(root, "flags");
    if (flags) {
        if (check_string_array(v, flags, "$.flags", 0) < 0) return -1;
        int i = 0;
        for (const cJSON *f = flags->child; f; f = f->next, i++) {
            int ok = 0;
            for (size_t k = 0; k < sizeof flag_names / sizeof flag_names[0]; k++)
                ok |= strcmp(f->valuestring, flag_names[k]) == 0;
            snprintf(p, sizeof p, "$.flags[%d]", i);
            if (!ok) return bad(v, p, "unknown flag \"%s\"", f->valuestring);
        }
    }
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
    if (sys) {
        if (!cJSON_IsArray(sys)) return bad(v, "$.syscalls", "must be an array%s", "");
        int i = 0;
        long units = 0;
        for (const cJSON *r = sys->child; r; r = r->next, i++) {
            if (check_rule(v, r, i) < 0) return -1;
            const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "names");
            const cJSON *args = cJSON_GetObjectItemCaseSensitive(r, "args");
            units += (long)(names ? cJSON_GetArraySize(names) : 1) * (1 + cJSON_GetArraySize(args));
            /* libseccomp 2.5.4 counts a filter's instructions in 16 bits and
             * overflows its buffer past 65535 (fixed in 2.6.1): see profile.h */
            if (units > KT_PROFILE_MAX_UNITS)
                return bad(v, "$.syscalls",
                           "too large: more than %d names x (1 + conditions) over all rules",
                           KT_PROFILE_MAX_UNITS);
        }
    }
    return 0;
}

/* The schema check, run by kt_jsondoc on the parsed tree. */
static int check_profile(const cJSON *root, const char *path, void *arg, kt_err *err)
{
    (void)arg;
    vctx v = {path, err};
    return validate(&v, root);
}

int kt_profile_parse(const char *bytes, size_t n, const char *name, kt_profile **out, kt_err *err)
{
    kt_profile *p = calloc(1, sizeof *p);
    if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
    if (kt_jsondoc_parse(&p->doc, bytes, n, name, PROFILE_MAX, check_profile, NULL, err) < 0) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int kt_profile_load(const char *path, kt_profile **out, kt_err *err)
{
    kt_profile *p = calloc(1, sizeof *p);
    if (!p) return kt_fail(err, KT_E_NOMEM, "out of memory");
    if (kt_jsondoc_load(&p->doc, path, PROFILE_MAX, check_profile, NULL, err) < 0) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void kt_profile_free(kt_profile *p)
{
    if (!p) return;
    kt_jsondoc_free(&p->doc);
    free(p);
}

const char *kt_profile_sha256(const kt_profile *p)
{
    return p->doc.sha256_hex;
}

const char *kt_profile_file(const kt_profile *p)
{
    return p->doc.path;
}

const cJSON *kt_profile_json(const kt_profile *p)
{
    return p->doc.root;
}

const char *kt_profile_bytes(const kt_profile *p, size_t *n)
{
    *n = p->doc.n;
    return p->doc.bytes;
}
