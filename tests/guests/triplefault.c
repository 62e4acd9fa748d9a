/*
 * triplefault: loads an empty IDT and raises #UD, which escalates to a
 * triple fault.  Under -no-reboot the VMM must exit with status 0.
 */
#include "lib/guest.h"

int main(void)
{
    DescPtr empty = { 0, 0 };

    printf("triplefault: raising #UD with an empty IDT\n");
    __asm__ volatile("lidt %0; ud2" : : "m"(empty));
    guest_fail("triplefault", "survived a triple fault");
}
