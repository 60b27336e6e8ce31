import Foundation

/// The machine a `llama-server` build is for: the architecture and the CPU's model and features.
///
/// The build uses `-march=native`, so a cache copied to (or shared with) another CPU must rebuild.
public struct HostFingerprint: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The machine architecture, for example `x86_64`.
    public var architecture: String
    /// The CPU model name, for example `AMD EPYC 7B13`.
    public var cpuModel: String
    /// A hash of the CPU feature flags (they decide which instructions `-march=native` uses).
    public var featuresHash: String

    /// Creates a fingerprint.
    /// - Parameters:
    ///   - architecture: The machine architecture.
    ///   - cpuModel: The CPU model name.
    ///   - featuresHash: A hash of the CPU feature flags.
    public init(architecture: String, cpuModel: String, featuresHash: String) {
        self.architecture = architecture
        self.cpuModel = cpuModel
        self.featuresHash = featuresHash
    }

    /// The fingerprint of this machine, read from `uname` and `/proc/cpuinfo`.
    public static var current: HostFingerprint {
        var name = utsname()
        uname(&name)
        let architecture = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return parse(cpuinfo: cpuinfo, architecture: architecture)
    }

    /// Builds a fingerprint from the text of `/proc/cpuinfo`.
    /// - Parameters:
    ///   - cpuinfo: The text of `/proc/cpuinfo` (empty where there is none).
    ///   - architecture: The machine architecture.
    /// - Returns: The fingerprint; fields missing from the text are empty.
    public static func parse(cpuinfo: String, architecture: String) -> HostFingerprint {
        var model = ""
        var flags = ""
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if model.isEmpty, parts[0] == "model name" || parts[0] == "CPU part" { model = parts[1] }
            if flags.isEmpty, parts[0] == "flags" || parts[0] == "Features" { flags = parts[1] }
        }
        let sortedFlags = flags.split(separator: " ").sorted().joined(separator: " ")
        return HostFingerprint(architecture: architecture, cpuModel: model, featuresHash: fnv1a(sortedFlags))
    }

    /// 64-bit FNV-1a, hex: a stable short hash (Swift's `hashValue` changes between runs).
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// `x86_64, AMD EPYC 7B13, features 1a2b…`.
    public var description: String { "\(architecture), \(cpuModel.isEmpty ? "unknown CPU" : cpuModel), features \(featuresHash)" }
}
