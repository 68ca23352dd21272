import DoseCabCore
@testable import DoseCabDaemon
import Testing

/// `observation-minutes` beside each route's close-out rule (docs/configuration.md).
@Suite struct ObservationConfigTests {
    @Test func aRouteWithoutItsOwnTimeUsesThePolicyDefault() throws {
        var c = DaemonConfig()
        #expect(Route.allCases.allSatisfy { c.policy.observationMinutes(for: $0) == 15 })
        try c.apply(toml: """
            [policy]
            observation-minutes = 20

            [close-out.oral]
            observation-minutes = 30

            [close-out.inhalable]
            deadline-minutes = 45
            """, file: "t.toml")
        #expect(c.policy.observationMinutes(for: .oral) == 30)
        // Configured for its close-out only, and not configured at all: the policy's default.
        #expect(c.policy.observationMinutes(for: .inhalable) == 20 && c.policy.closeOutPolicy(for: .inhalable).deadlineMinutes == 45)
        #expect(c.policy.observationMinutes(for: .injectable) == 20)
        #expect(c.policy.validationErrors().isEmpty)
    }

    @Test func anOutOfRangeTimeIsAnErrorAndChangesNothing() {
        var c = DaemonConfig()
        do {
            try c.apply(toml: "[close-out.oral]\nobservation-minutes = 241\n", file: "t.toml")
            Issue.record("241 minutes accepted")
        } catch {
            #expect(error.key == "close-out.oral.observation-minutes")
        }
        #expect(c == DaemonConfig())
    }
}
