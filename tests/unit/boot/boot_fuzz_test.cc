// Mutation fuzzing of the bzImage and ELF64 loaders with a fixed seed:
// every mutant must either load or fail with a GError, never crash, never
// touch anything but RAM, and a successful load must leave a consistent
// zero page.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "tests/unit/boot/boot_images.h"

using namespace boot_test;

namespace {

constexpr uint64_t kRam = 32ull << 20;
constexpr uint64_t kRamAbove = 1ull << 20;

class Rng {
  public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next()
    {
        s_ ^= s_ << 13;
        s_ ^= s_ >> 7;
        s_ ^= s_ << 17;
        return s_;
    }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }

  private:
    uint64_t s_;
};

const uint64_t kInteresting[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x100, 0x200, 0x1000, 0x7fff, 0xffff, 0x10000,
    0x100000, 0x1000000, kRam - 1, kRam, kRam + 1, 0x7fffffff, 0x80000000,
    0xfffff000, 0xffffffff, 0x100000000ull, 0x100000000ull + kRamAbove,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffff000ull,
    0xffffffffffffffffull,
};

// Counts accesses to an I/O region: the loaders must never reach one.
struct IoProbe {
    static uint64_t read(void *opaque, uint64_t, unsigned)
    {
        ++*static_cast<unsigned *>(opaque);
        return 0;
    }
    static void write(void *opaque, uint64_t, uint64_t, unsigned)
    {
        ++*static_cast<unsigned *>(opaque);
    }
};

const MemoryRegionOps kProbeOps = { IoProbe::read, IoProbe::write };

class LoaderFuzz : public ::testing::Test {
  protected:
    LoaderFuzz() : guest_(kRam, kRamAbove)
    {
        address_space_add_io(guest_.as(), "probe", kRam, 0x100000, &kProbeOps,
                             &io_accesses_, nullptr);
        address_space_add_io(guest_.as(), "probe-ioapic", 0xfec00000, 0x1000,
                             &kProbeOps, &io_accesses_, nullptr);
        guest_.cfg().cmdline = "console=ttyS0";
    }

    // Loads KERNEL and checks the outcome's invariants.
    void run(const Bytes &kernel, const Bytes *initrd)
    {
        GError *err = nullptr;
        bool ok = x86_boot_load_images(
            guest_.as(), &guest_.cfg(), kernel.data(), kernel.size(),
            initrd ? initrd->data() : nullptr, initrd ? initrd->size() : 0,
            &guest_.cpu, &err);
        if (ok) {
            EXPECT_EQ(err, nullptr);
            check_loaded(initrd);
            loaded_++;
        } else {
            ASSERT_NE(err, nullptr);
            EXPECT_NE(err->message[0], '\0');
            EXPECT_EQ(strchr(err->message, '\n'), nullptr);
            g_error_free(err);
            failed_++;
        }
        ASSERT_EQ(io_accesses_, 0u);
    }

    void check_loaded(const Bytes *initrd)
    {
        uint8_t zp[4096];
        ASSERT_TRUE(address_space_read(guest_.as(), 0x7000, zp, sizeof(zp)));
        EXPECT_EQ(guest_.cpu.regs[R_RSI], 0x7000u);
        EXPECT_LE(zp[0x1e8], 128);
        EXPECT_EQ(get(zp + 0x228, 4), 0x20000u);
        if (initrd && !initrd->empty()) {
            uint64_t addr = get(zp + 0x218, 4), size = get(zp + 0x21c, 4);
            EXPECT_EQ(size, initrd->size());
            EXPECT_EQ(addr % 4096, 0u);
            EXPECT_GE(addr, 0x100000u);
            EXPECT_LE(addr + size, kRam);
        }
    }

    Guest guest_;
    unsigned io_accesses_ = 0;
    unsigned loaded_ = 0, failed_ = 0;
};

void put_sized(Bytes &b, size_t off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size && off + i < b.size(); i++) {
        b[off + i] = (uint8_t)(v >> (8 * i));
    }
}

struct Field {
    size_t off;
    unsigned size;
};

// Setup header fields the loader reads.
const Field kBzFields[] = {
    { 0x1f1, 1 }, { 0x1f4, 4 }, { 0x201, 1 }, { 0x206, 2 }, { 0x211, 1 },
    { 0x22c, 4 }, { 0x230, 4 }, { 0x234, 1 }, { 0x236, 2 }, { 0x238, 4 },
    { 0x258, 8 }, { 0x260, 4 },
};

// ELF header fields and those of the first two program headers.
const Field kElfFields[] = {
    { 4, 1 }, { 5, 1 }, { 16, 2 }, { 18, 2 }, { 24, 8 }, { 32, 8 },
    { 54, 2 }, { 56, 2 },
    { 64, 4 }, { 64 + 8, 8 }, { 64 + 24, 8 }, { 64 + 32, 8 }, { 64 + 40, 8 },
    { 120, 4 }, { 120 + 8, 8 }, { 120 + 24, 8 }, { 120 + 32, 8 },
    { 120 + 40, 8 },
};

template <size_t N>
Bytes mutate(const Bytes &base, const Field (&fields)[N], size_t hot_len,
             Rng &rng)
{
    Bytes b = base;
    switch (rng.below(4)) {
    case 0:     // random bytes in the headers
        for (uint64_t n = 1 + rng.below(8); n--;) {
            b[rng.below(std::min(hot_len, b.size()))] = (uint8_t)rng.next();
        }
        break;
    case 1:     // interesting values in the fields the loader reads
        for (uint64_t n = 1 + rng.below(3); n--;) {
            const Field &f = fields[rng.below(N)];
            put_sized(b, f.off, f.size,
                      kInteresting[rng.below(std::size(kInteresting))]);
        }
        break;
    case 2:     // random values in those fields
        for (uint64_t n = 1 + rng.below(3); n--;) {
            const Field &f = fields[rng.below(N)];
            put_sized(b, f.off, f.size, rng.next());
        }
        break;
    default:    // a field mutation and a random truncation
        put_sized(b, fields[rng.below(N)].off, 1, rng.next());
        b.resize(rng.below(b.size() + 1));
        break;
    }
    return b;
}

Bytes base_bzimage()
{
    BzOpts o;
    o.kernel_size = 0x1000;
    o.init_size = 0x200000;
    o.pref_address = 0x400000;
    return make_bzimage(o);
}

Bytes base_elf()
{
    return make_elf(0x100000, { { 0x100000, 0x400, 0x2000 },
                                { 0x300000, 0x100, 0x100 } });
}

TEST_F(LoaderFuzz, BaseImagesLoad)
{
    Bytes initrd(0x3000, 0x42);
    run(base_bzimage(), &initrd);
    run(base_elf(), &initrd);
    EXPECT_EQ(loaded_, 2u);
}

TEST_F(LoaderFuzz, TruncationAtEveryHeaderBoundary)
{
    Bytes bz = base_bzimage(), elf = base_elf();
    Bytes initrd(0x1000, 1);

    for (size_t len = 0; len <= 0x300; len++) {
        run(Bytes(bz.begin(), bz.begin() + len), &initrd);
    }
    for (size_t len : { 0xa00ul, 0xa01ul, 0xbfful, 0xc00ul, 0xc01ul,
                        bz.size() - 16, bz.size() - 1 }) {
        run(Bytes(bz.begin(), bz.begin() + len), &initrd);
    }
    for (size_t len = 0; len <= elf.size(); len++) {
        run(Bytes(elf.begin(), elf.begin() + len), &initrd);
    }
    EXPECT_EQ(loaded_, 1u);     // only the whole ELF
}

TEST_F(LoaderFuzz, HugeFieldValues)
{
    Bytes bz = base_bzimage(), elf = base_elf();
    Bytes initrd(0x1000, 1);

    for (const Field &f : kBzFields) {
        for (uint64_t v : kInteresting) {
            Bytes b = bz;
            put_sized(b, f.off, f.size, v);
            run(b, &initrd);
        }
    }
    for (const Field &f : kElfFields) {
        for (uint64_t v : kInteresting) {
            Bytes b = elf;
            put_sized(b, f.off, f.size, v);
            run(b, &initrd);
        }
    }
    // p_paddr + p_memsz overflowing, with the sum landing inside RAM.
    Bytes b = elf;
    put_sized(b, 64 + 24, 8, 0xfffffffffff00000ull);
    put_sized(b, 64 + 40, 8, 0x200000);
    run(b, &initrd);
    EXPECT_GT(loaded_, 0u);
    EXPECT_GT(failed_, 0u);
}

TEST_F(LoaderFuzz, RandomMutations)
{
    Rng rng(0x5eed1234abcdull);
    Bytes bz = base_bzimage(), elf = base_elf();
    Bytes small(0x800, 7), huge(kRam, 9);

    for (int i = 0; i < 3000; i++) {
        bool use_elf = i & 1;
        Bytes k = use_elf ? mutate(elf, kElfFields, 64 + 2 * 56, rng)
                          : mutate(bz, kBzFields, 0x300, rng);
        const Bytes *initrd = nullptr;
        switch (rng.below(4)) {
        case 0: initrd = &small; break;
        case 1: initrd = &huge; break;      // never fits with the kernel
        default: break;
        }
        run(k, initrd);
        if (HasFatalFailure()) {
            ADD_FAILURE() << "iteration " << i;
            return;
        }
    }
    EXPECT_GT(loaded_, 100u);
    EXPECT_GT(failed_, 100u);
}

}  // namespace
