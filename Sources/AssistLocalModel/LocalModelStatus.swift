import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a cache holds and runs: the answer of `assist model status`.
public struct LocalModelStatus: Sendable, Equatable, Codable {
    /// The engine build.
    public struct Engine: Sendable, Equatable, Codable {
        /// Whether a build for this host is installed.
        public var installed: Bool
        /// The `llama-server` path, when installed.
        public var binary: String?
        /// The host the cached build is for, if any build is cached (it may be another host's).
        public var builtFor: HostFingerprint?
        /// This machine.
        public var host: HostFingerprint
        /// Whether `llama-server` runs with `--no-repack` here, because repacking crashed it.
        public var repackingDisabled: Bool
    }

    /// One model.
    public struct Model: Sendable, Equatable, Codable {
        /// The model's ``LocalModelSpec/id``.
        public var id: String
        /// Its human-readable name.
        public var name: String
        /// Its file in the cache.
        public var file: String
        /// Whether the file is there and its sha256 matches.
        public var installed: Bool
        /// The file's size, when present.
        public var bytes: Int64?
        /// The verified sha256, when installed.
        public var sha256: String?
        /// Why it is not installed, when it is not.
        public var problem: String?
    }

    /// One managed server found in the cache's `run/` records.
    public struct Server: Sendable, Equatable, Codable {
        /// The record the server's owner wrote.
        public var record: ManagedServerRecord
        /// Whether its process still runs.
        public var running: Bool
    }

    /// The cache's root directory.
    public var cache: String
    /// The engine.
    public var engine: Engine
    /// Every known model.
    public var models: [Model]
    /// The managed servers recorded in the cache (stale records, whose server and owner are both
    /// gone, are removed when read).
    public var servers: [Server]
    /// The shared model hosts running in the cache (``ModelHost``).
    public var hosts: [ModelHost.Status]

    /// Reads a cache's status; model files are checked against their sha256 (again only when changed).
    /// - Parameter cache: The cache.
    /// - Returns: The status.
    public static func read(_ cache: LocalModelCache) async -> LocalModelStatus {
        let installedEngine = LocalModelInstaller.installedEngine(in: cache)
        let anyEngine = AtomicFile.read(EngineRecord.self, from: cache.engineRecord)
        let engine = Engine(
            installed: installedEngine != nil, binary: installedEngine?.binary, builtFor: anyEngine?.host,
            host: HostFingerprint.current,
            repackingDisabled: FileManager.default.fileExists(atPath: cache.engineDirectory.appendingPathComponent("needs-no-repack").path))
        var models: [Model] = []
        for spec in LocalModelSpec.all {
            let path = cache.file(for: spec).path
            var model = Model(id: spec.id, name: spec.displayName, file: path, installed: false)
            do {
                _ = try await LocalModelStore.verifiedFile(for: spec, in: cache)
                model.installed = true
                model.sha256 = spec.sha256
                model.bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value
            } catch let error as LocalModelError {
                model.problem = error.message
            } catch {
                model.problem = "\(error)"
            }
            models.append(model)
        }
        var servers: [Server] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cache.runDirectory.path)) ?? []
        for name in names.sorted() where name.hasPrefix("server-") && name.hasSuffix(".json") {
            let url = cache.runDirectory.appendingPathComponent(name)
            guard let record = AtomicFile.read(ManagedServerRecord.self, from: url) else { continue }
            let running = ProcessProbe.isLive(record.processID, commandContains: "llama-server")
            if !running && !ProcessProbe.isLive(record.ownerProcessID) {
                // Both the server and its owner are gone (the owner was killed before it could
                // remove the record): the record is stale.
                try? FileManager.default.removeItem(at: url)
                continue
            }
            servers.append(Server(record: record, running: running))
        }
        return LocalModelStatus(cache: cache.root.path, engine: engine, models: models, servers: servers, hosts: ModelHost.running(in: cache))
    }

    /// The status as lines for a terminal.
    public var rendered: String {
        var lines = ["cache: \(cache)"]
        if engine.installed, let binary = engine.binary {
            lines.append("engine: llama-server \(binary) (built for this host: \(engine.host))")
            if engine.repackingDisabled {
                lines.append("engine: weight repacking crashed llama-server on this machine; it runs with --no-repack")
            }
        } else if let other = engine.builtFor {
            lines.append("engine: not installed for this host (the cached build is for \(other)); run `assist model install`")
        } else {
            lines.append("engine: not installed; run `assist model install`")
        }
        for model in models {
            if model.installed {
                lines.append("model \(model.id): \(model.name), \(model.bytes ?? 0) bytes, sha256 \(model.sha256 ?? "") verified, \(model.file)")
            } else {
                lines.append("model \(model.id): not installed (\(model.problem ?? "absent"))")
            }
        }
        if hosts.isEmpty {
            lines.append("host: none running (the first command that needs the local model starts one)")
        }
        for host in hosts {
            let record = host.record
            lines.append(
                "host: \(record.modelID) pid \(record.supervisorProcessID) (llama-server pid \(record.serverProcessID)), "
                    + "http://127.0.0.1:\(record.port), \(record.slots) slot\(record.slots == 1 ? "" : "s"), "
                    + "\(host.requests) request\(host.requests == 1 ? "" : "s") served, idle \(Int(host.idleSeconds)) s of \(record.keepAliveSeconds) s, "
                    + "started \(record.startedAt) by \(record.startedBy)")
        }
        let running = servers.filter(\.running)
        for server in running {
            lines.append("server: running, pid \(server.record.processID), http://127.0.0.1:\(server.record.port), owner pid \(server.record.ownerProcessID), \(server.record.model)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Asks the system about processes that are not this process's children.
public enum ProcessProbe {
    /// Whether a process exists, is not a zombie, and (where `/proc` exists) its command line
    /// contains a string.
    /// - Parameters:
    ///   - pid: The process id.
    ///   - commandContains: A string its command line must contain, or empty for any.
    /// - Returns: Whether such a live process exists.
    public static func isLive(_ pid: Int32, commandContains: String = "") -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            if state == "Z" || state == "X" { return false }
        }
        if !commandContains.isEmpty {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(commandContains)
        }
        #endif
        return true
    }
}
