#include "profile.h"

#include "../core/fsutil.h"
#include "../core/json_canon.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROFILE_MAX (4u << 20)

struct kt_profile {
    char *bytes;
    size_t n;
    char name[256];
    char sha[KT_SHA256_HEX];
    cJSON *root;
    char **ignored;
    size_t nignored;
    kt_denied *denied;
    size_t ndenied, capdenied;
    uint32_t defact;
    int exec_once;  /* compile exec denials as NOTIFY */
    int exec_errno; /* what later execs get; 0 = exec not denied */
    int exec_rule;  /* a rule named execve/execveat */
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

static int op_of(const char *name, enum scmp_compare *out)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(name, ops[i].name) == 0) return *out = ops[i].op, 0;
    return -1;
}

/* "SCMP_ARCH_X86_64" -> libseccomp token, 0 if unknown. */
static uint32_t arch_token(const char *docker)
{
    if (strncmp(docker, "SCMP_ARCH_", 10) != 0 || strlen(docker) > 40) return 0;
    char lower[48];
    size_t i = 0;
    for (const char *p = docker + 10; *p; p++) lower[i++] = (char)tolower((unsigned char)*p);
    lower[i] = '\0';
    return seccomp_arch_resolve_name(lower);
}

/* moby compares includes/excludes "arches" with Go's runtime.GOARCH. */
static const char *go_arch(uint32_t token)
{
    switch (token) {
    case SCMP_ARCH_X86_64:
        return "amd64";
    case SCMP_ARCH_X86:
        return "386";
    case SCMP_ARCH_X32:
        return "amd64p32";
    case SCMP_ARCH_AARCH64:
        return "arm64";
    case SCMP_ARCH_ARM:
        return "arm";
    case SCMP_ARCH_PPC64LE:
        return "ppc64le";
    case SCMP_ARCH_S390X:
        return "s390x";
    case SCMP_ARCH_RISCV64:
        return "riscv64";
    default:
        return "?";
    }
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
    snprintf(p, sizeof p, "%s.arches", path);
    if (arches && check_string_array(v, arches, p, 0) < 0) return -1;
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
            if (!cJSON_IsString(op) || op_of(op->valuestring, &cmp) < 0)
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
        for (const cJSON *r = sys->child; r; r = r->next, i++)
            if (check_rule(v, r, i) < 0) return -1;
    }
    return 0;
}

int kt_profile_parse(const char *bytes, size_t n, const char *name, kt_profile **out, kt_err *err)
{
    kt_profile *p = calloc(1, sizeof *p);
    if (!p || !(p->bytes = malloc(n + 1))) {
        free(p);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    memcpy(p->bytes, bytes, n);
    p->bytes[n] = '\0';
    p->n = n;
    snprintf(p->name, sizeof p->name, "%s", name);
    uint8_t h[KT_SHA256_LEN];
    kt_sha256(bytes, n, h);
    kt_hex(h, sizeof h, p->sha);
    vctx v = {name, err};
    if (kt_json_parse(p->bytes, n, name, &p->root, err) < 0 || validate(&v, p->root) < 0) {
        kt_profile_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int kt_profile_load(const char *path, kt_profile **out, kt_err *err)
{
    char *buf;
    size_t n;
    if (kt_read_file(path, PROFILE_MAX, &buf, &n, err) < 0) return -1;
    int rc = kt_profile_parse(buf, n, path, out, err);
    free(buf);
    return rc;
}

void kt_profile_free(kt_profile *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nignored; i++) free(p->ignored[i]);
    free(p->ignored);
    free(p->denied);
    cJSON_Delete(p->root);
    free(p->bytes);
    free(p);
}

const char *kt_profile_sha256(const kt_profile *p)
{
    return p->sha;
}

size_t kt_profile_ignored(const kt_profile *p, const char *const **names)
{
    *names = (const char *const *)p->ignored;
    return p->nignored;
}

uint32_t kt_profile_default_action(const kt_profile *p)
{
    return p->defact;
}

size_t kt_profile_denied(const kt_profile *p, const kt_denied **out)
{
    *out = p->denied;
    return p->ndenied;
}

void kt_profile_env_host(kt_profile_env *env)
{
    memset(env, 0, sizeof *env);
    struct utsname u;
    if (uname(&u) == 0) sscanf(u.release, "%u.%u", &env->kernel_major, &env->kernel_minor);
}

/* ---- compilation ------------------------------------------------------ */

static int in_list(const cJSON *arr, const char *s)
{
    for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next)
        if (cJSON_IsString(c) && strcmp(c->valuestring, s) == 0) return 1;
    return 0;
}

static int has_cap(const kt_profile_env *env, const char *cap)
{
    for (size_t i = 0; i < env->ncaps; i++)
        if (strcmp(env->caps[i], cap) == 0) return 1;
    return 0;
}

/* moby's rule selection: excluded if any excluded cap is held or the arch is
 * excluded; included only if every included cap is held, the arch is listed
 * and the kernel is at least minKernel. */
static int rule_applies(const cJSON *r, const kt_profile_env *env, const char *arch)
{
    const cJSON *exc = cJSON_GetObjectItemCaseSensitive(r, "excludes");
    const cJSON *inc = cJSON_GetObjectItemCaseSensitive(r, "includes");
    if (exc) {
        const cJSON *caps = cJSON_GetObjectItemCaseSensitive(exc, "caps");
        for (const cJSON *c = caps ? caps->child : NULL; c; c = c->next)
            if (has_cap(env, c->valuestring)) return 0;
        if (in_list(cJSON_GetObjectItemCaseSensitive(exc, "arches"), arch)) return 0;
    }
    if (inc) {
        const cJSON *caps = cJSON_GetObjectItemCaseSensitive(inc, "caps");
        for (const cJSON *c = caps ? caps->child : NULL; c; c = c->next)
            if (!has_cap(env, c->valuestring)) return 0;
        const cJSON *arches = cJSON_GetObjectItemCaseSensitive(inc, "arches");
        if (arches && arches->child && !in_list(arches, arch)) return 0;
        const cJSON *mk = cJSON_GetObjectItemCaseSensitive(inc, "minKernel");
        unsigned a = 0, b = 0;
        if (mk && sscanf(mk->valuestring, "%u.%u", &a, &b) == 2 &&
            (env->kernel_major < a || (env->kernel_major == a && env->kernel_minor < b)))
            return 0;
    }
    return 1;
}

static int note_ignored(kt_profile *p, const char *name, kt_err *err)
{
    for (size_t i = 0; i < p->nignored; i++)
        if (strcmp(p->ignored[i], name) == 0) return 0;
    char **n = realloc(p->ignored, (p->nignored + 1) * sizeof *n);
    if (!n) return kt_fail(err, KT_E_NOMEM, "out of memory");
    p->ignored = n;
    if (!(p->ignored[p->nignored] = strdup(name))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    p->nignored++;
    return 0;
}

static int note_denied(kt_profile *p, const char *name, uint32_t act, int has_args, kt_err *err)
{
    if (p->ndenied == p->capdenied) {
        size_t cap = p->capdenied ? p->capdenied * 2 : 64;
        kt_denied *d = realloc(p->denied, cap * sizeof *d);
        if (!d) return kt_fail(err, KT_E_NOMEM, "out of memory");
        p->denied = d;
        p->capdenied = cap;
    }
    kt_denied *d = &p->denied[p->ndenied++];
    snprintf(d->name, sizeof d->name, "%s", name);
    d->action = act;
    d->has_args = has_args;
    return 0;
}

static int add_rule(kt_profile *p, scmp_filter_ctx ctx, const cJSON *r, int idx, kt_err *err)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "names");
    const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(r, "name");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(r, "action");
    const cJSON *eret = cJSON_GetObjectItemCaseSensitive(r, "errnoRet");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(r, "args");
    uint32_t act;
    kt_profile_action(action->valuestring, eret ? (int)eret->valuedouble : EPERM, &act);
    if (act == SCMP_ACT_NOTIFY)
        return kt_fail(err, KT_E_DATA,
                       "%s: $.syscalls[%d].action: SCMP_ACT_NOTIFY needs a "
                       "seccomp agent, which kiemthu-sandbox does not run",
                       p->name, idx);
    struct scmp_arg_cmp conds[6 * 8];
    unsigned nconds = 0, seen[6] = {0};
    int repeated = 0;
    for (const cJSON *a = args ? args->child : NULL; a && nconds < 48; a = a->next) {
        const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(a, "valueTwo");
        enum scmp_compare op = SCMP_CMP_EQ; /* validated: op_of succeeds */
        op_of(cJSON_GetObjectItemCaseSensitive(a, "op")->valuestring, &op);
        unsigned ix = (unsigned)cJSON_GetObjectItemCaseSensitive(a, "index")->valuedouble;
        repeated |= seen[ix]++ > 0;
        conds[nconds++] = (struct scmp_arg_cmp){
            .arg = ix,
            .op = op,
            .datum_a = (scmp_datum_t)cJSON_GetObjectItemCaseSensitive(a, "value")->valuedouble,
            .datum_b = v2 ? (scmp_datum_t)v2->valuedouble : 0,
        };
    }
    const cJSON *list = names ? names->child : legacy;
    for (const cJSON *n = list; n; n = names ? n->next : NULL) {
        int nr = seccomp_syscall_resolve_name(n->valuestring);
        if (nr == __NR_SCMP_ERROR) {
            if (note_ignored(p, n->valuestring, err) < 0) return -1;
            continue;
        }
        uint32_t this_act = act;
        if (p->exec_once &&
            (!strcmp(n->valuestring, "execve") || !strcmp(n->valuestring, "execveat"))) {
            p->exec_rule = 1;
            if (act != SCMP_ACT_ALLOW && act != SCMP_ACT_LOG) {
                p->exec_errno =
                    (act & 0xffff0000U) == SCMP_ACT_ERRNO(0) ? (int)(act & 0xffff) : EPERM;
                if (nconds) /* a conditional exec rule cannot be made exec-once */
                    return kt_fail(err, KT_E_DATA,
                                   "%s: $.syscalls[%d]: --exec-once needs "
                                   "unconditional execve/execveat rules",
                                   p->name, idx);
                this_act = SCMP_ACT_NOTIFY;
            }
        }
        if (this_act == p->defact) continue; /* same as the default: nothing to add */
        int rc = 0;
        if (this_act == SCMP_ACT_NOTIFY)
            rc = seccomp_rule_add(ctx, this_act, nr, 0);
        else if (nconds == 0)
            rc = seccomp_rule_add(ctx, act, nr, 0);
        else if (!repeated)
            rc = seccomp_rule_add_array(ctx, act, nr, nconds, conds);
        else /* runc: several conditions on one index -> one rule per condition */
            for (unsigned i = 0; i < nconds && rc == 0; i++)
                rc = seccomp_rule_add_array(ctx, act, nr, 1, &conds[i]);
        if (rc < 0)
            return kt_fail_errno(err, KT_E_DATA, -rc,
                                 "%s: $.syscalls[%d]: libseccomp refused "
                                 "the rule for %s",
                                 p->name, idx, n->valuestring);
        if (act != SCMP_ACT_ALLOW && act != SCMP_ACT_LOG &&
            note_denied(p, n->valuestring, act, nconds > 0, err) < 0)
            return -1;
    }
    return 0;
}

static int add_arch(scmp_filter_ctx ctx, uint32_t tok, kt_err *err, const char *file)
{
    if (!tok) return 0; /* valid, but unknown to this libseccomp: cannot be native */
    int rc = seccomp_arch_add(ctx, tok);
    if (rc < 0 && rc != -EEXIST)
        return kt_fail_errno(err, KT_E_DATA, -rc, "%s: cannot add architecture", file);
    return 0;
}

static int compile(kt_profile *p, const kt_profile_env *env, scmp_filter_ctx *out, kt_err *err);

int kt_profile_compile(kt_profile *p, const kt_profile_env *env, scmp_filter_ctx *out, kt_err *err)
{
    p->exec_once = 0;
    return compile(p, env, out, err);
}

int kt_profile_compile_exec_once(kt_profile *p, const kt_profile_env *env, scmp_filter_ctx *out,
                                 int *errno_out, kt_err *err)
{
    p->exec_once = 1;
    p->exec_errno = 0;
    p->exec_rule = 0;
    int rc = compile(p, env, out, err);
    p->exec_once = 0;
    if (rc < 0) return -1;
    /* Denied by the default action rather than a rule: add the notify rules. */
    if (!p->exec_rule && p->defact != SCMP_ACT_ALLOW && p->defact != SCMP_ACT_LOG) {
        p->exec_errno =
            (p->defact & 0xffff0000U) == SCMP_ACT_ERRNO(0) ? (int)(p->defact & 0xffff) : EPERM;
        static const char *const names[] = {"execve", "execveat"};
        for (int i = 0; i < 2; i++) {
            int nr = seccomp_syscall_resolve_name(names[i]);
            if (nr != __NR_SCMP_ERROR &&
                (rc = seccomp_rule_add(*out, SCMP_ACT_NOTIFY, nr, 0)) < 0) {
                seccomp_release(*out);
                return kt_fail_errno(err, KT_E_DATA, -rc, "%s: cannot add the exec-once rule",
                                     p->name);
            }
        }
    }
    *errno_out = p->exec_errno;
    return 0;
}

static int compile(kt_profile *p, const kt_profile_env *env, scmp_filter_ctx *out, kt_err *err)
{
    const cJSON *root = p->root;
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(root, "defaultAction");
    const cJSON *der = cJSON_GetObjectItemCaseSensitive(root, "defaultErrnoRet");
    kt_profile_action(da->valuestring, der ? (int)der->valuedouble : EPERM, &p->defact);
    if (p->defact == SCMP_ACT_NOTIFY)
        return kt_fail(err, KT_E_DATA,
                       "%s: $.defaultAction: SCMP_ACT_NOTIFY needs a seccomp "
                       "agent, which kiemthu-sandbox does not run",
                       p->name);
    p->ndenied = 0;
    scmp_filter_ctx ctx = seccomp_init(p->defact);
    if (!ctx)
        return kt_fail(err, KT_E_INTERNAL, "%s: libseccomp could not start a filter", p->name);
    uint32_t native = seccomp_arch_native();
    const cJSON *arches = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *amap = cJSON_GetObjectItemCaseSensitive(root, "archMap");
    int rc = 0;
    for (const cJSON *a = arches ? arches->child : NULL; a && rc == 0; a = a->next)
        rc = add_arch(ctx, arch_token(a->valuestring), err, p->name);
    for (const cJSON *m = amap ? amap->child : NULL; m && rc == 0; m = m->next) {
        /* runc: only the entry for the native architecture counts */
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "architecture");
        if (arch_token(a->valuestring) != native) continue;
        const cJSON *subs = cJSON_GetObjectItemCaseSensitive(m, "subArchitectures");
        for (const cJSON *s = cJSON_IsArray(subs) ? subs->child : NULL; s && rc == 0; s = s->next)
            rc = add_arch(ctx, arch_token(s->valuestring), err, p->name);
    }
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(root, "flags");
    for (const cJSON *f = flags ? flags->child : NULL; f && rc == 0; f = f->next) {
        if (strcmp(f->valuestring, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        else if (strcmp(f->valuestring, "SECCOMP_FILTER_FLAG_LOG") == 0)
            rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        else if (strcmp(f->valuestring, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        /* WAIT_KILLABLE_RECV only changes how a notify agent is woken: no agent here. */
        if (rc < 0)
            rc = kt_fail_errno(err, KT_E_DATA, -rc, "%s: $.flags: %s", p->name, f->valuestring);
    }
    const char *arch = go_arch(native);
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
    int i = 0;
    for (const cJSON *r = sys ? sys->child : NULL; r && rc == 0; r = r->next, i++)
        if (rule_applies(r, env, arch)) rc = add_rule(p, ctx, r, i, err);
    if (rc < 0) {
        seccomp_release(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}

int kt_profile_export(scmp_filter_ctx ctx, kt_bpf *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    int fd = memfd_create("kiemthu-bpf", MFD_CLOEXEC);
    if (fd < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "memfd_create");
    int rc = seccomp_export_bpf(ctx, fd);
    off_t n = rc < 0 ? -1 : lseek(fd, 0, SEEK_CUR);
    if (rc < 0 || n <= 0 || n % (off_t)sizeof(struct sock_filter) != 0 ||
        n / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        close(fd);
        return kt_fail(err, KT_E_DATA, "the compiled seccomp filter is not usable (%s)",
                       rc < 0 ? strerror(-rc) : "bad size or more than 4096 instructions");
    }
    out->insns = malloc((size_t)n);
    if (!out->insns || pread(fd, out->insns, (size_t)n, 0) != n) {
        close(fd);
        kt_bpf_free(out);
        return kt_fail(err, KT_E_INTERNAL, "cannot read the compiled seccomp filter");
    }
    close(fd);
    out->len = (unsigned short)(n / (off_t)sizeof(struct sock_filter));
    uint32_t v = 0;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v)
        out->flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v)
        out->flags |= SECCOMP_FILTER_FLAG_LOG;
    if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v)
        out->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    return 0;
}

void kt_bpf_free(kt_bpf *b)
{
    free(b->insns);
    memset(b, 0, sizeof *b);
}
