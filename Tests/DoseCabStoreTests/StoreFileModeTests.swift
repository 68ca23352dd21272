import DoseCabCore
@testable import DoseCabStore
import Foundation
import Testing

/// Issue 18, path 2 (and 1): with the state directory 0750 and the files group-readable, the
/// technicians' read group could read every PIN hash and card number, and hold SQLite's write
/// lock through the `-shm` file. The store is private to the service user whatever the umask
/// or the mode the directory was made with: 0600 for the database and its `-wal` and `-shm`,
/// and a directory nobody else may list or write (systemd makes it 0700 in production).
@Suite struct StoreFileModeTests {
    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func theStateDirectoryAndEveryStoreFileArePrivateToTheService() throws {
        let dir = NSTemporaryDirectory() + "dosecab-modes-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A database left group- and world-readable by an earlier install.
        let first = try Store(directory: dir, calendar: ClinicCalendar())
        _ = try first.commit(.admin(action: "test", detail: "a record", actor: "test", at: Moment(wallMillis: 1_000, bootMillis: 1, bootID: "b")))
        for suffix in ["", "-wal", "-shm"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: first.path + suffix)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)

        let store = try Store(directory: dir, calendar: ClinicCalendar())
        _ = try store.commit(.admin(action: "test", detail: "another", actor: "test", at: Moment(wallMillis: 2_000, bootMillis: 2, bootID: "b")))
        #expect(try Self.mode(dir) & 0o066 == 0, "nobody else lists or creates in the state directory")
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(store.path + suffix) == 0o600, "\(Store.fileName)\(suffix)")
        }
    }
}
