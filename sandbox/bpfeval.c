/* bpfeval.c - classic BPF as seccomp runs it (bpfeval.h): the opcodes
 * seccomp_check_filter() accepts, with the kernel's classic-to-eBPF
 * semantics (a division by an X of 0 ends the program with 0; a shift by X
 * uses its low 5 bits). What the kernel refuses at install time is -1. */
#include "bpfeval.h"

#include <linux/filter.h>
#include <string.h>

enum { OK, END, BAD };

static int alu(uint16_t code, uint32_t k, uint32_t x, uint32_t *a)
{
    int by_x = BPF_SRC(code) == BPF_X;
    uint32_t v = by_x ? x : k;
    switch (BPF_OP(code)) {
    case BPF_ADD:
        *a += v;
        return OK;
    case BPF_SUB:
        *a -= v;
        return OK;
    case BPF_MUL:
        *a *= v;
        return OK;
    case BPF_AND:
        *a &= v;
        return OK;
    case BPF_OR:
        *a |= v;
        return OK;
    case BPF_XOR:
        *a ^= v;
        return OK;
    case BPF_NEG:
        return by_x || k ? BAD : (*a = -*a, OK);
    case BPF_DIV:
        if (!by_x && !k) return BAD; /* refused at install */
        if (!v) return *a = 0, END;  /* the program returns 0 */
        *a /= v;
        return OK;
    case BPF_LSH:
    case BPF_RSH:
        if (!by_x && k >= 32) return BAD;
        v &= 31;
        *a = BPF_OP(code) == BPF_LSH ? *a << v : *a >> v;
        return OK;
    default:
        return BAD; /* BPF_MOD among them: seccomp does not take it */
    }
}

static int jump(uint16_t code, uint32_t a, uint32_t v, int *taken)
{
    switch (BPF_OP(code)) {
    case BPF_JEQ:
        *taken = a == v;
        return OK;
    case BPF_JGT:
        *taken = a > v;
        return OK;
    case BPF_JGE:
        *taken = a >= v;
        return OK;
    case BPF_JSET:
        *taken = (a & v) != 0;
        return OK;
    default:
        return BAD;
    }
}

/* Where A came from, for a trace: a word of seccomp_data and the AND masks
 * applied since, or nothing known (any other operation). */
#define NO_WORD 0xffU

static int run(const void *insns, size_t n, const struct seccomp_data *d, uint32_t known,
               uint32_t *ret, const kt_bpf_trace *tr);

int kt_bpf_eval(const void *insns, size_t n, const struct seccomp_data *d, uint32_t *ret)
{
    return run(insns, n, d, ~0U, ret, NULL);
}

int kt_bpf_eval_known(const void *insns, size_t n, const struct seccomp_data *d, uint32_t known,
                      uint32_t *ret)
{
    return run(insns, n, d, known, ret, NULL);
}

int kt_bpf_eval_trace(const void *insns, size_t n, const struct seccomp_data *d, uint32_t *ret,
                      const kt_bpf_trace *tr)
{
    return run(insns, n, d, ~0U, ret, tr);
}

static int run(const void *insns, size_t n, const struct seccomp_data *d, uint32_t known,
               uint32_t *ret, const kt_bpf_trace *tr)
{
    const struct sock_filter *p = insns;
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0}, written = 0, amask = ~0U;
    unsigned aword = NO_WORD;
    /* Jumps only go forward: at most n steps. */
    for (size_t pc = 0; pc < n; pc++) {
        const struct sock_filter *i = &p[pc];
        uint16_t code = i->code;
        uint32_t k = i->k;
        switch (code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (k % 4 || k > sizeof *d - 4) return -1;
            if (!(known & 1U << (k / 4))) return -2;
            memcpy(&a, (const char *)d + k, 4);
            aword = k / 4;
            amask = ~0U;
            break;
        case BPF_LD | BPF_W | BPF_LEN:
            a = (uint32_t)sizeof *d;
            aword = NO_WORD;
            break;
        case BPF_LDX | BPF_W | BPF_LEN:
            x = (uint32_t)sizeof *d;
            break;
        case BPF_LD | BPF_IMM:
            a = k;
            aword = NO_WORD;
            break;
        case BPF_LDX | BPF_IMM:
            x = k;
            break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
            /* the kernel refuses a load of a slot no store reaches */
            if (k >= BPF_MEMWORDS || !(written & 1U << k)) return -1;
            *(code == (BPF_LD | BPF_MEM) ? &a : &x) = mem[k];
            if (code == (BPF_LD | BPF_MEM)) aword = NO_WORD;
            break;
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS) return -1;
            mem[k] = code == BPF_ST ? a : x;
            written |= 1U << k;
            break;
        case BPF_MISC | BPF_TAX:
            x = a;
            break;
        case BPF_MISC | BPF_TXA:
            a = x;
            aword = NO_WORD;
            break;
        case BPF_RET | BPF_K:
            *ret = k;
            return 0;
        case BPF_RET | BPF_A:
            *ret = a;
            return 0;
        case BPF_JMP | BPF_JEQ | BPF_K: /* most of a libseccomp program: inline */
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_K: {
            if (pc + 1 + i->jt >= n || pc + 1 + i->jf >= n) return -1;
            if (tr && aword != NO_WORD) tr->cmp(tr->ctx, aword, amask, BPF_OP(code), k);
            int taken = BPF_OP(code) == BPF_JEQ ? a == k : BPF_OP(code) == BPF_JGT ? a > k : a >= k;
            pc += taken ? i->jt : i->jf;
            break;
        }
        case BPF_JMP | BPF_JA: {
            size_t to = pc + 1 + (size_t)k;
            if (to >= n) return -1;
            pc = to - 1;
            break;
        }
        default:
            if (BPF_CLASS(code) == BPF_ALU && (code & ~(0xf0 | BPF_X)) == BPF_ALU) {
                if (code == (BPF_ALU | BPF_AND | BPF_K))
                    amask &= k;
                else
                    aword = NO_WORD;
                int r = alu(code, k, x, &a);
                if (r == BAD) return -1;
                if (r == END) return *ret = 0, 0;
            } else if (BPF_CLASS(code) == BPF_JMP && (code & ~(0xf0 | BPF_X)) == BPF_JMP) {
                int taken;
                if (tr && aword != NO_WORD && BPF_SRC(code) == BPF_K)
                    tr->cmp(tr->ctx, aword, amask, BPF_OP(code), k);
                if (jump(code, a, BPF_SRC(code) == BPF_X ? x : k, &taken) != OK) return -1;
                /* both targets must be in the program, taken or not */
                if (pc + 1 + i->jt >= n || pc + 1 + i->jf >= n) return -1;
                pc += taken ? i->jt : i->jf;
            } else {
                return -1;
            }
        }
    }
    return -1; /* fell off the end */
}
