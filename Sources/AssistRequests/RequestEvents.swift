import Foundation

/// A request that could not be carried out for a reason other than its route: a file that cannot
/// be used, a model that is not installed, a selection that names nothing, an index that cannot
/// read the repository. (A routed request that no backend could take fails with
/// ``RoutedRequestError``, which carries the route's reasons.)
public struct RequestError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in words for the user.
    public var message: String
    public var description: String { message }

    /// Creates an error.
    /// - Parameter message: What went wrong.
    public init(_ message: String) {
        self.message = message
    }
}

/// What a request tells the surface that made it while it runs: the daemon turns these into
/// `$/progress` and partial results, the shell into a progress bar and streamed text. Each may be
/// called from any thread.
public struct RequestEvents: Sendable {
    /// The work began (its inputs were checked and its model found), with a title for it.
    public var began: (@Sendable (String) -> Void)?
    /// Declarations documented so far, of how many.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// A model is asked: its backend and model, and the call's number in the request.
    public var attempt: (@Sendable (String, Int) -> Void)?
    /// Answer text, as it streams.
    public var text: (@Sendable (String) -> Void)?

    /// Creates a set of callbacks; those left out are not called.
    /// - Parameters:
    ///   - began: The work began, with a title.
    ///   - progress: Items done, of how many.
    ///   - attempt: A model is asked.
    ///   - text: Answer text as it streams.
    public init(
        began: (@Sendable (String) -> Void)? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil,
        attempt: (@Sendable (String, Int) -> Void)? = nil, text: (@Sendable (String) -> Void)? = nil
    ) {
        self.began = began
        self.progress = progress
        self.attempt = attempt
        self.text = text
    }
}

/// Runs blocking work (the index, libgit2, file reads) on a global queue, so that it never holds a
/// thread of Swift's cooperative pool.
enum Blocking {
    /// Runs `work` on a global queue and waits for it without blocking the caller's thread.
    static func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(E) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
