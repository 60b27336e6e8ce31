import AssistJSONRPC
import AssistProtocol
import AssistRequests
import AssistWire
import Foundation

/// Keeping the index fresh without being asked: a saved document, files the client watches, or a
/// new HEAD or staging area refresh the index in the background, one refresh at a time, changes
/// that arrive during one coalesced into the next. Requests never wait for it: they read the
/// database's last committed state.
extension Server {
    /// How long changes are gathered before a background refresh starts.
    static let refreshDelay: Duration = .milliseconds(10)
    /// How often the repository's HEAD and staging area are looked at.
    static let repositoryPollInterval: Duration = .seconds(2)

    /// Asks for a background refresh of the index (when this daemon has built it once).
    ///
    /// - Parameters:
    ///   - reason: What changed, for the log.
    ///   - paths: The files that changed, from the repository root, when that is all that did (a
    ///     save, watched files): only they are looked at. `nil` for a whole refresh.
    func scheduleRefresh(_ reason: String, paths: Set<String>? = nil) {
        let start = state.withLock { state -> Bool in
            guard state.workspace?.hasIndex == true else { return false }
            state.pendingRefresh = PendingRefresh.merge(state.pendingRefresh, paths.map(PendingRefresh.paths) ?? .whole)
            if state.refreshRunning { return false }
            state.refreshRunning = true
            return true
        }
        guard start else { return }
        logger.debug("background index refresh: \(reason)")
        Task { [weak self] in
            while let self {
                try? await Task.sleep(for: Self.refreshDelay)
                guard let workspace = self.state.withLock({ $0.workspace }) else { break }
                let pending = self.state.withLock { state in
                    defer { state.pendingRefresh = nil }
                    return state.pendingRefresh
                }
                do {
                    let written = if case .paths(let paths) = pending {
                        try await workspace.refreshIndex(paths: paths.sorted()).database.sync.filesWritten
                    } else {
                        try await workspace.index(refresh: true).database.sync.filesWritten
                    }
                    self.logger.debug("background index refresh: \(written) files written")
                } catch {
                    self.logger.warning("background index refresh failed: \(error)")
                }
                let again = self.state.withLock { state -> Bool in
                    if state.pendingRefresh != nil { return true }
                    state.refreshRunning = false
                    return false
                }
                if !again { break }
            }
        }
    }

    /// The paths a saved or watched file's URI names under the workspace's root, or `nil` when
    /// one lies elsewhere (then the whole index is refreshed).
    func changedPaths(_ uris: [String]) -> Set<String>? {
        guard let root = state.withLock({ $0.workspace?.root }) else { return nil }
        var paths = Set<String>()
        for uri in uris {
            guard let path = WireValues.filePath(fromURI: uri), let relative = WireValues.relativePath(path, root: root),
                  relative.hasSuffix(".swift"), !relative.split(separator: "/").contains(".git")
            else { return nil }
            paths.insert(relative)
        }
        return paths
    }

    /// Watches HEAD and the staging area (a commit, a checkout, a pull, `git add`) and refreshes the
    /// index in the background when they move, whether or not the client watches files.
    func watchRepository() {
        let first = state.withLock { state -> Bool in
            defer { state.watchingRepository = true }
            return !state.watchingRepository
        }
        guard first else { return }
        Task { [weak self] in
            while let self {
                try? await Task.sleep(for: Self.repositoryPollInterval)
                if self.state.withLock({ $0.exitCode != nil || $0.shutdownRequested }) { return }
                guard let workspace = self.state.withLock({ $0.workspace }) else { continue }
                if await workspace.indexIsBehindRepository() { self.scheduleRefresh("HEAD or the staging area moved") }
            }
        }
    }

    /// After `initialized`: asks a client that can register capabilities to watch Swift files and
    /// git's HEAD and index for the daemon.
    func registerFileWatchers() {
        guard state.withLock({ $0.clientEdits.watchedFilesRegistration }) else { return }
        let registration = Registration(
            id: "assist-watched-files", method: DidChangeWatchedFilesNotification.method,
            registerOptions: ["watchers": [
                ["globPattern": "**/*.swift"], ["globPattern": "**/.git/HEAD"], ["globPattern": "**/.git/index"],
            ]])
        Task { [weak self] in
            guard let self else { return }
            do {
                _ = try await self.sendRequest(RegisterCapabilityRequest(registrations: [registration]))
            } catch {
                self.logger.info("the client did not register the file watchers: \(error)")
            }
        }
    }
}

/// A background refresh asked for: of the whole index, or of some paths only.
enum PendingRefresh: Sendable, Equatable {
    case whole
    case paths(Set<String>)

    /// Two requests as one: paths gathered, a whole refresh winning.
    static func merge(_ first: PendingRefresh?, _ second: PendingRefresh) -> PendingRefresh {
        switch (first, second) {
        case (.paths(let a)?, .paths(let b)): .paths(a.union(b))
        case (nil, _): second
        default: .whole
        }
    }
}
