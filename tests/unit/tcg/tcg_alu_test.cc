/*
 * Integer instructions against the host CPU: each instruction is run by
 * the software CPU and natively (on x86-64 hosts) on the same random
 * registers and flags, and the registers and the architecturally defined
 * flags must agree.  The instructions only touch RAX, RBX, RCX and RDX.
 */
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <functional>
#include <random>
#include <string>

#include "tests/unit/tcg/tcg_harness.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace tcgtest {
namespace {

constexpr uint32_t kArith = X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF |
                            X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF;

struct Regs {
    uint64_t rax, rbx, rcx, rdx, flags;
};

/* Which flags are defined after the instruction, given its inputs. */
using FlagMask = std::function<uint32_t(const Regs &)>;
/* Adjusts random inputs to a valid case (e.g. no #DE). */
using Fixup = std::function<void(Regs &)>;

struct InsnCase {
    std::string name;
    std::vector<uint8_t> bytes;
    FlagMask mask;
    Fixup fixup;
};

FlagMask All() { return [](const Regs &) { return kArith; }; }
FlagMask Only(uint32_t m) { return [m](const Regs &) { return m; }; }

FlagMask ShiftMask(unsigned size, bool rotate, uint8_t count_imm = 0xff)
{
    return [=](const Regs &r) -> uint32_t {
        unsigned c = (count_imm != 0xff ? count_imm : r.rcx & 0xff) &
                     (size == 8 ? 63 : 31);
        uint32_t m = kArith;

        if (c == 0) {
            return kArith;
        }
        if (rotate) {
            return c == 1 ? kArith : kArith & ~X86_FLAG_OF;
        }
        m &= ~X86_FLAG_AF;
        if (c >= size * 8) {
            m &= ~X86_FLAG_CF;
        }
        if (c != 1) {
            m &= ~X86_FLAG_OF;
        }
        return m;
    };
}

std::vector<uint8_t> Sized(unsigned size, std::vector<uint8_t> op)
{
    std::vector<uint8_t> b;

    if (size == 2) {
        b.push_back(0x66);
    } else if (size == 8) {
        b.push_back(0x48);
    }
    b.insert(b.end(), op.begin(), op.end());
    return b;
}

constexpr uint8_t B(unsigned x)
{
    return (uint8_t)x;
}

uint64_t Mask(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* DIV: a non-zero divisor above the dividend's high half (no #DE). */
Fixup DivFixup(unsigned size)
{
    return [size](Regs &r) {
        uint64_t mk = Mask(size);

        if ((r.rbx & mk) == 0) {
            r.rbx |= 1;
        }
        if (size == 1) {
            uint64_t ah = ((r.rax >> 8) & 0xff) % (r.rbx & 0xff);
            r.rax = (r.rax & ~0xff00ull) | (ah << 8);
        } else {
            r.rdx = (r.rdx & ~mk) | ((r.rdx & mk) % (r.rbx & mk));
        }
    };
}

/* IDIV: a sign-extended dividend and a divisor other than 0 and -1. */
Fixup IdivFixup(unsigned size)
{
    return [size](Regs &r) {
        unsigned bits = size * 8;
        uint64_t mk = Mask(size);
        bool neg = (r.rax >> (bits - 1)) & 1;

        if ((r.rbx & mk) == 0 || (r.rbx & mk) == mk) {
            r.rbx = (r.rbx & ~mk) | 3;
        }
        if (size == 1) {
            r.rax = (r.rax & ~0xff00ull) | (neg ? 0xff00 : 0);
        } else {
            r.rdx = (r.rdx & ~mk) | (neg ? mk : 0);
        }
    };
}

class CaseList {
  public:
    void Add(const std::string &name, std::vector<uint8_t> bytes,
             FlagMask m = All(), Fixup f = nullptr)
    {
        cases.push_back({ name, std::move(bytes), std::move(m), std::move(f) });
    }

    /* The instruction with the operand-size prefix for SIZE (2 or 8). */
    void AddSized(const std::string &name, unsigned size,
                  std::vector<uint8_t> op, FlagMask m = All(),
                  Fixup f = nullptr)
    {
        Add(name + std::to_string(size * 8), Sized(size, std::move(op)),
            std::move(m), std::move(f));
    }

    std::vector<InsnCase> cases;
};

constexpr uint32_t kLogic = kArith & ~X86_FLAG_AF;
constexpr uint32_t kMul = X86_FLAG_CF | X86_FLAG_OF;

void AddGroupCases(CaseList &l, unsigned size)
{
    static const char *alu[] = { "add", "or", "adc", "sbb", "and", "sub",
                                 "xor", "cmp" };
    static const char *shifts[] = { "rol", "ror", "rcl", "rcr", "shl", "shr",
                                    "sal", "sar" };
    static const char *grp3[] = { "test", "test", "not", "neg", "mul", "imul",
                                  "div", "idiv" };
    uint8_t w = size == 1 ? 0 : 1;

    for (uint8_t op = 0; op < 8; op++) {
        uint32_t m = (op == 1 || op == 4 || op == 6) ? kLogic : kArith;
        uint8_t modrm = B(0xc0 | op << 3);
        std::string a = alu[op], sh = shifts[op];

        l.AddSized(a + " rm,r ", size, { B(op * 8 + w), 0xd8 }, Only(m));
        l.AddSized(a + " r,rm ", size, { B(op * 8 + 2 + w), 0xc3 }, Only(m));
        if (size > 1) {
            l.AddSized(a + " imm8 ", size, { 0x83, modrm, 0x85 }, Only(m));
        }
        l.AddSized(sh + " cl ", size, { B(0xd2 + w), modrm },
                   ShiftMask(size, op < 4));
        l.AddSized(sh + " 1 ", size, { B(0xd0 + w), modrm },
                   ShiftMask(size, op < 4, 1));
        l.AddSized(sh + " 5 ", size, { B(0xc0 + w), modrm, 5 },
                   ShiftMask(size, op < 4, 5));
        if (op >= 2) {
            FlagMask fm = op >= 6 ? Only(0) : op >= 4 ? Only(kMul) : All();
            Fixup fix = op == 6 ? DivFixup(size)
                        : op == 7 ? IdivFixup(size) : nullptr;

            l.AddSized(grp3[op], size, { B(0xf6 + w), B(0xc3 | op << 3) },
                       fm, fix);
        }
    }
}

void AddTwoOperandCases(CaseList &l, unsigned size)
{
    uint8_t w = size == 1 ? 0 : 1;

    l.AddSized("test", size, { B(0x84 + w), 0xd8 }, Only(kLogic));
    l.AddSized("inc", size, { B(0xfe + w), 0xc0 });
    l.AddSized("dec", size, { B(0xfe + w), 0xc8 });
    l.AddSized("xchg", size, { B(0x86 + w), 0xd8 });
    l.AddSized("xadd", size, { 0x0f, B(0xc0 + w), 0xd8 });
    l.AddSized("cmpxchg", size, { 0x0f, B(0xb0 + w), 0xd9 }, All(),
               [](Regs &r) {
                   if (r.rdx & 1) {
                       r.rcx = r.rax;       /* half of the cases are equal */
                   }
               });
    if (size == 1) {
        return;
    }

    FlagMask shd = [size](const Regs &r) -> uint32_t {
        unsigned c = r.rcx & (size == 8 ? 63 : 31);

        if (c == 0) {
            return kArith;
        }
        return c == 1 ? kLogic : kLogic & ~X86_FLAG_OF;
    };
    Fixup shd_fix = [size](Regs &r) {
        if (size == 2) {
            r.rcx &= 15;                /* larger counts are undefined */
        }
    };
    l.AddSized("shld", size, { 0x0f, 0xa5, 0xd8 }, shd, shd_fix);
    l.AddSized("shrd", size, { 0x0f, 0xad, 0xd8 }, shd, shd_fix);
    l.AddSized("imul2_", size, { 0x0f, 0xaf, 0xc3 }, Only(kMul));
    l.AddSized("imul3_8_", size, { 0x6b, 0xc3, 0x9c }, Only(kMul));
    l.AddSized("bt", size, { 0x0f, 0xa3, 0xd8 }, Only(X86_FLAG_CF));
    l.AddSized("bts", size, { 0x0f, 0xab, 0xd8 }, Only(X86_FLAG_CF));
    l.AddSized("btr", size, { 0x0f, 0xb3, 0xd8 }, Only(X86_FLAG_CF));
    l.AddSized("btc", size, { 0x0f, 0xbb, 0xd8 }, Only(X86_FLAG_CF));
    l.AddSized("btc_imm", size, { 0x0f, 0xba, 0xf8, 0x25 },
               Only(X86_FLAG_CF));
    l.AddSized("bsf", size, { 0x0f, 0xbc, 0xc3 }, Only(X86_FLAG_ZF));
    l.AddSized("bsr", size, { 0x0f, 0xbd, 0xc3 }, Only(X86_FLAG_ZF));
    for (uint8_t op : { 0xb8, 0xbc, 0xbd }) {
        std::vector<uint8_t> f3 = Sized(size, { 0x0f, op, 0xc3 });
        const char *name = op == 0xb8 ? "popcnt" : op == 0xbc ? "tzcnt"
                                                               : "lzcnt";

        f3.insert(f3.begin(), 0xf3);
        l.Add(name + std::to_string(size * 8), f3,
              op == 0xb8 ? All() : Only(X86_FLAG_CF | X86_FLAG_ZF));
    }
    l.AddSized("movzx8_", size, { 0x0f, 0xb6, 0xc3 });
    l.AddSized("movsx8_", size, { 0x0f, 0xbe, 0xc3 });
    l.AddSized("movsx16_", size, { 0x0f, 0xbf, 0xc3 });
    l.AddSized("cbw", size, { 0x98 });
    l.AddSized("cwd", size, { 0x99 });
    for (uint8_t cc = 0; cc < 16; cc++) {
        l.AddSized("cmov" + std::to_string(cc) + "_", size,
                   { 0x0f, B(0x40 + cc), 0xc3 });
    }
}

std::vector<InsnCase> AllCases()
{
    CaseList l;

    for (unsigned size : { 1, 2, 4, 8 }) {
        AddGroupCases(l, size);
        AddTwoOperandCases(l, size);
    }
    l.Add("imul3_32_64", { 0x48, 0x69, 0xc3, 0x78, 0x56, 0x34, 0x92 },
          Only(kMul));
    l.Add("bswap32", { 0x0f, 0xc8 });
    l.Add("bswap64", { 0x48, 0x0f, 0xc8 });
    l.Add("movsxd", { 0x48, 0x63, 0xc3 });
    l.Add("lea", { 0x48, 0x8d, 0x84, 0x8b, 0x78, 0x56, 0x34, 0x12 });
    l.Add("lea32", { 0x8d, 0x44, 0x4b, 0xf0 });
    l.Add("lahf", { 0x9f });
    l.Add("sahf", { 0x9e });
    l.Add("cmc", { 0xf5 });
    l.Add("clc", { 0xf8 });
    l.Add("stc", { 0xf9 });
    l.Add("add ah,bh", { 0x00, 0xfc });
    l.Add("sub dh,cl", { 0x28, 0xce });
    l.Add("mov ch,al", { 0x88, 0xc5 });
    l.Add("xchg rax,rbx", { 0x48, 0x93 });
    l.Add("nops", { 0xf3, 0x90, 0x66, 0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00 });
    for (uint8_t cc = 0; cc < 16; cc++) {
        l.Add("set" + std::to_string(cc), { 0x0f, B(0x90 + cc), 0xc0 });
    }
    return l.cases;
}

#if defined(__x86_64__)

bool HostHas(const std::string &name)
{
    unsigned a, b, c, d;

    if (name.rfind("lzcnt", 0) == 0) {
        __cpuid(0x80000001, a, b, c, d);
        return c & (1u << 5);
    }
    if (name.rfind("tzcnt", 0) == 0) {
        __cpuid_count(7, 0, a, b, c, d);
        return b & (1u << 3);
    }
    if (name.rfind("popcnt", 0) == 0) {
        __cpuid(1, a, b, c, d);
        return c & (1u << 23);
    }
    return true;
}

std::string Describe(const Regs &r, uint32_t flag_mask)
{
    char buf[160];

    snprintf(buf, sizeof(buf),
             "rax=%" PRIx64 " rbx=%" PRIx64 " rcx=%" PRIx64 " rdx=%" PRIx64
             " flags=%" PRIx64, r.rax, r.rbx, r.rcx, r.rdx,
             r.flags & flag_mask);
    return buf;
}

/* Runs CODE natively (it ends with RET) on R. */
void RunNative(void *code, Regs &r)
{
    uint64_t fo;

    asm volatile("sub $128, %%rsp\n\t"
                 "push %[fi]\n\t"
                 "popfq\n\t"
                 "call *%[fn]\n\t"
                 "pushfq\n\t"
                 "pop %[fo]\n\t"
                 "add $128, %%rsp\n\t"
                 : "+a"(r.rax), "+b"(r.rbx), "+c"(r.rcx), "+d"(r.rdx),
                   [fo] "=&r"(fo)
                 : [fi] "r"(r.flags), [fn] "r"(code)
                 : "cc", "memory");
    r.flags = fo;
}

uint64_t RandomOperand(std::mt19937_64 &rng)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
        0x80000000, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
        ~0ull, 0x100, 0x10000, 0x100000000ull,
    };

    switch (rng() % 4) {
    case 0:
        return special[rng() % (sizeof(special) / sizeof(special[0]))];
    case 1:
        return rng() % 70;
    default:
        return rng();
    }
}

TEST_F(TcgTest, IntegerInstructionsMatchTheHost)
{
    std::vector<InsnCase> cases = AllCases();
    std::mt19937_64 rng(12345);
    uint8_t *native = static_cast<uint8_t *>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(native, MAP_FAILED);
    int failures = 0;
    unsigned compared = 0;

    for (size_t ci = 0; ci < cases.size(); ci++) {
        const InsnCase &c = cases[ci];
        uint64_t addr = kCode + ci * 32;

        if (!HostHas(c.name)) {
            continue;
        }
        std::vector<uint8_t> guest = c.bytes;
        /* then pushfq; pop %rsi; hlt */
        guest.insert(guest.end(), { 0x9c, 0x5e, 0xf4 });
        Load(addr, guest.data(), guest.size());
        memcpy(native, c.bytes.data(), c.bytes.size());
        native[c.bytes.size()] = 0xc3;

        for (int it = 0; it < 300; it++) {
            Regs in = { RandomOperand(rng), RandomOperand(rng),
                        RandomOperand(rng), RandomOperand(rng),
                        (rng() & kArith) | X86_FLAG_FIXED };

            if (c.fixup) {
                c.fixup(in);
            }
            Regs want = in;
            RunNative(native, want);

            X86CPUState s = LongModeState(addr);
            s.regs[R_RAX] = in.rax;
            s.regs[R_RBX] = in.rbx;
            s.regs[R_RCX] = in.rcx;
            s.regs[R_RDX] = in.rdx;
            s.rflags = in.flags;
            s = RunFrom(s);

            uint32_t m = c.mask(in);
            compared++;
            Regs got = { s.regs[R_RAX], s.regs[R_RBX], s.regs[R_RCX],
                         s.regs[R_RDX], s.regs[R_RSI] };
            bool ok = got.rax == want.rax && got.rbx == want.rbx &&
                      got.rcx == want.rcx && got.rdx == want.rdx &&
                      ((got.flags ^ want.flags) & m) == 0 &&
                      s.rip == addr + guest.size();
            if (!ok && failures++ < 20) {
                ADD_FAILURE() << c.name << "\n   in: " << Describe(in, ~0u)
                              << "\n want: " << Describe(want, m)
                              << "\n  got: " << Describe(got, m)
                              << " rip=" << std::hex << s.rip;
            }
        }
    }
    munmap(native, 4096);
    EXPECT_EQ(failures, 0);
    EXPECT_GT(compared, 100000u);
    printf("%u cases compared with the host\n", compared);
}

#else

TEST_F(TcgTest, IntegerInstructionsMatchTheHost)
{
    GTEST_SKIP() << "needs an x86-64 host to compare with";
}

#endif

/* Host-independent spot checks with values worked out from the SDM. */
TEST_F(TcgTest, KnownFlagResults)
{
    struct {
        std::vector<uint8_t> code;
        uint64_t rax, rbx, flags_in;
        uint64_t want_rax;
        uint32_t want_flags;
    } cases[] = {
        /* add al, bl: 0x7f + 1 = 0x80: OF, SF, AF */
        { { 0x00, 0xd8 }, 0x7f, 1, 0, 0x80,
          X86_FLAG_OF | X86_FLAG_SF | X86_FLAG_AF },
        /* sub eax, ebx: 0 - 1: CF, SF, AF, PF */
        { { 0x29, 0xd8 }, 0, 1, 0, 0xffffffff,
          X86_FLAG_CF | X86_FLAG_SF | X86_FLAG_AF | X86_FLAG_PF },
        /* adc rax, rbx with CF: ~0 + 0 + 1 = 0: CF, ZF, AF, PF */
        { { 0x48, 0x11, 0xd8 }, ~0ull, 0, X86_FLAG_CF, 0,
          X86_FLAG_CF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF },
        /* inc eax from 0x7fffffff keeps CF: OF, SF, AF, PF, CF */
        { { 0xff, 0xc0 }, 0x7fffffff, 0, X86_FLAG_CF, 0x80000000,
          X86_FLAG_OF | X86_FLAG_SF | X86_FLAG_AF | X86_FLAG_PF | X86_FLAG_CF },
        /* shl rax, 1 of 0x8000000000000000: CF, ZF, PF, OF */
        { { 0x48, 0xd1, 0xe0 }, 1ull << 63, 0, 0, 0,
          X86_FLAG_CF | X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_OF },
    };

    for (auto &c : cases) {
        std::vector<uint8_t> code = c.code;
        code.push_back(0xf4);
        X86CPUState s = LongModeState(kCode);
        s.regs[R_RAX] = c.rax;
        s.regs[R_RBX] = c.rbx;
        s.rflags = X86_FLAG_FIXED | c.flags_in;
        /* A fresh address each time: the host write bypasses invalidation. */
        static uint64_t next = 0x180000;
        Load(next, code.data(), code.size());
        s.rip = next;
        next += 0x40;
        s = RunFrom(s);
        EXPECT_EQ(s.regs[R_RAX], c.want_rax);
        EXPECT_EQ(s.rflags & kArith, c.want_flags);
    }
}

/*
 * REP MOVS with overlapping operands (destination a little above the
 * source) copies element by element, each element read whole before it
 * is written: the result is not a byte-wise smear.
 */
TEST_F(TcgTest, RepMovsOverlapCopiesWholeElements)
{
    constexpr uint64_t kBuf = 0x190000;
    uint64_t code_at = 0x1a0000;

    for (unsigned size : { 1u, 2u, 4u, 8u }) {
        for (unsigned off = 1; off <= size + 1; off++) {
            const uint8_t op = size == 1 ? 0xa4 : 0xa5;
            std::vector<uint8_t> code = { 0xf3 };
            if (size == 2) {
                code.insert(code.begin(), 0x66);
            } else if (size == 8) {
                code.push_back(0x48);
            }
            code.push_back(op);
            code.push_back(0xf4);
            Load(code_at, code.data(), code.size());

            uint8_t want[256];
            for (unsigned i = 0; i < sizeof(want); i++) {
                want[i] = (uint8_t)(i * 7 + 3);
            }
            Load(kBuf, want, sizeof(want));
            const unsigned src = 8, count = 20;
            for (unsigned e = 0; e < count; e++) {
                uint8_t tmp[8];
                memcpy(tmp, want + src + e * size, size);
                memcpy(want + src + off + e * size, tmp, size);
            }

            X86CPUState s = LongModeState(code_at);
            s.regs[R_RSI] = kBuf + src;
            s.regs[R_RDI] = kBuf + src + off;
            s.regs[R_RCX] = count;
            s = RunFrom(s);
            EXPECT_EQ(s.regs[R_RCX], 0u);
            EXPECT_EQ(s.regs[R_RSI], kBuf + src + count * size);
            EXPECT_EQ(0, memcmp(ram_ + kBuf, want, sizeof(want)))
                << "size " << size << " offset " << off;
            code_at += 0x40;
        }
    }
}

}  // namespace
}  // namespace tcgtest
