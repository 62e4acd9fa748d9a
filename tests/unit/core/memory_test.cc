// Tests for the memory API (core/memory.c).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "core/main_loop.h"
#include "core/memory.h"
}

namespace {

struct IoLog {
    uint64_t offset = 0;
    unsigned size = 0;
    uint64_t value = 0;
    int reads = 0;
    int writes = 0;
    bool bql_held = false;
};

uint64_t log_read(void *opaque, uint64_t offset, unsigned size)
{
    IoLog *log = static_cast<IoLog *>(opaque);
    log->offset = offset;
    log->size = size;
    log->reads++;
    log->bql_held = bql_locked();
    return 0x1122334455667788ull;
}

void log_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IoLog *log = static_cast<IoLog *>(opaque);
    log->offset = offset;
    log->size = size;
    log->value = value;
    log->writes++;
    log->bql_held = bql_locked();
}

const MemoryRegionOps log_ops = {log_read, log_write, 0};

// Byte registers whose value is 0xa0 + their offset; writes are recorded.
struct ByteRegs {
    std::vector<std::pair<uint64_t, uint64_t>> writes;
    std::vector<unsigned> sizes;
};

uint64_t byte_read(void *opaque, uint64_t offset, unsigned size)
{
    static_cast<ByteRegs *>(opaque)->sizes.push_back(size);
    return 0xa0 + offset;
}

void byte_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    ByteRegs *r = static_cast<ByteRegs *>(opaque);
    r->sizes.push_back(size);
    r->writes.push_back({offset, value});
}

const MemoryRegionOps byte_ops = {byte_read, byte_write, 1};

guint region_count(AddressSpace *as)
{
    GPtrArray *regions = address_space_regions(as);
    guint n = regions->len;
    g_ptr_array_free(regions, TRUE);
    return n;
}

class MemoryTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        mem = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        io = address_space_new("io", ADDRESS_SPACE_IO);
    }
    void TearDown() override
    {
        address_space_free(mem);
        address_space_free(io);
    }

    MemoryRegion *add_ram(uint64_t base, uint64_t size, const char *name = "ram")
    {
        GError *err = nullptr;
        MemoryRegion *mr = address_space_add_ram(mem, name, base, size, &err);
        EXPECT_EQ(err, nullptr) << (err ? err->message : "");
        g_clear_error(&err);
        return mr;
    }

    std::string add_io_error(AddressSpace *as, const char *name, uint64_t base,
                             uint64_t size, IoLog *log)
    {
        GError *err = nullptr;
        MemoryRegion *mr = address_space_add_io(as, name, base, size, &log_ops,
                                                log, &err);
        EXPECT_EQ(mr, nullptr);
        std::string msg = err ? err->message : "";
        g_clear_error(&err);
        return msg;
    }

    AddressSpace *mem;
    AddressSpace *io;
};

TEST_F(MemoryTest, RamReadWriteValues)
{
    MemoryRegion *mr = add_ram(0x100000, 0x10000);
    ASSERT_NE(mr, nullptr);
    EXPECT_EQ(mr->accel_slot, -1);
    uint64_t v = 1;
    EXPECT_TRUE(address_space_read_val(mem, 0x100000, 8, &v));
    EXPECT_EQ(v, 0u) << "fresh RAM is zeroed";

    EXPECT_TRUE(address_space_write_val(mem, 0x100010, 4, 0xdeadbeefcafeull));
    EXPECT_TRUE(address_space_read_val(mem, 0x100010, 8, &v));
    EXPECT_EQ(v, 0xbeefcafeu) << "a 4-byte write stores only 4 bytes";
    const uint8_t *host = static_cast<uint8_t *>(mr->host) + 0x10;
    EXPECT_EQ(host[0], 0xfe);
    EXPECT_EQ(host[1], 0xca);

    // Unaligned access.
    EXPECT_TRUE(address_space_write_val(mem, 0x100023, 8, 0x0102030405060708ull));
    EXPECT_TRUE(address_space_read_val(mem, 0x100023, 8, &v));
    EXPECT_EQ(v, 0x0102030405060708ull);
    EXPECT_TRUE(address_space_read_val(mem, 0x100024, 2, &v));
    EXPECT_EQ(v, 0x0607u);
}

TEST_F(MemoryTest, RamBufferCopiesAcrossContiguousRegions)
{
    add_ram(0x0, 0x1000, "low");
    add_ram(0x1000, 0x2000, "high");
    std::vector<uint8_t> out(0x100), in(0x100);
    for (size_t i = 0; i < out.size(); i++) {
        out[i] = static_cast<uint8_t>(i * 7);
    }
    EXPECT_TRUE(address_space_write(mem, 0xf80, out.data(), out.size()));
    EXPECT_TRUE(address_space_read(mem, 0xf80, in.data(), in.size()));
    EXPECT_EQ(in, out);

    // A value access straddling the two RAM regions works byte by byte.
    uint64_t v;
    EXPECT_TRUE(address_space_read_val(mem, 0xffc, 8, &v));
    uint64_t expect;
    memcpy(&expect, &out[0xffc - 0xf80], 8);
    EXPECT_EQ(v, expect);

    // But no single host pointer covers it.
    EXPECT_EQ(address_space_ram_ptr(mem, 0xffc, 8), nullptr);
    EXPECT_NE(address_space_ram_ptr(mem, 0xff8, 8), nullptr);
    EXPECT_NE(address_space_ram_ptr(mem, 0x1000, 0x2000), nullptr);
    EXPECT_EQ(address_space_ram_ptr(mem, 0x1000, 0x2001), nullptr);
}

TEST_F(MemoryTest, RamBufferCopyFailsOverHolesAndIo)
{
    IoLog log;
    add_ram(0x0, 0x1000);
    add_ram(0x2000, 0x1000);
    ASSERT_NE(address_space_add_io(mem, "dev", 0x3000, 0x10, &log_ops, &log, nullptr),
              nullptr);
    uint8_t buf[0x20];
    memset(buf, 0xaa, sizeof(buf));
    EXPECT_FALSE(address_space_write(mem, 0xff0, buf, sizeof(buf)));
    uint64_t v;
    address_space_read_val(mem, 0xff0, 8, &v);
    EXPECT_EQ(v, 0u) << "a failed copy writes nothing";
    EXPECT_FALSE(address_space_read(mem, 0x2ff0, buf, sizeof(buf)));
    EXPECT_EQ(log.reads + log.writes, 0) << "buffer copies never touch I/O";
    EXPECT_TRUE(address_space_read(mem, 0x2ff0, buf, 0x10));
    EXPECT_FALSE(address_space_read(mem, 0x5000, buf, 1));
    EXPECT_EQ(address_space_ram_ptr(mem, 0x3000, 1), nullptr);
}

TEST_F(MemoryTest, IoDispatchInMemorySpace)
{
    IoLog a, b;
    ASSERT_NE(address_space_add_io(mem, "a", 0xd0000000, 0x200, &log_ops, &a, nullptr),
              nullptr);
    ASSERT_NE(address_space_add_io(mem, "b", 0xd0000200, 0x200, &log_ops, &b, nullptr),
              nullptr);
    uint64_t v;
    EXPECT_TRUE(address_space_read_val(mem, 0xd0000204, 2, &v));
    EXPECT_EQ(v, 0x7788u) << "reads are masked to the access size";
    EXPECT_EQ(b.reads, 1);
    EXPECT_EQ(b.offset, 4u);
    EXPECT_EQ(b.size, 2u);
    EXPECT_TRUE(b.bql_held);
    EXPECT_EQ(a.reads, 0);

    EXPECT_TRUE(address_space_write_val(mem, 0xd00001ff, 4, 0xabcd1234));
    EXPECT_EQ(a.writes, 1) << "goes to the region holding the first byte";
    EXPECT_EQ(a.offset, 0x1ffu);
    EXPECT_EQ(a.size, 4u);
    EXPECT_EQ(a.value, 0xabcd1234u);
    EXPECT_TRUE(a.bql_held);
    EXPECT_FALSE(bql_locked()) << "the BQL is released after the callback";

    // With the BQL already held the callback runs under it too.
    bql_lock();
    EXPECT_TRUE(address_space_write_val(mem, 0xd0000000, 1, 0x1ff));
    EXPECT_TRUE(bql_locked());
    bql_unlock();
    EXPECT_TRUE(a.bql_held);
    EXPECT_EQ(a.value, 0xffu) << "write values are masked to the access size";
}

TEST_F(MemoryTest, IoDispatchInPortSpace)
{
    IoLog uart, pit;
    ASSERT_NE(address_space_add_io(io, "uart", 0x3f8, 8, &log_ops, &uart, nullptr),
              nullptr);
    ASSERT_NE(address_space_add_io(io, "pit", 0x40, 4, &log_ops, &pit, nullptr),
              nullptr);
    EXPECT_TRUE(address_space_write_val(io, 0x3fd, 1, 0x41));
    EXPECT_EQ(uart.writes, 1);
    EXPECT_EQ(uart.offset, 5u);
    EXPECT_EQ(uart.value, 0x41u);
    uint64_t v;
    EXPECT_TRUE(address_space_read_val(io, 0x43, 1, &v));
    EXPECT_EQ(pit.reads, 1);
    EXPECT_EQ(pit.offset, 3u);
    EXPECT_EQ(v, 0x88u);
    EXPECT_EQ(address_space_lookup(io, 0x3ff)->opaque, &uart);
    EXPECT_EQ(address_space_lookup(io, 0x400), nullptr);
    EXPECT_EQ(address_space_lookup(io, 0x10000), nullptr);
}

TEST_F(MemoryTest, WideAccessesToByteRegistersAreSplit)
{
    ByteRegs regs;
    ASSERT_NE(address_space_add_io(io, "isa", 0x70, 2, &byte_ops, &regs, nullptr),
              nullptr);
    uint64_t v;
    EXPECT_TRUE(address_space_read_val(io, 0x70, 2, &v));
    EXPECT_EQ(v, 0xa1a0u);                      // consecutive registers
    EXPECT_TRUE(address_space_read_val(io, 0x71, 4, &v));
    EXPECT_EQ(v, 0xffffffa1u);                  // past the end: all ones
    EXPECT_TRUE(address_space_write_val(io, 0x70, 4, 0x44332211));
    ASSERT_EQ(regs.writes.size(), 2u);          // past the end: dropped
    EXPECT_EQ(regs.writes[0], std::make_pair(uint64_t{0}, uint64_t{0x11}));
    EXPECT_EQ(regs.writes[1], std::make_pair(uint64_t{1}, uint64_t{0x22}));
    for (unsigned size : regs.sizes) {
        EXPECT_EQ(size, 1u);
    }
}

TEST_F(MemoryTest, UnassignedReadsAllOnesWritesDropped)
{
    uint64_t v = 0;
    EXPECT_FALSE(address_space_read_val(mem, 0x1234, 1, &v));
    EXPECT_EQ(v, 0xffu);
    EXPECT_FALSE(address_space_read_val(mem, 0x1234, 2, &v));
    EXPECT_EQ(v, 0xffffu);
    EXPECT_FALSE(address_space_read_val(mem, 0x1234, 4, &v));
    EXPECT_EQ(v, 0xffffffffu);
    EXPECT_FALSE(address_space_read_val(io, 0x80, 8, &v));
    EXPECT_EQ(v, UINT64_MAX);
    EXPECT_FALSE(address_space_write_val(mem, 0x1234, 4, 0));
    EXPECT_FALSE(address_space_write_val(io, 0x80, 1, 0));

    // Half RAM, half nothing: the missing bytes read as ones.
    add_ram(0x0, 0x1000);
    EXPECT_FALSE(address_space_read_val(mem, 0xffe, 4, &v));
    EXPECT_EQ(v, 0xffff0000u);
}

TEST_F(MemoryTest, OverlapRejectedInMemorySpace)
{
    IoLog log;
    add_ram(0x10000, 0x10000, "ram");
    // Adjacent on both sides is fine.
    EXPECT_NE(address_space_add_io(mem, "below", 0xfff0, 0x10, &log_ops, &log, nullptr),
              nullptr);
    EXPECT_NE(address_space_add_io(mem, "above", 0x20000, 0x10, &log_ops, &log, nullptr),
              nullptr);
    // One byte of overlap at either end is not.
    std::string msg = add_io_error(mem, "x", 0x1ffff, 1, &log);
    EXPECT_EQ(msg, "region 'x' [0x1ffff-0x1ffff] overlaps 'ram' [0x10000-0x1ffff]");
    msg = add_io_error(mem, "y", 0xfff8, 0x10, &log);
    EXPECT_EQ(msg, "region 'y' [0xfff8-0x10007] overlaps 'below' [0xfff0-0xffff]");
    // Covering a region entirely.
    msg = add_io_error(mem, "z", 0x0, 0x100000, &log);
    EXPECT_NE(msg.find("overlaps"), std::string::npos);
    // RAM against RAM.
    GError *err = nullptr;
    EXPECT_EQ(address_space_add_ram(mem, "ram2", 0x1f000, 0x2000, &err), nullptr);
    ASSERT_NE(err, nullptr);
    EXPECT_NE(strstr(err->message, "overlaps 'ram'"), nullptr) << err->message;
    g_clear_error(&err);
    EXPECT_EQ(region_count(mem), 3u);
}

TEST_F(MemoryTest, OverlapAndRangeRejectedInPortSpace)
{
    IoLog log;
    ASSERT_NE(address_space_add_io(io, "pic", 0x20, 2, &log_ops, &log, nullptr), nullptr);
    EXPECT_NE(address_space_add_io(io, "next", 0x22, 2, &log_ops, &log, nullptr), nullptr);
    EXPECT_EQ(add_io_error(io, "x", 0x21, 1, &log),
              "region 'x' [0x21-0x21] overlaps 'pic' [0x20-0x21]");
    EXPECT_NE(add_io_error(io, "y", 0x1f, 2, &log).find("overlaps 'pic'"),
              std::string::npos);
    EXPECT_NE(add_io_error(io, "high", 0xfffe, 4, &log).find("0xffff"),
              std::string::npos);
    EXPECT_NE(add_io_error(io, "far", 0x10000, 1, &log), "");
    EXPECT_NE(address_space_add_io(io, "top", 0xffff, 1, &log_ops, &log, nullptr),
              nullptr);
    // RAM has no place among ports.
    GError *err = nullptr;
    EXPECT_EQ(address_space_add_ram(io, "ram", 0x1000, 0x1000, &err), nullptr);
    EXPECT_NE(err, nullptr);
    g_clear_error(&err);
}

TEST_F(MemoryTest, BadSizesRejected)
{
    IoLog log;
    GError *err = nullptr;
    EXPECT_EQ(address_space_add_ram(mem, "zero", 0x0, 0, &err), nullptr);
    EXPECT_NE(err, nullptr);
    g_clear_error(&err);
    EXPECT_EQ(address_space_add_ram(mem, "odd", 0x0, 0x1800, &err), nullptr);
    EXPECT_NE(err, nullptr);
    g_clear_error(&err);
    EXPECT_EQ(address_space_add_ram(mem, "unaligned", 0x800, 0x1000, &err), nullptr);
    EXPECT_NE(err, nullptr);
    g_clear_error(&err);
    EXPECT_NE(add_io_error(mem, "zero", 0x0, 0, &log), "");
    EXPECT_NE(add_io_error(mem, "wrap", UINT64_MAX - 1, 4, &log), "");
    // The last byte of the address space is usable.
    EXPECT_NE(address_space_add_io(mem, "top", UINT64_MAX - 0xfff, 0x1000, &log_ops,
                                   &log, nullptr),
              nullptr);
    uint64_t v;
    EXPECT_TRUE(address_space_read_val(mem, UINT64_MAX, 1, &v));
    EXPECT_EQ(log.offset, 0xfffu);
}

TEST_F(MemoryTest, LookupAfterRemoval)
{
    IoLog log;
    MemoryRegion *ram = add_ram(0x0, 0x1000);
    MemoryRegion *dev =
        address_space_add_io(mem, "dev", 0x2000, 0x100, &log_ops, &log, nullptr);
    EXPECT_EQ(address_space_lookup(mem, 0x2010), dev);  // now in the cache
    address_space_remove(mem, dev);
    EXPECT_EQ(address_space_lookup(mem, 0x2010), nullptr);
    EXPECT_EQ(address_space_lookup(mem, 0x10), ram);
    address_space_remove(mem, ram);
    EXPECT_EQ(address_space_lookup(mem, 0x10), nullptr);
    EXPECT_EQ(region_count(mem), 0u);
    // The range is free again.
    EXPECT_NE(add_ram(0x0, 0x3000), nullptr);

    MemoryRegion *port = address_space_add_io(io, "p", 0x60, 1, &log_ops, &log, nullptr);
    address_space_remove(io, port);
    EXPECT_EQ(address_space_lookup(io, 0x60), nullptr);
    EXPECT_NE(address_space_add_io(io, "p", 0x60, 1, &log_ops, &log, nullptr), nullptr);
}

struct ListenerLog {
    std::vector<std::string> events;
};

void listener_add(void *opaque, MemoryRegion *mr)
{
    static_cast<ListenerLog *>(opaque)->events.push_back(std::string("+") + mr->name);
}

void listener_del(void *opaque, MemoryRegion *mr)
{
    static_cast<ListenerLog *>(opaque)->events.push_back(std::string("-") + mr->name);
}

TEST_F(MemoryTest, ListenerSeesExistingAndLaterRam)
{
    IoLog io_log;
    ListenerLog log;
    add_ram(0x100000, 0x1000, "high");
    add_ram(0x0, 0x1000, "low");
    address_space_add_io(mem, "dev", 0x2000, 0x10, &log_ops, &io_log, nullptr);
    {
        MemoryListener l = {};
        l.region_add = listener_add;
        l.region_del = listener_del;
        l.opaque = &log;
        address_space_set_listener(mem, &l);  // copied: l may go away
    }
    EXPECT_EQ(log.events, (std::vector<std::string>{"+low", "+high"}));
    MemoryRegion *mid = add_ram(0x10000, 0x1000, "mid");
    address_space_add_io(mem, "dev2", 0x3000, 0x10, &log_ops, &io_log, nullptr);
    address_space_remove(mem, mid);
    address_space_remove(mem, address_space_lookup(mem, 0x3000));
    EXPECT_EQ(log.events, (std::vector<std::string>{"+low", "+high", "+mid", "-mid"}));
    address_space_set_listener(mem, nullptr);
    add_ram(0x20000, 0x1000, "late");
    EXPECT_EQ(log.events.size(), 4u);
}

void listener_written(void *opaque, uint64_t addr, uint64_t len)
{
    static_cast<ListenerLog *>(opaque)->events.push_back(
        "w" + std::to_string(addr) + "+" + std::to_string(len));
}

// Writes that do not come from a vCPU are reported (TCG drops code there).
TEST_F(MemoryTest, ListenerHearsOfRamWrittenThroughTheApi)
{
    IoLog io_log;
    ListenerLog log;
    add_ram(0, 0x2000);
    address_space_add_io(mem, "dev", 0x3000, 0x10, &log_ops, &io_log, nullptr);
    MemoryListener l = {};
    l.ram_written = listener_written;
    l.opaque = &log;
    address_space_set_listener(mem, &l);
    uint8_t buf[16] = {};
    EXPECT_TRUE(address_space_write(mem, 0x1fe8, buf, sizeof(buf)));
    EXPECT_TRUE(address_space_write_val(mem, 0x10, 4, 0x12345678));
    EXPECT_TRUE(address_space_write_val(mem, 0x3000, 4, 1));   // I/O: not RAM
    EXPECT_FALSE(address_space_write(mem, 0x1ff8, buf, 0x100)); // fails: nothing
    EXPECT_EQ(log.events, (std::vector<std::string>{"w8168+16", "w16+4"}));
}

TEST_F(MemoryTest, ManyRegionsMatchBruteForce)
{
    IoLog log;
    std::mt19937_64 rng(42);
    std::map<uint64_t, std::pair<uint64_t, MemoryRegion *>> ref;  // base -> (size, mr)
    for (int i = 0; i < 400; i++) {
        uint64_t base = (rng() % 0x40000) * 0x1000;
        uint64_t size = (rng() % 8 + 1) * 0x1000;
        GError *err = nullptr;
        std::string name = "r" + std::to_string(i);
        MemoryRegion *mr =
            i % 2 ? address_space_add_ram(mem, name.c_str(), base, size, &err)
                  : address_space_add_io(mem, name.c_str(), base, size, &log_ops, &log,
                                         &err);
        bool overlaps = false;
        for (auto &[b, e] : ref) {
            overlaps |= base < b + e.first && b < base + size;
        }
        EXPECT_EQ(mr == nullptr, overlaps) << name;
        g_clear_error(&err);
        if (mr) {
            ref[base] = {size, mr};
        }
    }
    // Remove a few to exercise the cache and the array edits.
    int n = 0;
    for (auto it = ref.begin(); it != ref.end();) {
        if (n++ % 5 == 0) {
            address_space_remove(mem, it->second.second);
            it = ref.erase(it);
        } else {
            ++it;
        }
    }
    GPtrArray *regions = address_space_regions(mem);
    EXPECT_EQ(regions->len, ref.size());
    for (guint i = 1; i < regions->len; i++) {
        auto *prev = static_cast<MemoryRegion *>(g_ptr_array_index(regions, i - 1));
        auto *cur = static_cast<MemoryRegion *>(g_ptr_array_index(regions, i));
        EXPECT_LT(prev->base, cur->base);
    }
    g_ptr_array_free(regions, TRUE);
    for (int i = 0; i < 20000; i++) {
        uint64_t addr = rng() % (0x40000ull * 0x1000 + 0x10000);
        MemoryRegion *expect = nullptr;
        for (auto &[b, e] : ref) {
            if (addr >= b && addr < b + e.first) {
                expect = e.second;
            }
        }
        ASSERT_EQ(address_space_lookup(mem, addr), expect) << std::hex << addr;
    }
}

TEST_F(MemoryTest, RegionWithoutCallbacksReadsOnes)
{
    ASSERT_NE(address_space_add_io(mem, "silent", 0x5000, 0x10, nullptr, nullptr, nullptr),
              nullptr);
    uint64_t v = 0;
    EXPECT_TRUE(address_space_read_val(mem, 0x5004, 4, &v));
    EXPECT_EQ(v, 0xffffffffu);
    EXPECT_TRUE(address_space_write_val(mem, 0x5004, 4, 0));
}

TEST_F(MemoryTest, ConcurrentLookupsFromSeveralThreads)
{
    // Alternating 4 KiB RAM pages and 4 KiB holes: every thread keeps
    // replacing the shared one-entry cache.
    std::vector<MemoryRegion *> pages;
    for (uint64_t i = 0; i < 64; i++) {
        pages.push_back(add_ram(i * 0x2000, 0x1000));
    }
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&, t] {
            std::mt19937_64 rng(t);
            for (int i = 0; i < 50000; i++) {
                uint64_t addr = rng() % (64 * 0x2000);
                MemoryRegion *expect = (addr / 0x1000) % 2 ? nullptr : pages[addr / 0x2000];
                if (address_space_lookup(mem, addr) != expect) {
                    wrong++;
                }
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(wrong, 0);
}

}  // namespace
