// Tests for DoseCabHardware.
