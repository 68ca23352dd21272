import DoseCabCore
@testable import DoseCabDaemon
import Foundation
import Testing

/// One row per route (close-out rule, deadline, observation): a route without one stops the
/// daemon at start with one line naming it, instead of a guessed "return within 60 minutes"
/// (issue 19.2; docs/configuration.md).
@Suite struct RouteTableConfigTests {
    @Test func everyRouteHasARowByDefaultAndTheSectionsChangeIt() throws {
        var c = DaemonConfig()
        #expect(Set(c.policy.routes.keys) == Set(Route.allCases))
        try c.apply(toml: """
            [close-out.inhalable]
            rule = "return"
            deadline-minutes = 20
            observation-minutes = 25
            """, file: "t.toml")
        #expect(c.policy.routePolicy(for: .inhalable) == RoutePolicy(rule: .return, deadlineMinutes: 20, observationMinutes: 25))
        #expect(c.policy.validationErrors().isEmpty)
    }

    @Test func aRouteWithoutARowIsAStartUpErrorNamingIt() throws {
        var policy = ClinicPolicy()
        policy.routes[.inhalable] = nil
        #expect(policy.validationErrors() == ["route inhalable has no entry in the route table: configure [close-out.inhalable] with rule, deadline-minutes and observation-minutes"])
        // Through the loader: a clinic whose table lacks the route does not get a configuration.
        let dir = NSTemporaryDirectory() + "dosecab-routes-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/dosecab.toml"
        try "[policy]\nmin-interval-minutes = 30\n".write(toFile: path, atomically: true, encoding: .utf8)
        var base = DaemonConfig()
        base.policy.routes[.inhalable] = nil
        do {
            _ = try DaemonConfig.load(path: path, base: base)
            Issue.record("a table without inhalable was accepted")
        } catch {
            #expect(error.description.contains("route inhalable") && !error.description.contains("\n"), "\(error)")
        }
        // The file can supply the row: then it must be whole.
        try "[close-out.inhalable]\nrule = \"witnessed\"\ndeadline-minutes = 45\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try DaemonConfig.load(path: path, base: base)
            Issue.record("half a row was accepted")
        } catch {
            #expect(error.key == "close-out.inhalable" && error.problem.contains("observation-minutes"), "\(error)")
        }
        try "[close-out.inhalable]\nrule = \"witnessed\"\ndeadline-minutes = 45\nobservation-minutes = 20\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try DaemonConfig.load(path: path, base: base).policy.routePolicy(for: .inhalable).deadlineMinutes == 45)
    }

    /// No silent default: should a row be missing anyway, the strictest of every rule stands in.
    @Test func aMissingRowIsNeverTheOldGuess() {
        var policy = ClinicPolicy()
        policy.routes[.oral] = RoutePolicy(rule: .witnessed, deadlineMinutes: 30, observationMinutes: 40)
        policy.routes[.inhalable] = nil
        #expect(policy.routePolicy(for: .inhalable) == RoutePolicy(rule: .return, deadlineMinutes: 30, observationMinutes: 40))
    }
}
