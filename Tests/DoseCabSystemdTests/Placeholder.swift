// Tests for DoseCabSystemd.
