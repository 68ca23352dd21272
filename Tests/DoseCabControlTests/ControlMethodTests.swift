import DoseCabControl
import Foundation
import Testing

/// The control methods are declared once (`ControlMethod`, issue 19.5): the daemon's access
/// table and dispatch and the CLI take them from there, and the protocol document names each.
@Suite struct ControlMethodTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyMethodIsDocumented() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/control-protocol.md"), encoding: .utf8)
        for method in ControlMethod.allCases {
            #expect(doc.contains("`\(method.rawValue)`"), "docs/control-protocol.md does not name \(method.rawValue)")
        }
    }

    @Test func namesAreUniqueAndOnlyLookingIsOpenToTheReadGroup() {
        #expect(Set(ControlMethod.allCases.map(\.rawValue)).count == ControlMethod.allCases.count)
        for method in ControlMethod.allCases where method.isSimulation || method.recordsCallWithAction {
            #expect(method.access == .admin, "\(method.rawValue) changes something but is open to the read group")
        }
        #expect(ControlMethod.allCases.filter { $0.access == .read }.allSatisfy { !$0.rawValue.hasPrefix("sim.") })
    }

    /// The access table as it stood before the methods were declared once: moving a method to
    /// the read group, or out of the calls recorded with their action, must be a visible change.
    @Test func theTableIsPinned() {
        let read: Set<String> = ["status", "outstanding", "releases", "holds", "rx.list", "stock.list", "audit.verify", "audit.list",
                                 "report.daily", "people.list", "count.status", "discrepancy.list", "override.list", "late.list"]
        let recorded: Set<String> = ["hold.clear", "confirm", "stock.add", "stock.receive", "stock.waste", "count.start", "count.enter",
                                     "count.cancel", "discrepancy.resolve", "override.open", "override.close", "override.review",
                                     "late.entry", "late.close", "observation.end", "reauthorise"]
        #expect(Set(ControlMethod.allCases.filter { $0.access == .read }.map(\.rawValue)) == read)
        #expect(Set(ControlMethod.allCases.filter(\.recordsCallWithAction).map(\.rawValue)) == recorded)
        #expect(ControlMethod.allCases.count == 44)   // 14 read, 22 admin, 8 sim
    }
}
