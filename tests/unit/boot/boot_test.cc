// The x86 boot loaders: bzImage, ELF64, zero page, page tables, GDT,
// entry state and the MP table.
#include <glob.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/unit/boot/boot_images.h"

using namespace boot_test;

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kZeroPage = 0x7000;

// Walks the guest's 4-level page tables; returns ~0 if not mapped.
uint64_t translate(Guest &g, uint64_t va, uint64_t *leaf_flags = nullptr)
{
    uint64_t table = g.cpu.cr3 & ~0xfffull;
    static const unsigned shifts[] = { 39, 30, 21, 12 };

    for (unsigned level = 0; level < 4; level++) {
        uint64_t idx = (va >> shifts[level]) & 511;
        uint64_t e = g.read(table + idx * 8, 8);
        if (!(e & 1)) return ~0ull;
        uint64_t addr = e & 0x000ffffffffff000ull;
        if (level >= 1 && level <= 2 && (e & 0x80)) {
            if (leaf_flags) *leaf_flags = e & 0xfff;
            uint64_t mask = (1ull << shifts[level]) - 1;
            return (addr & ~mask) | (va & mask);
        }
        if (level == 3) {
            if (leaf_flags) *leaf_flags = e & 0xfff;
            return addr | (va & 0xfff);
        }
        table = addr;
    }
    return ~0ull;
}

struct E820 {
    uint64_t addr, size;
    uint32_t type;
};

std::vector<E820> read_e820(Guest &g)
{
    std::vector<E820> v;
    unsigned n = (unsigned)g.read(kZeroPage + 0x1e8, 1);
    for (unsigned i = 0; i < n; i++) {
        uint64_t p = kZeroPage + 0x2d0 + i * 20;
        v.push_back({ g.read(p, 8), g.read(p + 8, 8),
                      (uint32_t)g.read(p + 16, 4) });
    }
    return v;
}

uint64_t zp(Guest &g, unsigned off, unsigned size)
{
    return g.read(kZeroPage + off, size);
}

void expect_entry_state(const X86CPUState &s, uint64_t rip)
{
    EXPECT_EQ(s.rip, rip);
    EXPECT_EQ(s.regs[R_RSI], kZeroPage);
    EXPECT_NE(s.regs[R_RSP], 0u);
    EXPECT_EQ(s.rflags, 0x2u);
    EXPECT_EQ(s.cr0 & (X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE),
              X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE);
    EXPECT_EQ(s.cr3, 0x9000u);
    EXPECT_EQ(s.cr4, X86_CR4_PAE);
    EXPECT_EQ(s.efer, X86_EFER_LME | X86_EFER_LMA);

    const X86Segment &cs = s.segs[SEG_CS];
    EXPECT_EQ(cs.selector, 0x10);
    EXPECT_EQ(SEG_ATTR_TYPE(cs.attrib), 0xbu);
    EXPECT_TRUE(cs.attrib & SEG_ATTR_S);
    EXPECT_TRUE(cs.attrib & SEG_ATTR_P);
    EXPECT_TRUE(cs.attrib & SEG_ATTR_L);
    EXPECT_FALSE(cs.attrib & SEG_ATTR_DB);
    EXPECT_EQ(cs.base, 0u);
    for (int seg : { SEG_DS, SEG_ES, SEG_SS }) {
        const X86Segment &d = s.segs[seg];
        EXPECT_EQ(d.selector, 0x18) << seg;
        EXPECT_EQ(d.attrib, 0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB |
                                SEG_ATTR_G) << seg;
        EXPECT_EQ(d.limit, 0xffffffffu) << seg;
        EXPECT_EQ(d.base, 0u) << seg;
    }
    EXPECT_EQ(SEG_ATTR_TYPE(s.segs[SEG_TR].attrib), 0xbu);
    EXPECT_TRUE(s.segs[SEG_TR].attrib & SEG_ATTR_P);
    EXPECT_FALSE(s.segs[SEG_LDTR].attrib & SEG_ATTR_P);
    EXPECT_EQ(s.gdt.base, 0x500u);
    EXPECT_EQ(s.gdt.limit, 31);
    EXPECT_EQ(s.idt.limit, 0);
    EXPECT_EQ(s.apic_base, APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE |
                               MSR_APICBASE_BSP);
    EXPECT_EQ(s.pat, 0x0007040600070406ull);
    EXPECT_EQ(s.mxcsr, 0x1f80u);
    EXPECT_EQ(s.fcw, 0x37f);
    EXPECT_EQ(s.mp_state, X86_MP_RUNNABLE);
}

std::string load_err(const Bytes &kernel, uint64_t ram = 256 * kMiB)
{
    Guest g(ram);
    return g.load(kernel);
}

// ---- bzImage ----

TEST(BzImage, EntryStateAndKernelAtPrefAddress)
{
    Guest g(256 * kMiB);
    Bytes k = make_bzimage();
    ASSERT_EQ(g.load(k), "");
    expect_entry_state(g.cpu, 0x1000000 + 0x200);
    for (size_t i : { 0ul, 0x200ul, 0x2fffUL }) {
        EXPECT_EQ(g.read(0x1000000 + i, 1), pattern(i)) << i;
    }
    EXPECT_EQ(zp(g, 0x214, 4), 0x1000000u);  // code32_start
}

TEST(BzImage, NonRelocatableLoadsAtOneMiB)
{
    BzOpts o;
    o.relocatable = 0;
    Guest g(256 * kMiB);
    ASSERT_EQ(g.load(make_bzimage(o)), "");
    EXPECT_EQ(g.cpu.rip, 0x100200u);
    EXPECT_EQ(g.read(0x100000, 1), pattern(0));
}

TEST(BzImage, PrefAddressThatDoesNotFitFallsBackToOneMiB)
{
    BzOpts o;
    o.pref_address = 0x40000000;        // beyond 256 MiB
    o.init_size = 0x400000;
    Guest g(256 * kMiB);
    // The kernel would still run at pref_address: it does not fit.
    EXPECT_EQ(g.load(make_bzimage(o)), "kernel too large for guest RAM");

    o.pref_address = 0;                 // relocatable, no preference
    Guest g2(256 * kMiB);
    ASSERT_EQ(g2.load(make_bzimage(o)), "");
    EXPECT_EQ(g2.cpu.rip, 0x100200u);
}

TEST(BzImage, InitSizeBeyondRamFails)
{
    BzOpts o;
    o.init_size = 0x10000000;
    EXPECT_EQ(load_err(make_bzimage(o), 64 * kMiB),
              "kernel too large for guest RAM");
}

TEST(BzImage, ZeroPageHeaderAndCmdline)
{
    Guest g(256 * kMiB);
    g.cfg().cmdline = "console=ttyS0 root=/dev/vda";
    Bytes k = make_bzimage();
    ASSERT_EQ(g.load(k), "");
    EXPECT_EQ(zp(g, 0x202, 4), 0x53726448u);    // "HdrS"
    EXPECT_EQ(zp(g, 0x206, 2), 0x020fu);
    EXPECT_EQ(zp(g, 0x1f1, 1), 4u);             // setup_sects copied
    EXPECT_EQ(zp(g, 0x260, 4), 0x800000u);      // init_size copied
    EXPECT_EQ(zp(g, 0x210, 1), 0xffu);          // type_of_loader
    EXPECT_EQ(zp(g, 0x1fa, 2), 0xffffu);        // vid_mode
    EXPECT_EQ(zp(g, 0x1ef, 1), 0u);             // sentinel clear
    // Nothing past the header's end (0x26c) is copied.
    EXPECT_EQ(zp(g, 0x26c, 4), 0u);
    uint64_t ptr = zp(g, 0x228, 4) | zp(g, 0xc8, 4) << 32;
    EXPECT_EQ(ptr, 0x20000u);
    EXPECT_EQ(g.read_string(ptr), "console=ttyS0 root=/dev/vda");
}

TEST(BzImage, ShortHeaderIsCopiedOnlyToItsEnd)
{
    BzOpts o;
    o.header_len = 0x6a;
    Bytes k = make_bzimage(o);
    k[0x26c] = 0x5a;                            // beyond the header
    Guest g(256 * kMiB);
    ASSERT_EQ(g.load(k), "");
    EXPECT_EQ(zp(g, 0x26c, 1), 0u);
}

TEST(BzImage, EmptyCmdlineIsStillAString)
{
    Guest g(256 * kMiB);
    ASSERT_EQ(g.load(make_bzimage()), "");
    EXPECT_EQ(zp(g, 0x228, 4), 0x20000u);
    EXPECT_EQ(g.read_string(0x20000), "");
}

TEST(BzImage, CmdlineSizeLimit)
{
    BzOpts o;
    o.cmdline_size = 16;
    Guest g(256 * kMiB);
    g.cfg().cmdline = "0123456789abcdef";   // exactly 16
    EXPECT_EQ(g.load(make_bzimage(o)), "");
    Guest g2(256 * kMiB);
    g2.cfg().cmdline = "0123456789abcdefg";
    EXPECT_EQ(g2.load(make_bzimage(o)),
              "kernel command line too long (17 bytes, at most 16)");
}

TEST(BzImage, InitrdAtTopOfRam)
{
    Guest g(256 * kMiB);
    Bytes initrd(0x12345);
    for (size_t i = 0; i < initrd.size(); i++) initrd[i] = (uint8_t)(i ^ 0x5a);
    ASSERT_EQ(g.load(make_bzimage(), &initrd), "");
    uint64_t addr = zp(g, 0x218, 4) | zp(g, 0xc0, 4) << 32;
    uint64_t size = zp(g, 0x21c, 4) | zp(g, 0xc4, 4) << 32;
    EXPECT_EQ(size, initrd.size());
    EXPECT_EQ(addr % 4096, 0u);
    EXPECT_EQ(addr, (256 * kMiB - initrd.size()) & ~0xfffull);
    EXPECT_GE(addr, 0x1000000u + 0x800000u);    // above start + init_size
    for (size_t i : { 0ul, 1ul, 0x12344ul }) {
        EXPECT_EQ(g.read(addr + i, 1), initrd[i]) << i;
    }
}

TEST(BzImage, InitrdBelowInitrdAddrMax)
{
    BzOpts o;
    o.initrd_addr_max = 0x3ffffff;              // 64 MiB - 1
    Guest g(256 * kMiB);
    Bytes initrd(0x12345, 0xab);
    ASSERT_EQ(g.load(make_bzimage(o), &initrd), "");
    uint64_t addr = zp(g, 0x218, 4);
    EXPECT_EQ(addr, 0x3fed000u);
    EXPECT_LE(addr + initrd.size() - 1, 0x3ffffffu);
    EXPECT_EQ(g.read(addr, 1), 0xabu);
}

TEST(BzImage, InitrdTooLarge)
{
    Guest g(64 * kMiB);
    Bytes initrd(48 * kMiB);                    // kernel claims 16..24 MiB
    EXPECT_EQ(g.load(make_bzimage(), &initrd),
              "initrd too large for guest RAM");
    Guest g2(64 * kMiB);
    Bytes fits(40 * kMiB);
    EXPECT_EQ(g2.load(make_bzimage(), &fits), "");
}

TEST(BzImage, E820Map)
{
    Guest g(256 * kMiB, 64 * kMiB);
    X86E820Entry extra[] = {
        { 0xfec00000, 0x1000, 2 },
        { 0xd0000000, 0x10000000, 2 },
    };
    g.cfg().extra_e820 = extra;
    g.cfg().n_extra_e820 = 2;
    ASSERT_EQ(g.load(make_bzimage()), "");
    std::vector<E820> e = read_e820(g);
    ASSERT_EQ(e.size(), 6u);
    EXPECT_TRUE(e[0].addr == 0 && e[0].size == 0x9fc00 && e[0].type == 1);
    EXPECT_TRUE(e[1].addr == 0x9fc00 && e[1].size == 0x100000 - 0x9fc00 &&
                e[1].type == 2);
    EXPECT_TRUE(e[2].addr == kMiB && e[2].size == 255 * kMiB &&
                e[2].type == 1);
    EXPECT_TRUE(e[3].addr == 0xd0000000 && e[3].type == 2);
    EXPECT_TRUE(e[4].addr == 0xfec00000 && e[4].size == 0x1000 &&
                e[4].type == 2);
    EXPECT_TRUE(e[5].addr == 1ull << 32 && e[5].size == 64 * kMiB &&
                e[5].type == 1);
}

TEST(BzImage, TooManyE820Entries)
{
    Guest g(256 * kMiB);
    std::vector<X86E820Entry> extra(126, X86E820Entry{ 0xe0000000, 0x1000, 2 });
    g.cfg().extra_e820 = extra.data();
    g.cfg().n_extra_e820 = (unsigned)extra.size();
    EXPECT_EQ(g.load(make_bzimage()), "too many e820 entries (at most 128)");
}

TEST(BzImage, PageTablesIdentityMapLow4G)
{
    Guest g(256 * kMiB);
    ASSERT_EQ(g.load(make_bzimage()), "");
    for (uint64_t va : { 0x0ull, 0x7000ull, 0x1000200ull, 0x3ffff123ull,
                         0xf999a000ull, 0xfee00000ull, 0xfffff000ull,
                         0xffffffffull }) {
        uint64_t flags = 0;
        EXPECT_EQ(translate(g, va, &flags), va) << std::hex << va;
        EXPECT_EQ(flags & 0x83, 0x83u) << std::hex << va;  // P, RW, PS
    }
    EXPECT_EQ(translate(g, 1ull << 32), ~0ull);
    EXPECT_EQ(translate(g, 0xffffffff81000000ull), ~0ull);
}

TEST(BzImage, GdtContents)
{
    Guest g(256 * kMiB);
    ASSERT_EQ(g.load(make_bzimage()), "");
    EXPECT_EQ(g.read(0x500, 8), 0u);
    EXPECT_EQ(g.read(0x508, 8), 0u);
    EXPECT_EQ(g.read(0x510, 8), 0x00af9b000000ffffull);
    EXPECT_EQ(g.read(0x518, 8), 0x00cf93000000ffffull);
}

TEST(BzImage, BadImages)
{
    BzOpts o;
    o.version = 0x0205;
    EXPECT_EQ(load_err(make_bzimage(o)),
              "kernel boot protocol 2.05 too old; need 2.06");
    o = BzOpts();
    o.xloadflags = 0;
    EXPECT_EQ(load_err(make_bzimage(o)), "kernel has no 64-bit entry point");
    o = BzOpts();
    o.version = 0x020b;                 // no xloadflags before 2.12
    EXPECT_EQ(load_err(make_bzimage(o)), "kernel has no 64-bit entry point");
    o = BzOpts();
    o.loadflags = 0;
    EXPECT_EQ(load_err(make_bzimage(o)),
              "kernel is a zImage (not loaded high); need a bzImage");
}

TEST(BzImage, Truncated)
{
    Bytes k = make_bzimage();
    for (size_t len : { 0x206ul, 0x210ul, 0x26bul, 0x26cul, 0xa00ul,
                        0xa00ul + 0x200, k.size() - 1 }) {
        Bytes t(k.begin(), k.begin() + len);
        EXPECT_EQ(load_err(t), "kernel image truncated") << len;
    }
    Bytes big = make_bzimage();
    big[0x1f1] = 200;
    EXPECT_EQ(load_err(big), "kernel image truncated");
}

TEST(BzImage, NotAKernel)
{
    Guest g(256 * kMiB);
    g.cfg().kernel = "/tmp/junk";
    Bytes junk(4096, 0x90);
    EXPECT_EQ(g.load(junk),
              "'/tmp/junk': not a Linux bzImage or ELF64 executable");
    EXPECT_EQ(g.load(Bytes()),
              "'/tmp/junk': not a Linux bzImage or ELF64 executable");
}

TEST(BzImage, MissingFile)
{
    Guest g(256 * kMiB);
    g.cfg().kernel = "/nonexistent/vmlinuz";
    GError *err = nullptr;
    EXPECT_FALSE(x86_boot_load(g.as(), &g.cfg(), &g.cpu, &err));
    ASSERT_NE(err, nullptr);
    EXPECT_EQ(std::string(err->message).rfind(
                  "could not load kernel '/nonexistent/vmlinuz': ", 0), 0u)
        << err->message;
    g_error_free(err);
}

TEST(Elf64, RamTooSmallForBootData)
{
    // 64 KiB of RAM: the command line at 0x20000 does not fit.
    Guest g(64 * 1024);
    Bytes k = make_elf(0x100, { { 0x100, 0x10, 0x10 } });
    EXPECT_EQ(g.load(k),
              "kernel command line [0x20000-0x20000] outside guest RAM");
}

// ---- ELF64 ----

TEST(Elf64, SegmentsEntryAndZeroPage)
{
    Guest g(64 * kMiB);
    // Dirty the BSS range first: the loader must zero it.
    Bytes ff(0x4000, 0xff);
    ASSERT_TRUE(address_space_write(g.as(), 0x100000, ff.data(), ff.size()));
    g.cfg().cmdline = "hello";
    Bytes initrd(0x3000, 0x11);
    Bytes k = make_elf(0x100040, { { 0x100000, 0x1800, 0x3000 },
                                   { 0x200000, 0x100, 0x100 },
                                   { 0x300000, 0x10, 0x10, 4 /* PT_NOTE */ } });
    ASSERT_EQ(g.load(k, &initrd), "");
    expect_entry_state(g.cpu, 0x100040);
    EXPECT_EQ(g.read(0x100000, 1), pattern(0));
    EXPECT_EQ(g.read(0x1017ff, 1), pattern(0x17ff));
    EXPECT_EQ(g.read(0x101800, 8), 0u);
    EXPECT_EQ(g.read(0x102ff8, 8), 0u);
    EXPECT_EQ(g.read(0x103000, 1), 0xffu);      // past memsz: untouched
    EXPECT_EQ(g.read(0x200000 + 0xff, 1), pattern(0xff));
    EXPECT_EQ(g.read(0x300000, 1), 0u);         // PT_NOTE not loaded

    EXPECT_EQ(zp(g, 0x228, 4), 0x20000u);
    EXPECT_EQ(g.read_string(0x20000), "hello");
    EXPECT_EQ(zp(g, 0x210, 1), 0xffu);
    EXPECT_EQ(zp(g, 0x202, 4), 0x53726448u);
    EXPECT_EQ(zp(g, 0x1e8, 1), 3u);
    uint64_t addr = zp(g, 0x218, 4);
    EXPECT_EQ(addr, 64 * kMiB - 0x3000);
    EXPECT_EQ(zp(g, 0x21c, 4), 0x3000u);
    EXPECT_EQ(g.read(addr, 1), 0x11u);
    EXPECT_EQ(translate(g, 0x100040), 0x100040u);
}

TEST(Elf64, SegmentAbove4G)
{
    Guest g(64 * kMiB, 16 * kMiB);
    Bytes k = make_elf(0x100000, { { 0x100000, 0x10, 0x10 },
                                   { (1ull << 32) + 0x1000, 0x20, 0x2000 } });
    ASSERT_EQ(g.load(k), "");
    EXPECT_EQ(g.read((1ull << 32) + 0x1001, 1), pattern(1));
}

TEST(Elf64, BadHeaders)
{
    Bytes good = make_elf(0x100000, { { 0x100000, 0x10, 0x10 } });
    Bytes k = good;
    k[4] = 1;
    EXPECT_EQ(load_err(k), "ELF kernel is not ELFCLASS64");
    k = good;
    k[5] = 2;
    EXPECT_EQ(load_err(k), "ELF kernel is not little-endian");
    k = good;
    put16(k, 18, 3);
    EXPECT_EQ(load_err(k), "ELF kernel is not for x86-64");
    k = good;
    put16(k, 16, 3);                    // ET_DYN
    EXPECT_EQ(load_err(k), "ELF kernel is not an executable (ET_EXEC)");
    k = good;
    put16(k, 54, 32);
    EXPECT_EQ(load_err(k), "ELF kernel has a bad program header size");
    k = good;
    put16(k, 56, 0);
    EXPECT_EQ(load_err(k), "ELF kernel has no loadable segments");
    k = make_elf(0x100000, { { 0x100000, 0x10, 0x10, 6 } });
    EXPECT_EQ(load_err(k), "ELF kernel has no loadable segments");
}

TEST(Elf64, Truncated)
{
    Bytes good = make_elf(0x100000, { { 0x100000, 0x100, 0x100 } });
    for (size_t len : { 4ul, 63ul, 64ul, 64ul + 55, 64ul + 56,
                        good.size() - 1 }) {
        Bytes t(good.begin(), good.begin() + len);
        EXPECT_EQ(load_err(t), "kernel image truncated") << len;
    }
    Bytes k = good;
    put16(k, 56, 1000);                 // e_phnum beyond the file
    EXPECT_EQ(load_err(k), "kernel image truncated");
    k = good;
    put64(k, 32, ~0ull - 8);            // e_phoff wraps
    EXPECT_EQ(load_err(k), "kernel image truncated");
    k = good;
    put64(k, 64 + 8, ~0ull - 0x10);     // p_offset + p_filesz wraps
    EXPECT_EQ(load_err(k), "kernel image truncated");
}

TEST(Elf64, SegmentsOutsideRam)
{
    uint64_t ram = 64 * kMiB;
    Bytes k = make_elf(0x100000, { { ram - 0x1000, 0x10, 0x2000 } });
    EXPECT_EQ(load_err(k, ram),
              "ELF segment [0x3fff000-0x4000fff] outside guest RAM");
    k = make_elf(0x100000, { { 0xfffffffffffff000ull, 0x10, 0x2000 } });
    EXPECT_EQ(load_err(k, ram), "ELF segment [0xfffffffffffff000, size "
                                "0x2000] outside guest RAM");
    k = make_elf(0x100000, { { 0x100000, 0x10, ~0ull } });
    std::string err = load_err(k, ram);
    EXPECT_NE(err.find("outside guest RAM"), std::string::npos) << err;
    k = make_elf(0x100000, { { 0x100000, 0x20, 0x10 } });
    EXPECT_EQ(load_err(k, ram),
              "ELF segment at 0x100000 has p_filesz > p_memsz");
    k = make_elf(0x8000, { { 0x8000, 0x10, 0x10 } });
    EXPECT_EQ(load_err(k, ram), "ELF segment [0x8000-0x800f] overlaps the "
                                "boot data at [0x500-0x2ffff]");
}

// ---- MP table ----

uint8_t checksum(Guest &g, uint64_t addr, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum += (uint8_t)g.read(addr + i, 1);
    return sum;
}

TEST(MpTable, Contents)
{
    Guest g(256 * kMiB);
    GError *err = nullptr;
    ASSERT_TRUE(x86_mptable_write(g.as(), 4, &err));
    uint64_t fp = 0xf0000;
    EXPECT_EQ(g.read(fp, 4), 0x5f504d5fu);      // "_MP_"
    EXPECT_EQ(checksum(g, fp, 16), 0);
    EXPECT_EQ(g.read(fp + 8, 1), 1u);
    EXPECT_EQ(g.read(fp + 9, 1), 4u);
    uint64_t ct = g.read(fp + 4, 4);
    EXPECT_GE(ct, 0xf0000u);
    EXPECT_LT(ct, 0x100000u);
    EXPECT_EQ(g.read(ct, 4), 0x504d4350u);      // "PCMP"
    uint64_t len = g.read(ct + 4, 2);
    EXPECT_EQ(g.read(ct + 6, 1), 4u);
    EXPECT_EQ(checksum(g, ct, len), 0);
    EXPECT_EQ(g.read(ct + 36, 4), 0xfee00000u);

    unsigned count = (unsigned)g.read(ct + 34, 2), cpus = 0, ioapics = 0;
    unsigned irq0_pin = ~0u, irq5_pin = ~0u, lint = 0;
    uint64_t p = ct + 44;
    for (unsigned i = 0; i < count; i++) {
        unsigned type = (unsigned)g.read(p, 1);
        if (type == 0) {
            EXPECT_EQ(g.read(p + 1, 1), cpus);              // APIC ID
            EXPECT_TRUE(g.read(p + 3, 1) & 1);              // enabled
            EXPECT_EQ((g.read(p + 3, 1) & 2) != 0, cpus == 0);  // BSP
            cpus++;
            p += 20;
            continue;
        }
        if (type == 2) {
            EXPECT_EQ(g.read(p + 1, 1), 4u);                // id = ncpus
            EXPECT_EQ(g.read(p + 4, 4), 0xfec00000u);
            ioapics++;
        } else if (type == 3) {
            uint64_t irq = g.read(p + 5, 1), pin = g.read(p + 7, 1);
            if (irq == 0) irq0_pin = (unsigned)pin;
            if (irq == 5) irq5_pin = (unsigned)pin;
        } else if (type == 4) {
            lint++;
        } else {
            EXPECT_EQ(type, 1u);
        }
        p += 8;
    }
    EXPECT_EQ(p - ct, len);
    EXPECT_EQ(cpus, 4u);
    EXPECT_EQ(ioapics, 1u);
    EXPECT_EQ(irq0_pin, 2u);
    EXPECT_EQ(irq5_pin, 5u);
    EXPECT_EQ(lint, 2u);
}

TEST(MpTable, CpuCountLimits)
{
    Guest g(256 * kMiB);
    GError *err = nullptr;
    EXPECT_FALSE(x86_mptable_write(g.as(), 0, &err));
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
    EXPECT_FALSE(x86_mptable_write(g.as(), 255, &err));
    g_clear_error(&err);
    EXPECT_TRUE(x86_mptable_write(g.as(), 254, &err));
    uint64_t ct = g.read(0xf0004, 4);
    EXPECT_EQ(checksum(g, ct, g.read(ct + 4, 2)), 0);

    Guest small(512 * 1024);            // no RAM at 0xf0000
    EXPECT_FALSE(x86_mptable_write(small.as(), 1, &err));
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
}

// ---- the host's real kernel ----

TEST(RealKernel, LoadsHostVmlinuz)
{
    glob_t gl;
    if (glob("/boot/vmlinuz-*", 0, nullptr, &gl) != 0 || gl.gl_pathc == 0) {
        GTEST_SKIP() << "no /boot/vmlinuz-* on this host";
    }
    std::string path = gl.gl_pathv[0];
    globfree(&gl);
    if (access(path.c_str(), R_OK) != 0) {
        GTEST_SKIP() << path << " is not readable";
    }

    Guest g(512 * kMiB);
    g.cfg().kernel = path.c_str();
    g.cfg().cmdline = "console=ttyS0";
    GError *err = nullptr;
    ASSERT_TRUE(x86_boot_load(g.as(), &g.cfg(), &g.cpu, &err))
        << (err ? err->message : "");
    EXPECT_GE(zp(g, 0x206, 2), 0x0206u);
    uint64_t load = zp(g, 0x214, 4);            // code32_start = load address
    EXPECT_GE(load, 0x100000u);
    EXPECT_EQ(g.cpu.rip, load + 0x200);
    EXPECT_EQ(g.read_string(zp(g, 0x228, 4)), "console=ttyS0");
    EXPECT_EQ(translate(g, g.cpu.rip), g.cpu.rip);
}

}  // namespace
