import AssistSwift
import Testing

/// One planted construct and the kind it must be found as.
struct PlantedRisk: Sendable, CustomTestStringConvertible {
    var code: String
    var kind: SwiftRisk.Kind
    var testDescription: String { "\(kind): \(code)" }
}

private let planted: [PlantedRisk] = [
    PlantedRisk(code: "let p = Process()", kind: .process),
    PlantedRisk(code: "_ = system(\"rm -rf /\")", kind: .process),
    PlantedRisk(code: "var pid: pid_t = 0\n_ = posix_spawn(&pid, \"/bin/sh\", nil, nil, nil, nil)", kind: .process),
    PlantedRisk(code: "let task = URLSession.shared.dataTask(with: url)", kind: .network),
    PlantedRisk(code: "let fd = socket(AF_INET, SOCK_STREAM, 0)", kind: .network),
    PlantedRisk(code: "try FileManager.default.removeItem(atPath: path)", kind: .fileDeletion),
    PlantedRisk(code: "unlink(path)", kind: .fileDeletion),
    PlantedRisk(code: "chmod(path, 0o777)", kind: .fileDeletion),
    PlantedRisk(code: "let raw = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)", kind: .unsafePointer),
    PlantedRisk(code: "let n = unsafeBitCast(x, to: Int.self)", kind: .unsafePointer),
    PlantedRisk(code: "let data = try! Data(contentsOf: url)", kind: .forceTry),
    PlantedRisk(code: "let value = optional!", kind: .forceUnwrap),
    PlantedRisk(code: "final class Box: @unchecked Sendable {}", kind: .uncheckedSendable),
    PlantedRisk(code: "configuration.certificateVerification = .none", kind: .certificateValidation),
    PlantedRisk(code: "completionHandler(.useCredential, URLCredential(trust: challenge.protectionSpace.serverTrust!))", kind: .certificateValidation),
]

@Suite("risky constructs in Swift code")
struct RiskScannerTests {
    @Test(arguments: planted)
    func findsEachPlantedConstruct(_ risk: PlantedRisk) {
        let source = "func f() throws {\n    \(risk.code.replacingOccurrences(of: "\n", with: "\n    "))\n}\n"
        let found = SwiftRiskScanner.findings(in: source)
        #expect(found.contains { $0.kind == risk.kind }, "\(found)")
        #expect(found.allSatisfy { $0.line >= 2 })
    }

    @Test func cleanCodeHasNoFinding() {
        let clean = """
            import Foundation

            /// A counter.
            public struct Counter: Sendable {
                public private(set) var count = 0
                public mutating func increment(by step: Int = 1) {
                    count += step
                    if let last = history.last { print(last) }
                }
                var history: [Int] = []
                func processed(_ items: [Int]) -> [Int] { items.map { $0 * 2 } }
                func removeAll() -> Self { var copy = self; copy.history.removeAll(); return copy }
                mutating func dropFirst() { _ = history.remove(at: 0) }
            }
            """
        #expect(SwiftRiskScanner.findings(in: clean).isEmpty, "\(SwiftRiskScanner.findings(in: clean))")
    }

    @Test func importsAreListed() {
        let imports = SwiftRiskScanner.imports(in: "import Foundation\n@testable import App\nimport struct Darwin.size_t\nlet importer = 1\n")
        #expect(imports.map(\.module) == ["Foundation", "App", "Darwin"])
        #expect(imports.map(\.line) == [1, 2, 3])
    }
}
