// swift-tools-version: 6.1
// dosecab: the daemon and technician CLI of a heroin-assisted-treatment dose cabinet.
// Module arrows point one way (docs/architecture.md): Core is pure; C lives only in
// CGpiod, CSystemd and CPOSIX.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "dosecab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dosecabd", targets: ["dosecabd"]),
        .executable(name: "dosecabctl", targets: ["dosecabctl"]),
        // Libraries so the fuzz and benchmark packages under Tests/ can call the real code.
        .library(name: "DoseCabCore", targets: ["DoseCabCore"]),
        .library(name: "DoseCabHardware", targets: ["DoseCabHardware"]),
        .library(name: "DoseCabSystemd", targets: ["DoseCabSystemd"]),
        .library(name: "DoseCabStore", targets: ["DoseCabStore"]),
        .library(name: "DoseCabControl", targets: ["DoseCabControl"]),
        .library(name: "DoseCabDaemon", targets: ["DoseCabDaemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // Pure: domain, policy, state machine, ledger, audit chain, signatures. No I/O, no C.
        .target(
            name: "DoseCabCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The Linux calls Swift's Glibc module leaves out (timerfd, pipe2); nothing to link.
        .systemLibrary(name: "CPOSIX"),
        // Syscall wrappers, the one thread type, the clocks and the daemon's executor: every
        // other module reaches the kernel's threads, clocks and descriptors through it.
        .target(
            name: "DoseCabPOSIX",
            dependencies: ["CPOSIX", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CGpiod", pkgConfig: "libgpiod", providers: [.apt(["libgpiod-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(
            name: "DoseCabHardware",
            dependencies: [
                "DoseCabCore", "DoseCabPOSIX", "CGpiod",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DoseCabSystemd",
            dependencies: [
                "DoseCabCore", "DoseCabPOSIX", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DoseCabStore",
            dependencies: [
                "DoseCabCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DoseCabControl",
            dependencies: [
                "DoseCabPOSIX",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DoseCabDaemon",
            dependencies: [
                "DoseCabCore", "DoseCabHardware", "DoseCabSystemd", "DoseCabStore", "DoseCabControl", "DoseCabPOSIX",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "dosecabd",
            dependencies: [
                "DoseCabDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "dosecabctl",
            dependencies: [
                "DoseCabControl", "DoseCabCore", "DoseCabSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabCoreTests",
            dependencies: ["DoseCabCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabHardwareTests",
            dependencies: ["DoseCabHardware", "DoseCabCore", "DoseCabPOSIX", .product(name: "PropertyBased", package: "swift-property-based"),
                           // The TOML guard's tests show each refused class really aborts the bare parser.
                           .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabSystemdTests",
            dependencies: ["DoseCabSystemd", "DoseCabCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabStoreTests",
            // The daemon for the register's text, CSV and JSON (RegisterText.swift): the store's
            // tests check what its values read as, where they are rendered.
            dependencies: ["DoseCabStore", "DoseCabCore", "DoseCabDaemon"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabPOSIXTests",
            dependencies: ["DoseCabPOSIX"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabControlTests",
            dependencies: ["DoseCabControl", "DoseCabPOSIX"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DoseCabDaemonTests",
            dependencies: ["DoseCabDaemon", "DoseCabCore", "DoseCabHardware", "DoseCabStore", "DoseCabControl", "DoseCabSystemd",
                           // A second connection holds the store's write lock, as an insider could.
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
    ]
)
