import Foundation
import TOMLKit

/// Runs TOMLKit's parser over a file in a child process first.
///
/// toml++ inside TOMLKit 0.6.0 aborts the process on some malformed input (fuzz finding F1:
/// `windows=[}`, `x=1979-05-27T:` and others; only some are caught by `TOMLGuard`). A bad file
/// must be one clear error, never a crash loop, so each configuration file is parsed once in
/// `dosecabd --check-toml FILE`; if that child dies by a signal, the file is refused.
public enum ParserSandbox {
    /// The child's side: parse and exit (0 parsed, 1 a parse error); a crash is the signal.
    public static func probe(path: String) -> Int32 {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 1 }
        return (try? TOMLTable(string: text)) == nil ? 1 : 0
    }

    /// The parent's side: refuses `path` if the parser crashes on it.
    public static func check(_ path: String) throws(ConfigError) {
        guard FileManager.default.isReadableFile(atPath: path) else { return }  // reported by the loader
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--check-toml", path]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        do { try child.run() } catch { return }  // cannot sandbox: the in-process parse still runs
        child.waitUntilExit()
        if child.terminationReason == .uncaughtSignal {
            throw ConfigError(file: path, key: nil,
                              problem: "the TOML parser crashed on this file (signal \(child.terminationStatus)); check its syntax")
        }
    }

    /// The configuration file, its drop-ins and the pin map it names.
    public static func checkAll(configPath: String) throws(ConfigError) {
        try check(configPath)
        if let names = try? FileManager.default.contentsOfDirectory(atPath: configPath + ".d") {
            for name in names.sorted() where name.hasSuffix(".toml") { try check(configPath + ".d/" + name) }
        }
    }
}
