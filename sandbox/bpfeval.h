/* bpfeval.h - run a seccomp filter (classic BPF) on one syscall, in user
 * space, as the kernel would: which action it returns for that syscall
 * number, architecture and arguments. The runner asks it whether a profile
 * lets the baseline be installed after it (seccomp(2) itself allowed); the
 * tests use it to compare two filters on every syscall. */
#ifndef KT_BPFEVAL_H
#define KT_BPFEVAL_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* insns: n struct sock_filter. *ret gets the filter's return value
 * (SECCOMP_RET_ACTION_FULL | data). -1 if the program is not one the kernel
 * would accept on this path (an unknown opcode, a load outside seccomp_data
 * or scratch memory, a jump past its end, no return). */
int kt_bpf_eval(const void *insns, size_t n, const struct seccomp_data *d, uint32_t *ret);

/* The 32-bit words of struct seccomp_data, for kt_bpf_eval_known's mask. */
#define KT_BPF_W_NR (1U << 0)
#define KT_BPF_W_ARCH (1U << 1)
#define KT_BPF_W_IP (3U << 2)
#define KT_BPF_W_ARG(i) (3U << (4 + 2 * (i))) /* both halves of args[i] */

/* The same, where only the words in known hold the values the kernel will
 * see: -2 if the program loads any other on this path (its answer would
 * depend on a value the caller cannot know: a pointer, a register the call
 * does not set, the instruction pointer). */
int kt_bpf_eval_known(const void *insns, size_t n, const struct seccomp_data *d, uint32_t known,
                      uint32_t *ret);

/* The same, telling tr->cmp of every comparison of A with a constant that
 * runs while A holds a word of seccomp_data (word: its index, 4..15 the
 * arguments; mask: the AND masks applied to it since; op: BPF_JEQ, BPF_JGT,
 * BPF_JGE or BPF_JSET): the values at which the program can change its mind
 * about an argument, whatever its rules meant to compare (filtercheck.h). */
typedef struct kt_bpf_trace {
    void (*cmp)(void *ctx, unsigned word, uint32_t mask, unsigned op, uint32_t k);
    void *ctx;
} kt_bpf_trace;
int kt_bpf_eval_trace(const void *insns, size_t n, const struct seccomp_data *d, uint32_t *ret,
                      const kt_bpf_trace *tr);

#endif
