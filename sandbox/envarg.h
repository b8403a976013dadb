/* envarg.h - the payload's environment: empty but PATH, plus --env.
 *
 * --env K=V adds K with the value V, recorded in run.json (isolation.env).
 * --env NAME passes the host's value of NAME through, as docker run -e NAME
 * does; its value is not recorded (run.json lists NAME in
 * isolation.env_from_host), so a token can reach the payload without
 * entering the evidence. NAME unset on the host is an error (--env NAME=
 * passes an empty value). A later --env of a name replaces an earlier one;
 * PATH replaces the default PATH. Names are [A-Za-z_][A-Za-z0-9_]*. */
#ifndef KT_ENVARG_H
#define KT_ENVARG_H

#include "../core/err.h"
#include "sandbox.h"

/* Add one --env argument. *user_path is set when it sets PATH. -1 with err
 * (KT_E_USAGE) for a malformed argument, an unset NAME or too many. */
int kt_env_add(kt_sandbox *sb, char *arg, int *user_path, kt_err *err);

/* 1 if the entry envp (as in sb->envp) came from the host (--env NAME). */
int kt_env_from_host(const kt_sandbox *sb, const char *entry);

/* Free what kt_env_add allocated. */
void kt_env_free(kt_sandbox *sb);

#endif
