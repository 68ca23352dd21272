import ArgumentParser
import DoseCabDaemon
import Foundation

/// `dosecabd`: the dose cabinet daemon.
@main
struct DoseCabD: AsyncParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "dosecabd",
        abstract: "Runs the locked dose cabinet of a heroin-assisted-treatment clinic.",
        version: version)

    @Option(name: .long, help: "Configuration file (drop-ins in FILE.d/*.toml).")
    var config: String?

    @Flag(name: .long, help: "Run on simulated lines with a demo clinic (no root, hardware or journald needed).")
    var simulate = false

    @Option(name: .customLong("state-dir"), help: "State folder (default with --simulate: ./.dosecab-sim).")
    var stateDir: String?

    @Flag(name: .customLong("sim-door-open"),
          help: "With --simulate: start with the cabinet door open, as after an opening with the mechanical key (rehearses the late entry).")
    var simDoorOpen = false

    @Flag(name: .customLong("safe-state"), help: "De-energise every output and exit (systemd's ExecStopPost).")
    var safeState = false

    @Option(name: .customLong("check-toml"), help: .hidden)
    var checkTOML: String?

    /// Installs the daemon's own executor before any job reaches libdispatch's global queues,
    /// whose pool monitor would otherwise wake the process every second (DaemonExecutor.swift).
    static func main() async {
        Daemon.installExecutor()
        await main(nil)
    }

    func run() async throws {
        if let checkTOML { throw ExitCode(ParserSandbox.probe(path: checkTOML)) }
        if safeState { throw ExitCode(Daemon.safeState(configPath: config, simulate: simulate)) }
        if simDoorOpen && !simulate { throw ValidationError("--sim-door-open needs --simulate") }
        // Whatever the daemon creates (store, socket folder, keys of the demo) is its own
        // alone, under systemd (UMask=0077) and in --simulate alike; the control socket's own
        // mode is set where it is made.
        umask(0o077)
        do {
            try await Daemon.run(DaemonOptions(configPath: config, simulate: simulate, stateDirectory: stateDir, version: Self.version,
                                               simulateDoorOpen: simDoorOpen))
        } catch {
            // One clear line and a non-zero exit: 78 (EX_CONFIG) for a bad configuration, pin map
            // or key file, which systemd does not restart into; 1 for a missing line or store.
            FileHandle.standardError.write(Data("dosecabd: \(error)\n".utf8))
            throw ExitCode(Daemon.exitStatus(for: error))
        }
    }
}
