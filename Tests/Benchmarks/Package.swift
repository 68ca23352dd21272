// swift-tools-version: 6.1
// Benchmarks for issue 8: latency to unlock, decision cost vs history, start to READY=1, idle
// cost, memory, Wiegand decoding, audit verification. A separate package so the root build
// and tests never carry it; it calls the real code through the root's library products.
// Run everything with `bash Tests/Benchmarks/run.sh` (docs/performance.md).
import PackageDescription

let package = Package(
    name: "dosecab-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "dosecab", path: "../.."),
        // Prescriber keys for the benchmark's own signed prescriptions (same package as the root).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Counts malloc-family calls (interposed over glibc's) for allocations per frame.
        .target(name: "CAllocCounter", path: "Sources/CAllocCounter"),
        .executableTarget(
            name: "dosecab-bench",
            dependencies: [
                "CAllocCounter",
                .product(name: "DoseCabCore", package: "dosecab"),
                .product(name: "DoseCabHardware", package: "dosecab"),
                .product(name: "DoseCabStore", package: "dosecab"),
                .product(name: "DoseCabControl", package: "dosecab"),
                .product(name: "DoseCabSystemd", package: "dosecab"),
                .product(name: "DoseCabDaemon", package: "dosecab"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/dosecab-bench",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
