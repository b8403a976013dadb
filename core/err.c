#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Formatted aside first: a caller may wrap the message already there
 * (kt_fail(err, cls, "invalid profile: %s", err->msg)), and a format whose
 * argument is the buffer it writes into is undefined behaviour. */
static void vfill(kt_err *err, enum kt_errclass cls, const char *fmt, va_list ap)
{
    char msg[sizeof err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    err->cls = cls;
    memcpy(err->msg, msg, sizeof msg);
}

int kt_fail(kt_err *err, enum kt_errclass cls, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vfill(err, cls, fmt, ap);
    va_end(ap);
    return -1;
}

int kt_fail_errno(kt_err *err, enum kt_errclass cls, int errnum, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfill(err, cls, fmt, ap);
        va_end(ap);
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
    }
    errno = saved;
    return -1;
}

int kt_err_member(kt_err *err, const char *member)
{
    if (err && member) snprintf(err->member, sizeof err->member, "%s", member);
    return -1;
}

const char *kt_errclass_name(enum kt_errclass cls)
{
    switch (cls) {
    case KT_E_NONE:
        return "none";
    case KT_E_USAGE:
        return "usage";
    case KT_E_NOINPUT:
        return "no-input";
    case KT_E_DATA:
        return "data";
    case KT_E_CANTCREAT:
        return "cant-create";
    case KT_E_IO:
        return "io";
    case KT_E_NOMEM:
        return "no-memory";
    case KT_E_AUTH:
        return "authenticity";
    case KT_E_TAMPER:
        return "integrity";
    case KT_E_LIMIT:
        return "limit";
    case KT_E_INTERNAL:
        return "internal";
    }
    return "unknown";
}

void kt_err_clear(kt_err *err)
{
    if (!err) return;
    err->cls = KT_E_NONE;
    err->member[0] = '\0';
    err->msg[0] = '\0';
}
