/*
 * reset: asks the i8042 for a CPU reset (0xfe to port 0x64).  Under
 * -no-reboot the VMM must exit with status 0; a VMM that ignores the
 * request lets the payload print a FAIL line after a second.
 */
#include "lib/guest.h"

int main(void)
{
    printf("reset: requesting reset through the i8042\n");
    outb(0x64, 0xfe);
    pit_start_free_running();
    pit_delay_us(1000000);
    guest_fail("reset", "still running a second after the reset request");
}
