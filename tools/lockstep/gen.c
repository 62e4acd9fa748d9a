/*
 * Random instruction sequences for the lockstep checker: a weighted table
 * of templates, each of which encodes one instruction (or a short group,
 * such as DIV with the set-up that keeps it from faulting) with random
 * operands.  See gen.h for the rules every sequence obeys.
 */
#include <string.h>

#include "tools/lockstep/gen.h"

const uint8_t gen_end_marker[GEN_END_LEN] = {
    0x4d, 0x89, 0x3f,           /* mov %r15, (%r15) */
    0xeb, 0xfe,                 /* jmp . */
};

#define F_CF X86_FLAG_CF
#define F_PF X86_FLAG_PF
#define F_AF X86_FLAG_AF
#define F_ZF X86_FLAG_ZF
#define F_SF X86_FLAG_SF
#define F_OF X86_FLAG_OF
#define F_ALL GEN_ARITH_FLAGS

#define NOREG   0xff
#define RIPREL  0xfe

/* A ModRM r/m operand: a register, or [base + index << scale + disp]. */
typedef struct Rm {
    bool mem;
    uint8_t reg;
    uint8_t base;               /* NOREG never happens; RIPREL for LEA only */
    uint8_t index;              /* NOREG: none */
    uint8_t scale;
    int32_t disp;
    uint8_t dispsz;             /* 0, 1 or 4 */
    bool sib;                   /* use a SIB byte even when not needed */
} Rm;

/* One instruction to encode. */
typedef struct Enc {
    uint8_t pfx[3];             /* legacy prefixes, in this order */
    unsigned npfx;
    bool rex_w;
    bool force_rex;
    uint8_t op[3];
    unsigned nop;
    bool modrm;
    uint8_t reg;                /* ModRM.reg: register or /digit */
    Rm rm;
    int opreg;                  /* register added to the last opcode byte, or -1 */
    uint64_t imm;
    unsigned immsz;
} Enc;

typedef struct Gen {
    GRand *rng;
    GenSeq *seq;
    uint32_t undef;             /* arithmetic flags undefined right now */
} Gen;

/* Registers generated code may write: all but RSP, R14 and R15. */
static const uint8_t writable_regs[] = {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13,
};

/* ------------------------------------------------------------------ */
/* Randomness helpers */

static unsigned rnd(Gen *g, unsigned n)
{
    return (unsigned)g_rand_int_range(g->rng, 0, (gint32)n);
}

static bool chance(Gen *g, unsigned percent)
{
    return rnd(g, 100) < percent;
}

static uint64_t rnd64(Gen *g)
{
    return ((uint64_t)g_rand_int(g->rng) << 32) | g_rand_int(g->rng);
}

static unsigned rnd_width(Gen *g, unsigned min)
{
    static const unsigned widths[] = { 1, 2, 4, 8 };
    unsigned w;

    do {
        w = widths[rnd(g, 4)];
    } while (w < min);
    return w;
}

static uint8_t dst_reg(Gen *g)
{
    return writable_regs[rnd(g, G_N_ELEMENTS(writable_regs))];
}

static uint8_t dst_reg_except(Gen *g, uint8_t a, uint8_t b)
{
    uint8_t r;

    do {
        r = dst_reg(g);
    } while (r == a || r == b);
    return r;
}

/* A source may also be one of the fixed registers (read-only use). */
static uint8_t src_reg(Gen *g)
{
    static const uint8_t fixed[] = { R_RSP, R_R14, R_R15 };

    if (chance(g, 8)) {
        return fixed[rnd(g, G_N_ELEMENTS(fixed))];
    }
    return dst_reg(g);
}

/* An immediate of SIZE bytes, often a small or boundary value. */
static uint64_t rnd_imm(Gen *g, unsigned size)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0xffffffff, ~0ull,
    };
    uint64_t v;

    switch (rnd(g, 4)) {
    case 0:
        v = special[rnd(g, G_N_ELEMENTS(special))];
        break;
    case 1:
        v = rnd(g, 16);
        break;
    default:
        v = rnd64(g);
        break;
    }
    return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/* ------------------------------------------------------------------ */
/* Operands */

static Rm rm_reg(uint8_t r)
{
    return (Rm){ .reg = r };
}

/*
 * A memory operand inside the data page for an access of SIZE bytes,
 * with its displacement ALIGNed (a power of two).
 */
static Rm rm_mem_aligned(Gen *g, unsigned size, unsigned align)
{
    Rm m = { .mem = true, .base = GEN_REG_DATA, .index = NOREG };
    unsigned slots;

    if (chance(g, 40)) {
        slots = (128 - size) / align + 1;   /* fits a disp8 */
    } else {
        slots = (GEN_DATA_SIZE - size) / align + 1;
    }
    m.disp = (int32_t)(rnd(g, slots) * align);
    if (m.disp == 0 && chance(g, 50)) {
        m.dispsz = 0;
    } else if (m.disp < 128 && chance(g, 80)) {
        m.dispsz = 1;
    } else {
        m.dispsz = 4;
    }
    m.sib = chance(g, 20);
    return m;
}

static Rm rm_mem(Gen *g, unsigned size)
{
    return rm_mem_aligned(g, size, chance(g, 70) ? size : 1);
}

/* A register (the instruction's destination if it writes r/m) or memory. */
static Rm rm_dst(Gen *g, unsigned size, unsigned mem_percent)
{
    return chance(g, mem_percent) ? rm_mem(g, size) : rm_reg(dst_reg(g));
}

static Rm rm_src(Gen *g, unsigned size, unsigned mem_percent)
{
    return chance(g, mem_percent) ? rm_mem(g, size) : rm_reg(src_reg(g));
}

/* ------------------------------------------------------------------ */
/* Encoder */

static void enc_init(Enc *e, unsigned size)
{
    memset(e, 0, sizeof(*e));
    e->opreg = -1;
    if (size == 2) {
        e->pfx[e->npfx++] = 0x66;
    }
    e->rex_w = size == 8;
}

static void enc_pfx(Enc *e, uint8_t p)
{
    g_assert(e->npfx < G_N_ELEMENTS(e->pfx));
    e->pfx[e->npfx++] = p;
}

static void enc_op(Enc *e, unsigned n, uint8_t a, uint8_t b, uint8_t c)
{
    const uint8_t ops[3] = { a, b, c };

    memcpy(e->op, ops, n);
    e->nop = n;
}

static void enc_modrm(Enc *e, uint8_t reg, Rm rm)
{
    e->modrm = true;
    e->reg = reg;
    e->rm = rm;
}

/* Byte registers 4-7 mean SPL..DIL only with a REX prefix. */
static void enc_byte_regs(Enc *e, bool reg_field_is_reg)
{
    if ((reg_field_is_reg && e->reg >= 4 && e->reg < 8) ||
        (e->modrm && !e->rm.mem && e->rm.reg >= 4 && e->rm.reg < 8) ||
        (e->opreg >= 4 && e->opreg < 8)) {
        e->force_rex = true;
    }
}

static void put8(GenSeq *s, uint8_t b)
{
    g_assert(s->code_len < GEN_CODE_MAX);
    s->code[s->code_len++] = b;
}

static void put_le(GenSeq *s, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        put8(s, (uint8_t)(v >> (8 * i)));
    }
}

static void emit_modrm(GenSeq *s, const Enc *e)
{
    const Rm *m = &e->rm;
    unsigned reg = e->reg & 7;
    unsigned mod, dispsz = m->dispsz;

    if (!m->mem) {
        put8(s, (uint8_t)(0xc0 | reg << 3 | (m->reg & 7)));
        return;
    }
    if (m->base == RIPREL) {
        put8(s, (uint8_t)(reg << 3 | 5));
        put_le(s, (uint32_t)m->disp, 4);
        return;
    }
    if (dispsz == 0 && (m->base & 7) == 5) {
        dispsz = 1;             /* mod 0 with base 5 would mean no base */
    }
    mod = dispsz == 0 ? 0 : dispsz == 1 ? 1 : 2;
    if (m->index == NOREG && !m->sib && (m->base & 7) != 4) {
        put8(s, (uint8_t)(mod << 6 | reg << 3 | (m->base & 7)));
    } else {
        unsigned idx = m->index == NOREG ? 4 : (m->index & 7);

        put8(s, (uint8_t)(mod << 6 | reg << 3 | 4));
        put8(s, (uint8_t)(m->scale << 6 | idx << 3 | (m->base & 7)));
    }
    put_le(s, (uint32_t)m->disp, dispsz);
}

static void emit(Gen *g, const Enc *e, const char *mnemonic)
{
    GenSeq *s = g->seq;
    unsigned start = s->code_len;
    unsigned rex = 0x40;

    g_assert(s->ninsns < GEN_MAX_INSNS);
    if (e->rex_w) {
        rex |= 8;
    }
    if (e->modrm) {
        rex |= (e->reg & 8) ? 4 : 0;
        if (e->rm.mem) {
            if (e->rm.index != NOREG && (e->rm.index & 8)) {
                rex |= 2;
            }
            if (e->rm.base != RIPREL && (e->rm.base & 8)) {
                rex |= 1;
            }
        } else if (e->rm.reg & 8) {
            rex |= 1;
        }
    }
    if (e->opreg >= 8) {
        rex |= 1;
    }
    for (unsigned i = 0; i < e->npfx; i++) {
        put8(s, e->pfx[i]);
    }
    if (rex != 0x40 || e->force_rex) {
        put8(s, (uint8_t)rex);
    }
    for (unsigned i = 0; i < e->nop; i++) {
        uint8_t b = e->op[i];

        if (i == e->nop - 1 && e->opreg >= 0) {
            b += e->opreg & 7;
        }
        put8(s, b);
    }
    if (e->modrm) {
        emit_modrm(s, e);
    }
    put_le(s, e->imm, e->immsz);
    s->insns[s->ninsns++] = (GenInsn){
        .offset = (uint16_t)start,
        .len = (uint8_t)(s->code_len - start),
        .mnemonic = mnemonic,
    };
    g_assert(s->code_len - start <= 15);
}

/* ------------------------------------------------------------------ */
/* Flags */

/* The instruction sets DEF and leaves UNDEF undefined. */
static void flags_write(Gen *g, uint32_t def, uint32_t undef)
{
    g->undef = (g->undef & ~def) | undef;
}

/* Whether the flags in NEED can be read now. */
static bool flags_ok(Gen *g, uint32_t need)
{
    return !(g->undef & need);
}

/* The flags condition code CC reads. */
static uint32_t cc_flags(unsigned cc)
{
    static const uint32_t need[8] = {
        F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF,
        F_ZF | F_SF | F_OF,
    };

    return need[(cc >> 1) & 7];
}

/* A condition code whose flags are defined, or -1. */
static int pick_cc(Gen *g)
{
    unsigned start = rnd(g, 16);

    for (unsigned i = 0; i < 16; i++) {
        unsigned cc = (start + i) & 15;

        if (flags_ok(g, cc_flags(cc))) {
            return (int)cc;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Integer templates: each returns false if it cannot be used right now. */

static const char *const alu_names[8] = {
    "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp",
};

static void alu_flags(Gen *g, unsigned op)
{
    bool logic = op == 1 || op == 4 || op == 6;

    flags_write(g, logic ? F_ALL & ~F_AF : F_ALL, logic ? F_AF : 0);
}

/* LOCK is valid on read-modify-write memory destinations. */
static void maybe_lock(Gen *g, Enc *e)
{
    if (e->rm.mem && chance(g, 15)) {
        enc_pfx(e, 0xf0);
    }
}

static bool t_alu_rm(Gen *g)
{
    unsigned op = rnd(g, 8), w = rnd_width(g, 1);
    bool to_reg = chance(g, 50);
    Enc e;

    if ((op == 2 || op == 3) && !flags_ok(g, F_CF)) {
        return false;
    }
    enc_init(&e, w);
    if (to_reg) {
        enc_op(&e, 1, (uint8_t)(op * 8 + (w == 1 ? 2 : 3)), 0, 0);
        enc_modrm(&e, dst_reg(g), rm_src(g, w, 30));
    } else {
        enc_op(&e, 1, (uint8_t)(op * 8 + (w == 1 ? 0 : 1)), 0, 0);
        enc_modrm(&e, src_reg(g), rm_dst(g, w, 40));
        if (op != 7) {
            maybe_lock(g, &e);
        }
    }
    if (w == 1) {
        enc_byte_regs(&e, true);
    }
    emit(g, &e, alu_names[op]);
    alu_flags(g, op);
    return true;
}

static bool t_alu_imm(Gen *g)
{
    unsigned op = rnd(g, 8), w = rnd_width(g, 1);
    Enc e;

    if ((op == 2 || op == 3) && !flags_ok(g, F_CF)) {
        return false;
    }
    enc_init(&e, w);
    if (chance(g, 20)) {
        /* short accumulator form */
        enc_op(&e, 1, (uint8_t)(op * 8 + (w == 1 ? 4 : 5)), 0, 0);
        e.immsz = w == 8 ? 4 : w;
    } else if (w > 1 && chance(g, 40)) {
        enc_op(&e, 1, 0x83, 0, 0);
        enc_modrm(&e, (uint8_t)op, rm_dst(g, w, 30));
        e.immsz = 1;
    } else {
        enc_op(&e, 1, w == 1 ? 0x80 : 0x81, 0, 0);
        enc_modrm(&e, (uint8_t)op, rm_dst(g, w, 30));
        e.immsz = w == 8 ? 4 : w;
    }
    e.imm = rnd_imm(g, e.immsz);
    if (e.modrm && op != 7) {
        maybe_lock(g, &e);
    }
    if (w == 1) {
        enc_byte_regs(&e, false);
    }
    emit(g, &e, alu_names[op]);
    alu_flags(g, op);
    return true;
}

static bool t_test(Gen *g)
{
    unsigned w = rnd_width(g, 1);
    Enc e;

    enc_init(&e, w);
    switch (rnd(g, 3)) {
    case 0:
        enc_op(&e, 1, w == 1 ? 0x84 : 0x85, 0, 0);
        enc_modrm(&e, src_reg(g), rm_src(g, w, 30));
        break;
    case 1:
        enc_op(&e, 1, w == 1 ? 0xf6 : 0xf7, 0, 0);
        enc_modrm(&e, 0, rm_src(g, w, 30));
        e.immsz = w == 8 ? 4 : w;
        break;
    default:
        enc_op(&e, 1, w == 1 ? 0xa8 : 0xa9, 0, 0);
        e.immsz = w == 8 ? 4 : w;
        break;
    }
    e.imm = rnd_imm(g, e.immsz);
    if (w == 1) {
        enc_byte_regs(&e, e.op[0] == 0x84);
    }
    emit(g, &e, "test");
    flags_write(g, F_ALL & ~F_AF, F_AF);
    return true;
}

static bool t_mov(Gen *g)
{
    unsigned w = rnd_width(g, 1);
    Enc e;

    enc_init(&e, w);
    switch (rnd(g, 4)) {
    case 0:
        enc_op(&e, 1, w == 1 ? 0x88 : 0x89, 0, 0);
        enc_modrm(&e, src_reg(g), rm_dst(g, w, 50));
        break;
    case 1:
        enc_op(&e, 1, w == 1 ? 0x8a : 0x8b, 0, 0);
        enc_modrm(&e, dst_reg(g), rm_src(g, w, 50));
        break;
    case 2:
        enc_op(&e, 1, w == 1 ? 0xc6 : 0xc7, 0, 0);
        enc_modrm(&e, 0, rm_dst(g, w, 50));
        e.immsz = w == 8 ? 4 : w;
        break;
    default:
        /* B0+r / B8+r, with a full 64-bit immediate under REX.W */
        enc_op(&e, 1, w == 1 ? 0xb0 : 0xb8, 0, 0);
        e.opreg = dst_reg(g);
        e.immsz = w;
        break;
    }
    if (w == 1) {
        enc_byte_regs(&e, e.op[0] == 0x88 || e.op[0] == 0x8a);
    }
    e.imm = rnd_imm(g, e.immsz);
    emit(g, &e, "mov");
    return true;
}

static const char *const shift_names[8] = {
    "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar",
};

static bool t_shift(Gen *g)
{
    static const uint8_t ops[] = { 0, 1, 2, 3, 4, 5, 7 };
    unsigned op = ops[rnd(g, G_N_ELEMENTS(ops))], w = rnd_width(g, 1);
    unsigned bits = w * 8, kind = rnd(g, 3), count = 1;
    bool rotate = op < 4, through_cf = op == 2 || op == 3;
    Enc e;

    if (through_cf && !flags_ok(g, F_CF)) {
        return false;
    }
    enc_init(&e, w);
    if (kind == 0) {
        enc_op(&e, 1, w == 1 ? 0xd0 : 0xd1, 0, 0);
    } else if (kind == 1) {
        enc_op(&e, 1, w == 1 ? 0xc0 : 0xc1, 0, 0);
        if (!rotate && bits < 32 && chance(g, 20)) {
            count = bits + rnd(g, 32 - bits);   /* CF undefined */
        } else {
            count = 1 + rnd(g, bits - 1);
        }
        e.imm = count;
        e.immsz = 1;
    } else {
        enc_op(&e, 1, w == 1 ? 0xd2 : 0xd3, 0, 0);
    }
    enc_modrm(&e, (uint8_t)op, rm_dst(g, w, 25));
    if (w == 1) {
        enc_byte_regs(&e, false);
    }
    emit(g, &e, shift_names[op]);

    if (kind == 2) {
        /* count from CL: possibly 0 (flags kept), possibly > 1 */
        g->undef |= F_OF | (rotate ? 0 : F_AF | (bits < 32 ? F_CF : 0));
    } else if (rotate) {
        flags_write(g, count == 1 ? F_CF | F_OF : F_CF,
                    count == 1 ? 0 : F_OF);
    } else if (count == 1) {
        flags_write(g, F_ALL & ~F_AF, F_AF);
    } else if (count < bits) {
        flags_write(g, F_CF | F_SF | F_ZF | F_PF, F_OF | F_AF);
    } else {
        flags_write(g, F_SF | F_ZF | F_PF, F_OF | F_AF | F_CF);
    }
    return true;
}

static bool t_unary(Gen *g)
{
    static const struct {
        uint8_t op8, op, digit;
        const char *name;
    } forms[] = {
        { 0xfe, 0xff, 0, "inc" },
        { 0xfe, 0xff, 1, "dec" },
        { 0xf6, 0xf7, 2, "not" },
        { 0xf6, 0xf7, 3, "neg" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms)), w = rnd_width(g, 1);
    Enc e;

    enc_init(&e, w);
    enc_op(&e, 1, w == 1 ? forms[f].op8 : forms[f].op, 0, 0);
    enc_modrm(&e, forms[f].digit, rm_dst(g, w, 30));
    maybe_lock(g, &e);
    if (w == 1) {
        enc_byte_regs(&e, false);
    }
    emit(g, &e, forms[f].name);
    if (f < 2) {
        flags_write(g, F_ALL & ~F_CF, 0);
    } else if (f == 3) {
        flags_write(g, F_ALL, 0);
    }
    return true;
}

static bool t_mul(Gen *g)
{
    bool is_imul = chance(g, 50);
    unsigned w;
    Enc e;

    switch (rnd(g, 3)) {
    case 0:             /* MUL / IMUL r/m: rDX:rAX = rAX * r/m */
        w = rnd_width(g, 1);
        enc_init(&e, w);
        enc_op(&e, 1, w == 1 ? 0xf6 : 0xf7, 0, 0);
        enc_modrm(&e, is_imul ? 5 : 4, rm_src(g, w, 30));
        if (w == 1) {
            enc_byte_regs(&e, false);
        }
        emit(g, &e, is_imul ? "imul" : "mul");
        break;
    case 1:             /* IMUL r, r/m */
        w = rnd_width(g, 2);
        enc_init(&e, w);
        enc_op(&e, 2, 0x0f, 0xaf, 0);
        enc_modrm(&e, dst_reg(g), rm_src(g, w, 30));
        emit(g, &e, "imul");
        break;
    default:            /* IMUL r, r/m, imm */
        w = rnd_width(g, 2);
        enc_init(&e, w);
        if (chance(g, 50)) {
            enc_op(&e, 1, 0x6b, 0, 0);
            e.immsz = 1;
        } else {
            enc_op(&e, 1, 0x69, 0, 0);
            e.immsz = w == 8 ? 4 : w;
        }
        e.imm = rnd_imm(g, e.immsz);
        enc_modrm(&e, dst_reg(g), rm_src(g, w, 30));
        emit(g, &e, "imul");
        break;
    }
    flags_write(g, F_CF | F_OF, F_SF | F_ZF | F_AF | F_PF);
    return true;
}

/* op $imm8, REG (group 1 via 0x83, or 0x80 for bytes) */
static void emit_alu_imm8(Gen *g, unsigned op, unsigned w, uint8_t reg,
                          uint8_t imm)
{
    Enc e;

    enc_init(&e, w);
    enc_op(&e, 1, w == 1 ? 0x80 : 0x83, 0, 0);
    enc_modrm(&e, (uint8_t)op, rm_reg(reg));
    e.imm = imm;
    e.immsz = 1;
    if (w == 1) {
        enc_byte_regs(&e, false);
    }
    emit(g, &e, alu_names[op]);
}

/* A simple opcode (with its width prefix) and no operands. */
static void emit_plain(Gen *g, unsigned w, uint8_t op, const char *name)
{
    Enc e;

    enc_init(&e, w);
    enc_op(&e, 1, op, 0, 0);
    emit(g, &e, name);
}

/*
 * DIV/IDIV that cannot fault: the dividend's high half is the zero or
 * sign extension of the low half, and the divisor is forced nonzero
 * (unsigned) or into [2, max] (signed), so the quotient always fits.
 */
static bool t_div(Gen *g)
{
    unsigned w = rnd_width(g, 1);
    bool is_signed = chance(g, 50);
    uint8_t d = dst_reg_except(g, R_RAX, R_RDX);
    Enc e;

    if (!is_signed) {
        if (w == 1) {
            /* movzbl %al, %eax */
            enc_init(&e, 4);
            enc_op(&e, 2, 0x0f, 0xb6, 0);
            enc_modrm(&e, R_RAX, rm_reg(R_RAX));
            emit(g, &e, "movzbl");
        } else {
            /* xor %edx, %edx */
            enc_init(&e, 4);
            enc_op(&e, 1, 0x31, 0, 0);
            enc_modrm(&e, R_RDX, rm_reg(R_RDX));
            emit(g, &e, "xor");
        }
        emit_alu_imm8(g, 1, w, d, (uint8_t)(1u << rnd(g, 8)));
    } else {
        if (w == 1) {
            emit_plain(g, 2, 0x98, "cbtw");
            emit_alu_imm8(g, 4, w, d, 0x7f);
        } else {
            static const char *const names[] = { "", "", "cwtd", "", "cltd",
                                                 "", "", "", "cqto" };
            Enc s;

            emit_plain(g, w, 0x99, names[w]);
            /* shr $1, d */
            enc_init(&s, w);
            enc_op(&s, 1, 0xd1, 0, 0);
            enc_modrm(&s, 5, rm_reg(d));
            emit(g, &s, "shr");
        }
        emit_alu_imm8(g, 1, w, d, 2);
    }
    enc_init(&e, w);
    enc_op(&e, 1, w == 1 ? 0xf6 : 0xf7, 0, 0);
    enc_modrm(&e, is_signed ? 7 : 6, rm_reg(d));
    if (w == 1) {
        enc_byte_regs(&e, false);
    }
    emit(g, &e, is_signed ? "idiv" : "div");
    flags_write(g, 0, F_ALL);
    return true;
}

static bool t_bt(Gen *g)
{
    static const char *const names[] = { "bt", "bts", "btr", "btc" };
    unsigned op = rnd(g, 4), w = rnd_width(g, 2);
    Enc e;

    enc_init(&e, w);
    if (chance(g, 50)) {
        /* register bit offset: register operand only (memory reaches far) */
        enc_op(&e, 2, 0x0f, (uint8_t)(0xa3 + op * 8), 0);
        enc_modrm(&e, src_reg(g), rm_reg(op ? dst_reg(g) : src_reg(g)));
    } else {
        enc_op(&e, 2, 0x0f, 0xba, 0);
        enc_modrm(&e, (uint8_t)(4 + op), op ? rm_dst(g, w, 30)
                                             : rm_src(g, w, 30));
        e.imm = rnd(g, 256);
        e.immsz = 1;
        if (op) {
            maybe_lock(g, &e);
        }
    }
    emit(g, &e, names[op]);
    /* Intel leaves ZF alone, AMD calls it undefined. */
    flags_write(g, F_CF, F_OF | F_SF | F_AF | F_PF | F_ZF);
    return true;
}

/* BSF/BSR on a source made nonzero by setting one random bit first. */
static bool t_bsf(Gen *g)
{
    unsigned w = rnd_width(g, 2);
    bool rev = chance(g, 50);
    uint8_t src = dst_reg(g);
    Enc e;

    enc_init(&e, w);
    enc_op(&e, 2, 0x0f, 0xba, 0);
    enc_modrm(&e, 5, rm_reg(src));
    e.imm = rnd(g, w * 8);
    e.immsz = 1;
    emit(g, &e, "bts");

    enc_init(&e, w);
    enc_op(&e, 2, 0x0f, rev ? 0xbd : 0xbc, 0);
    enc_modrm(&e, dst_reg(g), rm_reg(src));
    emit(g, &e, rev ? "bsr" : "bsf");
    flags_write(g, F_ZF, F_CF | F_OF | F_SF | F_AF | F_PF);
    return true;
}

static bool t_bitcount(Gen *g)
{
    static const struct {
        uint8_t op;
        const char *name;
    } forms[] = { { 0xb8, "popcnt" }, { 0xbd, "lzcnt" }, { 0xbc, "tzcnt" } };
    unsigned f = rnd(g, 3), w = rnd_width(g, 2);
    Enc e;

    enc_init(&e, w);
    enc_pfx(&e, 0xf3);
    enc_op(&e, 2, 0x0f, forms[f].op, 0);
    enc_modrm(&e, dst_reg(g), rm_src(g, w, 30));
    emit(g, &e, forms[f].name);
    if (f == 0) {
        flags_write(g, F_ALL, 0);
    } else {
        flags_write(g, F_CF | F_ZF, F_OF | F_SF | F_PF | F_AF);
    }
    return true;
}

static bool t_movx(Gen *g)
{
    unsigned form = rnd(g, 5), w;
    Enc e;

    if (form == 4) {
        /* movslq r/m32 */
        enc_init(&e, 8);
        enc_op(&e, 1, 0x63, 0, 0);
        enc_modrm(&e, dst_reg(g), rm_src(g, 4, 30));
        emit(g, &e, "movslq");
        return true;
    }
    bool from_byte = form < 2, sign = form & 1;

    w = from_byte ? rnd_width(g, 2) : rnd_width(g, 4);
    enc_init(&e, w);
    enc_op(&e, 2, 0x0f, (uint8_t)((sign ? 0xbe : 0xb6) + !from_byte), 0);
    enc_modrm(&e, dst_reg(g), rm_src(g, from_byte ? 1 : 2, 30));
    if (from_byte) {
        enc_byte_regs(&e, false);
    }
    emit(g, &e, sign ? "movs" : "movz");
    return true;
}

static bool t_cmov(Gen *g)
{
    int cc = pick_cc(g);
    unsigned w = rnd_width(g, 2);
    Enc e;

    if (cc < 0) {
        return false;
    }
    enc_init(&e, w);
    enc_op(&e, 2, 0x0f, (uint8_t)(0x40 + cc), 0);
    enc_modrm(&e, dst_reg(g), rm_src(g, w, 30));
    emit(g, &e, "cmov");
    return true;
}

static bool t_setcc(Gen *g)
{
    int cc = pick_cc(g);
    Enc e;

    if (cc < 0) {
        return false;
    }
    enc_init(&e, 1);
    enc_op(&e, 2, 0x0f, (uint8_t)(0x90 + cc), 0);
    enc_modrm(&e, 0, rm_dst(g, 1, 30));
    enc_byte_regs(&e, false);
    emit(g, &e, "set");
    return true;
}

/* LEA: no access, so any base, index, scale and displacement. */
static bool t_lea(Gen *g)
{
    unsigned w = rnd_width(g, 2);
    Rm m = { .mem = true };
    Enc e;

    enc_init(&e, w);
    if (chance(g, 15)) {
        enc_pfx(&e, 0x67);      /* 32-bit address size */
    }
    if (chance(g, 10)) {
        m.base = RIPREL;
        m.index = NOREG;
        m.disp = (int32_t)g_rand_int(g->rng);
        m.dispsz = 4;
    } else {
        m.base = (uint8_t)rnd(g, 16);
        if (chance(g, 50)) {
            do {
                m.index = (uint8_t)rnd(g, 16);
            } while (m.index == R_RSP);
            m.scale = (uint8_t)rnd(g, 4);
        } else {
            m.index = NOREG;
            m.sib = chance(g, 20);
        }
        m.dispsz = (uint8_t)(rnd(g, 3) == 0 ? 0 : chance(g, 50) ? 1 : 4);
        m.disp = m.dispsz == 1 ? (int8_t)g_rand_int(g->rng)
               : m.dispsz == 4 ? (int32_t)g_rand_int(g->rng) : 0;
    }
    enc_op(&e, 1, 0x8d, 0, 0);
    enc_modrm(&e, dst_reg(g), m);
    emit(g, &e, "lea");
    return true;
}

static bool t_xchg(Gen *g)
{
    unsigned w = rnd_width(g, 1);
    Enc e;

    enc_init(&e, w);
    if (w > 1 && chance(g, 30)) {
        /* 90+r: xchg rAX, r (r != rAX, or it would be NOP) */
        enc_op(&e, 1, 0x90, 0, 0);
        e.opreg = dst_reg_except(g, R_RAX, R_RAX);
    } else {
        enc_op(&e, 1, w == 1 ? 0x86 : 0x87, 0, 0);
        enc_modrm(&e, dst_reg(g), rm_dst(g, w, 40));
        if (w == 1) {
            enc_byte_regs(&e, true);
        }
    }
    emit(g, &e, "xchg");
    return true;
}

static bool t_xadd_cmpxchg(Gen *g)
{
    unsigned w = rnd_width(g, 1);
    bool is_xadd = chance(g, 50);
    Enc e;

    enc_init(&e, w);
    enc_op(&e, 2, 0x0f, (uint8_t)((is_xadd ? 0xc0 : 0xb0) + (w > 1)), 0);
    enc_modrm(&e, is_xadd ? dst_reg(g) : src_reg(g), rm_dst(g, w, 50));
    maybe_lock(g, &e);
    if (w == 1) {
        enc_byte_regs(&e, true);
    }
    emit(g, &e, is_xadd ? "xadd" : "cmpxchg");
    flags_write(g, F_ALL, 0);
    return true;
}

static bool t_bswap(Gen *g)
{
    unsigned w = chance(g, 50) ? 4 : 8;
    Enc e;

    enc_init(&e, w);
    enc_op(&e, 2, 0x0f, 0xc8, 0);
    e.opreg = dst_reg(g);
    emit(g, &e, "bswap");
    return true;
}

static bool t_convert(Gen *g)
{
    static const struct {
        unsigned w;
        uint8_t op;
        const char *name;
    } forms[] = {
        { 2, 0x98, "cbtw" }, { 4, 0x98, "cwtl" }, { 8, 0x98, "cltq" },
        { 2, 0x99, "cwtd" }, { 4, 0x99, "cltd" }, { 8, 0x99, "cqto" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms));

    emit_plain(g, forms[f].w, forms[f].op, forms[f].name);
    return true;
}

static bool t_push_pop(Gen *g)
{
    unsigned w = chance(g, 15) ? 2 : 8;
    Enc e;

    enc_init(&e, w == 2 ? 2 : 4);   /* 64-bit is the default size */
    switch (rnd(g, 6)) {
    case 0:
    case 1:
        enc_op(&e, 1, 0x50, 0, 0);
        e.opreg = src_reg(g);
        emit(g, &e, "push");
        break;
    case 2:
        enc_op(&e, 1, 0x58, 0, 0);
        e.opreg = dst_reg(g);
        emit(g, &e, "pop");
        break;
    case 3:
        if (chance(g, 50)) {
            enc_op(&e, 1, 0x6a, 0, 0);
            e.immsz = 1;
        } else {
            enc_op(&e, 1, 0x68, 0, 0);
            e.immsz = w == 2 ? 2 : 4;
        }
        e.imm = rnd_imm(g, e.immsz);
        emit(g, &e, "push");
        break;
    case 4:
        enc_op(&e, 1, 0xff, 0, 0);
        enc_modrm(&e, 6, rm_mem(g, w));
        emit(g, &e, "push");
        break;
    default:
        enc_op(&e, 1, 0x8f, 0, 0);
        enc_modrm(&e, 0, rm_mem(g, w));
        emit(g, &e, "pop");
        break;
    }
    return true;
}

/* lea d(%r14), REG */
static void emit_lea_data(Gen *g, uint8_t reg, uint32_t disp)
{
    Enc e;

    enc_init(&e, 8);
    enc_op(&e, 1, 0x8d, 0, 0);
    enc_modrm(&e, reg, (Rm){ .mem = true, .base = GEN_REG_DATA,
                             .index = NOREG, .disp = (int32_t)disp,
                             .dispsz = 4 });
    emit(g, &e, "lea");
}

/* String instructions on the data page with RSI, RDI and RCX set up. */
static bool t_string(Gen *g)
{
    static const struct {
        uint8_t op;
        bool cmp;               /* sets flags; REPE/REPNE */
        const char *name;
    } forms[] = {
        { 0xa4, false, "movs" }, { 0xaa, false, "stos" },
        { 0xac, false, "lods" }, { 0xa6, true, "cmps" },
        { 0xae, true, "scas" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms)), w = rnd_width(g, 1);
    unsigned n = 1 + rnd(g, 16), span = 16 * 8;
    Enc e;

    emit_lea_data(g, R_RSI, rnd(g, GEN_DATA_SIZE - span));
    emit_lea_data(g, R_RDI, rnd(g, GEN_DATA_SIZE - span));
    enc_init(&e, 4);
    enc_op(&e, 1, 0xb8, 0, 0);
    e.opreg = R_RCX;
    e.imm = n;
    e.immsz = 4;
    emit(g, &e, "mov");

    enc_init(&e, w);
    enc_op(&e, 1, (uint8_t)(forms[f].op + (w > 1)), 0, 0);
    if (chance(g, 80)) {
        enc_pfx(&e, forms[f].cmp && chance(g, 50) ? 0xf2 : 0xf3);
    }
    emit(g, &e, e.npfx && e.pfx[e.npfx - 1] == 0xf2 ? "repne"
              : e.npfx && e.pfx[e.npfx - 1] == 0xf3 ? "rep"
              : forms[f].name);
    if (forms[f].cmp) {
        flags_write(g, F_ALL, 0);
    }
    return true;
}

static bool t_cf_ops(Gen *g)
{
    switch (rnd(g, 3)) {
    case 0:
        emit_plain(g, 4, 0xf8, "clc");
        flags_write(g, F_CF, 0);
        return true;
    case 1:
        emit_plain(g, 4, 0xf9, "stc");
        flags_write(g, F_CF, 0);
        return true;
    default:
        if (!flags_ok(g, F_CF)) {
            return false;
        }
        emit_plain(g, 4, 0xf5, "cmc");
        return true;
    }
}

static bool t_nop(Gen *g)
{
    Enc e;

    if (chance(g, 50)) {
        emit_plain(g, 4, 0x90, "nop");
        return true;
    }
    enc_init(&e, chance(g, 30) ? 2 : 4);
    enc_op(&e, 2, 0x0f, 0x1f, 0);
    enc_modrm(&e, 0, rm_mem(g, 4));
    emit(g, &e, "nop");
    return true;
}

/* ------------------------------------------------------------------ */
/* SSE templates */

static uint8_t xmm(Gen *g)
{
    return (uint8_t)rnd(g, 16);
}

/* An XMM register or an aligned 16-byte memory operand. */
static Rm xmm_or_mem(Gen *g, unsigned size, unsigned align, unsigned percent)
{
    return chance(g, percent) ? rm_mem_aligned(g, size, align)
                              : rm_reg(xmm(g));
}

/* PFX (0 for none) 0F OP /r with an XMM register in ModRM.reg. */
static void sse_op(Gen *g, uint8_t pfx, uint8_t op, uint8_t reg, Rm rm,
                   const char *name)
{
    Enc e;

    enc_init(&e, 4);
    if (pfx) {
        enc_pfx(&e, pfx);
    }
    enc_op(&e, 2, 0x0f, op, 0);
    enc_modrm(&e, reg, rm);
    emit(g, &e, name);
}

static bool t_sse_mov(Gen *g)
{
    static const struct {
        uint8_t pfx, load, store;
        bool aligned;
        const char *name;
    } forms[] = {
        { 0x66, 0x6f, 0x7f, true, "movdqa" },
        { 0xf3, 0x6f, 0x7f, false, "movdqu" },
        { 0x00, 0x28, 0x29, true, "movaps" },
        { 0x00, 0x10, 0x11, false, "movups" },
        { 0x66, 0x28, 0x29, true, "movapd" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms));
    unsigned align = forms[f].aligned ? 16 : (chance(g, 50) ? 16 : 1);

    if (chance(g, 25)) {
        sse_op(g, forms[f].pfx, forms[f].store, xmm(g),
               rm_mem_aligned(g, 16, align), forms[f].name);
    } else {
        sse_op(g, forms[f].pfx, forms[f].load, xmm(g),
               xmm_or_mem(g, 16, align, 30), forms[f].name);
    }
    return true;
}

static bool t_sse_movq(Gen *g)
{
    Enc e;

    switch (rnd(g, 4)) {
    case 0:             /* movd/movq r/m, xmm -> xmm */
    case 1: {
        bool to_xmm = chance(g, 50), q = chance(g, 50);

        enc_init(&e, q ? 8 : 4);
        enc_pfx(&e, 0x66);
        enc_op(&e, 2, 0x0f, to_xmm ? 0x6e : 0x7e, 0);
        enc_modrm(&e, xmm(g), to_xmm ? rm_src(g, q ? 8 : 4, 30)
                                     : rm_dst(g, q ? 8 : 4, 30));
        emit(g, &e, q ? "movq" : "movd");
        return true;
    }
    case 2:             /* movq xmm/m64, xmm (zero-extends) */
        sse_op(g, 0xf3, 0x7e, xmm(g), xmm_or_mem(g, 8, 8, 30), "movq");
        return true;
    default:            /* movq xmm, m64 */
        sse_op(g, 0x66, 0xd6, xmm(g), rm_mem(g, 8), "movq");
        return true;
    }
}

static bool t_sse_int(Gen *g)
{
    static const struct {
        uint8_t op;
        const char *name;
    } ops[] = {
        { 0xef, "pxor" }, { 0xeb, "por" }, { 0xdb, "pand" },
        { 0xdf, "pandn" }, { 0xfc, "paddb" }, { 0xfd, "paddw" },
        { 0xfe, "paddd" }, { 0xd4, "paddq" }, { 0xf8, "psubb" },
        { 0xf9, "psubw" }, { 0xfa, "psubd" }, { 0xfb, "psubq" },
        { 0x74, "pcmpeqb" }, { 0x75, "pcmpeqw" }, { 0x76, "pcmpeqd" },
        { 0x64, "pcmpgtb" }, { 0x65, "pcmpgtw" }, { 0x66, "pcmpgtd" },
        { 0x60, "punpcklbw" }, { 0x61, "punpcklwd" },
        { 0x62, "punpckldq" }, { 0x6c, "punpcklqdq" },
        { 0x68, "punpckhbw" }, { 0x6d, "punpckhqdq" },
        { 0xd5, "pmullw" }, { 0xf4, "pmuludq" }, { 0xdc, "paddusb" },
        { 0xec, "paddsb" }, { 0xd8, "psubusb" }, { 0xda, "pminub" },
        { 0xde, "pmaxub" }, { 0xe0, "pavgb" },
    };
    unsigned i = rnd(g, G_N_ELEMENTS(ops));

    sse_op(g, 0x66, ops[i].op, xmm(g), xmm_or_mem(g, 16, 16, 25),
           ops[i].name);
    return true;
}

static bool t_sse_shuffle(Gen *g)
{
    static const struct {
        uint8_t pfx;
        const char *name;
    } forms[] = { { 0x66, "pshufd" }, { 0xf2, "pshuflw" },
                  { 0xf3, "pshufhw" } };
    unsigned f = rnd(g, G_N_ELEMENTS(forms));
    Enc e;

    enc_init(&e, 4);
    enc_pfx(&e, forms[f].pfx);
    enc_op(&e, 2, 0x0f, 0x70, 0);
    enc_modrm(&e, xmm(g), xmm_or_mem(g, 16, 16, 25));
    e.imm = rnd(g, 256);
    e.immsz = 1;
    emit(g, &e, forms[f].name);
    return true;
}

static bool t_sse_shift_imm(Gen *g)
{
    static const struct {
        uint8_t op, digit;
        const char *name;
    } forms[] = {
        { 0x71, 2, "psrlw" }, { 0x71, 4, "psraw" }, { 0x71, 6, "psllw" },
        { 0x72, 2, "psrld" }, { 0x72, 4, "psrad" }, { 0x72, 6, "pslld" },
        { 0x73, 2, "psrlq" }, { 0x73, 6, "psllq" },
        { 0x73, 3, "psrldq" }, { 0x73, 7, "pslldq" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms));
    Enc e;

    enc_init(&e, 4);
    enc_pfx(&e, 0x66);
    enc_op(&e, 2, 0x0f, forms[f].op, 0);
    enc_modrm(&e, forms[f].digit, rm_reg(xmm(g)));
    e.imm = chance(g, 80) ? rnd(g, 20) : rnd(g, 256);
    e.immsz = 1;
    emit(g, &e, forms[f].name);
    return true;
}

static bool t_sse_pmovmskb(Gen *g)
{
    Enc e;

    enc_init(&e, 4);
    enc_pfx(&e, 0x66);
    enc_op(&e, 2, 0x0f, 0xd7, 0);
    enc_modrm(&e, dst_reg(g), rm_reg(xmm(g)));
    emit(g, &e, "pmovmskb");
    return true;
}

static bool t_sse_float(Gen *g)
{
    static const struct {
        uint8_t op;
        const char *name;
    } ops[] = {
        { 0x58, "add" }, { 0x59, "mul" }, { 0x5c, "sub" },
        { 0x5d, "min" }, { 0x5e, "div" }, { 0x5f, "max" },
        { 0x51, "sqrt" },
    };
    static const struct {
        uint8_t pfx;
        unsigned size;
        const char *suffix;
    } kinds[] = {
        { 0x00, 16, "ps" }, { 0x66, 16, "pd" },
        { 0xf3, 4, "ss" }, { 0xf2, 8, "sd" },
    };
    static const char *names[G_N_ELEMENTS(ops)][G_N_ELEMENTS(kinds)];
    unsigned i = rnd(g, G_N_ELEMENTS(ops)), k = rnd(g, G_N_ELEMENTS(kinds));
    unsigned size = kinds[k].size;

    if (!names[i][k]) {
        /* interned once; the table is read-only afterwards */
        g_autofree char *name = g_strconcat(ops[i].name, kinds[k].suffix,
                                            NULL);

        names[i][k] = g_intern_string(name);
    }
    sse_op(g, kinds[k].pfx, ops[i].op, xmm(g),
           xmm_or_mem(g, size, size == 16 ? 16 : 1, 25), names[i][k]);
    return true;
}

static bool t_sse_logic_ps(Gen *g)
{
    static const struct {
        uint8_t op;
        const char *name;
    } ops[] = {
        { 0x57, "xorps" }, { 0x54, "andps" }, { 0x56, "orps" },
        { 0x14, "unpcklps" }, { 0x15, "unpckhps" },
    };
    unsigned i = rnd(g, G_N_ELEMENTS(ops) + 1);
    Enc e;

    if (i < G_N_ELEMENTS(ops)) {
        sse_op(g, 0, ops[i].op, xmm(g), xmm_or_mem(g, 16, 16, 25),
               ops[i].name);
        return true;
    }
    enc_init(&e, 4);
    enc_op(&e, 2, 0x0f, 0xc6, 0);
    enc_modrm(&e, xmm(g), xmm_or_mem(g, 16, 16, 25));
    e.imm = rnd(g, 256);
    e.immsz = 1;
    emit(g, &e, "shufps");
    return true;
}

static bool t_sse_comis(Gen *g)
{
    static const struct {
        uint8_t pfx, op;
        unsigned size;
        const char *name;
    } forms[] = {
        { 0x00, 0x2e, 4, "ucomiss" }, { 0x00, 0x2f, 4, "comiss" },
        { 0x66, 0x2e, 8, "ucomisd" }, { 0x66, 0x2f, 8, "comisd" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms));

    sse_op(g, forms[f].pfx, forms[f].op, xmm(g),
           xmm_or_mem(g, forms[f].size, 1, 25), forms[f].name);
    flags_write(g, F_ALL, 0);
    return true;
}

/* cvtsi2ss/sd and cvt(t)ss2si/cvt(t)sd2si */
static bool t_sse_cvt(Gen *g)
{
    bool dbl = chance(g, 50), to_int = chance(g, 50), q = chance(g, 50);
    bool trunc = chance(g, 50);
    static const char *const to_names[2][2] = {
        { "cvtss2si", "cvtsd2si" }, { "cvttss2si", "cvttsd2si" },
    };
    Enc e;

    enc_init(&e, q ? 8 : 4);
    enc_pfx(&e, dbl ? 0xf2 : 0xf3);
    if (to_int) {
        enc_op(&e, 2, 0x0f, trunc ? 0x2c : 0x2d, 0);
        enc_modrm(&e, dst_reg(g), xmm_or_mem(g, dbl ? 8 : 4, 1, 25));
        emit(g, &e, to_names[trunc][dbl]);
    } else {
        enc_op(&e, 2, 0x0f, 0x2a, 0);
        enc_modrm(&e, xmm(g), rm_src(g, q ? 8 : 4, 25));
        emit(g, &e, dbl ? "cvtsi2sd" : "cvtsi2ss");
    }
    return true;
}

/* cmpps/cmppd/cmpss/cmpsd with the eight SSE predicates */
static bool t_sse_cmp(Gen *g)
{
    static const char *const preds[8] = {
        "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord",
    };
    static const struct {
        uint8_t pfx;
        unsigned size;
        const char *suffix;
    } kinds[] = {
        { 0x00, 16, "ps" }, { 0x66, 16, "pd" },
        { 0xf3, 4, "ss" }, { 0xf2, 8, "sd" },
    };
    static const char *names[8][G_N_ELEMENTS(kinds)];
    unsigned p = rnd(g, 8), k = rnd(g, G_N_ELEMENTS(kinds));
    unsigned size = kinds[k].size;
    Enc e;

    if (!names[p][k]) {
        g_autofree char *name = g_strconcat("cmp", preds[p], kinds[k].suffix,
                                            NULL);

        names[p][k] = g_intern_string(name);
    }
    enc_init(&e, 4);
    if (kinds[k].pfx) {
        enc_pfx(&e, kinds[k].pfx);
    }
    enc_op(&e, 2, 0x0f, 0xc2, 0);
    enc_modrm(&e, xmm(g), xmm_or_mem(g, size, size == 16 ? 16 : 1, 25));
    e.imm = p;
    e.immsz = 1;
    emit(g, &e, names[p][k]);
    return true;
}

/* Conversions between single, double and packed int32 */
static bool t_sse_cvt_fp(Gen *g)
{
    static const struct {
        uint8_t pfx, op;
        unsigned size;          /* memory operand */
        const char *name;
    } forms[] = {
        { 0x00, 0x5a, 8, "cvtps2pd" }, { 0x66, 0x5a, 16, "cvtpd2ps" },
        { 0xf3, 0x5a, 4, "cvtss2sd" }, { 0xf2, 0x5a, 8, "cvtsd2ss" },
        { 0x00, 0x5b, 16, "cvtdq2ps" }, { 0x66, 0x5b, 16, "cvtps2dq" },
        { 0xf3, 0x5b, 16, "cvttps2dq" }, { 0xf3, 0xe6, 8, "cvtdq2pd" },
        { 0x66, 0xe6, 16, "cvttpd2dq" }, { 0xf2, 0xe6, 16, "cvtpd2dq" },
    };
    unsigned f = rnd(g, G_N_ELEMENTS(forms));
    unsigned size = forms[f].size;

    sse_op(g, forms[f].pfx, forms[f].op, xmm(g),
           xmm_or_mem(g, size, size == 16 ? 16 : 1, 25), forms[f].name);
    return true;
}

/*
 * x87: a load from the data page (float, double, extended or integer),
 * sometimes an arithmetic operation with a memory operand or a unary one,
 * then a popping store, so the register stack is left as found (empty).
 * Only memory shows the result; FCW is the reset one (exceptions masked,
 * extended precision, round to nearest).
 */
static bool t_x87(Gen *g)
{
    static const struct {
        uint8_t op, digit;
        unsigned size;
        const char *name;
    } loads[] = {
        { 0xd9, 0, 4, "flds" }, { 0xdd, 0, 8, "fldl" },
        { 0xdb, 5, 10, "fldt" }, { 0xdf, 0, 2, "filds" },
        { 0xdb, 0, 4, "fildl" }, { 0xdf, 5, 8, "fildll" },
    }, stores[] = {
        { 0xd9, 3, 4, "fstps" }, { 0xdd, 3, 8, "fstpl" },
        { 0xdb, 7, 10, "fstpt" }, { 0xdf, 3, 2, "fistps" },
        { 0xdb, 3, 4, "fistpl" }, { 0xdf, 7, 8, "fistpll" },
    };
    static const char *const arith[2][8] = {
        { "fadds", "fmuls", NULL, NULL, "fsubs", "fsubrs", "fdivs",
          "fdivrs" },
        { "faddl", "fmull", NULL, NULL, "fsubl", "fsubrl", "fdivl",
          "fdivrl" },
    };
    static const struct {
        uint8_t op;
        const char *name;
    } unary[] = {
        { 0xfa, "fsqrt" }, { 0xe1, "fabs" }, { 0xe0, "fchs" },
        { 0xfc, "frndint" },
    };
    unsigned l = rnd(g, G_N_ELEMENTS(loads)), s = rnd(g, G_N_ELEMENTS(stores));
    Enc e;

    enc_init(&e, 4);
    enc_op(&e, 1, loads[l].op, 0, 0);
    enc_modrm(&e, loads[l].digit, rm_mem_aligned(g, loads[l].size, 1));
    emit(g, &e, loads[l].name);
    switch (rnd(g, 4)) {
    case 2: {
        /* a second load, then ST(1) = ST(1) op ST0 and pop */
        static const struct {
            uint8_t modrm;
            const char *name;
        } popping[] = {
            { 0xc1, "fadd" }, { 0xc9, "fmul" }, { 0xe1, "fsub" },
            { 0xe9, "fsub" }, { 0xf1, "fdiv" }, { 0xf9, "fdiv" },
        };
        unsigned l2 = rnd(g, G_N_ELEMENTS(loads));
        unsigned p = rnd(g, G_N_ELEMENTS(popping));

        enc_init(&e, 4);
        enc_op(&e, 1, loads[l2].op, 0, 0);
        enc_modrm(&e, loads[l2].digit, rm_mem_aligned(g, loads[l2].size, 1));
        emit(g, &e, loads[l2].name);
        enc_init(&e, 4);
        enc_op(&e, 2, 0xde, popping[p].modrm, 0);
        emit(g, &e, popping[p].name);
        break;
    }
    case 0: {
        bool dbl = chance(g, 50);
        static const uint8_t ops[] = { 0, 1, 4, 5, 6, 7 };
        uint8_t op = ops[rnd(g, G_N_ELEMENTS(ops))];

        enc_init(&e, 4);
        enc_op(&e, 1, dbl ? 0xdc : 0xd8, 0, 0);
        enc_modrm(&e, op, rm_mem_aligned(g, dbl ? 8 : 4, 1));
        emit(g, &e, arith[dbl][op]);
        break;
    }
    case 1: {
        unsigned u = rnd(g, G_N_ELEMENTS(unary));

        enc_init(&e, 4);
        enc_op(&e, 2, 0xd9, unary[u].op, 0);
        emit(g, &e, unary[u].name);
        break;
    }
    default:
        break;
    }
    enc_init(&e, 4);
    enc_op(&e, 1, stores[s].op, 0, 0);
    enc_modrm(&e, stores[s].digit, rm_mem_aligned(g, stores[s].size, 1));
    emit(g, &e, stores[s].name);
    return true;
}

/* ------------------------------------------------------------------ */
/* The table */

typedef struct Template {
    const char *name;
    unsigned classes;
    unsigned weight;
    bool (*gen)(Gen *g);
} Template;

static const Template templates[] = {
    { "alu",            GEN_CLASS_INT, 10, t_alu_rm },
    { "alu-imm",        GEN_CLASS_INT, 10, t_alu_imm },
    { "test",           GEN_CLASS_INT, 3, t_test },
    { "mov",            GEN_CLASS_INT, 6, t_mov },
    { "shift",          GEN_CLASS_INT, 8, t_shift },
    { "unary",          GEN_CLASS_INT, 4, t_unary },
    { "mul",            GEN_CLASS_INT, 4, t_mul },
    { "div",            GEN_CLASS_INT, 3, t_div },
    { "bt",             GEN_CLASS_INT, 3, t_bt },
    { "bsf",            GEN_CLASS_INT, 2, t_bsf },
    { "bitcount",       GEN_CLASS_INT, 2, t_bitcount },
    { "movx",           GEN_CLASS_INT, 4, t_movx },
    { "cmov",           GEN_CLASS_INT, 4, t_cmov },
    { "setcc",          GEN_CLASS_INT, 3, t_setcc },
    { "lea",            GEN_CLASS_INT, 4, t_lea },
    { "xchg",           GEN_CLASS_INT, 2, t_xchg },
    { "xadd-cmpxchg",   GEN_CLASS_INT, 3, t_xadd_cmpxchg },
    { "bswap",          GEN_CLASS_INT, 1, t_bswap },
    { "cbw",            GEN_CLASS_INT, 2, t_convert },
    { "push-pop",       GEN_CLASS_INT, 4, t_push_pop },
    { "string",         GEN_CLASS_INT, 3, t_string },
    { "cf",             GEN_CLASS_INT, 1, t_cf_ops },
    { "nop",            GEN_CLASS_INT, 1, t_nop },
    { "sse-mov",        GEN_CLASS_SSE, 4, t_sse_mov },
    { "sse-movq",       GEN_CLASS_SSE, 3, t_sse_movq },
    { "sse-int",        GEN_CLASS_SSE, 8, t_sse_int },
    { "sse-shuffle",    GEN_CLASS_SSE, 2, t_sse_shuffle },
    { "sse-shift",      GEN_CLASS_SSE, 2, t_sse_shift_imm },
    { "pmovmskb",       GEN_CLASS_SSE, 1, t_sse_pmovmskb },
    { "sse-float",      GEN_CLASS_SSE, 8, t_sse_float },
    { "sse-logic",      GEN_CLASS_SSE, 2, t_sse_logic_ps },
    { "comis",          GEN_CLASS_SSE, 2, t_sse_comis },
    { "cvt",            GEN_CLASS_SSE, 2, t_sse_cvt },
    { "sse-cmp",        GEN_CLASS_SSE, 2, t_sse_cmp },
    { "cvt-fp",         GEN_CLASS_SSE, 2, t_sse_cvt_fp },
    { "x87",            GEN_CLASS_X87, 4, t_x87 },
};

G_STATIC_ASSERT(G_N_ELEMENTS(templates) <= 64);

static bool template_enabled(unsigned i, unsigned classes, uint64_t skip)
{
    return (templates[i].classes & classes) && !(skip & (1ull << i));
}

unsigned gen_template_count(unsigned classes)
{
    unsigned n = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(templates); i++) {
        n += template_enabled(i, classes, 0);
    }
    return n;
}

const char *gen_template_name(unsigned i, unsigned *classes)
{
    if (i >= G_N_ELEMENTS(templates)) {
        return NULL;
    }
    if (classes) {
        *classes = templates[i].classes;
    }
    return templates[i].name;
}

bool gen_template_mask(const char *names, uint64_t *mask, GError **errp)
{
    g_auto(GStrv) list = g_strsplit(names, ",", -1);

    *mask = 0;
    for (char **n = list; *n; n++) {
        unsigned i;

        if (!**n) {
            continue;
        }
        for (i = 0; i < G_N_ELEMENTS(templates); i++) {
            if (!strcmp(*n, templates[i].name)) {
                break;
            }
        }
        if (i == G_N_ELEMENTS(templates)) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "unknown template '%s'", *n);
            return false;
        }
        *mask |= 1ull << i;
    }
    return true;
}

static const Template *pick_template(Gen *g, unsigned classes, uint64_t skip)
{
    unsigned total = 0, r;

    for (unsigned i = 0; i < G_N_ELEMENTS(templates); i++) {
        if (template_enabled(i, classes, skip)) {
            total += templates[i].weight;
        }
    }
    g_assert(total > 0);
    r = rnd(g, total);
    for (unsigned i = 0; i < G_N_ELEMENTS(templates); i++) {
        if (!template_enabled(i, classes, skip)) {
            continue;
        }
        if (r < templates[i].weight) {
            return &templates[i];
        }
        r -= templates[i].weight;
    }
    g_assert_not_reached();
}

void gen_sequence_from(GRand *rng, unsigned classes, uint64_t skip,
                       unsigned min_items, unsigned max_items, GenSeq *seq)
{
    Gen g = { .rng = rng, .seq = seq };
    unsigned n;

    max_items = MIN(MAX(max_items, 1), GEN_MAX_ITEMS);
    min_items = MIN(MAX(min_items, 1), max_items);
    memset(seq, 0, sizeof(*seq));
    n = min_items + rnd(&g, max_items - min_items + 1);
    while (seq->nitems < n) {
        const Template *t = pick_template(&g, classes, skip);

        if (t->gen(&g)) {
            seq->nitems++;
        }
    }
    seq->end_offset = seq->code_len;
    memcpy(seq->code + seq->code_len, gen_end_marker, GEN_END_LEN);
    seq->code_len += GEN_END_LEN;
    seq->undef_flags = g.undef;
}

void gen_sequence(GRand *rng, unsigned classes, unsigned min_items,
                  unsigned max_items, GenSeq *seq)
{
    g_assert(classes & GEN_CLASS_ALL);
    gen_sequence_from(rng, classes, 0, min_items, max_items, seq);
}

/* ------------------------------------------------------------------ */
/* Starting state */

static uint64_t rnd_reg_value(Gen *g)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull,
    };

    switch (rnd(g, 6)) {
    case 0:
        return special[rnd(g, G_N_ELEMENTS(special))];
    case 1:
        return rnd(g, 64);
    case 2:
        return (uint64_t)-(int64_t)rnd(g, 64);
    default:
        return rnd64(g);
    }
}

static uint32_t bits_of_float(float f)
{
    uint32_t v;

    memcpy(&v, &f, 4);
    return v;
}

/* A float or double lane value: often an ordinary number, sometimes special. */
static void rnd_xmm(Gen *g, X86XMMReg *x)
{
    static const float fs[] = { 0.0f, -0.0f, 1.0f, -1.5f, 3.25f, 1e30f,
                                -1e-30f, 0.1f, 65536.0f };
    static const double ds[] = { 0.0, -0.0, 1.0, -2.5, 1e300, 1e-300,
                                 0.1, 4294967296.0, -7.0 };

    /* zeros, denormals, smallest normals, largest, infinities, NaNs */
    static const uint32_t fbits[] = {
        0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800001,
        0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
        0x7f812345, 0xff800001, 0x4f000000, 0xcf000000, 0x0c800000,
    };
    static const uint64_t dbits[] = {
        1, 0x800fffffffffffffull, 0x0010000000000000ull,
        0x7fefffffffffffffull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
        0x7ff8000000000000ull, 0xfff8000000012345ull, 0x7ff0000000012345ull,
        0x41e0000000000000ull, 0xc3e0000000000000ull, 0x36a0000000000000ull,
        0x380fffffffffffffull, 0x47efffffffffffffull,
    };

    switch (rnd(g, 5)) {
    case 4:
        for (unsigned i = 0; i < 4; i++) {
            x->d[i] = chance(g, 50) ? fbits[rnd(g, G_N_ELEMENTS(fbits))]
                                    : bits_of_float((float)rnd(g, 5) - 2.0f);
        }
        if (chance(g, 50)) {
            x->q[rnd(g, 2)] = dbits[rnd(g, G_N_ELEMENTS(dbits))];
        }
        break;
    case 0:
        for (unsigned i = 0; i < 4; i++) {
            x->s[i] = chance(g, 30) ? fs[rnd(g, G_N_ELEMENTS(fs))]
                                    : (float)(int32_t)g_rand_int(g->rng) /
                                      (float)(1 + rnd(g, 1000));
        }
        break;
    case 1:
        for (unsigned i = 0; i < 2; i++) {
            x->f[i] = chance(g, 30) ? ds[rnd(g, G_N_ELEMENTS(ds))]
                                    : g_rand_double_range(g->rng, -1e6, 1e6);
        }
        break;
    default:
        x->q[0] = rnd64(g);
        x->q[1] = rnd64(g);
        break;
    }
}

void gen_random_regs(GRand *rng, X86CPUState *s)
{
    Gen g = { .rng = rng };

    for (unsigned i = 0; i < G_N_ELEMENTS(writable_regs); i++) {
        s->regs[writable_regs[i]] = rnd_reg_value(&g);
    }
    s->rflags = X86_FLAG_FIXED | (g_rand_int(rng) & GEN_ARITH_FLAGS);
    for (unsigned i = 0; i < 16; i++) {
        rnd_xmm(&g, &s->xmm[i]);
    }
    /* exceptions masked, random rounding mode, sometimes FTZ and DAZ */
    s->mxcsr = 0x1f80 | (rnd(&g, 4) << 13);
    if (chance(&g, 20)) {
        s->mxcsr |= 0x8000;
    }
    if (chance(&g, 20)) {
        s->mxcsr |= 0x40;
    }
}
