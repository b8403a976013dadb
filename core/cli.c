#include "cli.h"

#include <string.h>
#include <time.h>

void kt_cli_init(kt_cli *cli, const kt_option *opts)
{
    size_t n = 0, s = 0;
    cli->shortopts[s++] = '+'; /* stop at the first non-option (for "-- CMD") */
    for (; opts[n].name && n < KT_CLI_MAX_OPTS; n++) {
        cli->longopts[n] = (struct option){
            opts[n].name, opts[n].argname ? required_argument : no_argument, NULL, opts[n].val};
        if (opts[n].val > 0 && opts[n].val < 256) {
            cli->shortopts[s++] = (char)opts[n].val;
            if (opts[n].argname) cli->shortopts[s++] = ':';
        }
    }
    memset(&cli->longopts[n], 0, sizeof cli->longopts[n]);
    cli->shortopts[s] = '\0';
}

void kt_cli_usage(FILE *f, const char *synopsis, const char *about, const kt_option *opts)
{
    fprintf(f, "Usage: %s\n", synopsis);
    if (about) fprintf(f, "%s\n", about);
    fprintf(f, "\nOptions:\n");
    for (size_t i = 0; opts[i].name; i++) {
        char left[64];
        if (opts[i].val > 0 && opts[i].val < 256)
            snprintf(left, sizeof left, "-%c, --%s%s%s", opts[i].val, opts[i].name,
                     opts[i].argname ? " " : "", opts[i].argname ? opts[i].argname : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", opts[i].name, opts[i].argname ? " " : "",
                     opts[i].argname ? opts[i].argname : "");
        fprintf(f, "  %-28s %s\n", left, opts[i].help);
    }
}

int kt_cli_progress_due(void)
{
    static struct timespec last; /* one progress line per process */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 < 250) return 0;
    last = now;
    return 1;
}
