/// `initialize`: the first request of a session. Its answer says what the daemon can do.
public struct InitializeRequest: RequestType, Hashable {
    public static let method = "initialize"
    public typealias Response = InitializeResult

    /// The client's process id, so the daemon can tell when its parent is gone.
    public var processId: Int?
    /// The client's name and version, for the log.
    public var clientInfo: ClientInfo?
    /// The workspace root as a `file://` URI (LSP `rootUri`).
    public var rootUri: String?
    /// The workspace root as a path (LSP's older `rootPath`), used when `rootUri` is absent.
    public var rootPath: String?
    /// The workspace folders; the first one is the repository the daemon serves.
    public var workspaceFolders: [WorkspaceFolder]?
    /// Configuration from the editor, with the highest precedence (see `assist config`).
    public var initializationOptions: JSONValue?
    /// The client's capabilities, as LSP describes them.
    public var capabilities: JSONValue?
    /// A token for progress while the daemon starts up.
    public var workDoneToken: ProgressToken?

    public init(
        processId: Int? = nil, clientInfo: ClientInfo? = nil, rootUri: String? = nil, rootPath: String? = nil,
        workspaceFolders: [WorkspaceFolder]? = nil, initializationOptions: JSONValue? = nil,
        capabilities: JSONValue? = nil, workDoneToken: ProgressToken? = nil
    ) {
        self.processId = processId
        self.clientInfo = clientInfo
        self.rootUri = rootUri
        self.rootPath = rootPath
        self.workspaceFolders = workspaceFolders
        self.initializationOptions = initializationOptions
        self.capabilities = capabilities
        self.workDoneToken = workDoneToken
    }
}

/// A client's or server's name and version.
public struct ClientInfo: Codable, Sendable, Hashable {
    public var name: String
    public var version: String?
    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}

/// A workspace folder: a URI and a display name.
public struct WorkspaceFolder: Codable, Sendable, Hashable {
    public var uri: String
    public var name: String
    public init(uri: String, name: String) {
        self.uri = uri
        self.name = name
    }
}

/// The answer to `initialize`.
public struct InitializeResult: Codable, Sendable, Hashable {
    public var capabilities: ServerCapabilities
    public var serverInfo: ClientInfo
    public init(capabilities: ServerCapabilities, serverInfo: ClientInfo) {
        self.capabilities = capabilities
        self.serverInfo = serverInfo
    }
}

/// What the daemon offers, in LSP's terms; features appear here only once they work.
public struct ServerCapabilities: Codable, Sendable, Hashable {
    public var textDocumentSync: TextDocumentSyncOptions
    public var codeActionProvider: CodeActionOptions?
    public var executeCommandProvider: ExecuteCommandOptions?
    public var workspaceSymbolProvider: Bool?
    /// The daemon's own methods (`assist/*`), for rich clients.
    public var experimental: AssistCapabilities

    public init(
        textDocumentSync: TextDocumentSyncOptions, codeActionProvider: CodeActionOptions? = nil,
        executeCommandProvider: ExecuteCommandOptions? = nil, workspaceSymbolProvider: Bool? = nil,
        experimental: AssistCapabilities
    ) {
        self.textDocumentSync = textDocumentSync
        self.codeActionProvider = codeActionProvider
        self.executeCommandProvider = executeCommandProvider
        self.workspaceSymbolProvider = workspaceSymbolProvider
        self.experimental = experimental
    }
}

/// LSP text synchronisation options. `change` is 1 (full) or 2 (incremental).
public struct TextDocumentSyncOptions: Codable, Sendable, Hashable {
    public var openClose: Bool
    public var change: Int
    /// `didSave` is wanted (without the text).
    public var save: SaveOptions?
    public init(openClose: Bool, change: Int, save: SaveOptions? = nil) {
        self.openClose = openClose
        self.change = change
        self.save = save
    }
}

/// LSP `SaveOptions`.
public struct SaveOptions: Codable, Sendable, Hashable {
    public var includeText: Bool
    public init(includeText: Bool) { self.includeText = includeText }
}

/// The commands `workspace/executeCommand` accepts.
public struct ExecuteCommandOptions: Codable, Sendable, Hashable {
    public var commands: [String]
    public init(commands: [String]) { self.commands = commands }
}

/// The `assist/*` methods the daemon answers, under `capabilities.experimental.assist`.
public struct AssistCapabilities: Codable, Sendable, Hashable {
    public struct Methods: Codable, Sendable, Hashable {
        public var methods: [String]
        public init(methods: [String]) { self.methods = methods }
    }
    public var assist: Methods
    public init(methods: [String]) { assist = Methods(methods: methods) }
}

/// `initialized`: the client has read the answer to `initialize`.
public struct InitializedNotification: NotificationType, Hashable {
    public static let method = "initialized"
    public init() {}
}

/// `shutdown`: stop taking work; `exit` follows.
public struct ShutdownRequest: RequestType, Hashable {
    public static let method = "shutdown"
    public typealias Response = VoidResponse
    public init() {}
}

/// `exit`: end the process, with code 0 after `shutdown` and 1 otherwise.
public struct ExitNotification: NotificationType, Hashable {
    public static let method = "exit"
    public init() {}
}

/// `$/cancelRequest`: cancel the request with this id; it answers -32800 (request cancelled).
public struct CancelRequestNotification: NotificationType, Hashable {
    public static let method = "$/cancelRequest"
    public var id: RequestID
    public init(id: RequestID) { self.id = id }
}
