import AssistJSONRPC
import AssistProtocol
import Foundation
import Logging
import Synchronization

/// What a request handler gets besides its parameters.
public struct RequestContext: Sendable {
    public let id: RequestID
    public let method: String
    /// The server, for documents, repository and configuration.
    public let server: Server
    public let logger: Logger
    /// Progress for this request: it sends `$/progress` only when the client passed a `workDoneToken`.
    public let progress: ProgressReporter
}

/// Sends LSP work-done progress (`begin`, `report`, `end`) for one request, or nothing when the
/// client gave no token.
public struct ProgressReporter: Sendable {
    let token: ProgressToken?
    let send: @Sendable (OutgoingMessage) -> Void
    /// 0: not begun, 1: begun, 2: ended; so the server can end what a failed handler left open.
    private let phase = Phase()

    final class Phase: Sendable {
        let value = Atomic<Int>(0)
    }

    init(token: ProgressToken?, send: @escaping @Sendable (OutgoingMessage) -> Void) {
        self.token = token
        self.send = send
    }

    /// Whether the client asked for progress.
    public var isActive: Bool { token != nil }

    public func begin(_ title: String, message: String? = nil, percentage: Int? = 0, cancellable: Bool = true) {
        guard phase.value.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged else { return }
        emit(WorkDoneProgress(kind: .begin, title: title, message: message, percentage: percentage, cancellable: cancellable))
    }

    public func report(_ message: String? = nil, percentage: Int? = nil) {
        guard phase.value.load(ordering: .relaxed) == 1 else { return }
        emit(WorkDoneProgress(kind: .report, message: message, percentage: percentage.map { min(100, max(0, $0)) }))
    }

    public func end(_ message: String? = nil) {
        guard phase.value.compareExchange(expected: 1, desired: 2, ordering: .relaxed).exchanged else { return }
        emit(WorkDoneProgress(kind: .end, message: message))
    }

    private func emit(_ value: WorkDoneProgress) {
        guard let token else { return }
        let notification = ProgressNotification(token: token, value: value)
        send(.notification(method: ProgressNotification.method, params: notification))
    }
}

/// Options the process gives the server.
public struct ServerOptions: Sendable {
    /// Where the daemon was started; the repository root when `initialize` names none.
    public var workingDirectory: String
    public var environment: [String: String]
    public var homeDirectory: String
    public var logger: Logger
    /// How often the client's process (`initialize`'s `processId`) is checked.
    public var parentCheckInterval: Duration
    /// Ends the process when the client is gone; tests replace it.
    public var terminate: @Sendable (Int32) -> Void

    public init(
        workingDirectory: String, environment: [String: String], homeDirectory: String, logger: Logger,
        parentCheckInterval: Duration = .seconds(2),
        terminate: @escaping @Sendable (Int32) -> Void = { code in exit(code) }
    ) {
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.logger = logger
        self.parentCheckInterval = parentCheckInterval
        self.terminate = terminate
    }
}

/// The daemon: reads frames, decodes JSON-RPC, runs requests concurrently, applies text sync in order.
///
/// Threading: `run()` owns the reading thread, which handles notifications and the lifecycle
/// requests inline, in arrival order; every other request runs in its own `Task`. All mutable state

extension Server {
    /// The `workDoneToken` a request's params carry, if any.
    static func workDoneToken(_ params: JSONValue?) -> ProgressToken? {
        switch params?["workDoneToken"] {
        case .integer(let value)?: .number(value)
        case .string(let value)?: .string(value)
        default: nil
        }
    }
}
