// Synthetic kernel images and a guest memory for the boot loader tests.
#ifndef TESTS_UNIT_BOOT_BOOT_IMAGES_H
#define TESTS_UNIT_BOOT_BOOT_IMAGES_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/memory.h"
#include "hw/x86/boot.h"
}

namespace boot_test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes &b, size_t off, uint16_t v)
{
    for (int i = 0; i < 2; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}

inline void put32(Bytes &b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}

inline void put64(Bytes &b, size_t off, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}

inline uint64_t get(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

// Byte I of the protected-mode kernel / segment payload.
inline uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + 1); }

struct BzOpts {
    uint16_t version = 0x020f;
    uint8_t setup_sects = 4;
    uint8_t header_len = 0x6a;      // byte at 0x201: header ends at 0x202+it
    uint8_t loadflags = 0x01;       // LOADED_HIGH
    uint16_t xloadflags = 0x03;     // KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
    uint8_t relocatable = 1;
    uint32_t kernel_alignment = 0x200000;
    uint64_t pref_address = 0x1000000;
    uint32_t init_size = 0x800000;
    uint32_t initrd_addr_max = 0x7fffffff;
    uint32_t cmdline_size = 0x7ff;
    size_t kernel_size = 0x3000;    // protected-mode part
};

inline Bytes make_bzimage(const BzOpts &o = BzOpts())
{
    unsigned sects = o.setup_sects ? o.setup_sects : 4;
    size_t setup = (sects + 1) * 512;
    Bytes b(setup + o.kernel_size, 0);

    b[0x1f1] = o.setup_sects;
    put32(b, 0x1f4, (uint32_t)(o.kernel_size / 16));
    put16(b, 0x1fe, 0xaa55);
    b[0x200] = 0xeb;
    b[0x201] = o.header_len;
    memcpy(&b[0x202], "HdrS", 4);
    put16(b, 0x206, o.version);
    b[0x211] = o.loadflags;
    put32(b, 0x214, 0x100000);
    put32(b, 0x22c, o.initrd_addr_max);
    put32(b, 0x230, o.kernel_alignment);
    b[0x234] = o.relocatable;
    put16(b, 0x236, o.xloadflags);
    put32(b, 0x238, o.cmdline_size);
    put64(b, 0x258, o.pref_address);
    put32(b, 0x260, o.init_size);
    for (size_t i = 0; i < o.kernel_size; i++) b[setup + i] = pattern(i);
    return b;
}

struct ElfSeg {
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    uint32_t type = 1;              // PT_LOAD
};

constexpr size_t kEhdrSize = 64, kPhdrSize = 56;

// Segment data follows the headers, each filled with pattern().
inline Bytes make_elf(uint64_t entry, const std::vector<ElfSeg> &segs)
{
    size_t off = kEhdrSize + segs.size() * kPhdrSize;
    size_t total = off;
    for (const ElfSeg &s : segs) total += s.filesz;
    Bytes b(total, 0);

    memcpy(&b[0], "\x7f" "ELF", 4);
    b[4] = 2;                       // ELFCLASS64
    b[5] = 1;                       // little endian
    b[6] = 1;                       // EV_CURRENT
    put16(b, 16, 2);                // ET_EXEC
    put16(b, 18, 62);               // EM_X86_64
    put32(b, 20, 1);
    put64(b, 24, entry);
    put64(b, 32, kEhdrSize);
    put16(b, 52, kEhdrSize);
    put16(b, 54, kPhdrSize);
    put16(b, 56, (uint16_t)segs.size());
    for (size_t i = 0; i < segs.size(); i++) {
        size_t ph = kEhdrSize + i * kPhdrSize;
        put32(b, ph, segs[i].type);
        put32(b, ph + 4, 7);
        put64(b, ph + 8, off);
        put64(b, ph + 16, segs[i].paddr);
        put64(b, ph + 24, segs[i].paddr);
        put64(b, ph + 32, segs[i].filesz);
        put64(b, ph + 40, segs[i].memsz);
        put64(b, ph + 48, 0x1000);
        for (size_t j = 0; j < segs[i].filesz; j++) b[off + j] = pattern(j);
        off += segs[i].filesz;
    }
    return b;
}

// Guest memory: RAM [0, below) and [4 GiB, 4 GiB + above).
class Guest {
  public:
    explicit Guest(uint64_t below, uint64_t above = 0)
    {
        as_ = address_space_new("test-memory", ADDRESS_SPACE_MEMORY);
        address_space_add_ram(as_, "ram-below-4g", 0, below, nullptr);
        if (above) {
            address_space_add_ram(as_, "ram-above-4g", 1ull << 32, above,
                                  nullptr);
        }
        cfg_.ram_below_4g = below;
        cfg_.ram_above_4g = above;
    }
    ~Guest() { address_space_free(as_); }
    Guest(const Guest &) = delete;
    Guest &operator=(const Guest &) = delete;

    AddressSpace *as() { return as_; }
    X86BootConfig &cfg() { return cfg_; }

    uint64_t read(uint64_t addr, unsigned size)
    {
        uint8_t buf[8] = { 0 };
        if (!address_space_read(as_, addr, buf, size)) return ~0ull;
        return get(buf, size);
    }

    std::string read_string(uint64_t addr)
    {
        std::string s;
        for (char c; (c = (char)read(addr + s.size(), 1)) != 0;) s += c;
        return s;
    }

    // Loads the images; returns "" on success, else the error message.
    std::string load(const Bytes &kernel, const Bytes *initrd = nullptr)
    {
        GError *err = nullptr;
        bool ok = x86_boot_load_images(
            as_, &cfg_, kernel.data(), kernel.size(),
            initrd ? initrd->data() : nullptr, initrd ? initrd->size() : 0,
            &cpu, &err);
        if (ok) return "";
        std::string msg = err ? err->message : "(no message)";
        g_clear_error(&err);
        return msg.empty() ? "(empty message)" : msg;
    }

    X86CPUState cpu{};

  private:
    AddressSpace *as_;
    X86BootConfig cfg_{};
};

}  // namespace boot_test

#endif
