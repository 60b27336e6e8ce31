import AssistJSONRPC
import AssistProtocol
import AssistServer
import AssistTestSupport
import Foundation
import Testing

extension JSONValue {
    /// The error code of a response, if it is an error.
    var errorCode: Int? { self["error"]?["code"]?.integerValue }
    var errorMessage: String { self["error"]?["message"]?.stringValue ?? "" }
}

/// A started, initialized in-process server with the test methods.
func startedClient(root: String? = nil, options: JSONValue? = nil, maxMessageBytes: Int? = nil) async throws -> TestClient {
    let client = try TestClient.inProcess(maxMessageBytes: maxMessageBytes, configure: { TestMethods.register(on: $0) })
    let response = try await client.initialize(rootPath: root, options: options)
    #expect(response["error"] == nil)
    return client
}

@Suite("Lifecycle")
struct LifecycleTests {
    @Test func requestBeforeInitializeIsRefused() async throws {
        let client = try TestClient.inProcess()
        #expect(try await client.request("assist/status").errorCode == ErrorCode.serverNotInitialized.rawValue)
        // A notification before initialize is dropped, and the server keeps serving.
        client.notify("textDocument/didOpen", ["textDocument": ["uri": "file:///a", "languageId": "swift", "version": 1, "text": ""]])
        let initialized = try await client.initialize()
        #expect(initialized["result"]?["serverInfo"]?["name"] == "assist")
        #expect(initialized["result"]?["serverInfo"]?["version"] == .string(AssistVersion.current))
        #expect(initialized["result"]?["capabilities"]?["textDocumentSync"]?["change"] == 2)
        #expect(initialized["result"]?["capabilities"]?["experimental"]?["assist"]?["methods"] == ["assist/ask", "assist/classify", "assist/docstring", "assist/index/refresh", "assist/index/status", "assist/refactor", "assist/status"])
        #expect(initialized["result"]?["capabilities"]?["workspaceSymbolProvider"] == true)
        #expect(try await client.request("assist/status")["result"]?["openDocuments"] == 0)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func initializeTwiceIsRefused() async throws {
        let client = try await startedClient()
        #expect(try await client.request("initialize", ["capabilities": [:]]).errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func requestsAfterShutdownAreRefused() async throws {
        let client = try await startedClient()
        #expect(try await client.request("shutdown")["result"] == .null)
        let after = try await client.request("assist/status")
        #expect(after.errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(after.errorMessage.contains("shutting down"))
        client.notify("exit")
        #expect(await client.waitForExit() == 0)
    }

    @Test func exitWithoutShutdownExitsWithOne() async throws {
        let client = try await startedClient()
        client.notify("exit")
        #expect(await client.waitForExit() == 1)
    }

    @Test func endOfInputWithoutShutdownExitsWithOne() async throws {
        let client = try await startedClient()
        client.closeInput()
        #expect(await client.waitForExit() == 1)
    }

    @Test func bodyShorterThanAnnouncedThenEOF() async throws {
        let client = try await startedClient()
        client.sendRaw("Content-Length: 100\r\n\r\n{\"jsonrpc\":")
        client.closeInput()
        #expect(await client.waitForExit() == 1)
        #expect(client.outputErrors.isEmpty)
    }

    @Test func endOfInputAfterShutdownExitsWithZero() async throws {
        let client = try await startedClient()
        #expect(try await client.request("shutdown")["error"] == nil)
        client.closeInput()
        #expect(await client.waitForExit() == 0)
    }

    @Test func exitsWhenTheClientProcessIsGone() async throws {
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sleep")
        parent.arguments = ["0.3"]
        try parent.run()
        let terminated = Locked<Int32?>(nil)
        let client = try TestClient.inProcess(parentCheckInterval: .milliseconds(50), terminate: { code in terminated.withLock { $0 = code } })
        _ = try await client.request("initialize", ["processId": .integer(Int(parent.processIdentifier)), "capabilities": [:]])
        #expect(terminated.withLock { $0 } == nil)
        parent.waitUntilExit()
        for _ in 0..<1500 where terminated.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(terminated.withLock { $0 } == 1)
    }

    @Test func aLiveClientProcessKeepsTheServer() async throws {
        let terminated = Locked<Int32?>(nil)
        let client = try TestClient.inProcess(parentCheckInterval: .milliseconds(20), terminate: { code in terminated.withLock { $0 = code } })
        _ = try await client.request("initialize", ["processId": .integer(Int(ProcessInfo.processInfo.processIdentifier)), "capabilities": [:]])
        try await Task.sleep(for: .milliseconds(200))
        #expect(terminated.withLock { $0 } == nil)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func initializeWithBadParamsNamesTheField() async throws {
        let client = try TestClient.inProcess()
        let response = try await client.request("initialize", ["rootUri": 5])
        #expect(response.errorCode == ErrorCode.invalidParams.rawValue)
        #expect(response.errorMessage.contains("rootUri"))
        #expect(try await client.initialize()["error"] == nil)
    }
}

@Suite("Bad input keeps the daemon serving")
struct BadInputTests {
    /// Sends something bad, expects `expected` error codes (in order) with `id`, then proves the
    /// server still answers.
    func expectErrors(_ send: (TestClient) -> Void, codes: [ErrorCode], id: JSONValue = .null, maxMessageBytes: Int? = nil) async throws {
        let client = try await startedClient(maxMessageBytes: maxMessageBytes)
        send(client)
        for code in codes {
            let reply = try #require(await client.take(timeout: 10) { $0["error"] != nil }, "expected error \(code)")
            #expect(reply.errorCode == code.rawValue, "\(reply)")
            #expect(reply["id"] == id)
        }
        #expect(try await client.request("test/echo", ["value": "still here"])["result"] == "still here")
        #expect(client.outputErrors.isEmpty)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func missingContentLength() async throws {
        try await expectErrors({ $0.sendRaw("Content-Type: application/json\r\n\r\n{}") }, codes: [.parseError])
    }

    @Test func nonNumericContentLength() async throws {
        try await expectErrors({ $0.sendRaw("Content-Length: abc\r\n\r\n{}") }, codes: [.parseError])
    }

    @Test func negativeContentLength() async throws {
        try await expectErrors({ $0.sendRaw("Content-Length: -1\r\n\r\n{}") }, codes: [.parseError])
    }

    @Test func lengthAboveTheLimit() async throws {
        try await expectErrors({ client in
            client.sendRaw("Content-Length: 5000\r\n\r\n" + String(repeating: " ", count: 5000))
        }, codes: [.invalidRequest], maxMessageBytes: 2048)
    }

    @Test func limitFromInitializationOptions() async throws {
        let client = try await startedClient(options: ["server": ["maxMessageBytes": 1024]])
        client.sendBody(#"{"jsonrpc":"2.0","id":1,"method":"test/echo","params":{"value":""# + String(repeating: "x", count: 2000) + #""}}"#)
        let reply = try #require(await client.take { $0["error"] != nil })
        #expect(reply.errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(reply.errorMessage.contains("1024"))
        #expect(try await client.request("test/echo", ["value": "ok"])["result"] == "ok")
    }

    @Test func invalidUTF8() async throws {
        try await expectErrors({ $0.sendRaw(encodeFrame([0x7B, 0xFF, 0x7D])) }, codes: [.parseError])
    }

    @Test func invalidJSON() async throws {
        try await expectErrors({ $0.sendBody(#"{"jsonrpc":"2.0","id":1,"method":"#) }, codes: [.parseError])
    }

    @Test func validJSONThatIsNotARequest() async throws {
        try await expectErrors({ $0.sendBody(#"{"hello":"world"}"#) }, codes: [.invalidRequest])
        try await expectErrors({ $0.sendBody("42") }, codes: [.invalidRequest])
        try await expectErrors({ $0.sendBody(#"{"jsonrpc":"2.0","id":9,"method":"m","params":3}"#) }, codes: [.invalidRequest], id: 9)
    }

    @Test func unknownMethod() async throws {
        try await expectErrors({ $0.sendBody(#"{"jsonrpc":"2.0","id":"u","method":"no/such"}"#) }, codes: [.methodNotFound], id: "u")
    }

    @Test func unknownNotificationIsIgnored() async throws {
        let client = try await startedClient()
        client.notify("no/such/notification", ["x": 1])
        client.notify("$/setTrace", ["value": "off"])
        #expect(try await client.request("test/echo", ["value": "a"])["result"] == "a")
        #expect(client.pending.isEmpty)
    }

    @Test func wrongParamsTypeNamesTheField() async throws {
        let client = try await startedClient()
        let wrongType = try await client.request("test/echo", ["value": 5])
        #expect(wrongType.errorCode == ErrorCode.invalidParams.rawValue)
        #expect(wrongType.errorMessage.contains("value: expected a string"), "\(wrongType)")
        let missing = try await client.request("test/echo", ["count": 1])
        #expect(missing.errorCode == ErrorCode.invalidParams.rawValue)
        #expect(missing.errorMessage.contains("value: required field is missing"), "\(missing)")
        let notAnObject = try await client.request("test/echo", [1, 2])
        #expect(notAnObject.errorCode == ErrorCode.invalidParams.rawValue)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func emptyBatch() async throws {
        try await expectErrors({ $0.sendBody("[]") }, codes: [.invalidRequest])
    }

    @Test func batchMixingGoodAndBadEntries() async throws {
        let client = try await startedClient()
        client.sendBody("""
            [{"jsonrpc":"2.0","id":1,"method":"test/echo","params":{"value":"one"}},
             {"jsonrpc":"2.0","id":2,"method":"no/such"},
             {"jsonrpc":"2.0","method":"initialized"},
             17,
             {"jsonrpc":"2.0","id":3,"method":"test/echo","params":{"value":3}}]
            """)
        let batch = try #require(await client.nextMessage())
        guard case .array(let replies) = batch else {
            Issue.record("expected an array, got \(batch)")
            return
        }
        #expect(replies.count == 4)
        #expect(replies[0]["id"] == 1 && replies[0]["result"] == "one")
        #expect(replies[1]["id"] == 2 && replies[1].errorCode == ErrorCode.methodNotFound.rawValue)
        #expect(replies[2]["id"] == .null && replies[2].errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(replies[3]["id"] == 3 && replies[3].errorCode == ErrorCode.invalidParams.rawValue)
    }

    @Test func batchOfNotificationsGetsNoReply() async throws {
        let client = try await startedClient()
        client.sendBody(#"[{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","method":"no/such"}]"#)
        #expect(try await client.request("test/echo", ["value": "x"])["result"] == "x")
        #expect(client.pending.isEmpty)
    }

    @Test func cancelForUnknownIDIsIgnored() async throws {
        let client = try await startedClient()
        client.notify("$/cancelRequest", ["id": 424242])
        client.notify("$/cancelRequest", ["id": "nope"])
        #expect(try await client.request("test/echo", ["value": "x"])["result"] == "x")
        #expect(client.pending.isEmpty)
    }

    @Test func duplicateIDsInFlight() async throws {
        let client = try await startedClient()
        client.sendBody(#"{"jsonrpc":"2.0","id":"dup","method":"test/wait","params":{"key":"d"}}"#)
        client.sendBody(#"{"jsonrpc":"2.0","id":"dup","method":"test/echo","params":{"value":"second"}}"#)
        let refused = try await client.response(to: .string("dup"))
        #expect(refused.errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(refused.errorMessage.contains("already in flight"))
        #expect(try await client.request("test/release", ["key": "d"])["result"] == 1)
        #expect(try await client.response(to: .string("dup"))["result"] == "released d")
    }

    @Test func tenMebibyteSingleLineString() async throws {
        let client = try await startedClient()
        let text = String(repeating: "a", count: 10 << 20)
        client.notify("textDocument/didOpen", ["textDocument": ["uri": "file:///big.swift", "languageId": "swift", "version": 1, "text": .string(text)]])
        let echoed = try await client.request("test/echo", ["value": .string(text)], timeout: 60)
        #expect(echoed["result"]?.stringValue?.count == text.count)
        let snapshot = try await client.request("test/documentText", ["uri": "file:///big.swift"], timeout: 60)
        #expect(snapshot["result"]?["text"]?.stringValue?.utf8.count == 10 << 20)
        #expect(client.outputErrors.isEmpty)
    }
}

@Suite("Concurrency, cancellation and progress")
struct ConcurrencyTests {
    @Test func requestsRunConcurrently() async throws {
        let client = try await startedClient()
        // The first request waits for a release that only a later request sends: sequential
        // handling would never answer it.
        let waiting = client.sendRequest("test/wait", ["key": "k1"])
        #expect(try await client.request("test/release", ["key": "k1"])["result"] == 1)
        #expect(try await client.response(to: waiting)["result"] == "released k1")
    }

    @Test func cancelRequestAnswersRequestCancelled() async throws {
        let client = try await startedClient()
        let waiting = client.sendRequest("test/wait", ["key": "never"])
        #expect(try await client.request("assist/status")["result"]?["counters"]?["inFlight"] == 2)
        client.notify("$/cancelRequest", ["id": waiting.jsonValue])
        let reply = try await client.response(to: waiting)
        #expect(reply.errorCode == ErrorCode.requestCancelled.rawValue)
        let counters = try #require(try await client.request("assist/status")["result"]?["counters"])
        #expect(counters["cancelled"] == 1)
        #expect(counters["inFlight"] == 1)
        #expect(try await client.shutdownAndExit() == 0)
    }

    @Test func progressWithAWorkDoneToken() async throws {
        let client = try await startedClient()
        let waiting = client.sendRequest("test/wait", ["key": "p", "workDoneToken": "tok-1"])
        let begin = try #require(await client.take { $0["method"] == "$/progress" })
        #expect(begin["params"]?["token"] == "tok-1")
        #expect(begin["params"]?["value"]?["kind"] == "begin")
        let report = try #require(await client.take { $0["method"] == "$/progress" })
        #expect(report["params"]?["value"]?["kind"] == "report")
        #expect(report["params"]?["value"]?["percentage"] == 50)
        _ = try await client.request("test/release", ["key": "p"])
        #expect(try await client.response(to: waiting)["result"] == "released p")
        let end = try #require(await client.take { $0["method"] == "$/progress" })
        #expect(end["params"]?["value"]?["kind"] == "end")
    }

    @Test func cancelledWorkEndsItsProgress() async throws {
        let client = try await startedClient()
        let waiting = client.sendRequest("test/wait", ["key": "never", "workDoneToken": 77])
        let begin = try #require(await client.take { $0["method"] == "$/progress" })
        #expect(begin["params"]?["value"]?["kind"] == "begin")
        client.notify("$/cancelRequest", ["id": waiting.jsonValue])
        #expect(try await client.response(to: waiting).errorCode == ErrorCode.requestCancelled.rawValue)
        let end = try #require(await client.take { $0["method"] == "$/progress" && $0["params"]?["value"]?["kind"] == "end" })
        #expect(end["params"]?["token"] == 77)
        #expect(end["params"]?["value"]?["message"] == "cancelled")
    }

    @Test func noProgressWithoutAToken() async throws {
        let client = try await startedClient()
        let waiting = client.sendRequest("test/wait", ["key": "q"])
        try await Task.sleep(for: .milliseconds(50))
        _ = try await client.request("test/release", ["key": "q"])
        _ = try await client.response(to: waiting)
        #expect(client.pending.allSatisfy { $0["method"] != "$/progress" })
    }

    @Test func textSyncIsAppliedInOrderBeforeLaterRequests() async throws {
        let client = try await startedClient()
        let uri: JSONValue = "file:///doc.swift"
        client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "swift", "version": 1, "text": "let a = 1\n"]])
        // 200 pipelined incremental edits, each appending a line, then a request on the document.
        for index in 0..<200 {
            client.notify("textDocument/didChange", [
                "textDocument": ["uri": uri, "version": .integer(index + 2)],
                "contentChanges": [["range": ["start": ["line": .integer(index + 1), "character": 0], "end": ["line": .integer(index + 1), "character": 0]], "text": .string("// \(index)\n")]],
            ])
        }
        let snapshot = try await client.request("test/documentText", ["uri": uri])
        let text = try #require(snapshot["result"]?["text"]?.stringValue)
        #expect(snapshot["result"]?["version"] == 201)
        #expect(text == "let a = 1\n" + (0..<200).map { "// \($0)\n" }.joined())
        // A full replacement, then close: the buffer is gone.
        client.notify("textDocument/didChange", ["textDocument": ["uri": uri, "version": 300], "contentChanges": [["text": "new"]]])
        #expect(try await client.request("test/documentText", ["uri": uri])["result"]?["text"] == "new")
        client.notify("textDocument/didClose", ["textDocument": ["uri": uri]])
        #expect(try await client.request("test/documentText", ["uri": uri])["result"]?["text"] == nil)
    }

    @Test func utf16PositionsInIncrementalChanges() async throws {
        let client = try await startedClient()
        let uri: JSONValue = "file:///emoji.swift"
        client.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "swift", "version": 1, "text": "let s = \"😀x\"\n"]])
        // "😀" is two UTF-16 code units: 'x' is at character 11.
        client.notify("textDocument/didChange", [
            "textDocument": ["uri": uri, "version": 2],
            "contentChanges": [["range": ["start": ["line": 0, "character": 11], "end": ["line": 0, "character": 12]], "text": "y"]],
        ])
        #expect(try await client.request("test/documentText", ["uri": uri])["result"]?["text"] == "let s = \"😀y\"\n")
    }

    @Test func statusCountsRequests() async throws {
        let client = try await startedClient()
        _ = try await client.request("test/echo", ["value": "1"])
        _ = try await client.request("no/such")
        client.sendRaw("Content-Length: x\r\n\r\n{}")
        _ = try #require(await client.take { $0["id"] == .null })
        let status = try #require(try await client.request("assist/status")["result"])
        #expect(status["counters"]?["served"] == 2)  // initialize and echo
        #expect(status["counters"]?["failed"] == 2)  // the unknown method and the bad frame
        #expect(status["counters"]?["inFlight"] == 1)
        #expect(status["version"] == .string(AssistVersion.current))
        #expect(status["pid"]?.integerValue == Int(ProcessInfo.processInfo.processIdentifier))
    }
}

@Suite("Repository")
struct ServerRepositoryTests {
    @Test func statusReportsTheRepositoryAndHead() async throws {
        let fixture = try FixtureRepository.make(files: ["README.md": "hello\n"])
        defer { fixture.remove() }
        let client = try await startedClient(root: fixture.path)
        let status = try #require(try await client.request("assist/status")["result"])
        #expect(status["repository"]?["path"] == .string(fixture.path))
        #expect(status["repository"]?["head"]?["oid"] == .string(try fixture.git("rev-parse", "HEAD")))
        #expect(status["repository"]?["head"]?["branch"] == "main")
        #expect(status["repository"]?["isBare"] == false)
        // HEAD is read fresh on each call.
        try fixture.write("b.txt", "b\n")
        let second = try fixture.commitAll("second")
        #expect(try await client.request("assist/status")["result"]?["repository"]?["head"]?["oid"] == .string(second))
    }

    @Test func statusOutsideARepositorySaysWhy() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("assist-norepo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = try await startedClient(root: directory)
        let status = try #require(try await client.request("assist/status")["result"])
        #expect(status["repository"] == nil)
        #expect(status["repositoryError"]?.stringValue?.contains("not a git repository") == true)
    }
}
