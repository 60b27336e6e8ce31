import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelHost {
    /// Why a supervisor ended.
    public enum Ending: String, Sendable {
        case idle = "no request for the keep-alive time"
        case signalled = "it was told to stop"
        case replaced = "its record now names another host"
    }

    /// Runs the host in this process (`assist model host`): starts the server with this user's
    /// key and ``slots`` slots, writes the record, restarts the server if it dies, and ends once no
    /// request came for ``keepAliveSeconds``, when `stop` yields, or when the record names another host.
    ///
    /// - Parameters:
    ///   - startedBy: What started the host, for the record.
    ///   - stop: Yields when the process is told to stop (SIGTERM, SIGINT, SIGHUP).
    ///   - log: Where progress lines go (the supervisor's log).
    /// - Returns: Why it ended.
    /// - Throws: ``LocalModelError`` when the server cannot be started.
    public func supervise(startedBy: String, stop: AsyncStream<Int32>, log: @escaping @Sendable (String) -> Void) async throws -> Ending {
        try Self.ownedDirectory(cache.runDirectory)
        let expected = try expectedModel()
        var configuration = try await ManagedLlamaServer.Configuration.installed(in: cache, model: model)
        configuration.runDirectory = nil
        configuration.slots = slots
        configuration.apiKeyFile = keyFile
        let server = ManagedLlamaServer(configuration: configuration)
        let me = getpid()
        let started = Date()
        func record(_ endpoint: ManagedLlamaServer.Endpoint) -> Record {
            Record(
                supervisorProcessID: me, serverProcessID: endpoint.processID, port: endpoint.port, modelID: model.id,
                modelFile: expected.file, modelSHA256: model.sha256, modelBytes: expected.bytes, modelModified: expected.modified,
                engineBinary: expected.engine.binary, engineBuiltAt: expected.engine.builtAt, slots: slots,
                contextWindow: endpoint.contextWindow, keepAliveSeconds: keepAliveSeconds, userID: geteuid(),
                startedBy: startedBy, startedAt: started.formatted(.iso8601),
                serverLog: cache.logsDirectory.appendingPathComponent("llama-server-\(endpoint.port).log").path)
        }
        let endpoint = try await server.endpoint()
        try write(record(endpoint))
        // The idle clock starts when the host is ready, not when its start began.
        noteActivity()
        let key = try HostKey.loadOrCreate(keyFile)
        log("serving \(model.id) on 127.0.0.1:\(endpoint.port) (server pid \(endpoint.processID), \(slots) slot\(slots == 1 ? "" : "s"), stops after \(keepAliveSeconds) s idle)")

        let host = self
        let ending = await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                for await _ in stop { return .signalled }
                return .signalled
            }
            group.addTask {
                var known = endpoint.processID
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    guard (try? host.readRecord())?.supervisorProcessID == me else { return .replaced }
                    let idle = host.activity()?.idleSeconds ?? Date().timeIntervalSince(started)
                    if idle >= Double(host.keepAliveSeconds) {
                        // An answer longer than the keep-alive is still work: a busy slot restarts the clock.
                        if let port = try? host.readRecord()?.port, Self.isBusy(port: port, key: key) {
                            host.noteActivity()
                        } else if host.removeRecordIfIdle(supervisor: me) {
                            return .idle
                        }
                    }
                    if await server.processID == nil {
                        log("llama-server (pid \(known)) died; starting it again")
                        do {
                            let restarted = try await server.endpoint()
                            known = restarted.processID
                            try host.write(record(restarted))
                        } catch {
                            log("llama-server could not be started again: \(error)")
                            return .replaced
                        }
                    }
                }
                return .signalled
            }
            let first = await group.next() ?? .signalled
            group.cancelAll()
            return first
        }
        removeRecord(ifOwnedBy: me)
        await server.stop()
        log("stopped: \(ending.rawValue)")
        return ending
    }

    /// Whether any slot of the server is working on a request (`/slots`, `is_processing`); a server
    /// that cannot be asked counts as busy, so a slow answer is never cut.
    static func isBusy(port: Int, key: String) -> Bool {
        guard let response = LoopbackHTTP.blockingGet(port: port, path: "/slots", bearer: key, timeoutSeconds: 2), response.status == 200,
            let slots = try? JSONSerialization.jsonObject(with: response.body) as? [[String: Any]]
        else { return true }
        return slots.contains { ($0["is_processing"] as? Bool) == true }
    }

    /// Under the lock, so that no process connects to a host that is about to go: removes the
    /// record when the host is still idle. Returns whether it did.
    func removeRecordIfIdle(supervisor: Int32) -> Bool {
        (try? FileLock.holding(lockFile) {
            guard (activity()?.idleSeconds ?? .infinity) >= Double(keepAliveSeconds) else { return false }
            removeRecord(ifOwnedBy: supervisor)
            return true
        }) ?? false
    }
}
