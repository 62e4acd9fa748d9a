// Static checks of the payloads against what the ELF loader relies on.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

const char *const kPayloads[] = {
    "hello", "exceptions", "paging", "timer",
    "cpl3", "smp", "reset", "triplefault",
};

std::string PayloadPath(const std::string &name)
{
    const char *srcdir = std::getenv("TEST_SRCDIR");
    const char *ws = std::getenv("TEST_WORKSPACE");
    std::string base = srcdir ? std::string(srcdir) + "/" + (ws ? ws : "emu") : ".";
    return base + "/tests/guests/" + name + ".elf";
}

class PayloadTest : public ::testing::TestWithParam<const char *> {
protected:
    void SetUp() override
    {
        std::ifstream f(PayloadPath(GetParam()), std::ios::binary);
        ASSERT_TRUE(f.good()) << PayloadPath(GetParam());
        image_.assign(std::istreambuf_iterator<char>(f), {});
        ASSERT_GE(image_.size(), sizeof(Elf64_Ehdr));
        std::memcpy(&eh_, image_.data(), sizeof(eh_));
    }

    Elf64_Phdr Phdr(unsigned i) const
    {
        Elf64_Phdr ph;
        std::memcpy(&ph, image_.data() + eh_.e_phoff + i * eh_.e_phentsize,
                    sizeof(ph));
        return ph;
    }

    std::vector<char> image_;
    Elf64_Ehdr eh_;
};

TEST_P(PayloadTest, IsElf64ExecutableForX86_64)
{
    EXPECT_EQ(0, std::memcmp(eh_.e_ident, ELFMAG, SELFMAG));
    EXPECT_EQ(ELFCLASS64, eh_.e_ident[EI_CLASS]);
    EXPECT_EQ(ELFDATA2LSB, eh_.e_ident[EI_DATA]);
    EXPECT_EQ(ET_EXEC, eh_.e_type);
    EXPECT_EQ(EM_X86_64, eh_.e_machine);
    EXPECT_EQ(sizeof(Elf64_Phdr), eh_.e_phentsize);
    EXPECT_LE(eh_.e_phoff + eh_.e_phnum * sizeof(Elf64_Phdr), image_.size());
}

TEST_P(PayloadTest, SegmentsLoadAbove1MiBInsideSmallRam)
{
    unsigned loads = 0;
    bool entry_in_exec_segment = false;

    for (unsigned i = 0; i < eh_.e_phnum; i++) {
        Elf64_Phdr ph = Phdr(i);
        if (ph.p_type != PT_LOAD) {
            continue;
        }
        loads++;
        EXPECT_GE(ph.p_paddr, 0x100000u) << "segment " << i;
        // The integration tests give the guest 128 MiB.
        EXPECT_LE(ph.p_paddr + ph.p_memsz, 16u << 20) << "segment " << i;
        EXPECT_LE(ph.p_filesz, ph.p_memsz) << "segment " << i;
        EXPECT_LE(ph.p_offset + ph.p_filesz, image_.size()) << "segment " << i;
        if ((ph.p_flags & PF_X) && eh_.e_entry >= ph.p_paddr &&
            eh_.e_entry < ph.p_paddr + ph.p_filesz) {
            entry_in_exec_segment = true;
        }
    }
    EXPECT_GE(loads, 1u);
    EXPECT_TRUE(entry_in_exec_segment) << std::hex << eh_.e_entry;
}

INSTANTIATE_TEST_SUITE_P(Guests, PayloadTest, ::testing::ValuesIn(kPayloads),
                         [](const auto &info) { return std::string(info.param); });

}  // namespace
