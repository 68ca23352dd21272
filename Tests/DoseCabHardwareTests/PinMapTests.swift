import Foundation
import Testing
@testable import DoseCabHardware

/// A minimal valid map: every role, line name = role name, on chip "sim".
func minimalMap(replacing role: LineRole? = nil, with table: String? = nil, extra: String = "") -> String {
    var s = "chip = \"sim\"\n" + extra
    for r in LineRole.allCases {
        if r == role {
            if let table { s += table + "\n" }
        } else {
            s += "[lines.\(r.rawValue)]\nline = \"\(r.rawValue)\"\n"
        }
    }
    return s
}

func pinMapError(_ toml: String) -> PinMapError? {
    do {
        _ = try PinMap.parse(toml)
        return nil
    } catch {
        return error
    }
}

@Suite struct PinMapTests {
    @Test func shippedPinMapLoads() throws {
        let map = try PinMap.load(path: #filePath.replacingOccurrences(of: "Tests/DoseCabHardwareTests/PinMapTests.swift", with: "hardware/pinmap.toml"))
        #expect(map[.lock].name == "lock")
        #expect(map[.lock].chip == "gpiochip0")
        #expect(map[.door].activeLow)
        #expect(map[.door].bias == .pullUp)
        #expect(map[.door].debounceNanos == 20_000_000)
        #expect(map[.counterD0].debounceMillis == 0)
        #expect(map.lines.count == LineRole.allCases.count)
    }

    @Test func minimalMapParsesWithDefaults() throws {
        let map = try PinMap.parse(minimalMap(replacing: .door, with: """
            [lines.door]
            chip = "/dev/gpiochip3"
            line = "reed"
            active-low = true
            bias = "pull-down"
            debounce-ms = 15
            """))
        #expect(map[.door] == PinMap.Line(role: .door, chip: "/dev/gpiochip3", name: "reed", activeLow: true, bias: .pullDown, debounceMillis: 15))
        #expect(map[.lock] == PinMap.Line(role: .lock, chip: "sim", name: "lock"))
    }

    @Test func lineNameDefaultsToTheRoleName() throws {
        let map = try PinMap.parse(minimalMap(replacing: .tamper, with: "[lines.tamper]"))
        #expect(map[.tamper].name == "tamper")
    }

    @Test func unknownRoleIsNamed() {
        let e = pinMapError(minimalMap(extra: "[lines.window]\nline = \"window\"\n"))
        #expect(e?.description.hasPrefix("pin map: unknown role \"window\" in [lines.window]") == true)
    }

    @Test func missingRoleIsNamed() {
        let e = pinMapError(minimalMap(replacing: .bolt, with: nil))
        #expect(e?.description == "pin map: role bolt is missing: add [lines.bolt] with its line name")
    }

    @Test func duplicateLineNamesBothRoles() {
        let e = pinMapError(minimalMap(replacing: .bolt, with: "[lines.bolt]\nline = \"door\""))
        #expect(e?.description == "pin map: line \"door\" is used by both role door and role bolt"
                || e?.description == "pin map: line \"door\" is used by both role bolt and role door")
    }

    @Test func debounceOnWiegandDataIsRefused() {
        let e = pinMapError(minimalMap(replacing: .counterD1, with: "[lines.counter-d1]\nline = \"w1\"\ndebounce-ms = 1"))
        #expect(e?.description == "pin map: role counter-d1 (line \"w1\"): debounce-ms is allowed only on door, bolt, tamper and return-beam")
    }

    @Test func debounceOnTheLockIsRefused() {
        let e = pinMapError(minimalMap(replacing: .lock, with: "[lines.lock]\ndebounce-ms = 10"))
        #expect(e?.description.contains("role lock (line \"lock\"): debounce-ms is allowed only") == true)
    }

    @Test func badValuesNameRoleLineAndKey() {
        let bias = pinMapError(minimalMap(replacing: .door, with: "[lines.door]\nline = \"reed\"\nbias = \"pull-sideways\""))
        #expect(bias?.description == "pin map: role door (line \"reed\"): bias must be one of as-is, pull-up, pull-down, disabled")
        let low = pinMapError(minimalMap(replacing: .door, with: "[lines.door]\nactive-low = \"yes\""))
        #expect(low?.description == "pin map: role door (line \"door\"): active-low must be true or false")
        let ms = pinMapError(minimalMap(replacing: .door, with: "[lines.door]\ndebounce-ms = -3"))
        #expect(ms?.description == "pin map: role door (line \"door\"): debounce-ms must be an integer from 0 to 1000")
    }

    @Test func typoedKeyIsRefused() {
        let e = pinMapError(minimalMap(replacing: .door, with: "[lines.door]\nactivelow = true"))
        #expect(e?.description.hasPrefix("pin map: role door: unknown key \"activelow\"") == true)
    }

    @Test func missingChipIsNamed() {
        let toml = minimalMap().replacingOccurrences(of: "chip = \"sim\"\n", with: "")
        let e = pinMapError(toml)
        #expect(e?.description.hasSuffix("no chip; set chip for the line or at the top of the file") == true)
    }

    @Test func syntaxErrorGivesThePosition() {
        let e = pinMapError("chip = \"sim\"\n[lines.lock\n")
        #expect(e?.description.hasPrefix("pin map: TOML syntax error at line 2") == true)
    }

    @Test func unreadableFileIsOneLine() {
        let e: PinMapError?
        do { _ = try PinMap.load(path: "/nonexistent/pinmap.toml"); e = nil } catch { e = error }
        #expect(e?.description == "pin map /nonexistent/pinmap.toml: cannot be read: No such file or directory (errno 2)")
    }

    @Test func everyErrorIsOneLine() {
        let errors: [PinMapError] = [
            .unreadable(path: "p", reason: "r"), .syntax(line: 1, column: 2, message: "m"), .unknownRole("x"),
            .missingRole(.lock), .duplicateRole(role: .lock, lines: ("a", "b")), .duplicateLine(line: "l", roles: (.lock, .bolt)),
            .unknownKey(role: nil, key: "k"), .invalidValue(role: .door, line: "d", key: "k", reason: "r"),
            .debounceNotAllowed(role: .lock, line: "lock"), .missingChip(role: .lock, line: "lock"),
        ]
        for e in errors { #expect(!e.description.contains("\n")) }
    }
}
