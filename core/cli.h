/* cli.h - one option table drives both getopt_long and the usage text. */
#ifndef KT_CLI_H
#define KT_CLI_H

#include <getopt.h>
#include <stdio.h>

/* Exit codes shared by every tool (sysexits.h values where they fit). */
enum {
    KT_EXIT_OK = 0,
    KT_EXIT_FAIL = 1,       /* verify: authentic but adjudicates FAIL; create: verdict FAIL */
    KT_EXIT_REJECT = 2,     /* verify: not authentic or not intact */
    KT_EXIT_UNCHECKED = 3,  /* verify: could not be checked (I/O, a limit): no finding */
    KT_EXIT_NO_POLICY = 4,  /* verify: authentic and intact, but no policy adjudicated it */
    KT_EXIT_USAGE = 64,     /* EX_USAGE */
    KT_EXIT_DATAERR = 65,   /* EX_DATAERR: malformed input */
    KT_EXIT_NOINPUT = 66,   /* EX_NOINPUT: input missing */
    KT_EXIT_SOFTWARE = 70,  /* EX_SOFTWARE: internal error, out of memory */
    KT_EXIT_CANTCREAT = 73, /* EX_CANTCREAT: output cannot be created */
    KT_EXIT_IOERR = 74,     /* EX_IOERR: read/write failure, disk full */
};

typedef struct kt_option {
    const char *name;    /* long name */
    int val;             /* short option character, or a value >= 256 for long-only */
    const char *argname; /* NULL: takes no argument */
    const char *help;
} kt_option;

#define KT_CLI_MAX_OPTS 32

typedef struct kt_cli {
    struct option longopts[KT_CLI_MAX_OPTS + 1];
    char shortopts[3 * KT_CLI_MAX_OPTS + 2];
} kt_cli;

/* For progress lines on a terminal: 1 at most four times a second. */
int kt_cli_progress_due(void);

/* Build getopt tables from a table ending in {NULL}. */
void kt_cli_init(kt_cli *cli, const kt_option *opts);
void kt_cli_usage(FILE *f, const char *synopsis, const char *about, const kt_option *opts);

#endif
