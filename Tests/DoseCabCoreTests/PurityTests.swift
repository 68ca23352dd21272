import Foundation
import Testing

/// The core is pure (ARCHITECTURE §5): no I/O module, no C module, no clock of its own.
@Suite struct PurityTests {
    @Test func coreImportsNoIOAndReadsNoClock() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/DoseCabCore")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 8)
        let allowedImports: Set<String> = ["Crypto", "Foundation"]
        let forbidden = ["Date()", "FileManager", "FileHandle", "ProcessInfo", "DispatchQueue", "Thread", "clock_gettime",
                         "getenv", "fopen", "URLSession", "Process(", "arc4random", ".random(", "UUID()",
                         // Clinic time comes in as a value (issue 19.1): the daemon reads the tz database.
                         "TimeZone", "zoneinfo"]
        for file in files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let module = line.dropFirst("import ".count).trimmingCharacters(in: .whitespaces)
                #expect(allowedImports.contains(module), "\(file) imports \(module)")
            }
            for word in forbidden { #expect(!text.contains(word), "\(file) uses \(word)") }
        }
    }
}
