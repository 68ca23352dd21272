// swift-tools-version: 6.1
// libFuzzer targets for every parser that faces the outside (issue 10, ARCHITECTURE §4 I6).
// A separate package so the root build never links libFuzzer; it calls the real code through
// the root package's library products. Build and run with `bash Tests/Fuzz/run.sh`, which
// passes `-sanitize=fuzzer,address`; each target's file defines `LLVMFuzzerTestOneInput`.
import PackageDescription

let fuzzTargets: [(name: String, deps: [String])] = [
    ("fuzz-wiegand", ["DoseCabHardware", "DoseCabCore"]),
    ("fuzz-control", ["DoseCabControl"]),
    ("fuzz-prescription", ["DoseCabCore"]),
    ("fuzz-pinmap", ["DoseCabHardware"]),
    ("fuzz-config", ["DoseCabDaemon", "DoseCabCore"]),
    ("fuzz-journal", ["DoseCabSystemd", "DoseCabCore"]),
]

let package = Package(
    name: "dosecab-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "dosecab", path: "../.."),
        // For the prescription target's keys (the same package the root uses for them).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // For the journal target's log events (swift-log's `LogEvent`).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
    ] + fuzzTargets.map { t in
        .executableTarget(
            name: t.name,
            dependencies: ["FuzzSupport"]
                + t.deps.map { .product(name: $0, package: "dosecab") }
                + (t.name == "fuzz-prescription" ? [.product(name: "Crypto", package: "swift-crypto")] : [])
                + (t.name == "fuzz-journal" ? [.product(name: "Logging", package: "swift-log")] : []),
            path: "Sources/\(t.name)",
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    }
)
