import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

@Suite("assist/classify")
struct ClassifyMethodTests {
    static let files = [
        "Sources/Net/Channel.swift": """
            public struct Channel {
                public func write(_ bytes: [UInt8]) {
                    let count = bytes.count
                    print(count)
                }
            }
            """,
        "Sources/Net/Pipeline.swift": """
            public final class Pipeline {
                let channel = Channel()
                func send() { channel.write([1]) }
            }
            """,
        "Sources/Net/Handler.swift": "func handle(_ pipeline: Pipeline) { pipeline.send() }\n",
    ]

    @Test func classifiesWithTheIndexFacts() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let uri = JSONValue.string(URL(fileURLWithPath: fixture.path + "/Sources/Net/Channel.swift").absoluteString)

        let docstring = try #require(try await client.request("assist/classify", [
            "instruction": "write a doc comment for this method", "textDocument": ["uri": uri],
            "range": ["start": ["line": 1, "character": 0], "end": ["line": 4, "character": 5]],
        ])["result"])
        #expect(docstring["kind"] == "docstring")
        let features = docstring["features"]?.arrayValue ?? []
        #expect(features.first?["name"] == "rule")
        #expect(features.contains { $0["name"] == "selection.lines" && $0["value"] == "4" })
        #expect(features.contains { $0["name"] == "selection.undocumented" && $0["value"] == "1" })

        let spread = try #require(try await client.request("assist/classify", [
            "instruction": "How do Channel and Pipeline cooperate when sending?",
        ])["result"])
        #expect(spread["kind"] == "multi-file")
        #expect(spread["features"]?.arrayValue?.contains { $0["name"] == "symbols.definitionFiles" && $0["value"] == "2" } == true)

        let refactor = try #require(try await client.request("assist/classify", [
            "instruction": "inline the count variable", "textDocument": ["uri": uri],
            "range": ["start": ["line": 2, "character": 0], "end": ["line": 4, "character": 0]],
        ])["result"])
        #expect(refactor["kind"] == "refactor")
        if case .double(let confidence) = refactor["confidence"] { #expect(confidence > 0.5 && confidence <= 1) }

        let other = try #require(try await client.request("assist/classify", ["instruction": "what's the capital of Peru?"])["result"])
        #expect(other["kind"] == "other")
    }

    @Test func aRangeNeedsADocument() async throws {
        let fixture = try FixtureRepository.make(files: Self.files)
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let reply = try await client.request("assist/classify", [
            "instruction": "simplify", "range": ["start": ["line": 0, "character": 0], "end": ["line": 1, "character": 0]],
        ])
        #expect(reply.errorCode == ErrorCode.invalidParams.rawValue)
    }
}
