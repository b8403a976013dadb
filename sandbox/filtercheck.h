/* filtercheck.h - hold libseccomp to the rules it was given.
 *
 * libseccomp turns rules into BPF; kiemthu does not trust that step. 2.5.4
 * (Debian 12) and 2.6.1 both compile two rules on one syscall with 64-bit
 * LT/LE/GT/GE conditions on one argument into a filter whose second rule
 * compares the wrong half of the argument (`arg0 < 5` and
 * `arg0 < 0x100000005` -> ERRNO: `arg0 == 5` is allowed), and 2.5.4 has
 * GHSA-4q85-33p6-j5g6 (merged 64-bit comparisons take the wrong action).
 * Either would make run.json say "this profile" of a weaker filter.
 *
 * So every rule given to libseccomp is kept, and the exported program is run
 * (bpfeval.h) on every architecture in it, for every syscall number the rules
 * become there (x86's socketcall and ipc too: libseccomp adds a rule on the
 * direct call with the rule's conditions and one on the multiplexer with
 * arg0 = the call's number in place of the rule's arg0 condition), at:
 * each value a condition names, one either side, the other 32-bit half
 * changed, masked bits flipped, 0 and all ones; then every constant the
 * program itself compares an argument's word with (one either side, in that
 * word), until no new one turns up; in every combination over the arguments.
 * The filter's answer must be the action of a rule whose conditions all hold
 * there (libseccomp picks one where several do), or the default where none
 * does. What cannot be checked within KT_FCHECK_MAX_* is refused, not
 * passed. */
#ifndef KT_FILTERCHECK_H
#define KT_FILTERCHECK_H

#include "../core/buf.h"
#include "../core/err.h"

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#define KT_FCHECK_MAX_VALUES 1024      /* values tried for one argument */
#define KT_FCHECK_MAX_GROUP (1 << 20)  /* points for one syscall number */
#define KT_FCHECK_MAX_POINTS (1 << 20) /* points for one filter (0.1-3 s) */
#define KT_FCHECK_MAX_ARCHES 16

/* One seccomp_rule_add as made: the name (kept by the caller until the check
 * has run), its native number, action, conditions (ANDed, at most one per
 * argument, as libseccomp takes them). */
typedef struct kt_fcrule {
    const char *name;
    int nr;
    uint32_t act;
    unsigned ncond;
    struct scmp_arg_cmp cond[6];
} kt_fcrule;

typedef struct kt_fcheck {
    kt_buf rules;                          /* kt_fcrule[] */
    uint32_t arches[KT_FCHECK_MAX_ARCHES]; /* SCMP_ARCH_* in the filter */
    size_t narches;
} kt_fcheck;

void kt_fcheck_init(kt_fcheck *fc);

/* Remember a rule / an architecture (duplicates ignored). -1: no memory. */
int kt_fcheck_rule(kt_fcheck *fc, const char *name, int nr, uint32_t act, unsigned ncond,
                   const struct scmp_arg_cmp *cond, kt_err *err);
int kt_fcheck_arch(kt_fcheck *fc, uint32_t arch, kt_err *err);

/* Run insns (n struct sock_filter) at the points above. 0 and *points (how
 * many were run); -1 with KT_E_INTERNAL naming the syscall, architecture,
 * arguments, what the filter answered and what the rules say, or KT_E_LIMIT
 * where the points would exceed the limits above. */
int kt_fcheck_run(const kt_fcheck *fc, const void *insns, size_t n, uint32_t def, size_t *points,
                  kt_err *err);

void kt_fcheck_free(kt_fcheck *fc);

#endif
