/*
 * SSE/SSE2 and MMX instructions against the host CPU (x86-64 hosts): each
 * instruction runs on XMM0/XMM1 or MM0/MM1 (and RAX) in the software CPU
 * and natively on the same random inputs; the registers must agree bit
 * for bit.
 */
#include <sys/mman.h>

#include <cmath>
#include <random>
#include <string>

#include "tests/unit/tcg/tcg_harness.h"

namespace tcgtest {
namespace {

struct SseCase {
    std::string name;
    std::vector<uint8_t> bytes;     /* operates on xmm0 (dst), xmm1, rax */
    bool flags;                     /* compare ZF, PF, CF too */
};

std::vector<SseCase> SseCases()
{
    std::vector<SseCase> v;
    /* 66 0F xx /r with xmm0, xmm1 (ModRM 0xc1) */
    static const uint8_t packed66[] = {
        0x14, 0x15, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5c, 0x5d, 0x5e,
        0x5f, 0x5a, 0x5b, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
        0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x74, 0x75, 0x76, 0xd1, 0xd2,
        0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
        0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe8, 0xe9, 0xea, 0xeb,
        0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf8,
        0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0x51, 0x28, 0x6f, 0x7f, 0xd6,
    };
    /* 0F xx /r (packed single) */
    static const uint8_t packed[] = {
        0x10, 0x14, 0x15, 0x28, 0x51, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
        0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x12, 0x16,
    };
    /* F3 0F xx and F2 0F xx (scalar) */
    static const uint8_t scalar[] = {
        0x10, 0x51, 0x58, 0x59, 0x5a, 0x5c, 0x5d, 0x5e, 0x5f,
    };

    for (uint8_t op : packed66) {
        v.push_back({ "66 0f " + std::to_string(op), { 0x66, 0x0f, op, 0xc1 },
                      false });
    }
    for (uint8_t op : packed) {
        v.push_back({ "0f " + std::to_string(op), { 0x0f, op, 0xc1 }, false });
    }
    for (uint8_t op : scalar) {
        v.push_back({ "f3 0f " + std::to_string(op), { 0xf3, 0x0f, op, 0xc1 },
                      false });
        v.push_back({ "f2 0f " + std::to_string(op), { 0xf2, 0x0f, op, 0xc1 },
                      false });
    }
    v.push_back({ "cvttps2dq", { 0xf3, 0x0f, 0x5b, 0xc1 }, false });
    v.push_back({ "cvtdq2pd", { 0xf3, 0x0f, 0xe6, 0xc1 }, false });
    v.push_back({ "cvtpd2dq", { 0xf2, 0x0f, 0xe6, 0xc1 }, false });
    v.push_back({ "movq f3", { 0xf3, 0x0f, 0x7e, 0xc1 }, false });
    v.push_back({ "movdqu", { 0xf3, 0x0f, 0x6f, 0xc1 }, false });
    for (uint8_t imm = 0; imm < 8; imm++) {
        v.push_back({ "cmpps " + std::to_string(imm),
                      { 0x0f, 0xc2, 0xc1, imm }, false });
        v.push_back({ "cmppd " + std::to_string(imm),
                      { 0x66, 0x0f, 0xc2, 0xc1, imm }, false });
        v.push_back({ "cmpss " + std::to_string(imm),
                      { 0xf3, 0x0f, 0xc2, 0xc1, imm }, false });
        v.push_back({ "cmpsd " + std::to_string(imm),
                      { 0xf2, 0x0f, 0xc2, 0xc1, imm }, false });
    }
    for (uint8_t imm : { 0x1b, 0x00, 0xe4, 0x4e, 0x93 }) {
        v.push_back({ "pshufd", { 0x66, 0x0f, 0x70, 0xc1, imm }, false });
        v.push_back({ "pshufhw", { 0xf3, 0x0f, 0x70, 0xc1, imm }, false });
        v.push_back({ "pshuflw", { 0xf2, 0x0f, 0x70, 0xc1, imm }, false });
        v.push_back({ "shufps", { 0x0f, 0xc6, 0xc1, imm }, false });
        v.push_back({ "shufpd", { 0x66, 0x0f, 0xc6, 0xc1, (uint8_t)(imm & 3) },
                      false });
    }
    static const uint8_t shift_groups[][2] = {
        { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 },
        { 0x72, 6 }, { 0x73, 2 }, { 0x73, 3 }, { 0x73, 6 }, { 0x73, 7 },
    };
    for (uint8_t sh : { 0, 1, 3, 7, 8, 15, 16, 31, 33, 63, 64, 200 }) {
        for (const auto &g : shift_groups) {
            v.push_back({ "shift " + std::to_string(g[0]) + "/" +
                          std::to_string(g[1]) + " " + std::to_string(sh),
                          { 0x66, 0x0f, g[0], (uint8_t)(0xc0 | g[1] << 3), sh },
                          false });
        }
    }
    v.push_back({ "pmovmskb", { 0x66, 0x0f, 0xd7, 0xc1 }, false });
    v.push_back({ "movmskps", { 0x0f, 0x50, 0xc1 }, false });
    v.push_back({ "movmskpd", { 0x66, 0x0f, 0x50, 0xc1 }, false });
    v.push_back({ "movd eax,xmm1", { 0x66, 0x0f, 0x7e, 0xc8 }, false });
    v.push_back({ "movq rax,xmm1", { 0x66, 0x48, 0x0f, 0x7e, 0xc8 }, false });
    v.push_back({ "movd xmm0,eax", { 0x66, 0x0f, 0x6e, 0xc0 }, false });
    v.push_back({ "movq xmm0,rax", { 0x66, 0x48, 0x0f, 0x6e, 0xc0 }, false });
    v.push_back({ "pextrw", { 0x66, 0x0f, 0xc5, 0xc1, 5 }, false });
    v.push_back({ "pinsrw", { 0x66, 0x0f, 0xc4, 0xc0, 6 }, false });
    v.push_back({ "cvtsi2sd", { 0xf2, 0x48, 0x0f, 0x2a, 0xc0 }, false });
    v.push_back({ "cvtsi2ss", { 0xf3, 0x0f, 0x2a, 0xc0 }, false });
    v.push_back({ "cvttsd2si", { 0xf2, 0x48, 0x0f, 0x2c, 0xc1 }, false });
    v.push_back({ "cvtsd2si", { 0xf2, 0x0f, 0x2d, 0xc1 }, false });
    v.push_back({ "cvttss2si", { 0xf3, 0x0f, 0x2c, 0xc1 }, false });
    v.push_back({ "ucomisd", { 0x66, 0x0f, 0x2e, 0xc1 }, true });
    v.push_back({ "comiss", { 0x0f, 0x2f, 0xc1 }, true });
    v.push_back({ "movhlps", { 0x0f, 0x12, 0xc1 }, false });
    v.push_back({ "movlhps", { 0x0f, 0x16, 0xc1 }, false });
    return v;
}

struct SseRegs {
    uint64_t x0[2], x1[2], rax, flags;
};

#if defined(__x86_64__)

void RunNativeSse(void *code, SseRegs &r)
{
    uint64_t fo;

    asm volatile("movdqu (%[r]), %%xmm0\n\t"
                 "movdqu 16(%[r]), %%xmm1\n\t"
                 "mov 32(%[r]), %%rax\n\t"
                 "sub $128, %%rsp\n\t"
                 "call *%[fn]\n\t"
                 "pushfq\n\t"
                 "pop %[fo]\n\t"
                 "add $128, %%rsp\n\t"
                 "movdqu %%xmm0, (%[r])\n\t"
                 "movdqu %%xmm1, 16(%[r])\n\t"
                 "mov %%rax, 32(%[r])\n\t"
                 : [fo] "=&r"(fo)
                 : [r] "r"(&r), [fn] "r"(code)
                 : "rax", "xmm0", "xmm1", "cc", "memory");
    r.flags = fo;
}

uint64_t RandomLane(std::mt19937_64 &rng)
{
    union {
        double d;
        float f[2];
        uint64_t q;
    } u;

    switch (rng() % 5) {
    case 0:
        u.d = (double)(int64_t)(rng() % 2001) - 1000.0 + (rng() % 8) / 8.0;
        return u.q;
    case 1:
        u.f[0] = (float)((int)(rng() % 2001) - 1000) / 4.0f;
        u.f[1] = (float)((int)(rng() % 2001) - 1000) * 3.0f;
        return u.q;
    case 2:
        return rng() % 300;
    default:
        return rng();
    }
}

TEST_F(TcgTest, SseInstructionsMatchTheHost)
{
    std::vector<SseCase> cases = SseCases();
    std::mt19937_64 rng(777);
    uint8_t *native = static_cast<uint8_t *>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(native, MAP_FAILED);
    int failures = 0;
    unsigned compared = 0;

    for (size_t ci = 0; ci < cases.size(); ci++) {
        const SseCase &c = cases[ci];
        uint64_t addr = kCode + ci * 32;
        std::vector<uint8_t> guest = c.bytes;

        guest.insert(guest.end(), { 0x9c, 0x5e, 0xf4 });
        Load(addr, guest.data(), guest.size());
        memcpy(native, c.bytes.data(), c.bytes.size());
        native[c.bytes.size()] = 0xc3;

        for (int it = 0; it < 200; it++) {
            SseRegs in = { { RandomLane(rng), RandomLane(rng) },
                           { RandomLane(rng), RandomLane(rng) },
                           RandomLane(rng), 0 };
            SseRegs want = in;
            RunNativeSse(native, want);

            X86CPUState s = LongModeState(addr);
            memcpy(s.xmm[0].q, in.x0, 16);
            memcpy(s.xmm[1].q, in.x1, 16);
            s.regs[R_RAX] = in.rax;
            s = RunFrom(s);
            compared++;

            bool ok = !memcmp(s.xmm[0].q, want.x0, 16) &&
                      !memcmp(s.xmm[1].q, want.x1, 16) &&
                      s.regs[R_RAX] == want.rax &&
                      s.rip == addr + guest.size();
            uint32_t fm = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
            if (c.flags && ((s.regs[R_RSI] ^ want.flags) & fm)) {
                ok = false;
            }
            if (!ok && failures++ < 20) {
                ADD_FAILURE() << c.name << std::hex << "\n in x0="
                              << in.x0[1] << ":" << in.x0[0] << " x1="
                              << in.x1[1] << ":" << in.x1[0] << " rax="
                              << in.rax << "\n want x0=" << want.x0[1] << ":"
                              << want.x0[0] << " rax=" << want.rax
                              << "\n  got x0=" << s.xmm[0].q[1] << ":"
                              << s.xmm[0].q[0] << " rax=" << s.regs[R_RAX]
                              << " rip=" << s.rip;
            }
        }
    }
    munmap(native, 4096);
    EXPECT_EQ(failures, 0);
    EXPECT_GT(compared, 40000u);
    printf("%u SSE cases compared with the host\n", compared);
}

/* MMX forms: mm0 (destination) and mm1, ModRM 0xc1. */
std::vector<SseCase> MmxCases()
{
    static const uint8_t ops[] = {
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
        0x6b, 0x6f, 0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8,
        0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3,
        0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1,
        0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
        0xfe,
    };
    std::vector<SseCase> v;

    for (uint8_t op : ops) {
        v.push_back({ "mmx 0f " + std::to_string(op), { 0x0f, op, 0xc1 },
                      false });
    }
    for (uint8_t sh : { 0, 1, 7, 15, 16, 31, 63, 64 }) {
        for (uint8_t g : { 0x71, 0x72, 0x73 }) {
            for (uint8_t r : { 2, 4, 6 }) {
                if (g == 0x73 && r == 4) {
                    continue;
                }
                v.push_back({ "mmx shift", { 0x0f, g, (uint8_t)(0xc0 | r << 3),
                                             sh }, false });
            }
        }
    }
    v.push_back({ "pshufw", { 0x0f, 0x70, 0xc1, 0x1b }, false });
    v.push_back({ "pmovmskb mm", { 0x0f, 0xd7, 0xc1 }, false });
    v.push_back({ "movd eax,mm1", { 0x0f, 0x7e, 0xc8 }, false });
    v.push_back({ "movq mm0,rax", { 0x48, 0x0f, 0x6e, 0xc0 }, false });
    v.push_back({ "pextrw mm", { 0x0f, 0xc5, 0xc1, 2 }, false });
    v.push_back({ "pinsrw mm", { 0x0f, 0xc4, 0xc0, 3 }, false });
    return v;
}

void RunNativeMmx(void *code, SseRegs &r)
{
    asm volatile("movq (%[r]), %%mm0\n\t"
                 "movq 16(%[r]), %%mm1\n\t"
                 "mov 32(%[r]), %%rax\n\t"
                 "sub $128, %%rsp\n\t"
                 "call *%[fn]\n\t"
                 "add $128, %%rsp\n\t"
                 "movq %%mm0, (%[r])\n\t"
                 "movq %%mm1, 16(%[r])\n\t"
                 "mov %%rax, 32(%[r])\n\t"
                 "emms\n\t"
                 :
                 : [r] "r"(&r), [fn] "r"(code)
                 : "rax", "mm0", "mm1", "cc", "memory");
}

TEST_F(TcgTest, MmxInstructionsMatchTheHost)
{
    std::vector<SseCase> cases = MmxCases();
    std::mt19937_64 rng(4242);
    uint8_t *native = static_cast<uint8_t *>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(native, MAP_FAILED);
    int failures = 0;

    for (size_t ci = 0; ci < cases.size(); ci++) {
        const SseCase &c = cases[ci];
        uint64_t addr = kCode + ci * 32;
        std::vector<uint8_t> guest = c.bytes;

        guest.push_back(0xf4);
        Load(addr, guest.data(), guest.size());
        memcpy(native, c.bytes.data(), c.bytes.size());
        native[c.bytes.size()] = 0xc3;

        for (int it = 0; it < 200; it++) {
            SseRegs in = { { RandomLane(rng), 0 }, { RandomLane(rng), 0 },
                           RandomLane(rng), 0 };
            SseRegs want = in;
            RunNativeMmx(native, want);

            X86CPUState s = LongModeState(addr);
            s.st[0].mant = in.x0[0];
            s.st[1].mant = in.x1[0];
            s.regs[R_RAX] = in.rax;
            s = RunFrom(s);
            bool ok = s.st[0].mant == want.x0[0] &&
                      s.st[1].mant == want.x1[0] &&
                      s.regs[R_RAX] == want.rax && s.ftw == 0xff &&
                      ((s.fsw >> 11) & 7) == 0;
            if (!ok && failures++ < 20) {
                ADD_FAILURE() << c.name << std::hex << " in mm0=" << in.x0[0]
                              << " mm1=" << in.x1[0] << " rax=" << in.rax
                              << "\n want mm0=" << want.x0[0]
                              << " rax=" << want.rax << "\n  got mm0="
                              << s.st[0].mant << " rax=" << s.regs[R_RAX];
            }
        }
    }
    munmap(native, 4096);
    EXPECT_EQ(failures, 0);
}

/* Floating-point forms on xmm0 (dst), xmm1 and rax, with MXCSR. */
std::vector<SseCase> FloatCases()
{
    std::vector<SseCase> v;
    static const uint8_t arith[] = { 0x51, 0x58, 0x59, 0x5c, 0x5d, 0x5e,
                                     0x5f };

    for (uint8_t op : arith) {
        for (uint8_t pfx : { 0x00, 0x66, 0xf3, 0xf2 }) {
            std::vector<uint8_t> b = { 0x0f, op, 0xc1 };
            if (pfx) {
                b.insert(b.begin(), pfx);
            }
            v.push_back({ "fp " + std::to_string(pfx) + " 0f " +
                          std::to_string(op), b, false });
        }
    }
    for (uint8_t imm = 0; imm < 8; imm++) {
        v.push_back({ "cmpps " + std::to_string(imm),
                      { 0x0f, 0xc2, 0xc1, imm }, false });
        v.push_back({ "cmppd " + std::to_string(imm),
                      { 0x66, 0x0f, 0xc2, 0xc1, imm }, false });
        v.push_back({ "cmpss " + std::to_string(imm),
                      { 0xf3, 0x0f, 0xc2, 0xc1, imm }, false });
        v.push_back({ "cmpsd " + std::to_string(imm),
                      { 0xf2, 0x0f, 0xc2, 0xc1, imm }, false });
    }
    v.push_back({ "ucomiss", { 0x0f, 0x2e, 0xc1 }, true });
    v.push_back({ "comiss", { 0x0f, 0x2f, 0xc1 }, true });
    v.push_back({ "ucomisd", { 0x66, 0x0f, 0x2e, 0xc1 }, true });
    v.push_back({ "comisd", { 0x66, 0x0f, 0x2f, 0xc1 }, true });
    v.push_back({ "cvtps2pd", { 0x0f, 0x5a, 0xc1 }, false });
    v.push_back({ "cvtpd2ps", { 0x66, 0x0f, 0x5a, 0xc1 }, false });
    v.push_back({ "cvtss2sd", { 0xf3, 0x0f, 0x5a, 0xc1 }, false });
    v.push_back({ "cvtsd2ss", { 0xf2, 0x0f, 0x5a, 0xc1 }, false });
    v.push_back({ "cvtdq2ps", { 0x0f, 0x5b, 0xc1 }, false });
    v.push_back({ "cvtps2dq", { 0x66, 0x0f, 0x5b, 0xc1 }, false });
    v.push_back({ "cvttps2dq", { 0xf3, 0x0f, 0x5b, 0xc1 }, false });
    v.push_back({ "cvtdq2pd", { 0xf3, 0x0f, 0xe6, 0xc1 }, false });
    v.push_back({ "cvttpd2dq", { 0x66, 0x0f, 0xe6, 0xc1 }, false });
    v.push_back({ "cvtpd2dq", { 0xf2, 0x0f, 0xe6, 0xc1 }, false });
    for (uint8_t w : { 0x00, 0x48 }) {
        for (uint8_t pfx : { 0xf3, 0xf2 }) {
            std::string sfx = std::string(pfx == 0xf3 ? "ss" : "sd") +
                              (w ? " q" : " l");
            std::vector<uint8_t> b = { pfx, 0x0f, 0x2a, 0xc0 };
            if (w) {
                b.insert(b.begin() + 1, w);
            }
            v.push_back({ "cvtsi2" + sfx, b, false });
            for (uint8_t op : { 0x2c, 0x2d }) {
                b = { pfx, 0x0f, op, 0xc1 };
                if (w) {
                    b.insert(b.begin() + 1, w);
                }
                v.push_back({ (op == 0x2c ? "cvtt" : "cvt") + sfx + "2si", b,
                              false });
            }
        }
    }
    return v;
}

struct FloatRegs {
    uint64_t x0[2], x1[2], rax, flags;
    uint32_t mxcsr;
};

void RunNativeFloat(void *code, FloatRegs &r)
{
    uint64_t fo;
    uint32_t saved;

    asm volatile("stmxcsr %[saved]\n\t"
                 "ldmxcsr 48(%[r])\n\t"
                 "movdqu (%[r]), %%xmm0\n\t"
                 "movdqu 16(%[r]), %%xmm1\n\t"
                 "mov 32(%[r]), %%rax\n\t"
                 "sub $128, %%rsp\n\t"
                 "call *%[fn]\n\t"
                 "pushfq\n\t"
                 "pop %[fo]\n\t"
                 "add $128, %%rsp\n\t"
                 "stmxcsr 48(%[r])\n\t"
                 "ldmxcsr %[saved]\n\t"
                 "movdqu %%xmm0, (%[r])\n\t"
                 "movdqu %%xmm1, 16(%[r])\n\t"
                 "mov %%rax, 32(%[r])\n\t"
                 : [fo] "=&r"(fo), [saved] "+m"(saved)
                 : [r] "r"(&r), [fn] "r"(code)
                 : "rax", "xmm0", "xmm1", "cc", "memory");
    r.flags = fo;
}

/* Special single and double bit patterns: zeros, denormals, NaNs... */
uint32_t SpecialSingle(std::mt19937_64 &rng)
{
    static const uint32_t v[] = {
        0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x00000001,
        0x807fffff, 0x00400000, 0x00800000, 0x80800001, 0x7f7fffff,
        0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
        0x7f812345, 0xff800001, 0x3f800001, 0x1e3ce508, 0x0d000000,
        0x5f000000, 0xdf000000, 0x4f000000, 0xcf000000, 0x4effffff,
        0x3f000000, 0xbfc00000, 0x40200000, 0x20000000, 0x00c00000,
    };
    if (rng() % 4 == 0) {
        return (uint32_t)rng();
    }
    return v[rng() % (sizeof(v) / sizeof(v[0]))];
}

uint64_t SpecialDouble(std::mt19937_64 &rng)
{
    static const uint64_t v[] = {
        0, 1ull << 63, 0x3ff0000000000000ull, 0xbff8000000000000ull, 1,
        0x800fffffffffffffull, 0x0008000000000000ull, 0x0010000000000000ull,
        0x7fefffffffffffffull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
        0x7ff8000000000000ull, 0xfff8000000012345ull, 0x7ff0000000012345ull,
        0xfff4000000000001ull, 0x3ff0000000000001ull, 0x43e0000000000000ull,
        0xc3e0000000000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
        0xc1e0000000100000ull, 0x41dfffffffc00000ull, 0x3fe0000000000000ull,
        0x36a0000000000000ull, 0x47efffffe0000000ull, 0x47efffffffffffffull,
        0x3810000000000000ull, 0x380fffffffffffffull, 0x3e80000000000001ull,
        0x0000000000000003ull,
    };
    if (rng() % 4 == 0) {
        return rng();
    }
    return v[rng() % (sizeof(v) / sizeof(v[0]))];
}

uint64_t FloatLane(std::mt19937_64 &rng)
{
    switch (rng() % 4) {
    case 0:
    case 1:
        return SpecialSingle(rng) | (uint64_t)SpecialSingle(rng) << 32;
    case 2:
        return SpecialDouble(rng);
    default:
        return RandomLane(rng);
    }
}

/*
 * The results and the whole MXCSR (status flags included) must match the
 * host, in every rounding mode, with and without FTZ and DAZ.
 */
TEST_F(TcgTest, SseFloatAndMxcsrMatchTheHost)
{
    std::vector<SseCase> cases = FloatCases();
    std::mt19937_64 rng(31337);
    uint8_t *native = static_cast<uint8_t *>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(native, MAP_FAILED);
    int failures = 0;
    unsigned compared = 0;

    for (size_t ci = 0; ci < cases.size(); ci++) {
        const SseCase &c = cases[ci];
        uint64_t addr = kCode + ci * 32;
        std::vector<uint8_t> guest = c.bytes;

        guest.insert(guest.end(), { 0x9c, 0x5e, 0xf4 });
        Load(addr, guest.data(), guest.size());
        memcpy(native, c.bytes.data(), c.bytes.size());
        native[c.bytes.size()] = 0xc3;

        for (int it = 0; it < 400; it++) {
            uint32_t mxcsr = 0x1f80 | (uint32_t)(rng() % 4) << 13;
            if (rng() % 4 == 0) {
                mxcsr |= 0x8000;                /* FTZ */
            }
            if (rng() % 4 == 0) {
                mxcsr |= 0x40;                  /* DAZ */
            }
            if (rng() % 8 == 0) {
                mxcsr |= rng() & 0x3f;          /* flags already set */
            }
            uint64_t rax = rng() % 3 ? RandomLane(rng) : SpecialDouble(rng);
            FloatRegs in = { { FloatLane(rng), FloatLane(rng) },
                             { FloatLane(rng), FloatLane(rng) },
                             rax, 0, mxcsr };
            FloatRegs want = in;
            RunNativeFloat(native, want);

            X86CPUState s = LongModeState(addr);
            memcpy(s.xmm[0].q, in.x0, 16);
            memcpy(s.xmm[1].q, in.x1, 16);
            s.regs[R_RAX] = in.rax;
            s.mxcsr = mxcsr;
            s = RunFrom(s);
            compared++;

            bool ok = !memcmp(s.xmm[0].q, want.x0, 16) &&
                      !memcmp(s.xmm[1].q, want.x1, 16) &&
                      s.regs[R_RAX] == want.rax && s.mxcsr == want.mxcsr &&
                      s.rip == addr + guest.size();
            uint32_t fm = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
            if (c.flags && ((s.regs[R_RSI] ^ want.flags) & fm)) {
                ok = false;
            }
            if (!ok && failures++ < 30) {
                ADD_FAILURE() << c.name << std::hex << " mxcsr=" << mxcsr
                              << "\n in x0=" << in.x0[1] << ":" << in.x0[0]
                              << " x1=" << in.x1[1] << ":" << in.x1[0]
                              << " rax=" << in.rax << "\n want x0="
                              << want.x0[1] << ":" << want.x0[0] << " rax="
                              << want.rax << " mxcsr=" << want.mxcsr
                              << "\n  got x0=" << s.xmm[0].q[1] << ":"
                              << s.xmm[0].q[0] << " rax=" << s.regs[R_RAX]
                              << " mxcsr=" << s.mxcsr << " rip=" << s.rip;
            }
        }
    }
    munmap(native, 4096);
    EXPECT_EQ(failures, 0);
    EXPECT_GT(compared, 30000u);
    printf("%u SSE float cases compared with the host\n", compared);
}

#else

TEST_F(TcgTest, MmxInstructionsMatchTheHost)
{
    GTEST_SKIP() << "needs an x86-64 host to compare with";
}

TEST_F(TcgTest, SseInstructionsMatchTheHost)
{
    GTEST_SKIP() << "needs an x86-64 host to compare with";
}

TEST_F(TcgTest, SseFloatAndMxcsrMatchTheHost)
{
    GTEST_SKIP() << "needs an x86-64 host to compare with";
}

#endif

TEST_F(TcgTest, SseNeedsOsfxsr)
{
    static const uint8_t code[] = { 0x66, 0x0f, 0xef, 0xc0, 0xf4 };  /* pxor */

    Load(kCode, code, sizeof(code));
    X86CPUState s = LongModeState(kCode);
    s.cr4 &= ~X86_CR4_OSFXSR;
    s = RunFrom(s);
    EXPECT_EQ(s.regs[R_R15], 6u);               /* #UD */
}

/*
 * An unmasked exception (here divide-by-zero, ZM clear) sets its MXCSR
 * flag, leaves the destination alone and raises #XM, or #UD without
 * CR4.OSXMMEXCPT.
 */
TEST_F(TcgTest, UnmaskedSseExceptionTraps)
{
    static const uint8_t code[] = { 0x0f, 0x5e, 0xc1, 0xf4 };  /* divps */

    for (bool osxmmexcpt : { true, false }) {
        uint64_t addr = kCode + (osxmmexcpt ? 0x100 : 0x200);
        Load(addr, code, sizeof(code));
        X86CPUState s = LongModeState(addr);
        if (!osxmmexcpt) {
            s.cr4 &= ~X86_CR4_OSXMMEXCPT;
        }
        s.mxcsr = 0x1f80 & ~0x200u;
        for (int i = 0; i < 4; i++) {
            s.xmm[0].s[i] = 1.0f;
            s.xmm[1].s[i] = i == 2 ? 0.0f : 2.0f;
        }
        s = RunFrom(s);
        EXPECT_EQ(s.regs[R_R15], osxmmexcpt ? 19u : 6u);
        EXPECT_EQ(s.mxcsr, (0x1f80 & ~0x200u) | 0x4);
        for (int i = 0; i < 4; i++) {
            EXPECT_EQ(s.xmm[0].s[i], 1.0f);
        }
    }

    /* Masked, the same division gives infinity and only sets ZE. */
    Load(kCode, code, sizeof(code));
    X86CPUState s = LongModeState(kCode);
    s.mxcsr = 0x1f80;
    for (int i = 0; i < 4; i++) {
        s.xmm[0].s[i] = 1.0f;
        s.xmm[1].s[i] = 0.0f;
    }
    s = RunFrom(s);
    EXPECT_EQ(s.mxcsr, 0x1f84u);
    EXPECT_TRUE(std::isinf(s.xmm[0].s[0]));
}

/* Host-independent checks of MXCSR.RC, FTZ, DAZ and the status flags. */
TEST_F(TcgTest, MxcsrRoundingAndFlushModes)
{
    struct {
        std::vector<uint8_t> insn;
        uint32_t mxcsr, a, b;
        uint32_t want, want_mxcsr;
    } cases[] = {
        /* divss 1/3: nearest rounds up the last bit, toward zero not */
        { { 0xf3, 0x0f, 0x5e, 0xc1 }, 0x1f80, 0x3f800000, 0x40400000,
          0x3eaaaaab, 0x1fa0 },
        { { 0xf3, 0x0f, 0x5e, 0xc1 }, 0x7f80, 0x3f800000, 0x40400000,
          0x3eaaaaaa, 0x7fa0 },
        /* sqrtss 2, round up vs down */
        { { 0xf3, 0x0f, 0x51, 0xc1 }, 0x5f80, 0, 0x40000000, 0x3fb504f4,
          0x5fa0 },
        { { 0xf3, 0x0f, 0x51, 0xc1 }, 0x3f80, 0, 0x40000000, 0x3fb504f3,
          0x3fa0 },
        /* mulss of min normal by 0.5: denormal, or 0 with FTZ; UE, PE */
        { { 0xf3, 0x0f, 0x59, 0xc1 }, 0x1f80, 0x00800001, 0x3f000000,
          0x00400000, 0x1fb0 },
        { { 0xf3, 0x0f, 0x59, 0xc1 }, 0x9f80, 0x00800000, 0x3f000000,
          0x00000000, 0x9fb0 },
        /* addss of a denormal: DE; with DAZ it counts as zero */
        { { 0xf3, 0x0f, 0x58, 0xc1 }, 0x1f80, 0x00000001, 0x3f800000,
          0x3f800000, 0x1fa2 },
        { { 0xf3, 0x0f, 0x58, 0xc1 }, 0x1fc0, 0x00000001, 0x00000000,
          0x00000000, 0x1fc0 },
        /* addss SNaN: quieted, IE; 0 * inf: negative indefinite, IE */
        { { 0xf3, 0x0f, 0x58, 0xc1 }, 0x1f80, 0x7f800001, 0x3f800000,
          0x7fc00001, 0x1f81 },
        { { 0xf3, 0x0f, 0x59, 0xc1 }, 0x1f80, 0x00000000, 0x7f800000,
          0xffc00000, 0x1f81 },
        /* comiss signals on a QNaN, ucomiss does not */
        { { 0x0f, 0x2f, 0xc1 }, 0x1f80, 0x7fc00000, 0, 0x7fc00000, 0x1f81 },
        { { 0x0f, 0x2e, 0xc1 }, 0x1f80, 0x7fc00000, 0, 0x7fc00000, 0x1f80 },
        /* cvttss2si eax, 3e9: integer indefinite, IE */
        { { 0xf3, 0x0f, 0x2c, 0xc1 }, 0x1f80, 0, 0x4f32d05e, 0, 0x1f81 },
    };

    uint64_t addr = kCode;
    for (auto &c : cases) {
        std::vector<uint8_t> code = c.insn;
        code.push_back(0xf4);
        Load(addr, code.data(), code.size());
        X86CPUState s = LongModeState(addr);
        s.mxcsr = c.mxcsr;
        s.xmm[0].d[0] = c.a;
        s.xmm[1].d[0] = c.b;
        s = RunFrom(s);
        EXPECT_EQ(s.xmm[0].d[0], c.want) << std::hex << "insn at " << addr;
        EXPECT_EQ(s.mxcsr, c.want_mxcsr) << std::hex << "insn at " << addr;
        addr += 0x40;
    }
}

/*
 * x87 exception flags (FSW bits 0-5), exceptions masked: values worked
 * out from the SDM.  RBX points at two operands (at 0 and 8) and a
 * result slot (at 16).
 */
TEST_F(TcgTest, X87StatusFlags)
{
    constexpr uint64_t kData = 0x190000;
    const uint64_t one = 0x3ff0000000000000ull, three = 0x4008000000000000ull;
    const uint64_t big = 0x7e37e43c8800759cull;        /* 1e300 */
    const uint64_t qnan = 0x7ff8000000000000ull;
    struct {
        const char *name;
        std::vector<uint8_t> code;
        uint64_t a, b;
        uint16_t want_flags;
        uint64_t want_result;
    } cases[] = {
        { "1/3 inexact", { 0xdd, 0x03, 0xdc, 0x73, 0x08, 0xdd, 0x5b, 0x10 },
          one, three, 0x20, 0x3fd5555555555555ull },
        { "1/0", { 0xdd, 0x03, 0xdc, 0x73, 0x08, 0xdd, 0x5b, 0x10 },
          one, 0, 0x04, 0x7ff0000000000000ull },
        { "denormal load", { 0xd9, 0x03, 0xdd, 0x5b, 0x10 },
          1, 0, 0x02, 0x36a0000000000000ull },
        { "QNaN + denormal", { 0xdd, 0x03, 0xdc, 0x43, 0x08, 0xdd, 0x5b,
                               0x10 }, qnan, 1, 0x00, qnan },
        /* a QNaN beats an SNaN even with the smaller significand */
        { "QNaN + SNaN", { 0xdd, 0x03, 0xdc, 0x43, 0x08, 0xdd, 0x5b, 0x10 },
          0x7ff8000000000001ull, 0x7ff7ffffffffffffull, 0x01,
          0x7ff8000000000001ull },
        { "denormal * 1", { 0xdd, 0x03, 0xdc, 0x4b, 0x08, 0xdd, 0x5b, 0x10 },
          1, one, 0x02, 1 },
        { "1e300^2 stored", { 0xdd, 0x03, 0xdc, 0x4b, 0x08, 0xdd, 0x5b,
                              0x10 }, big, big, 0x28,
          0x7ff0000000000000ull },
        { "fistp 1.5", { 0xdd, 0x03, 0xdb, 0x5b, 0x10 },
          0x3ff8000000000000ull, 0, 0x20, 2 },
        { "fistp 3e9", { 0xdd, 0x03, 0xdb, 0x5b, 0x10 },
          0x41e65a0bc0000000ull, 0, 0x01, 0x80000000u },
        { "frndint 2.5", { 0xdd, 0x03, 0xd9, 0xfc, 0xdd, 0x5b, 0x10 },
          0x4004000000000000ull, 0, 0x20, 0x4000000000000000ull },
    };

    uint64_t addr = kCode;
    for (auto &c : cases) {
        std::vector<uint8_t> code = c.code;
        code.push_back(0xf4);
        Load(addr, code.data(), code.size());
        Load(kData, reinterpret_cast<const uint8_t *>(&c.a), 8);
        Load(kData + 8, reinterpret_cast<const uint8_t *>(&c.b), 8);
        uint64_t zero = 0;
        Load(kData + 16, reinterpret_cast<const uint8_t *>(&zero), 8);
        X86CPUState s = LongModeState(addr);
        s.regs[R_RBX] = kData;
        s = RunFrom(s);
        uint64_t result;
        memcpy(&result, ram_ + kData + 16, 8);
        EXPECT_EQ(s.fsw & 0x3f, c.want_flags) << c.name;
        EXPECT_EQ(result, c.want_result) << c.name;
        addr += 0x40;
    }
}

}  // namespace
}  // namespace tcgtest
