/// A position in a document: a 0-based line and a 0-based character offset in UTF-16 code units.
public struct Position: Codable, Sendable, Hashable {
    public var line: Int
    public var character: Int
    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }
}

/// A range between two positions, end exclusive.
public struct Range: Codable, Sendable, Hashable {
    public var start: Position
    public var end: Position
    public init(start: Position, end: Position) {
        self.start = start
        self.end = end
    }
}

/// A document's URI, as LSP names it.
public struct TextDocumentIdentifier: Codable, Sendable, Hashable {
    public var uri: String
    public init(uri: String) { self.uri = uri }
}

/// A document's URI and the version its content has.
public struct VersionedTextDocumentIdentifier: Codable, Sendable, Hashable {
    public var uri: String
    public var version: Int
    public init(uri: String, version: Int) {
        self.uri = uri
        self.version = version
    }
}

/// A document as the editor opened it.
public struct TextDocumentItem: Codable, Sendable, Hashable {
    public var uri: String
    public var languageId: String
    public var version: Int
    public var text: String
    public init(uri: String, languageId: String, version: Int, text: String) {
        self.uri = uri
        self.languageId = languageId
        self.version = version
        self.text = text
    }
}

/// `textDocument/didOpen`: the editor now owns this document's content.
public struct DidOpenTextDocumentNotification: NotificationType, Hashable {
    public static let method = "textDocument/didOpen"
    public var textDocument: TextDocumentItem
    public init(textDocument: TextDocumentItem) { self.textDocument = textDocument }
}

/// One change of `textDocument/didChange`: a range and its new text, or the whole text when
/// `range` is absent.
public struct TextDocumentContentChangeEvent: Codable, Sendable, Hashable {
    public var range: Range?
    /// Deprecated in LSP and ignored: `range` alone says what is replaced.
    public var rangeLength: Int?
    public var text: String
    public init(range: Range? = nil, rangeLength: Int? = nil, text: String) {
        self.range = range
        self.rangeLength = rangeLength
        self.text = text
    }
}

/// `textDocument/didChange`: edits to an open document, applied in order.
public struct DidChangeTextDocumentNotification: NotificationType, Hashable {
    public static let method = "textDocument/didChange"
    public var textDocument: VersionedTextDocumentIdentifier
    public var contentChanges: [TextDocumentContentChangeEvent]
    public init(textDocument: VersionedTextDocumentIdentifier, contentChanges: [TextDocumentContentChangeEvent]) {
        self.textDocument = textDocument
        self.contentChanges = contentChanges
    }
}

/// `textDocument/didClose`: the file on disk is the truth again.
public struct DidCloseTextDocumentNotification: NotificationType, Hashable {
    public static let method = "textDocument/didClose"
    public var textDocument: TextDocumentIdentifier
    public init(textDocument: TextDocumentIdentifier) { self.textDocument = textDocument }
}

/// `textDocument/didSave`: the editor wrote a document to disk; the daemon refreshes the index in
/// the background (the capability asks for no text: the file is read from disk).
public struct DidSaveTextDocumentNotification: NotificationType, Hashable {
    public static let method = "textDocument/didSave"
    public var textDocument: TextDocumentIdentifier
    /// The saved text, when the client sends it; ignored.
    public var text: String?
    public init(textDocument: TextDocumentIdentifier, text: String? = nil) {
        self.textDocument = textDocument
        self.text = text
    }
}

/// `workspace/didChangeWatchedFiles`: files the client watches for the daemon (Swift files,
/// `.git/HEAD`, `.git/index`) changed on disk; the daemon refreshes the index in the background.
public struct DidChangeWatchedFilesNotification: NotificationType, Hashable {
    public static let method = "workspace/didChangeWatchedFiles"
    public var changes: [FileEvent]
    public init(changes: [FileEvent]) { self.changes = changes }
}

/// One changed file: its URI and 1 (created), 2 (changed) or 3 (deleted).
public struct FileEvent: Codable, Sendable, Hashable {
    public var uri: String
    public var type: Int
    public init(uri: String, type: Int) {
        self.uri = uri
        self.type = type
    }
}

/// `client/registerCapability`, sent by the daemon after `initialized` to a client that announced
/// `workspace.didChangeWatchedFiles.dynamicRegistration`: watch Swift files and git's HEAD and index.
public struct RegisterCapabilityRequest: RequestType, Hashable {
    public static let method = "client/registerCapability"
    public typealias Response = VoidResponse
    public var registrations: [Registration]
    public init(registrations: [Registration]) { self.registrations = registrations }
}

/// One registration: an id, the method, and its options.
public struct Registration: Codable, Sendable, Hashable {
    public var id: String
    public var method: String
    public var registerOptions: JSONValue?
    public init(id: String, method: String, registerOptions: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.registerOptions = registerOptions
    }
}
