@testable import DoseCabControl
import Testing

/// Fuzz finding F2 (docs/reliability.md): a hostile method name must be cut short in errors.
@Suite struct FuzzRegressionTests {
    @Test func hostileMethodNameIsCutInTheError() {
        let name = "a" + String(repeating: "\u{0301}", count: 3000)
        let frame = Array("{\"method\":\"\(name)\"}".utf8)
        do {
            _ = try ControlRequest(frame: frame)
            Issue.record("accepted an invalid method name")
        } catch {
            #expect(error.description.utf8.count < 600, "error is \(error.description.utf8.count) bytes")
        }
    }
}
