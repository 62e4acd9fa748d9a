/* Finds the Intel MP table: CPU APIC IDs and the IOAPIC pin of ISA IRQ 0. */
#include "guest.h"

static bool checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--) {
        sum += *p++;
    }
    return sum == 0;
}

static const uint8_t *find_floating(uint64_t start, uint64_t len)
{
    for (uint64_t a = start; a + 16 <= start + len; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (!memcmp(p, "_MP_", 4) && p[8] == 1 && checksum_ok(p, 16)) {
            return p;
        }
    }
    return NULL;
}

static void parse_entries(const uint8_t *cfg, MPInfo *info)
{
    uint16_t count = *(const uint16_t *)(cfg + 34);
    const uint8_t *e = cfg + 44;
    const uint8_t *end = cfg + *(const uint16_t *)(cfg + 4);
    int isa_bus = -1;

    for (uint16_t i = 0; i < count && e < end; i++) {
        switch (e[0]) {
        case 0:     /* processor */
            if ((e[3] & 1) && info->ncpus < ARRAY_SIZE(info->apic_ids)) {
                info->apic_ids[info->ncpus++] = e[1];
            }
            e += 20;
            break;
        case 1:     /* bus */
            if (!memcmp(e + 2, "ISA", 3)) {
                isa_bus = e[1];
            }
            e += 8;
            break;
        case 3:     /* I/O interrupt assignment */
            if (e[1] == 0 && e[4] == isa_bus && e[5] == 0) {
                info->isa_irq0_pin = e[7];
            }
            e += 8;
            break;
        default:    /* IOAPIC, local interrupt */
            e += 8;
            break;
        }
    }
}

bool mptable_find(MPInfo *info)
{
    uint64_t ebda = (uint64_t)*(const volatile uint16_t *)0x40e << 4;
    const uint8_t *fp = NULL;
    const uint8_t *cfg;

    memset(info, 0, sizeof(*info));
    info->isa_irq0_pin = -1;
    if (ebda >= 0x80000 && ebda < 0xa0000) {
        fp = find_floating(ebda, 1024);
    }
    if (!fp) {
        fp = find_floating(0x9fc00, 1024);
    }
    if (!fp) {
        fp = find_floating(0xf0000, 0x10000);
    }
    if (!fp) {
        return false;
    }
    cfg = (const uint8_t *)(uintptr_t)*(const uint32_t *)(fp + 4);
    if (!cfg || memcmp(cfg, "PCMP", 4) ||
        !checksum_ok(cfg, *(const uint16_t *)(cfg + 4))) {
        return false;
    }
    parse_entries(cfg, info);
    return true;
}
