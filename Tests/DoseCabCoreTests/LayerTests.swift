import Foundation
import Testing

/// The module graph in docs/architecture.md is the one the code has (issue 19.9): the table
/// between `<!-- layer-table -->` and `<!-- /layer-table -->` lists, per module, exactly what
/// its files import. A new import, a stale row or a cycle among our own modules fails here,
/// so the document cannot drift from the code unnoticed.
@Suite struct LayerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Module name → what the table says it imports ("(C: …)" rows import nothing).
    static func table() throws -> [String: Set<String>] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        guard let start = text.range(of: "<!-- layer-table -->"), let end = text.range(of: "<!-- /layer-table -->") else {
            Issue.record("docs/architecture.md has no layer table")
            return [:]
        }
        var rows: [String: Set<String>] = [:]
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2, cells[0] != "module", !cells[0].hasPrefix("-") else { continue }
            let imports = cells[1].hasPrefix("(") ? [] : cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(rows[cells[0]] == nil, "the layer table lists \(cells[0]) twice")
            rows[cells[0]] = Set(imports)
        }
        return rows
    }

    /// Module name → every module its Swift files import (`import X`, `@preconcurrency import X`,
    /// `import struct X.Y`, inside `#if` or not).
    static func imports() throws -> [String: Set<String>] {
        let sources = root.appendingPathComponent("Sources")
        let pattern = try Regex(#"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#)
        var result: [String: Set<String>] = [:]
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            var found: Set<String> = []
            let dir = sources.appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(atPath: dir.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    if let m = try pattern.firstMatch(in: String(line)), let name = m.output[1].substring {
                        found.insert(String(name))
                    }
                }
            }
            result[module] = found
        }
        return result
    }

    @Test func everyModuleImportsExactlyWhatTheTableSays() throws {
        let table = try Self.table()
        let actual = try Self.imports()
        #expect(Set(table.keys) == Set(actual.keys),
                "modules without a row: \(Set(actual.keys).subtracting(table.keys).sorted()); rows without a module: \(Set(table.keys).subtracting(actual.keys).sorted())")
        for (module, imports) in actual.sorted(by: { $0.key < $1.key }) {
            let allowed = table[module] ?? []
            #expect(imports.subtracting(allowed).isEmpty, "\(module) imports \(imports.subtracting(allowed).sorted()), which its row does not list")
            #expect(allowed.subtracting(imports).isEmpty, "\(module)'s row lists \(allowed.subtracting(imports).sorted()), which none of its files imports")
        }
    }

    /// The modules that import each other in a cycle (Kahn's algorithm: what remains after
    /// repeatedly removing modules that import none of the remaining ones).
    static func cycle(_ table: [String: Set<String>]) -> [String] {
        let ours = Set(table.keys)
        var remaining = table.mapValues { $0.intersection(ours) }
        while let leaf = remaining.first(where: { $0.value.isEmpty })?.key {
            remaining.removeValue(forKey: leaf)
            for key in remaining.keys { remaining[key]?.remove(leaf) }
        }
        return remaining.keys.sorted()
    }

    @Test func ourModulesFormNoCycle() throws {
        let table = try Self.table()
        #expect(table.count >= 10)
        #expect(Self.cycle(table).isEmpty, "the modules \(Self.cycle(table)) import each other in a cycle")
        // And the check can fail: the core importing the daemon closes a cycle.
        var bad = table
        bad["DoseCabCore"]?.insert("DoseCabDaemon")
        #expect(Self.cycle(bad).contains("DoseCabCore"))
    }
}
