// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "tributary",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tributary", targets: ["tributary"]),
        .executable(name: "tributary-sim", targets: ["tributary-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: - Storage
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),

        // MARK: - Core (no I/O of its own)
        .target(
            name: "JSON",
            swiftSettings: swiftSettings
        ),
        // CRC-32C with the processor's instruction (SSE 4.2, Arm CRC), chosen at run time.
        .target(name: "CCRC32C"),
        .target(
            name: "EventSourcing",
            dependencies: [
                "JSON",
                "CCRC32C",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EventSourcingLMDB",
            dependencies: [
                "CLMDB",
                "EventSourcing",
                "JSON",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Domain
        .target(
            name: "CRM",
            dependencies: ["EventSourcing", "JSON"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Salesforce",
            dependencies: ["JSON", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "SalesforceAPI",
            dependencies: [
                "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "AWS",
            dependencies: [
                "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Application
        .target(
            name: "Ingestion",
            dependencies: ["CRM", "EventSourcing", "JSON", "Salesforce"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Backfill",
            dependencies: [
                "CRM", "EventSourcing", "Ingestion", "JSON", "Salesforce", "SalesforceAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Publishing",
            dependencies: [
                "AWS", "CRM", "EventSourcing", "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Edges
        .target(
            name: "HTTPAPI",
            dependencies: [
                "AWS",
                "Backfill",
                "Publishing",
                "CRM",
                "EventSourcing",
                "EventSourcingLMDB",
                "Ingestion",
                "JSON",
                "Salesforce",
                "SalesforceAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tributary",
            dependencies: [
                "AWS",
                "CRM",
                "Publishing",
                "SalesforceAPI",
                "EventSourcing",
                "EventSourcingLMDB",
                "HTTPAPI",
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            // jemalloc (Debian's libjemalloc-dev) takes malloc over from glibc for the whole server
            // process: about 8% less CPU per change, and a heap that stops growing once
            // --max-resident has taken hold where glibc's creeps on (README, "The memory allocator").
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),

        // MARK: - Simulations (black-box: HTTP only, no engine modules)
        .target(
            name: "Simulations",
            dependencies: [
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Simulations/Sources/Simulations",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tributary-sim",
            dependencies: [
                "Simulations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Simulations/Sources/tributary-sim",
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EventSourcingTests",
            dependencies: ["EventSourcing", "JSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EventSourcingLMDBTests",
            dependencies: ["EventSourcingLMDB", "EventSourcing", "JSON", "CLMDB"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["EventSourcingLMDB", "EventSourcing", "JSON", "Salesforce", "Simulations"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CRMTests", dependencies: ["CRM", "EventSourcing", "JSON"], swiftSettings: swiftSettings),
        .testTarget(name: "BackfillTests", dependencies: ["Backfill", "CRM", "EventSourcing", "JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IngestionTests",
            dependencies: [
                "Ingestion", "CRM", "EventSourcing", "JSON", "Salesforce",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs the pinned Python tools (Tools/requirements.txt) for the tests that check against them.
        .target(name: "PythonToolsSupport", path: "Tests/PythonToolsSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "AWSTests",
            dependencies: ["AWS", "JSON", "PythonToolsSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PublishingTests",
            dependencies: ["Publishing", "CRM", "EventSourcing", "JSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SalesforceTests", dependencies: ["Salesforce", "JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SalesforceAPITests",
            dependencies: ["SalesforceAPI", "Simulations", "JSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI",
                "AWS",
                "Backfill",
                "Publishing",
                "PythonToolsSupport",
                "SalesforceAPI",
                "Simulations",
                "EventSourcing",
                "EventSourcingLMDB",
                "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SimulationsTests",
            dependencies: [
                "Simulations",
                "HTTPAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Simulations/Tests/SimulationsTests",
            swiftSettings: swiftSettings
        ),
    ]
)
