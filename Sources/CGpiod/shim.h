// The only C this project reaches for the GPIO side: Debian 12's libgpiod 1.6 (v1 API).
// (The pipes of the GPIO event thread come from DoseCabPOSIX, over CPOSIX's pipe2.)
#ifndef DOSECAB_CGPIOD_SHIM_H
#define DOSECAB_CGPIOD_SHIM_H
#include <gpiod.h>
#endif
