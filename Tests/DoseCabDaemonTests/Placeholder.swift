// Tests for DoseCabDaemon.
