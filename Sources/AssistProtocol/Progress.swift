/// A progress token: a number or a string chosen by the client (LSP `ProgressToken`).
public typealias ProgressToken = RequestID

/// `$/progress`: work-done progress for a request whose params carried a `workDoneToken`.
public struct ProgressNotification: NotificationType, Hashable {
    public static let method = "$/progress"
    public var token: ProgressToken
    public var value: WorkDoneProgress
    public init(token: ProgressToken, value: WorkDoneProgress) {
        self.token = token
        self.value = value
    }
}

/// One step of LSP work-done progress: `begin`, any number of `report`, then `end`.
public struct WorkDoneProgress: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case begin, report, end
    }
    public var kind: Kind
    /// The title, on `begin` only.
    public var title: String?
    public var message: String?
    /// 0 to 100, on `begin` and `report`.
    public var percentage: Int?
    public var cancellable: Bool?

    public init(kind: Kind, title: String? = nil, message: String? = nil, percentage: Int? = nil, cancellable: Bool? = nil) {
        self.kind = kind
        self.title = title
        self.message = message
        self.percentage = percentage
        self.cancellable = cancellable
    }
}

/// `window/workDoneProgress/create`, sent by the daemon: asks a client that announced
/// `window.workDoneProgress` to show progress under a token the daemon chose, for work the client
/// did not pass a `workDoneToken` for (`codeAction/resolve`).
public struct WorkDoneProgressCreateRequest: RequestType, Hashable {
    public static let method = "window/workDoneProgress/create"
    public typealias Response = VoidResponse

    public var token: ProgressToken

    public init(token: ProgressToken) { self.token = token }
}
