import AssistJSONRPC
import AssistProtocol
import AssistServer
import AssistTestSupport
import Foundation
import Testing

@Suite("protocol/ reference")
struct ProtocolReferenceTests {
    let reference = (try? String(contentsOf: packageRoot.appendingPathComponent("protocol/README.md"), encoding: .utf8)) ?? ""

    func openRPCMethods() throws -> [String: JSONValue] {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("protocol/openrpc.json"))
        let document = try JSONDecoder().decode(JSONValue.self, from: data)
        guard case .array(let methods)? = document["methods"] else { throw TestClientError("openrpc.json has no methods array") }
        var byName: [String: JSONValue] = [:]
        for method in methods { if let name = method["name"]?.stringValue { byName[name] = method } }
        return byName
    }

    /// Every method the server answers, plus every registry entry.
    func allMethods() throws -> Set<String> {
        let client = try TestClient.inProcess()
        let server = try #require(client.server)
        client.closeInput()
        return Set(server.registeredRequestMethods + server.registeredNotificationMethods + MethodRegistry.all.map(\.method))
    }

    @Test func everyRegisteredMethodIsInTheHumanReference() async throws {
        #expect(!reference.isEmpty, "protocol/README.md is missing")
        for method in try allMethods().sorted() {
            #expect(reference.contains("### `\(method)`"), "protocol/README.md has no section '### `\(method)`'")
        }
    }

    @Test func everyRegisteredMethodIsInOpenRPC() async throws {
        let documented = try openRPCMethods()
        let methods = try allMethods()
        for method in methods.sorted() {
            #expect(documented[method] != nil, "protocol/openrpc.json has no method '\(method)'")
        }
        for name in documented.keys.sorted() {
            #expect(methods.contains(name), "protocol/openrpc.json documents '\(name)', which the server does not have")
        }
    }

    @Test func theServerRegistersExactlyTheRegistry() async throws {
        let client = try TestClient.inProcess()
        let server = try #require(client.server)
        client.closeInput()
        #expect(Set(server.registeredRequestMethods) == Set(MethodRegistry.requests.map { $0.method }))
        #expect(Set(server.registeredNotificationMethods) == Set(MethodRegistry.notifications.map { $0.method }))
    }

    @Test func openRPCExamplesDecodeAsTheirSwiftTypes() async throws {
        let documented = try openRPCMethods()
        for type in MethodRegistry.requests + MethodRegistry.serverRequests {
            try checkExamples(of: documented[type.method], decodeAs: type)
        }
        for type in MethodRegistry.notifications + MethodRegistry.serverNotifications {
            try checkExamples(of: documented[type.method], decodeAs: type)
        }
    }

    private func checkExamples<T: Decodable>(of method: JSONValue?, decodeAs type: T.Type) throws {
        guard case .array(let examples)? = method?["examples"] else { return }
        for example in examples {
            var params: [String: JSONValue] = [:]
            if case .array(let pairs)? = example["params"] {
                for pair in pairs { if let name = pair["name"]?.stringValue { params[name] = pair["value"] } }
            }
            let data = try JSONEncoder().encode(JSONValue.object(params))
            #expect(throws: Never.self, "example of \(T.self) does not decode") { _ = try JSONDecoder().decode(T.self, from: data) }
        }
    }
}

@Suite("protocol/examples transcripts, replayed against the real daemon")
struct TranscriptTests {
    static let files: [String] = {
        let directory = packageRoot.appendingPathComponent("protocol/examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    @Test func thereAreTranscripts() {
        #expect(Self.files.count >= 5, "protocol/examples should hold the transcripts")
    }

    @Test(arguments: files)
    func replay(_ file: String) async throws {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("protocol/examples/\(file)"))
        let transcript = try JSONDecoder().decode(Transcript.self, from: data)
        let fixture = try FixtureRepository.make(files: ["Sources/App/main.swift": "print(\"hi\")\n"])
        defer { fixture.remove() }
        let client = try TestClient.subprocess(workingDirectory: fixture.path)
        let failures = await transcript.replay(on: client, root: fixture.path)
        #expect(failures.isEmpty, "\(file): \(transcript.description)\n\(failures.joined(separator: "\n"))\nstderr:\n\(client.standardError)")
        #expect(client.outputErrors.isEmpty, "stdout carried something other than frames: \(client.outputErrors)")
        if await client.waitForExit(timeout: 0) == nil {
            client.closeInput()
            _ = await client.waitForExit(timeout: 10)
        }
    }
}
