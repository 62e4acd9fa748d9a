// ACPI tables: found and parsed the way Linux does it (RSDP scan, XSDT,
// FADT, MADT, DSDT), with every checksum and length checked.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "core/memory.h"
#include "hw/acpi/acpi.h"
#include "hw/acpi/pm.h"
}

namespace {

constexpr uint64_t kZeroPage = 0x7000;

uint32_t ld16(const uint8_t *p) { return p[0] | (p[1] << 8); }
uint32_t ld32(const uint8_t *p) { return ld16(p) | (ld16(p + 2) << 16); }
uint64_t ld64(const uint8_t *p) { return ld32(p) | ((uint64_t)ld32(p + 4) << 32); }

uint8_t sum(const std::vector<uint8_t> &v, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s += v[i];
    }
    return s;
}

class AcpiTablesTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        as_ = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        ASSERT_NE(address_space_add_ram(as_, "ram", 0, 0x100000, nullptr), nullptr);
    }
    void TearDown() override { address_space_free(as_); }

    void build(unsigned ncpus)
    {
        GError *err = nullptr;
        ASSERT_TRUE(acpi_build(as_, ncpus, kZeroPage, &err)) << err->message;
    }

    std::vector<uint8_t> read(uint64_t addr, size_t len)
    {
        std::vector<uint8_t> v(len);
        EXPECT_TRUE(address_space_read(as_, addr, v.data(), len));
        return v;
    }

    // Like Linux's acpi_scan_rsdp(): 16-byte steps over the BIOS area.
    uint64_t scan_rsdp()
    {
        for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
            std::vector<uint8_t> p = read(a, 36);
            if (memcmp(p.data(), "RSD PTR ", 8) == 0 && sum(p, 20) == 0 &&
                (p[15] < 2 || sum(p, ld32(&p[20])) == 0)) {
                return a;
            }
        }
        return 0;
    }

    // A table with a valid header: its signature, length and checksum.
    std::vector<uint8_t> table(uint64_t addr, const char *sig)
    {
        std::vector<uint8_t> h = read(addr, 36);
        EXPECT_EQ(std::string((const char *)h.data(), 4), sig);
        uint32_t len = ld32(&h[4]);
        EXPECT_GE(len, 36u);
        EXPECT_LE(addr + len, 0x100000u);
        std::vector<uint8_t> t = read(addr, len);
        EXPECT_EQ(sum(t, len), 0) << sig << " checksum";
        return t;
    }

    // Signature -> address, from the XSDT.
    std::map<std::string, uint64_t> xsdt_entries()
    {
        std::map<std::string, uint64_t> m;
        uint64_t rsdp = scan_rsdp();
        EXPECT_NE(rsdp, 0u);
        std::vector<uint8_t> r = read(rsdp, 36);
        std::vector<uint8_t> x = table(ld64(&r[24]), "XSDT");
        for (size_t off = 36; off + 8 <= x.size(); off += 8) {
            uint64_t a = ld64(&x[off]);
            std::vector<uint8_t> h = read(a, 4);
            m[std::string((const char *)h.data(), 4)] = a;
        }
        EXPECT_EQ((x.size() - 36) % 8, 0u);
        return m;
    }

    AddressSpace *as_ = nullptr;
};

TEST_F(AcpiTablesTest, RsdpFoundByScanAndZeroPage)
{
    build(1);
    uint64_t rsdp = scan_rsdp();
    ASSERT_EQ(rsdp, ACPI_RSDP_ADDR);
    std::vector<uint8_t> p = read(rsdp, 36);
    EXPECT_EQ(p[15], 2);                        // ACPI 2.0+
    EXPECT_EQ(ld32(&p[20]), 36u);
    EXPECT_EQ(sum(p, 20), 0);
    EXPECT_EQ(sum(p, 36), 0);
    EXPECT_NE(ld64(&p[24]), 0u);                // XSDT
    EXPECT_NE(ld32(&p[16]), 0u);                // RSDT

    std::vector<uint8_t> zp = read(kZeroPage + 0x70, 8);
    EXPECT_EQ(ld64(zp.data()), rsdp);           // boot_params.acpi_rsdp_addr
}

TEST_F(AcpiTablesTest, XsdtAndRsdtListFadtAndMadt)
{
    build(2);
    std::map<std::string, uint64_t> x = xsdt_entries();
    ASSERT_EQ(x.size(), 2u);
    ASSERT_TRUE(x.count("FACP"));
    ASSERT_TRUE(x.count("APIC"));
    table(x["FACP"], "FACP");
    table(x["APIC"], "APIC");

    std::vector<uint8_t> r = read(scan_rsdp(), 36);
    std::vector<uint8_t> rsdt = table(ld32(&r[16]), "RSDT");
    ASSERT_EQ(rsdt.size(), 36u + 2 * 4);
    EXPECT_EQ(ld32(&rsdt[36]), x["FACP"]);
    EXPECT_EQ(ld32(&rsdt[40]), x["APIC"]);
}

TEST_F(AcpiTablesTest, TablesStayInTheirArea)
{
    build(ACPI_MAX_CPUS);
    for (auto &e : xsdt_entries()) {
        EXPECT_GE(e.second, ACPI_TABLES_ADDR);
        EXPECT_EQ(e.second % 16, 0u);
        std::vector<uint8_t> t = table(e.second, e.first.c_str());
        EXPECT_LE(e.second + t.size(), ACPI_TABLES_ADDR + ACPI_TABLES_SIZE);
    }
    // The MP table's area is left alone.
    EXPECT_LE(ACPI_TABLES_ADDR + ACPI_TABLES_SIZE, 0xf0000u);
}

TEST_F(AcpiTablesTest, FadtDescribesPmBlocksAndReset)
{
    build(1);
    std::vector<uint8_t> f = table(xsdt_entries()["FACP"], "FACP");
    ASSERT_EQ(f.size(), 276u);
    EXPECT_EQ(f[8], 6);                         // revision
    EXPECT_EQ(ld16(&f[46]), 9u);                // SCI_INT
    EXPECT_EQ(ld32(&f[48]), 0u);                // SMI_CMD: always ACPI mode
    EXPECT_EQ(ld32(&f[56]), (uint32_t)ACPI_PM1_EVT_ADDR);
    EXPECT_EQ(ld32(&f[60]), 0u);                // no PM1b
    EXPECT_EQ(ld32(&f[64]), (uint32_t)ACPI_PM1_CNT_ADDR);
    EXPECT_EQ(ld32(&f[76]), (uint32_t)ACPI_PM_TMR_ADDR);
    EXPECT_EQ(f[88], 4);                        // PM1_EVT_LEN
    EXPECT_EQ(f[89], 2);                        // PM1_CNT_LEN
    EXPECT_EQ(f[91], 4);                        // PM_TMR_LEN

    uint16_t boot = ld16(&f[109]);
    EXPECT_TRUE(boot & (1 << 1));               // 8042
    EXPECT_TRUE(boot & (1 << 2));               // no VGA
    EXPECT_FALSE(boot & (1 << 5));              // a CMOS RTC is there

    uint32_t flags = ld32(&f[112]);
    EXPECT_TRUE(flags & (1 << 0));              // WBINVD
    EXPECT_TRUE(flags & (1 << 2));              // PROC_C1
    EXPECT_TRUE(flags & (1 << 10));             // RESET_REG_SUP
    EXPECT_FALSE(flags & (1 << 8));             // 24-bit PM timer
    EXPECT_FALSE(flags & (1 << 20));            // not hardware-reduced

    // RESET_REG: I/O port 0xcf9, 8 bits; RESET_VALUE 6.
    EXPECT_EQ(f[116], 1);
    EXPECT_EQ(f[117], 8);
    EXPECT_EQ(ld64(&f[120]), (uint64_t)ACPI_RESET_PORT);
    EXPECT_EQ(f[128], ACPI_RESET_VALUE);

    // The X_ blocks agree with the 32-bit ones (ACPICA checks).
    struct { size_t x, legacy, len; } blocks[] = {
        { 148, 56, 88 }, { 172, 64, 89 }, { 208, 76, 91 },
    };
    for (auto &b : blocks) {
        EXPECT_EQ(f[b.x], 1) << b.x;            // system I/O
        EXPECT_EQ(f[b.x + 1], f[b.len] * 8) << b.x;
        EXPECT_EQ(ld64(&f[b.x + 4]), ld32(&f[b.legacy])) << b.x;
    }
    EXPECT_EQ(ld64(&f[140]), ld32(&f[40]));     // X_DSDT == DSDT

    uint32_t facs = ld32(&f[36]);
    EXPECT_EQ(facs % 64, 0u);
    std::vector<uint8_t> fc = read(facs, 64);
    EXPECT_EQ(std::string((const char *)fc.data(), 4), "FACS");
    EXPECT_EQ(ld32(&fc[4]), 64u);
}

// Decodes one AML data object (the subset ACPICA accepts in \_S5).
bool aml_integer(const uint8_t *&p, uint64_t *v)
{
    switch (*p++) {
    case 0x00: *v = 0; return true;                 // ZeroOp
    case 0x01: *v = 1; return true;                 // OneOp
    case 0xff: *v = ~0ull; return true;             // OnesOp
    case 0x0a: *v = *p; p += 1; return true;        // BytePrefix
    case 0x0b: *v = ld16(p); p += 2; return true;   // WordPrefix
    case 0x0c: *v = ld32(p); p += 4; return true;   // DWordPrefix
    }
    return false;
}

// SLP_TYP for PM1a from \_S5, or -1.
int s5_slp_typ(const std::vector<uint8_t> &dsdt)
{
    static const uint8_t name[] = { 0x08, '_', 'S', '5', '_', 0x12 };
    for (size_t i = 36; i + sizeof(name) < dsdt.size(); i++) {
        if (memcmp(&dsdt[i], name, sizeof(name)) != 0) {
            continue;
        }
        const uint8_t *p = &dsdt[i + sizeof(name)];
        const uint8_t *end = dsdt.data() + dsdt.size();
        unsigned extra = *p >> 6;           // PkgLength follow bytes
        size_t pkg_len = extra ? ((*p & 0x0f) | (p[1] << 4)) : (*p & 0x3f);
        EXPECT_EQ(extra, 0u);
        EXPECT_LE(p + pkg_len, end);
        const uint8_t *pkg_end = p + pkg_len;
        p += 1 + extra;
        unsigned n = *p++;
        EXPECT_GE(n, 2u);
        uint64_t a, b;
        if (!aml_integer(p, &a) || !aml_integer(p, &b)) {
            return -1;
        }
        for (unsigned k = 2; k < n; k++) {
            uint64_t r;
            EXPECT_TRUE(aml_integer(p, &r));
        }
        EXPECT_EQ(p, pkg_end);
        EXPECT_EQ(p, end);                  // nothing else in the DSDT
        return (int)a;
    }
    return -1;
}

TEST_F(AcpiTablesTest, DsdtS5MatchesPm1Control)
{
    build(1);
    std::vector<uint8_t> f = table(xsdt_entries()["FACP"], "FACP");
    std::vector<uint8_t> d = table(ld32(&f[40]), "DSDT");
    EXPECT_EQ(d[8], 2);
    EXPECT_EQ(s5_slp_typ(d), ACPI_SLP_TYP_S5);
}

struct MadtEntries {
    std::vector<std::vector<uint8_t>> by_type[16];
};

MadtEntries parse_madt(const std::vector<uint8_t> &t)
{
    MadtEntries e;
    size_t off = 44;
    while (off < t.size()) {
        uint8_t type = t[off], len = t[off + 1];
        EXPECT_GE(len, 2);
        EXPECT_LE(off + len, t.size());
        if (len < 2 || off + len > t.size()) {
            break;
        }
        if (type < 16) {
            e.by_type[type].emplace_back(t.begin() + off, t.begin() + off + len);
        }
        off += len;
    }
    EXPECT_EQ(off, t.size());
    return e;
}

class MadtTest : public AcpiTablesTest,
                 public ::testing::WithParamInterface<unsigned> {};

TEST_P(MadtTest, CpusIoapicAndOverrides)
{
    unsigned n = GetParam();
    build(n);
    std::vector<uint8_t> t = table(xsdt_entries()["APIC"], "APIC");
    EXPECT_EQ(ld32(&t[36]), 0xfee00000u);
    EXPECT_EQ(ld32(&t[40]) & 1, 1u);            // PCAT_COMPAT
    MadtEntries e = parse_madt(t);

    ASSERT_EQ(e.by_type[0].size(), n);
    for (unsigned i = 0; i < n; i++) {
        const std::vector<uint8_t> &l = e.by_type[0][i];
        ASSERT_EQ(l.size(), 8u);
        EXPECT_EQ(l[3], i);                     // APIC ID
        EXPECT_EQ(ld32(&l[4]) & 1, 1u);         // enabled
    }

    ASSERT_EQ(e.by_type[1].size(), 1u);
    const std::vector<uint8_t> &io = e.by_type[1][0];
    ASSERT_EQ(io.size(), 12u);
    EXPECT_EQ(io[2], n);                        // IOAPIC ID
    EXPECT_EQ(ld32(&io[4]), 0xfec00000u);
    EXPECT_EQ(ld32(&io[8]), 0u);                // GSI base

    std::map<unsigned, std::pair<uint32_t, uint16_t>> iso;
    for (auto &o : e.by_type[2]) {
        ASSERT_EQ(o.size(), 10u);
        EXPECT_EQ(o[2], 0);                     // ISA
        iso[o[3]] = { ld32(&o[4]), (uint16_t)ld16(&o[8]) };
    }
    ASSERT_TRUE(iso.count(0));
    EXPECT_EQ(iso[0].first, 2u);
    EXPECT_EQ(iso[0].second & 0xc, 0u);         // edge (conforming to ISA)
    ASSERT_TRUE(iso.count(9));
    EXPECT_EQ(iso[9].first, 9u);
    EXPECT_EQ(iso[9].second, 0x000du);          // level, active high

    ASSERT_EQ(e.by_type[4].size(), 1u);
    EXPECT_EQ(e.by_type[4][0][2], 0xff);        // all processors
    EXPECT_EQ(e.by_type[4][0][5], 1);           // LINT1
}

INSTANTIATE_TEST_SUITE_P(Cpus, MadtTest, ::testing::Values(1u, 2u, 8u, 255u));

TEST_F(AcpiTablesTest, RejectsBadCpuCounts)
{
    GError *err = nullptr;
    EXPECT_FALSE(acpi_build(as_, 0, 0, &err));
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
    EXPECT_FALSE(acpi_build(as_, ACPI_MAX_CPUS + 1, 0, &err));
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
}

TEST(AcpiBuildTest, FailsWithoutRam)
{
    AddressSpace *as = address_space_new("memory", ADDRESS_SPACE_MEMORY);
    GError *err = nullptr;
    EXPECT_FALSE(acpi_build(as, 1, 0, &err));
    ASSERT_NE(err, nullptr);
    EXPECT_NE(strstr(err->message, "ACPI"), nullptr);
    g_clear_error(&err);
    address_space_free(as);
}

}  // namespace
