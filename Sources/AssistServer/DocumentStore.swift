import AssistCore
import Synchronization

/// The documents the editor has open, with their unsaved content.
///
/// Text-sync notifications are applied by the message loop, in arrival order, before it reads the
/// next message; so a request always sees every change sent before it. The mutex guards the map.
public final class DocumentStore: Sendable {
    private let documents = Mutex<[String: TextDocument]>([:])

    public init() {}

    /// The open document with this URI, or `nil`.
    ///
    /// - Parameter uri: The document's URI.
    /// - Returns: A snapshot of the document.
    public func document(_ uri: String) -> TextDocument? {
        documents.withLock { $0[uri] }
    }

    /// How many documents are open.
    public var count: Int { documents.withLock { $0.count } }

    /// Opens (or reopens) a document.
    ///
    /// - Parameter document: The document as the editor sent it.
    func open(_ document: TextDocument) {
        documents.withLock { $0[document.uri] = document }
    }

    /// Applies edits to an open document.
    ///
    /// - Parameters:
    ///   - uri: The document's URI.
    ///   - changes: The edits, applied in order.
    ///   - version: The version after the edits.
    /// - Throws: `DocumentStoreError` when the document is not open or an edit is invalid; the
    ///   document is then left as it was.
    func change(_ uri: String, changes: [TextChange], version: Int) throws(DocumentStoreError) {
        try documents.withLock { (documents) throws(DocumentStoreError) in
            guard var document = documents[uri] else { throw .notOpen(uri) }
            do {
                try document.apply(changes, version: version)
            } catch {
                throw .invalidChange(uri, String(describing: error))
            }
            documents[uri] = document
        }
    }

    /// Closes a document.
    ///
    /// - Parameter uri: The document's URI.
    /// - Returns: Whether it was open.
    @discardableResult
    func close(_ uri: String) -> Bool {
        documents.withLock { $0.removeValue(forKey: uri) != nil }
    }
}

/// Why a text-sync notification could not be applied.
enum DocumentStoreError: Error, CustomStringConvertible {
    case notOpen(String)
    case invalidChange(String, String)

    var description: String {
        switch self {
        case .notOpen(let uri): "didChange for a document that is not open: \(uri)"
        case .invalidChange(let uri, let reason): "invalid change to \(uri): \(reason); the document is unchanged"
        }
    }
}
