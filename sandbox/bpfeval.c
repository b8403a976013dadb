/* bpfeval.c - classic BPF as seccomp runs it (bpfeval.h). */
#include "bpfeval.h"

#include <linux/filter.h>
#include <string.h>

static int alu(uint16_t op, uint32_t *a, uint32_t v)
{
    switch (op) {
    case BPF_ADD:
        *a += v;
        return 0;
    case BPF_SUB:
        *a -= v;
        return 0;
    case BPF_MUL:
        *a *= v;
        return 0;
    case BPF_DIV:
        *a = v ? *a / v : 0;
        return 0; /* the kernel: A / 0 ends in 0 */
    case BPF_MOD:
        *a = v ? *a % v : 0;
        return 0;
    case BPF_AND:
        *a &= v;
        return 0;
    case BPF_OR:
        *a |= v;
        return 0;
    case BPF_XOR:
        *a ^= v;
        return 0;
    case BPF_LSH:
        *a = v < 32 ? *a << v : 0;
        return 0;
    case BPF_RSH:
        *a = v < 32 ? *a >> v : 0;
        return 0;
    case BPF_NEG:
        *a = -*a;
        return 0;
    default:
        return -1;
    }
}

static int jump(uint16_t op, uint32_t a, uint32_t v, int *taken)
{
    switch (op) {
    case BPF_JEQ:
        *taken = a == v;
        return 0;
    case BPF_JGT:
        *taken = a > v;
        return 0;
    case BPF_JGE:
        *taken = a >= v;
        return 0;
    case BPF_JSET:
        *taken = (a & v) != 0;
        return 0;
    default:
        return -1;
    }
}

int kt_bpf_eval(const void *insns, size_t n, const struct seccomp_data *d, uint32_t *ret)
{
    const struct sock_filter *p = insns;
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
    /* Jumps only go forward: at most n steps. */
    for (size_t pc = 0; pc < n; pc++) {
        const struct sock_filter *i = &p[pc];
        uint16_t code = i->code;
        uint32_t k = i->k;
        switch (BPF_CLASS(code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;
            if (BPF_MODE(code) == BPF_ABS && BPF_SIZE(code) == BPF_W && BPF_CLASS(code) == BPF_LD) {
                if (k % 4 || k > sizeof *d - 4) return -1;
                memcpy(&v, (const char *)d + k, 4);
            } else if (BPF_MODE(code) == BPF_LEN && BPF_SIZE(code) == BPF_W) {
                v = (uint32_t)sizeof *d;
            } else if (BPF_MODE(code) == BPF_IMM) {
                v = k;
            } else if (BPF_MODE(code) == BPF_MEM) {
                if (k >= BPF_MEMWORDS) return -1;
                v = mem[k];
            } else {
                return -1;
            }
            if (BPF_CLASS(code) == BPF_LD)
                a = v;
            else
                x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS) return -1;
            mem[k] = BPF_CLASS(code) == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            if (alu(BPF_OP(code), &a, BPF_SRC(code) == BPF_X ? x : k) < 0) return -1;
            break;
        case BPF_JMP: {
            size_t to;
            if (BPF_OP(code) == BPF_JA) {
                to = pc + 1 + (size_t)k;
            } else {
                int taken;
                if (jump(BPF_OP(code), a, BPF_SRC(code) == BPF_X ? x : k, &taken) < 0) return -1;
                to = pc + 1 + (taken ? i->jt : i->jf);
            }
            if (to >= n || to < pc + 1) return -1;
            pc = to - 1;
            break;
        }
        case BPF_RET:
            if (BPF_RVAL(code) == BPF_K)
                *ret = k;
            else if (BPF_RVAL(code) == BPF_A)
                *ret = a;
            else
                return -1;
            return 0;
        case BPF_MISC:
            if (BPF_MISCOP(code) == BPF_TAX)
                x = a;
            else if (BPF_MISCOP(code) == BPF_TXA)
                a = x;
            else
                return -1;
            break;
        default:
            return -1;
        }
    }
    return -1; /* fell off the end */
}
