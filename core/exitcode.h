/* exitcode.h - map an error class to the documented exit code. */
#ifndef KT_EXITCODE_H
#define KT_EXITCODE_H

#include "cli.h"
#include "err.h"

static inline int kt_exit_code(enum kt_errclass cls)
{
    switch (cls) {
    case KT_E_NONE:
        return KT_EXIT_OK;
    case KT_E_USAGE:
        return KT_EXIT_USAGE;
    case KT_E_NOINPUT:
        return KT_EXIT_NOINPUT;
    case KT_E_DATA:
    case KT_E_LIMIT:
    case KT_E_AUTH:
    case KT_E_TAMPER:
        return KT_EXIT_DATAERR;
    case KT_E_CANTCREAT:
        return KT_EXIT_CANTCREAT;
    case KT_E_IO:
        return KT_EXIT_IOERR;
    case KT_E_NOMEM:
    case KT_E_INTERNAL:
        return KT_EXIT_SOFTWARE;
    }
    return KT_EXIT_SOFTWARE;
}

#endif
