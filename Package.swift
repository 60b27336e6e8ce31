// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "assist",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "assist", targets: ["assist"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // libgit2 from the system (Debian: libgit2-dev). Only AssistGit imports it.
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .target(name: "AssistGit", dependencies: ["CLibGit2"]),

        // Pure values and algorithms: configuration, documents. No IO.
        .target(name: "AssistCore"),

        // Wire types: JSON values, one struct per method, error codes, the registry.
        .target(name: "AssistProtocol"),

        // LSP base-protocol framing and JSON-RPC 2.0 envelopes (pure), plus the fd connection.
        .target(name: "AssistJSONRPC", dependencies: ["AssistProtocol"]),

        // Model providers over HTTP, reliability and usage accounting. The only module that opens
        // sockets; the chat interface it implements is AssistCore's.
        .target(
            name: "AssistBackends",
            dependencies: [
                "AssistCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The daemon: message loop, ordering, cancellation, state. Converts wire <-> core values.
        .target(
            name: "AssistServer",
            dependencies: [
                "AssistCore", "AssistProtocol", "AssistJSONRPC", "AssistGit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Subcommands as a library, so tests can run them in-process.
        .target(
            name: "AssistCLI",
            dependencies: [
                "AssistCore", "AssistServer", "AssistGit", "AssistBackends",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "assist", dependencies: ["AssistCLI"]),

        // Benchmarks (run with scripts/bench): not part of the test suite.
        .executableTarget(
            name: "assist-bench",
            dependencies: ["AssistProtocol", "AssistJSONRPC", "AssistTestSupport"],
            path: "Benchmarks/assist-bench"
        ),

        // Test helpers as a normal library: a JSON-RPC test client, fixture repositories.
        .target(
            name: "AssistTestSupport",
            dependencies: [
                "AssistProtocol", "AssistJSONRPC", "AssistServer", "AssistCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "AssistGitTests", dependencies: ["AssistGit", "AssistTestSupport"]),
        .testTarget(name: "AssistCoreTests", dependencies: ["AssistCore"]),
        .testTarget(
            name: "AssistBackendsTests",
            dependencies: [
                "AssistBackends", "AssistCore", "AssistTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "AssistJSONRPCTests", dependencies: ["AssistJSONRPC", "AssistProtocol"]),
        .testTarget(
            name: "AssistServerTests",
            dependencies: ["AssistServer", "AssistTestSupport", "AssistProtocol", "AssistJSONRPC", "AssistCore"]
        ),
        .testTarget(
            name: "AssistEndToEndTests",
            dependencies: ["AssistTestSupport", "AssistProtocol", "AssistJSONRPC", "AssistCLI", "AssistBackends"]
        ),
    ]
)
