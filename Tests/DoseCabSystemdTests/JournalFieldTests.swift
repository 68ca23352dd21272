@testable import DoseCabSystemd
import Testing

@Suite struct JournalFieldTests {
    @Test(arguments: ["MESSAGE", "DOSECAB_RELEASE_ID", "A", "X9", "A_B_C", String(repeating: "A", count: 64)])
    func acceptsValidNames(_ name: String) throws {
        #expect(try JournalField(name).name == name)
    }

    @Test(arguments: [
        "message", "Dosecab_event", "DOSECAB-EVENT", "DOSECAB EVENT", "", "_PID", "_SYSTEMD_UNIT",
        "1ABC", "ÄRGER", "A=B", "A\nB", String(repeating: "A", count: 65),
    ])
    func rejectsInvalidNames(_ name: String) {
        #expect(throws: JournalField.InvalidName.self) { try JournalField(name) }
    }

    @Test func errorSaysWhatIsWrong() {
        do {
            _ = try JournalField("patient")
            Issue.record("lowercase accepted")
        } catch {
            #expect(error.name == "patient")
            #expect(error.description.contains("A-Z"))
        }
    }

    @Test func everyBuiltInFieldIsValid() throws {
        let builtIn: [JournalField] = JournalField.dosecabFields + [
            .message, .messageID, .priority, .syslogIdentifier, .codeFile, .codeLine, .codeFunc,
        ]
        for f in builtIn { #expect(JournalField.problem(with: f.name) == nil, "\(f)") }
        #expect(JournalField.dosecabFields.map(\.name) == [
            "DOSECAB_EVENT", "DOSECAB_RELEASE_ID", "DOSECAB_PATIENT", "DOSECAB_STAFF", "DOSECAB_DRUG",
            "DOSECAB_ROUTE", "DOSECAB_DOSE_MG", "DOSECAB_AMPOULE", "DOSECAB_PRESCRIPTION",
            "DOSECAB_REASON", "DOSECAB_AUDIT_SEQ", "DOSECAB_AUDIT_HASH",
        ])
    }

    @Test func sanitizedKeysAreValid() {
        #expect(JournalField.sanitized("request-id").name == "REQUEST_ID")
        #expect(JournalField.sanitized("_x").name == "X__X")
        #expect(JournalField.sanitized("9lives").name == "X_9LIVES")
        #expect(JournalField.sanitized("").name == "X_")
        #expect(JournalField.sanitized(String(repeating: "k", count: 100)).name.count == 64)
        for key in ["a.b", "ünï", "__", "0", "x y"] {
            #expect(JournalField.problem(with: JournalField.sanitized(key).name) == nil, "\(key)")
        }
    }

    @Test func entryEncodesNameEqualsValueIncludingNewlinesAndBinary() {
        var e = JournalEntry()
        e.append(.message, "two\nlines")
        e.append(.reason, bytes: [0, 1, 255, 61])
        let parts: [[UInt8]] = e.withIOVecs { iov in
            iov.map { Array(UnsafeRawBufferPointer(start: $0.iov_base, count: $0.iov_len)) }
        }
        #expect(parts == [Array("MESSAGE=two\nlines".utf8), Array("DOSECAB_REASON=".utf8) + [0, 1, 255, 61]])
    }
}
