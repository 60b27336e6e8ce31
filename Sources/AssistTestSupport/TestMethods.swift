import AssistProtocol
import AssistServer
import Synchronization

/// Methods that exist only in tests, registered on an in-process server to exercise concurrency,
/// cancellation, progress and text sync. The real daemon never registers them.
public enum TestMethods {
    /// `test/wait`: reports progress and waits until released by `test/release` with the same
    /// `key`, or until cancelled.
    public struct Wait: RequestType {
        public static let method = "test/wait"
        public typealias Response = String
        public var key: String
        public var workDoneToken: ProgressToken?
    }

    /// `test/release`: releases every `test/wait` with this key.
    public struct Release: RequestType {
        public static let method = "test/release"
        public typealias Response = Int
        public var key: String
    }

    /// `test/documentText`: the text the server holds for an open document.
    public struct DocumentText: RequestType {
        public static let method = "test/documentText"
        public typealias Response = DocumentSnapshot
        public var uri: String
    }

    /// `test/echo`: answers its `value`; `count` must be an integer (for -32602 tests).
    public struct Echo: RequestType {
        public static let method = "test/echo"
        public typealias Response = String
        public var value: String
        public var count: Int?
    }

    public struct DocumentSnapshot: Codable, Sendable {
        public var text: String?
        public var version: Int?
    }

    /// Registers the test methods on a server.
    ///
    /// - Parameter server: An in-process server, before it runs.
    public static func register(on server: Server) {
        let released = Mutex<Set<String>>([])
        server.register(Wait.self) { request, context in
            context.progress.begin("waiting for \(request.key)")
            var ticks = 0
            while !released.withLock({ $0.contains(request.key) }) {
                try await Task.sleep(for: .milliseconds(2))
                ticks += 1
                if ticks == 5 { context.progress.report("still waiting", percentage: 50) }
            }
            context.progress.end("released")
            return "released \(request.key)"
        }
        server.register(Release.self) { request, _ in
            released.withLock { _ = $0.insert(request.key) }
            return 1
        }
        server.register(DocumentText.self) { request, context in
            let document = context.server.documents.document(request.uri)
            return DocumentSnapshot(text: document?.text, version: document?.version)
        }
        server.register(Echo.self) { request, _ in request.value }
    }
}
