import DoseCabControl
import DoseCabCore
import DoseCabHardware
import DoseCabStore
import DoseCabSystemd
import Foundation
import Logging
import ServiceLifecycle

/// How `dosecabd` was asked to run.
public struct DaemonOptions: Sendable {
    public var configPath: String?
    public var simulate: Bool
    public var stateDirectory: String?
    public var version: String
    /// With `simulate`: the simulated cabinet starts with its door open and the bolt out, as
    /// after an opening with the mechanical key while the daemon was down (to rehearse the
    /// downtime late entry, docs/operations.md).
    public var simulateDoorOpen: Bool

    public init(configPath: String?, simulate: Bool, stateDirectory: String?, version: String, simulateDoorOpen: Bool = false) {
        self.configPath = configPath
        self.simulate = simulate
        self.stateDirectory = stateDirectory
        self.version = version
        self.simulateDoorOpen = simulateDoorOpen
    }
}

public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    /// A file the administrator wrote is wrong (a prescriber key, say), not the machine.
    public var isConfiguration: Bool
    public init(_ d: String, configuration: Bool = false) {
        description = d
        isConfiguration = configuration
    }
}

extension Daemon {
    /// `EX_CONFIG` (sysexits.h): the unit's `RestartPreventExitStatus=78` stops systemd from
    /// restarting into the same bad file every two seconds; the journal has the one-line error.
    public static let configurationExitStatus: Int32 = 78

    /// The exit status for an error that stopped the start: 78 for a configuration, pin map or
    /// prescriber-key file that is wrong, 1 for anything else (a missing line, an unwritable store).
    public static func exitStatus(for error: any Error) -> Int32 {
        switch error {
        case is ConfigError, is PinMapError, is TOMLGuard.Problem: return configurationExitStatus
        case let startup as StartupError where startup.isConfiguration: return configurationExitStatus
        default: return 1
        }
    }
}

/// Wires store, journal, lines, the cabinet driver and the control socket under
/// swift-service-lifecycle, and tells systemd when all of it is up.
public enum Daemon {
    public static func run(_ options: DaemonOptions) async throws {
        var config: DaemonConfig
        if options.simulate {
            let dir = absolute(options.stateDirectory ?? "./.dosecab-sim")
            config = DaemonConfig.simulated(stateDirectory: dir)
            if let path = options.configPath {
                try ParserSandbox.checkAll(configPath: path)
                config = try DaemonConfig.load(path: path, base: config)
            }
        } else {
            try ParserSandbox.checkAll(configPath: options.configPath ?? "/etc/dosecab/dosecab.toml")
            config = try DaemonConfig.load(path: options.configPath ?? "/etc/dosecab/dosecab.toml")
            if let dir = options.stateDirectory { config.stateDirectory = dir }
            // The service's own group is private to it (a member could read the store's files and
            // hold its write lock, issue 18.1): it is never a role group, whatever an upgraded
            // configuration may still say.
            let own = getgid()
            if let problem = config.roleGroupProblem(runningGroup: own == 0 ? nil : groupName(own)) {
                throw StartupError(problem, configuration: true)
            }
        }
        // Whatever the configuration came from: every route has its row (the loader checks this
        // too; the simulated clinic has no file).
        if let problem = config.policy.validationErrors().first {
            throw ConfigError(file: options.configPath ?? "(built-in configuration)", key: "policy", problem: problem)
        }
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)

        // The journal: journald when its socket exists, else (simulate only) readable stderr.
        let journaldPresent = FileManager.default.fileExists(atPath: JournalWriter.defaultSocketPath)
        let sink: JournalWriter.Sink = journaldPresent || !options.simulate ? .journald() : .stderr
        var limits = JournalWriter.Limits()
        limits.capacity = config.journalCapacity
        limits.maxUnsentAge = .seconds(config.journalMaxUnsentSeconds)
        let journal = JournalWriter(sink: sink, limits: limits)
        LoggingSystem.bootstrap { label in
            var h = JournalLogHandler(label: label, writer: journal)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "dosecabd")

        let pinMap: PinMap
        let lines: any CabinetLines
        var simLines: SimulatedLines?
        if options.simulate {
            pinMap = .reference(chip: "dosecab-sim")
            let sim = SimulatedLines(pinMap: pinMap)
            if options.simulateDoorOpen {
                try sim.drive(.door, active: false)
                try sim.drive(.bolt, active: false)
            }
            simLines = sim
            lines = sim
        } else {
            try ParserSandbox.check(config.pinMapPath)
            pinMap = try PinMap.load(path: config.pinMapPath)
            lines = try GpiodLines(pinMap: pinMap)
        }
        defer { lines.makeSafe() }

        let store = try Store(directory: config.stateDirectory, calendar: config.policy.calendar)
        let pins = ScryptPINs()
        let clock = DaemonClock()
        if options.simulate {
            if try DemoClinic.seed(store: store, directory: config.stateDirectory, pins: pins, now: clock.now(), calendar: config.policy.calendar) {
                logger.notice("demo clinic created in \(config.stateDirectory)")
            }
        }
        try installPrescriberKeys(from: config.prescribersDirectory, store: store, now: clock.now(), logger: logger)

        let driver = try CabinetDriver(config: config, store: store, journal: journal, lines: lines, clock: clock, pins: pins,
                                       logger: logger, simulate: options.simulate, version: options.version, pinMap: pinMap)
        let summary = try await driver.start()
        logger.notice("recovery: \(summary)")
        // Compares what the journal holds with the store (another hash: an alarm, issue 18.9) and
        // sends again what journald lost in a power cut (it had them, unsynced); runs beside the
        // start so READY=1 does not wait for it.
        // Only its own entries (issue 18.10): its uid, and its unit when systemd started it.
        let ownEntries = JournalReader.Trust.ownProcess()
        logger.info("journal read-back trusts entries of \(ownEntries)")
        let readBack = Task { await CabinetDriver.readBackJournal(driver: driver, reader: JournalReader(trust: ownEntries), logger: logger) }
        defer { readBack.cancel() }

        let methods = ControlMethods(driver: driver, store: store, journal: journal, simLines: simLines, pins: pins)
        var access = AccessPolicy(readGroup: config.readGroup, adminGroup: config.adminGroup)
        if options.simulate {
            // The demo runs as an ordinary user: that user's own group is the admin group.
            let gid = getgid()
            if let name = groupName(gid) { access = AccessPolicy(readGroup: name, adminGroup: name) }
        }
        let listener: ControlServer.Listener = ListenFDs.controlSocket().map { .adopt(fd: $0) } ?? .path(config.socketPath)
        let server = try ControlServer(listener: listener, methods: methods.table, policy: access, logger: logger) { req, caller in
            await methods.handle(req, caller)
        }
        try server.start()

        let notifier = Notifier()
        let cabinetService = CabinetService(driver: driver, server: server, journal: journal, notifier: notifier, store: store, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [cabinetService], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        if options.simulate {
            FileHandle.standardError.write(Data(DemoClinic.guide(socket: config.socketPath).utf8))
        }
        try await group.run()
        _ = journal.shutdown(timeout: .seconds(2))
    }

    static func groupName(_ gid: gid_t) -> String? {
        guard let g = getgrgid(gid), let name = g.pointee.gr_name else { return nil }
        return String(cString: name)
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/"))
            .standardizedFileURL.path
    }

    /// Installs `*.pub` keys (base64 of the raw Ed25519 public key) from the prescribers folder.
    static func installPrescriberKeys(from dir: String, store: Store, now: Moment, logger: Logger) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue, let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            // An unreadable key folder must stop the start, not silently leave keys out.
            throw StartupError("prescriber keys: cannot read the folder \(dir)", configuration: true)
        }
        let installed = Set(try store.prescriberKeys().map(\.keyID))
        for name in names.sorted() where name.hasSuffix(".pub") {
            let id = String(name.dropLast(4))
            guard !installed.contains(id) else { continue }
            guard let text = try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) else {
                throw StartupError("prescriber key \(dir)/\(name): cannot be read", configuration: true)
            }
            // Raw base64 or PEM (what `openssl pkey -pubout` writes), as docs/prescriptions.md says.
            let key: PrescriberKey
            do { key = try Store.prescriberKey(keyID: id, fileContents: text) } catch {
                throw StartupError("prescriber key \(dir)/\(name): \(error)", configuration: true)
            }
            _ = try store.installPrescriberKey(key, by: "dosecabd", at: now)
            logger.notice("installed prescriber key \(id)")
        }
    }

    /// `dosecabd --safe-state`: de-energise every output and exit (systemd's ExecStopPost).
    ///
    /// Its job is the lock, so a configuration that does not parse does not stop it: it works
    /// from the pin map the configuration names (as far as a line scan finds the `pinmap` key of
    /// `[daemon]`, else the default), and says so on stderr and in its journal entry at error
    /// priority, exiting 2 (1: the outputs could not be made safe).
    public static func safeState(configPath: String?, simulate: Bool) -> Int32 {
        if simulate { return 0 }
        let path = configPath ?? "/etc/dosecab/dosecab.toml"
        let (pinMapPath, configProblem) = safeStatePinMap(configPath: path)
        let journal = JournalWriter(sink: .journald(), limits: JournalWriter.Limits())
        defer { _ = journal.shutdown(timeout: .seconds(2)) }
        let broken = configProblem.map { "; the configuration does not parse (\($0)), so the pin map was found by a line scan" } ?? ""
        do {
            let pinMap = try PinMap.load(path: pinMapPath)  // its errors name the file
            // Requesting the lines sets every output to its safe value; close keeps it there.
            let lines = try GpiodLines(pinMap: pinMap)
            lines.makeSafe()
            lines.close()
            guard configProblem == nil else {
                let message = "safe state: every output de-energised by dosecabd --safe-state with pin map \(pinMapPath)\(broken)"
                _ = journal.enqueue(safeStateEntry(message, outcome: .configBroken))
                FileHandle.standardError.write(Data("dosecabd --safe-state: \(message)\n".utf8))
                return 2
            }
            _ = journal.enqueue(safeStateEntry("safe state: every output de-energised by dosecabd --safe-state", outcome: .safe))
            return 0
        } catch {
            _ = journal.enqueue(safeStateEntry("safe state FAILED: \(error)\(broken)", outcome: .failed))
            FileHandle.standardError.write(Data("dosecabd --safe-state: \(error)\(broken)\n".utf8))
            return 1
        }
    }

    /// The pin map `--safe-state` uses, and why the configuration did not parse, if it did not.
    static func safeStatePinMap(configPath: String) -> (path: String, configProblem: String?) {
        do {
            return (try DaemonConfig.load(path: configPath).pinMapPath, nil)
        } catch {
            return (pinMapNamed(inConfig: configPath) ?? DaemonConfig().pinMapPath, "\(error)")
        }
    }

    /// The `pinmap` of `[daemon]` in a configuration and its drop-ins (the last one wins, as
    /// `DaemonConfig.load` has it), read line by line so that an error elsewhere does not hide it.
    static func pinMapNamed(inConfig path: String) -> String? {
        var files = [path]
        if let names = try? FileManager.default.contentsOfDirectory(atPath: path + ".d") {
            files += names.sorted().filter { $0.hasSuffix(".toml") }.map { path + ".d/" + $0 }
        }
        var found: String?
        for file in files {
            guard let text = DaemonConfig.readText(file) else { continue }
            var section = ""
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[") {
                    section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
                    continue
                }
                guard section == "daemon", line.hasPrefix("pinmap") else { continue }
                let rest = line.dropFirst("pinmap".count).drop { $0 == " " || $0 == "\t" }
                guard rest.first == "=" else { continue }
                let value = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                guard let quote = value.first, quote == "\"" || quote == "'",
                      let end = value.dropFirst().firstIndex(of: quote) else { continue }
                let named = String(value[value.index(after: value.startIndex)..<end])
                if !named.isEmpty { found = named }
            }
        }
        return found
    }
}

extension Daemon {
    enum SafeStateOutcome {
        case safe, configBroken, failed
    }

    /// The safe-state command's own journal entry, with its own MESSAGE_ID (the crash test
    /// looks for it after `kill -9`, since gpio-sim drops a released line to its pull anyway).
    /// Outputs safe: notice, `outputs-safe`; safe but the configuration does not parse: error,
    /// `outputs-safe-config-broken`; not safe: crit, `failed`.
    static func safeStateEntry(_ message: String, outcome: SafeStateOutcome) -> JournalEntry {
        let (priority, reason) = switch outcome {
        case .safe: ("5", "outputs-safe")
        case .configBroken: ("3", "outputs-safe-config-broken")
        case .failed: ("2", "failed")
        }
        return JournalEntry([(.message, message), (.messageID, JournalMessageID.safeState),
                             (.priority, priority), (.syslogIdentifier, AuditJournalEvent.syslogIdentifier),
                             (.event, "safe-state"), (.reason, reason)])
    }
}

/// The main loop: consumes line edges, feeds the watchdog after a health check of lines,
/// store and journal (never from a free-running timer), replays the journal, keeps STATUS current.
struct CabinetService: Service {
    let driver: CabinetDriver
    let server: ControlServer
    let journal: JournalWriter
    let notifier: Notifier
    let store: Store
    let logger: Logger

    func run() async throws {
        let inputs = Task { await driver.runInputs() }
        _ = try? notifier.ready()
        let interval = (try? notifier.watchdogInterval()) ?? nil
        // With a watchdog the loop wakes at half its interval and nothing else wakes it; without
        // one (simulate, tests) only to keep STATUS and the journal replay going.
        let tick: Duration = interval.map { $0 / 2 } ?? .seconds(60)
        // The loop is one task on the driver's actor, cancelled on SIGTERM (it must not wait
        // out the tick: up to a minute without a watchdog) or when the service is cancelled.
        // Not `cancelWhenGracefulShutdown` around each sleep: that starts two child tasks per
        // tick, and each is a thread hand-over in an idle daemon (docs/performance.md).
        let loop = Task { [self] in await tickLoop(on: driver, every: tick) }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await loop.value
            } onGracefulShutdown: {
                _ = try? notifier.stopping()
                loop.cancel()
            }
        } onCancel: {
            loop.cancel()
        }
        inputs.cancel()
        await driver.shutdown()
        server.stop()
    }

    /// Runs on the driver's actor, so a tick is one wake-up of one thread: the health check,
    /// the journal replay and the stock tick, the watchdog ping and STATUS, then sleep.
    func tickLoop(on driver: isolated CabinetDriver, every tick: Duration) async {
        while !Task.isCancelled {
            let healthy = healthCheck(on: driver)
            if healthy.ok { _ = try? notifier.watchdog() }
            _ = try? notifier.status(healthy.status)
            try? await Task.sleep(for: tick)
        }
    }

    /// Health of lines, store and journal for the watchdog and STATUS; the driver replays the
    /// journal and runs the stock tick in the same turn.
    func healthCheck(on driver: isolated CabinetDriver) -> (ok: Bool, status: String) {
        let (cab, storeProblem, linesOK, held) = driver.tick()
        let storeOK = (try? store.chainHead()) != nil && storeProblem == nil
        let journalHealth = journal.health()
        var parts = [cab.lockEnergised ? "UNLOCKED" : "locked", cab.doorOpen ? "door open" : "door closed",
                     "\(cab.ledger.openUnits.count) units out", "\(cab.holds.count) holds"]
        if let l = cab.lockdown { parts.insert("LOCKDOWN (\(l))", at: 0) }
        if !journalHealth.isHealthy { parts.append("journal degraded: \(journalHealth)") }
        if held > 0 { parts.insert("STORE NOT RECORDING: \(held) record(s) held in memory", at: 0) } else if !storeOK { parts.append("store degraded") }
        if !linesOK { parts.append("LINES FAULT") }
        // The watchdog proves the loop is alive and the store answers; a degraded journal is
        // reported and blocks releases, but restarting would not fix journald. Records held in
        // memory for a store that refuses commits would be lost by a restart: the cabinet is
        // safe and locked down, so the loop keeps the watchdog fed while it retries them.
        return ((storeOK || held > 0) && linesOK, parts.joined(separator: ", "))
    }
}
