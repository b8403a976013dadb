#include "shipped.h"

#include "../core/cli.h"
#include "../core/datadir.h"
#include "profile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 256

static const kt_option opts[] = {
    {"names", 'n', NULL, "print the names only, one a line (for shell completion)"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The valid profile names in dir, sorted (malloc'd; the caller frees them). */
static size_t names_in(const char *dir, char **names, size_t max)
{
    DIR *d = opendir(dir);
    size_t k = 0;
    if (!d) return 0;
    struct dirent *de;
    while ((de = readdir(d)) && k < max) {
        size_t n = strlen(de->d_name);
        if (n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0) continue;
        char *name = strndup(de->d_name, n - 5);
        if (!name) break;
        if (kt_profile_name_valid(name))
            names[k++] = name;
        else
            free(name);
    }
    closedir(d);
    qsort(names, k, sizeof *names, by_name);
    return k;
}

static int listed(char **seen, size_t nseen, const char *name)
{
    for (size_t i = 0; i < nseen; i++)
        if (strcmp(seen[i], name) == 0) return 1;
    return 0;
}

int kt_shipped_resolve(const char **paths, size_t n, char store[][PATH_MAX], const char **baseline,
                       char bstore[PATH_MAX], kt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (kt_profile_resolve(paths[i], store[i], PATH_MAX, err) < 0) return -1;
        paths[i] = store[i];
    }
    if (!*baseline || !**baseline || strcmp(*baseline, "none") == 0) return 0;
    if (kt_profile_resolve(*baseline, bstore, PATH_MAX, err) < 0) return -1;
    *baseline = bstore;
    return 0;
}

int kt_cmd_profiles(int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    int names_only = 0, ch;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        if (ch == 'n') {
            names_only = 1;
        } else if (ch == 'h') {
            kt_cli_usage(stdout, "kiemthu-sandbox profiles [--names]",
                         "List the seccomp profiles that --profile NAME finds, with the sha256 a "
                         "policy pins\n(run_profiles_pinned) and the file, then where it looked.",
                         opts);
            return 0;
        } else {
            return KT_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "kiemthu-sandbox profiles: no arguments expected\n");
        return KT_EXIT_USAGE;
    }
    char dirs[KT_DATADIR_SEARCH_MAX][PATH_MAX];
    size_t ndirs = kt_profile_dirs(dirs);
    char *seen[MAX_LISTED];
    size_t nseen = 0;
    for (size_t i = 0; i < ndirs; i++) {
        char *names[MAX_LISTED];
        size_t k = names_in(dirs[i], names, MAX_LISTED);
        for (size_t j = 0; j < k; j++) {
            char path[PATH_MAX + 256];
            snprintf(path, sizeof path, "%s/%s.json", dirs[i], names[j]);
            kt_profile *p = NULL;
            kt_err err;
            /* Only what loads as a seccomp profile (profiles/ also holds the policy). */
            if (listed(seen, nseen, names[j]) || nseen == MAX_LISTED ||
                kt_profile_load(path, &p, &err) < 0) {
                free(names[j]);
                continue;
            }
            if (names_only)
                printf("%s\n", names[j]);
            else
                printf("%-28s %s  %s\n", names[j], kt_profile_sha256(p), path);
            kt_profile_free(p);
            seen[nseen++] = names[j];
        }
    }
    if (!names_only) {
        printf("\nsearched, in order (--profile NAME is the first NAME.json found):\n");
        for (size_t i = 0; i < ndirs; i++) {
            DIR *d = opendir(dirs[i]);
            printf("  %s%s\n", dirs[i], d ? "" : " (not there)");
            if (d) closedir(d);
        }
    }
    for (size_t i = 0; i < nseen; i++) free(seen[i]);
    return 0;
}
