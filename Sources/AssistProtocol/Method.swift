/// A request: a method whose call carries an id and gets exactly one response.
///
/// Each request is one struct in this module, holding its parameters, with `static let method`
/// and the `Response` it answers with; `MethodRegistry` lists them all.
public protocol RequestType: Codable, Sendable {
    associatedtype Response: Codable & Sendable
    static var method: String { get }
}

/// A notification: a method whose call carries no id and gets no response.
public protocol NotificationType: Codable, Sendable {
    static var method: String { get }
}

/// Which side of the connection sends a method.
public enum MethodDirection: String, Sendable, Codable {
    case clientToServer = "client→server"
    case serverToClient = "server→client"
}

/// An entry of the method registry.
public struct MethodDescriptor: Sendable, Hashable {
    public var method: String
    public var isRequest: Bool
    public var direction: MethodDirection
}

/// Every method of the protocol, in one list: the reference under `protocol/` must describe each.
public enum MethodRegistry {
    /// Requests the client sends to the daemon.
    public static let requests: [any RequestType.Type] = [
        InitializeRequest.self,
        ShutdownRequest.self,
        StatusRequest.self,
        IndexStatusRequest.self,
        IndexRefreshRequest.self,
        WorkspaceSymbolRequest.self,
        DocstringRequest.self,
        CodeActionRequest.self,
        CodeActionResolveRequest.self,
        ExecuteCommandRequest.self,
        ClassifyRequest.self,
        RefactorRequest.self,
        AskRequest.self,
    ]

    /// Notifications the client sends to the daemon.
    public static let notifications: [any NotificationType.Type] = [
        InitializedNotification.self,
        ExitNotification.self,
        CancelRequestNotification.self,
        DidOpenTextDocumentNotification.self,
        DidChangeTextDocumentNotification.self,
        DidCloseTextDocumentNotification.self,
        DidSaveTextDocumentNotification.self,
        DidChangeWatchedFilesNotification.self,
    ]

    /// Notifications the daemon sends to the client.
    public static let serverNotifications: [any NotificationType.Type] = [
        ProgressNotification.self,
    ]

    /// Requests the daemon sends to the client.
    public static let serverRequests: [any RequestType.Type] = [
        ApplyWorkspaceEditRequest.self,
        WorkDoneProgressCreateRequest.self,
        RegisterCapabilityRequest.self,
    ]

    /// All methods with their kind and direction.
    public static var all: [MethodDescriptor] {
        requests.map { MethodDescriptor(method: $0.method, isRequest: true, direction: .clientToServer) }
            + notifications.map { MethodDescriptor(method: $0.method, isRequest: false, direction: .clientToServer) }
            + serverNotifications.map {
                MethodDescriptor(method: $0.method, isRequest: false, direction: .serverToClient)
            }
            + serverRequests.map { MethodDescriptor(method: $0.method, isRequest: true, direction: .serverToClient) }
    }
}

/// The response of a request that answers `null`.
public struct VoidResponse: Codable, Sendable, Hashable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}
