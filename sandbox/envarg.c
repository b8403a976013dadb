#include "envarg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t name_len(const char *s)
{
    size_t n = 0;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return 0;
    while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
           (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
        n++;
    return n;
}

/* envp slot for a variable of this name: an existing one, or a new one. */
static char **slot(kt_sandbox *sb, const char *entry, size_t nlen)
{
    if (nlen == 4 && strncmp(entry, "PATH", 4) == 0) return &sb->envp[0];
    for (size_t i = 1; i <= sb->nenv; i++)
        if (strncmp(sb->envp[i], entry, nlen) == 0 && sb->envp[i][nlen] == '=') return &sb->envp[i];
    if (sb->nenv == KT_SB_MAX_ENV) return NULL;
    return &sb->envp[1 + sb->nenv++];
}

int kt_env_add(kt_sandbox *sb, char *arg, int *user_path, kt_err *err)
{
    size_t nlen = name_len(arg);
    if (nlen == 0 || nlen > 255 || (arg[nlen] != '=' && arg[nlen] != '\0'))
        return kt_fail(err, KT_E_USAGE,
                       "--env takes K=V or NAME (a name is letters, digits and '_', not starting "
                       "with a digit), not \"%.200s\"",
                       arg);
    char *entry = arg;
    if (arg[nlen] == '\0') {
        const char *v = getenv(arg);
        if (!v)
            return kt_fail(err, KT_E_USAGE,
                           "--env %s: %s is not set here (--env %s= passes an empty value)", arg,
                           arg, arg);
        if (sb->nenv_host == KT_SB_MAX_ENV + 1 || asprintf(&entry, "%s=%s", arg, v) < 0)
            return kt_fail(err, KT_E_USAGE, "--env %s: too many variables", arg);
        sb->env_host[sb->nenv_host++] = entry;
    }
    char **s = slot(sb, entry, nlen);
    if (!s) return kt_fail(err, KT_E_USAGE, "--env: at most %d variables", KT_SB_MAX_ENV);
    *s = entry;
    if (s == &sb->envp[0]) *user_path = 1;
    return 0;
}

int kt_env_from_host(const kt_sandbox *sb, const char *entry)
{
    for (size_t i = 0; i < sb->nenv_host; i++)
        if (sb->env_host[i] == entry) return 1;
    return 0;
}

void kt_env_free(kt_sandbox *sb)
{
    for (size_t i = 0; i < sb->nenv_host; i++) free(sb->env_host[i]);
    sb->nenv_host = 0;
}
