// Tests for DoseCabControl.
