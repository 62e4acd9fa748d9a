/*
 * paging: the payload's own 4-level tables.  Aliases of one physical
 * page, remapping with INVLPG and with a CR3 reload, accessed/dirty bits,
 * a 1 GiB page, write protection (CR0.WP) and no-execute (EFER.NXE).
 */
#include "lib/guest.h"

#define VA_HIGH   0xffff800000000000ull   /* kernel half */
#define VA_ALIAS  0x0000400000000000ull
#define VA_RO     0x0000400000002000ull
#define VA_NX     0x0000400000004000ull
#define VA_X      0x0000400000005000ull
#define VA_1G     0x0000008000000000ull   /* PML4[1] */

#define MAGIC_A 0xa5a5a5a5u
#define MAGIC_B 0x5b5b5b5bu

static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t page_code[4096] __attribute__((aligned(4096)));

static uint64_t *pml4;

static uint32_t rd32(uint64_t va)
{
    return *(volatile uint32_t *)va;
}

static void wr32(uint64_t va, uint32_t v)
{
    *(volatile uint32_t *)va = v;
}

static bool test_aliases(void)
{
    bool ok = true;

    pt_map_4k(pml4, VA_HIGH, (uintptr_t)page_a, PTE_P | PTE_W);
    pt_map_4k(pml4, VA_ALIAS, (uintptr_t)page_a, PTE_P | PTE_W);
    wr32((uintptr_t)page_b, MAGIC_B);
    wr32(VA_HIGH + 8, MAGIC_A);
    ok &= check(rd32(VA_ALIAS + 8) == MAGIC_A, "write via high alias, read via low alias");
    ok &= check(rd32((uintptr_t)page_a + 8) == MAGIC_A, "read via identity map");
    ok &= check((*pt_leaf(pml4, VA_HIGH) & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
                "written page is accessed and dirty");
    ok &= check((*pt_leaf(pml4, VA_ALIAS) & (PTE_A | PTE_D)) == PTE_A,
                "read page is accessed, not dirty");

    pt_map_4k(pml4, VA_ALIAS, (uintptr_t)page_b, PTE_P | PTE_W);
    invlpg(VA_ALIAS);
    ok &= check(rd32(VA_ALIAS) == MAGIC_B, "remap + INVLPG shows the new page");

    pt_map_4k(pml4, VA_ALIAS, (uintptr_t)page_a, PTE_P | PTE_W);
    write_cr3((uintptr_t)pml4);
    ok &= check(rd32(VA_ALIAS + 8) == MAGIC_A, "remap + CR3 reload shows the new page");
    return ok;
}

static bool test_1g_page(void)
{
    uint32_t r[4];

    cpuid(0x80000001, 0, r);
    if (!(r[3] & (1u << 26))) {
        printf("skip 1 GiB page (no pdpe1gb)\n");
        return true;
    }
    /* PML4[1] -> PDPT whose entry 0 maps physical 0..1 GiB. */
    uint64_t *pdpt = pt_alloc_page();
    pml4[1] = (uintptr_t)pdpt | PTE_P | PTE_W;
    pdpt[0] = 0 | PTE_P | PTE_W | PTE_PS;
    write_cr3((uintptr_t)pml4);
    return check(rd32(VA_1G + (uintptr_t)page_a + 8) == MAGIC_A,
                 "1 GiB page maps physical memory");
}

static bool test_write_protect(void)
{
    Fault f;
    uint64_t v;
    bool ok = true;

    pt_map_4k(pml4, VA_RO, (uintptr_t)page_a, PTE_P);
    write_cr0(read_cr0() | CR0_WP);
    ok &= check(probe_read(VA_RO + 8, &v, &f) && v == MAGIC_A, "read-only page is readable");
    ok &= check(!probe_write(VA_RO + 8, 1, &f) && f.vector == 14 &&
                f.error_code == (PF_P | PF_W) && f.cr2 == VA_RO + 8,
                "write to read-only page: #PF with P|W");
    printf("write-protect fault: vector %lu error %lx cr2 %lx\n", f.vector,
           f.error_code, f.cr2);
    ok &= check(rd32((uintptr_t)page_a + 8) == MAGIC_A, "read-only page unchanged");
    return ok;
}

static bool test_nx(void)
{
    uint32_t r[4];
    Fault f;
    bool ok = true;

    cpuid(0x80000001, 0, r);
    if (!(r[3] & (1u << 20))) {
        printf("skip NX (not supported)\n");
        return true;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    page_code[0] = 0xc3;    /* ret */
    pt_map_4k(pml4, VA_X, (uintptr_t)page_code, PTE_P);
    pt_map_4k(pml4, VA_NX, (uintptr_t)page_code, PTE_P | PTE_NX);
    ok &= check(probe_exec(VA_X, &f), "executing from an executable page");
    ok &= check(!probe_exec(VA_NX, &f) && f.vector == 14 &&
                f.error_code == (PF_P | PF_I) && f.cr2 == VA_NX && f.rip == VA_NX,
                "executing from an NX page: #PF with P|I");
    printf("nx fault: vector %lu error %lx cr2 %lx rip %lx\n", f.vector,
           f.error_code, f.cr2, f.rip);
    return ok;
}

int main(void)
{
    bool ok = true;

    probe_init();
    pml4 = pt_new_identity(false);
    write_cr3((uintptr_t)pml4);
    ok &= test_aliases();
    ok &= test_1g_page();
    ok &= test_write_protect();
    ok &= test_nx();
    if (!ok) {
        guest_fail("paging", "a paging check failed");
    }
    guest_pass("paging");
}
