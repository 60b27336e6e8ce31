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
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // libgit2 from the system (Debian: libgit2-dev). Only AssistGit imports it.
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .target(name: "AssistGit", dependencies: ["CLibGit2"]),

        // The one way files of a working tree (or of assist's own folders) are read and written:
        // no link followed, nothing in .git/ but .git/assist/, bounded reads, atomic writes.
        .target(name: "AssistFiles"),

        // The repository index: file set, content-addressed analysis results, persistence, and the
        // index database (SQLite with FTS5 through GRDB, Debian's libsqlite3). Only AssistIndex imports GRDB.
        .target(
            name: "AssistIndex",
            dependencies: ["AssistGit", "AssistCore", "AssistSwift", "AssistFiles", .product(name: "GRDB", package: "GRDB.swift")]
        ),

        // Docstrings end to end: choose declarations, prompt, parse, render, validate, diff.
        .target(name: "AssistDocstrings", dependencies: ["AssistCore", "AssistSwift", "AssistFiles"]),

        // Pure values and algorithms: configuration, documents. No IO.
        .target(name: "AssistCore"),

        // Swift source analysis with swift-syntax: declarations, references, positions. Pure, no IO.
        .target(
            name: "AssistSwift",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftParser", package: "swift-syntax"),
            ]
        ),

        // Wire types: JSON values, one struct per method, error codes, the registry.
        .target(name: "AssistProtocol"),

        // LSP base-protocol framing and JSON-RPC 2.0 envelopes (pure), plus the fd connection.
        .target(name: "AssistJSONRPC", dependencies: ["AssistProtocol"]),

        // Model providers over HTTP, reliability and usage accounting. The only module that opens
        // sockets; the chat interface it implements is AssistCore's.
        .target(
            name: "AssistBackends",
            dependencies: [
                "AssistCore", "AssistFiles",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The application: one entry point per request kind (document, refactor, ask, classify,
        // index, symbols) over plain values; the local model handle, routing, the cascade, the
        // egress ledger, configuration files. No wire types, no argv.
        .target(
            name: "AssistRequests",
            dependencies: [
                "AssistCore", "AssistGit", "AssistIndex", "AssistSwift", "AssistDocstrings", "AssistBackends",
                "AssistLocalModel", "AssistFiles",
            ]
        ),

        // Request results as wire values, and the small wire <-> value conversions: the one place
        // the daemon's answers and the CLI's --json share.
        .target(
            name: "AssistWire",
            dependencies: ["AssistProtocol", "AssistRequests", "AssistCore", "AssistIndex", "AssistDocstrings", "AssistSwift"]
        ),

        // The LSP surface: message loop, lifecycle, ordering, cancellation, documents, capabilities;
        // converts wire values and calls AssistRequests.
        .target(
            name: "AssistServer",
            dependencies: [
                "AssistCore", "AssistProtocol", "AssistJSONRPC", "AssistGit", "AssistRequests", "AssistWire",
                "AssistDocstrings", "AssistSwift", "AssistBackends", "AssistLocalModel", "AssistFiles",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Starts a child that dies with this process (Linux: PR_SET_PDEATHSIG from a long-lived thread).
        .target(name: "CAssistSpawn"),

        // The managed local model: install llama-server and the models into a per-user cache,
        // and run llama-server as an owned child process.
        .target(name: "AssistLocalModel", dependencies: ["CAssistSpawn", "AssistFiles"]),

        // Subcommands as a library, so tests can run them in-process. Only `serve` uses AssistServer.
        .target(
            name: "AssistCLI",
            dependencies: [
                "AssistCore", "AssistRequests", "AssistWire", "AssistServer", "AssistGit", "AssistIndex", "AssistLocalModel",
                "AssistBackends", "AssistDocstrings", "AssistSwift", "AssistProtocol", "AssistJSONRPC", "AssistFiles",
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

        // Local model client benchmark (run with scripts/bench-backend): assist's client against curl.
        .executableTarget(
            name: "assist-backend-bench",
            dependencies: ["AssistBackends", "AssistCore", "AssistLocalModel", "AssistTestSupport"],
            path: "Benchmarks/assist-backend-bench"
        ),

        // Index benchmark (run with scripts/bench-index): generated repository, swift-syntax, bare clone.
        .executableTarget(
            name: "assist-index-bench",
            dependencies: ["AssistIndex", "AssistGit"],
            path: "Benchmarks/assist-index-bench"
        ),

        // Analyses every .swift file under a directory: AssistSwift's throughput (release build).
        .executableTarget(
            name: "assist-swift-perf",
            dependencies: ["AssistSwift", .product(name: "SwiftParser", package: "swift-syntax")],
            path: "Benchmarks/assist-swift-perf"
        ),

        // Routing and retrieval evaluation on swift-nio (run with scripts/eval-routing).
        .executableTarget(
            name: "assist-eval-routing",
            dependencies: ["AssistIndex", "AssistCore", "AssistSwift", "AssistRequests", "AssistDocstrings"],
            path: "Benchmarks/assist-eval-routing",
            exclude: ["sets", "RESULTS.md"]
        ),

        // Docstring evaluation on swift-nio, swift-log, swift-argument-parser, swift-system (run with
        // scripts/eval-docstrings): the built assist CLI against a naive whole-file prompt.
        .executableTarget(
            name: "assist-docstring-eval",
            dependencies: ["AssistSwift", "AssistLocalModel"],
            path: "Benchmarks/assist-docstring-eval",
            exclude: ["results-2026-11-22.jsonl", "RESULTS.md"]
        ),

        // The parameter fuzzer (run with scripts/fuzz params): random and boundary parameters for every
        // method, sent to a real `assist serve`.
        .executableTarget(
            name: "assist-fuzz-params",
            dependencies: ["AssistProtocol", "AssistTestSupport"],
            path: "Fuzz/params"
        ),

        // Test helpers as a normal library: a JSON-RPC test client, fixture repositories.
        .target(
            name: "AssistTestSupport",
            dependencies: [
                "AssistProtocol", "AssistJSONRPC", "AssistServer", "AssistCore", "AssistLocalModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "AssistGitTests", dependencies: ["AssistGit", "AssistTestSupport"]),
        .testTarget(name: "AssistFilesTests", dependencies: ["AssistFiles"]),
        .testTarget(name: "AssistIndexTests", dependencies: ["AssistIndex", "AssistGit", "AssistTestSupport"]),
        .testTarget(name: "AssistCoreTests", dependencies: ["AssistCore"]),
        .testTarget(name: "AssistSwiftTests", dependencies: ["AssistSwift"]),
        .testTarget(name: "AssistDocstringsTests", dependencies: ["AssistDocstrings", "AssistCore", "AssistSwift"]),
        .testTarget(
            name: "AssistBackendsTests",
            dependencies: [
                "AssistBackends", "AssistCore", "AssistTestSupport", "AssistLocalModel",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "AssistJSONRPCTests", dependencies: ["AssistJSONRPC", "AssistProtocol"]),
        .testTarget(
            name: "AssistServerTests",
            dependencies: ["AssistServer", "AssistTestSupport", "AssistProtocol", "AssistJSONRPC", "AssistCore", "AssistLocalModel"]
        ),
        .testTarget(
            name: "AssistRequestsTests",
            dependencies: ["AssistRequests", "AssistTestSupport", "AssistCore", "AssistBackends"]
        ),
        .testTarget(
            name: "AssistLocalModelTests",
            dependencies: ["AssistLocalModel", "AssistTestSupport"]
        ),
        .testTarget(
            name: "AssistEndToEndTests",
            dependencies: ["AssistTestSupport", "AssistProtocol", "AssistJSONRPC", "AssistCLI", "AssistBackends"]
        ),
    ]
)
