import DoseCabHardware
import Foundation
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

/// Runs TOMLKit's parser over a file in a child process first.
///
/// toml++ inside TOMLKit 0.6.0 aborts the process on some malformed input (fuzz finding F1:
/// `windows=[}`, `x=1979-05-27T:` and others). `TOMLGuard` refuses every class of input that
/// reaches one of its assertions, as far as reading the parser and fuzzing it can tell; this is
/// the second line of defence, for a class nobody has found: each configuration file is parsed
/// once in `dosecabd --check-toml FILE`, the way the daemon parses it (guard, then parser); if
/// that child dies by a signal, the file is refused with one clear line instead of a crash loop.
public enum ParserSandbox {
    /// The child's side: guard and parse, then exit (0 parsed, 1 refused); a crash is the signal.
    public static func probe(path: String) -> Int32 {
        guard let text = DaemonConfig.readText(path) else { return 1 }
        if TOMLGuard.check(text) != nil { return 1 }
        return (try? TOMLTable(string: text)) == nil ? 1 : 0
    }

    /// The parent's side: refuses `path` if the parser crashes on it. Uses posix_spawn and
    /// waitpid directly: Foundation's Process needs a CFRunLoop socket pair that the hardened
    /// unit does not allow (it then hangs), as the system tests showed.
    public static func check(_ path: String) throws(ConfigError) {
        guard FileManager.default.isReadableFile(atPath: path) else { return }  // reported by the loader
        let argv = ["/proc/self/exe", "--check-toml", path]
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/proc/self/exe", &actions, nil, &cargs, environ) == 0 else { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f  // WTERMSIG; 0 = exited, 0x7f = stopped
        if signal != 0 && signal != 0x7f {
            throw ConfigError(file: path, key: nil,
                              problem: "the TOML parser crashed on this file (signal \(signal)); check its syntax")
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
