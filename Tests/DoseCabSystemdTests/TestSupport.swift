import Foundation
import Glibc
import Testing

/// Helpers the systemd tests share: temp dirs, running tools, re-executing this test
/// binary as a helper process (inside a mount namespace, or under systemd-socket-activate).
enum TestSupport {
    /// A fresh directory under /tmp (short: unix socket paths are limited to 108 bytes).
    static func tempDir() throws -> String {
        var template = Array("/tmp/dcsd.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno)!) }
        return String(cString: p)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `argv` to completion (killed after `timeout`), capturing both streams.
    static func run(_ argv: [String], environment: [String: String]? = nil, timeout: Double = 60) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        if let environment {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let dir = try tempDir()
        defer { remove(dir) }
        // Files, not pipes: a chatty child cannot block on a full pipe while we wait.
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        p.waitUntilExit()
        try out.close()
        try err.close()
        return Output(
            status: p.terminationStatus,
            stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
        )
    }

    /// This test binary, to re-execute as a helper.
    static var testBinary: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Arguments that make the test binary run only `HelperEntry.child`.
    static let helperArguments = ["--testing-library", "swift-testing", "--filter", "HelperEntry"]

    /// The repository root (this file is Tests/DoseCabSystemdTests/TestSupport.swift).
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/lib/systemd"] {
            let p = dir + "/" + tool
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    /// Parses `journalctl -o json` output: one JSON object per line. Binary fields come
    /// as arrays of numbers and are decoded to text.
    static func parseJournalJSON(_ text: String) -> [[String: String]] {
        text.split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            var out: [String: String] = [:]
            for (k, v) in obj {
                if let s = v as? String {
                    out[k] = s
                } else if let bytes = v as? [Int] {
                    out[k] = String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
                } else {
                    out[k] = "\(v)"
                }
            }
            return out
        }
    }
}

/// Serialises tests that change process-wide environment variables (NOTIFY_SOCKET,
/// WATCHDOG_USEC), which libsystemd reads.
let environmentLock = NSLock()
