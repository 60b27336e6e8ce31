import AssistJSONRPC
import AssistProtocol
import AssistRequests
import Foundation

/// Keeping the index fresh without being asked: a saved document, files the client watches, or a
/// new HEAD or staging area refresh the index in the background, one refresh at a time, changes
/// that arrive during one coalesced into the next. Requests never wait for it: they read the
/// database's last committed state.
extension Server {
    /// How long changes are gathered before a background refresh starts.
    static let refreshDelay: Duration = .milliseconds(150)
    /// How often the repository's HEAD and staging area are looked at.
    static let repositoryPollInterval: Duration = .seconds(2)

    /// Asks for a background refresh of the index (when this daemon has built it once).
    ///
    /// - Parameter reason: What changed, for the log.
    func scheduleRefresh(_ reason: String) {
        let start = state.withLock { state -> Bool in
            guard state.workspace?.hasIndex == true else { return false }
            if state.refreshRunning {
                state.refreshAgain = true
                return false
            }
            state.refreshRunning = true
            return true
        }
        guard start else { return }
        logger.debug("background index refresh: \(reason)")
        Task { [weak self] in
            while let self {
                try? await Task.sleep(for: Self.refreshDelay)
                guard let workspace = self.state.withLock({ $0.workspace }) else { break }
                do {
                    let summary = try await workspace.index(refresh: true)
                    self.logger.debug("background index refresh: \(summary.database.sync.filesWritten) files written")
                } catch {
                    self.logger.warning("background index refresh failed: \(error)")
                }
                let again = self.state.withLock { state -> Bool in
                    if state.refreshAgain {
                        state.refreshAgain = false
                        return true
                    }
                    state.refreshRunning = false
                    return false
                }
                if !again { break }
            }
        }
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
