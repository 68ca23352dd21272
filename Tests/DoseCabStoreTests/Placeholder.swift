// Tests for DoseCabStore.
