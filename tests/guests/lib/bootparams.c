/* The Linux zero page (struct boot_params) the loader passes in RSI. */
#include "guest.h"

#define BP_EXT_CMD_LINE_PTR 0x0c0
#define BP_E820_ENTRIES     0x1e8
#define BP_CMD_LINE_PTR     0x228
#define BP_E820_TABLE       0x2d0
#define BP_E820_MAX         128

const uint8_t *boot_params;

static uint32_t bp_read32(unsigned off)
{
    return *(const volatile uint32_t *)(boot_params + off);
}

const char *boot_cmdline(void)
{
    uint64_t p;

    if (!boot_params) {
        return "";
    }
    p = bp_read32(BP_CMD_LINE_PTR) |
        ((uint64_t)bp_read32(BP_EXT_CMD_LINE_PTR) << 32);
    return p ? (const char *)(uintptr_t)p : "";
}

unsigned e820_count(void)
{
    unsigned n = boot_params ? boot_params[BP_E820_ENTRIES] : 0;

    return n > BP_E820_MAX ? BP_E820_MAX : n;
}

const E820Entry *e820_entry(unsigned i)
{
    return (const E820Entry *)(boot_params + BP_E820_TABLE) + i;
}

static bool parse_ulong(const char *s, unsigned long *val)
{
    unsigned long v = 0;
    unsigned base = 10;
    bool any = false;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++, any = true) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = (unsigned)(*s - 'A' + 10);
        } else {
            break;
        }
        v = v * base + d;
    }
    *val = v;
    return any && (*s == '\0' || *s == ' ');
}

bool cmdline_get_ulong(const char *key, unsigned long *val)
{
    const char *p = boot_cmdline();
    size_t klen = strlen(key);

    while (*p) {
        while (*p == ' ') {
            p++;
        }
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            return parse_ulong(p + klen + 1, val);
        }
        while (*p && *p != ' ') {
            p++;
        }
    }
    return false;
}
