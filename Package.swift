// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "skiff",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "skiff", targets: ["skiff"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "SkiffModel", swiftSettings: strict),
        .target(
            name: "SkiffStorage",
            dependencies: ["CSQLite"],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffAPIServer",
            dependencies: [
                "SkiffModel", "SkiffStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffClient",
            dependencies: [
                "SkiffModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffControllers",
            dependencies: [
                "SkiffModel", "SkiffClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffScheduler",
            dependencies: ["SkiffModel", "SkiffClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffSim",
            dependencies: ["SkiffModel", "SkiffClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "CSkiffRuntime"),
        .target(
            name: "SkiffNodeAgent",
            dependencies: [
                "SkiffModel", "SkiffClient", "CSkiffRuntime", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffProxy",
            dependencies: [
                "SkiffModel", "SkiffClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SkiffInProcess",
            dependencies: ["SkiffAPIServer", "SkiffClient", .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "skiff",
            dependencies: [
                "SkiffAPIServer", "SkiffStorage", "SkiffModel", "SkiffClient", "SkiffControllers",
                "SkiffScheduler", "SkiffSim", "SkiffNodeAgent", "SkiffProxy", "SkiffInProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "SkiffModelTests", dependencies: ["SkiffModel"]),
        .testTarget(name: "SkiffStorageTests", dependencies: ["SkiffStorage"]),
        .testTarget(name: "SkiffAPIServerTests", dependencies: ["SkiffAPIServer", "SkiffStorage", "SkiffModel", "SkiffNodeAgent"]),
        .testTarget(name: "SkiffSchedulerTests", dependencies: ["SkiffScheduler", "SkiffSim", "SkiffClient", "SkiffModel"]),
        .testTarget(name: "SkiffClientTests", dependencies: ["SkiffClient", "SkiffAPIServer", "SkiffStorage", "SkiffModel"]),
        .testTarget(
            name: "SkiffNodeAgentTests",
            dependencies: [
                "SkiffNodeAgent", "SkiffClient", "SkiffModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(name: "SkiffProxyTests", dependencies: ["SkiffProxy", "SkiffClient", "SkiffModel"]),
        .testTarget(name: "SkiffControllersTests", dependencies: ["SkiffControllers", "SkiffClient", "SkiffAPIServer", "SkiffInProcess", "SkiffStorage", "SkiffModel"]),
    ]
)
