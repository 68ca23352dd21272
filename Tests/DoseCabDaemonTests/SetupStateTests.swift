import DoseCabCore
@testable import DoseCabDaemon
import DoseCabStore
import Foundation
import Testing

/// A fresh install starts with no prescriber key, nobody enrolled and no stock: the daemon runs
/// and `status` says what is still to do (issue 21.4: a clear waiting state, not a failed unit);
/// the list is empty once the cabinet can release a dose.
@Suite struct SetupStateTests {
    @Test func aNewCabinetSaysWhatItStillNeedsAndNothingOnceSetUp() throws {
        let dir = NSTemporaryDirectory() + "dosecab-setup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = DaemonConfig.simulated(stateDirectory: dir)
        let store = try Store(directory: dir, calendar: config.policy.calendar)
        let fresh = try ControlMethods.setupNeeded(store)
        #expect(fresh.map { $0.prefix(while: { $0 != ":" }) } == ["prescriber key", "staff", "staff", "patients", "stock"], "\(fresh)")
        #expect(try DemoClinic.seed(store: store, directory: dir, pins: ScryptPINs(rounds: 16), now: DaemonClock().now(),
                                    calendar: config.policy.calendar))
        #expect(try ControlMethods.setupNeeded(store) == [])
    }
}
