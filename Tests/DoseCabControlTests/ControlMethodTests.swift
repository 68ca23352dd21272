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
}
