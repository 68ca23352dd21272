import DoseCabPOSIX

extension Daemon {
    /// Makes the daemon's own executor (`DaemonExecutor`, DoseCabPOSIX) the default for every
    /// task that has no other. Call once, before the first job reaches a global queue: first
    /// thing in `main`.
    public static func installExecutor() {
        installDaemonExecutor()
    }
}
