import AssistCore
import AssistGit
import AssistIndex
import AssistTestSupport
import Foundation
import Testing

/// A small repository whose files share words, types and uses, so ranking has work to do.
func sampleFiles() -> [String: String] {
    var files: [String: String] = [
        "Sources/Core/Channel.swift": """
            /// A channel carries bytes between a handler and a socket.
            public protocol Channel {
                func write(_ buffer: ByteBuffer) async throws
                var pipeline: ChannelPipeline { get }
            }
            """,
        "Sources/Core/ChannelPipeline.swift": """
            /// The handlers of a channel, in order.
            public final class ChannelPipeline {
                var handlers: [ChannelHandler] = []
                public func write(_ buffer: ByteBuffer) { handlers.last?.write(buffer) }
                public func addHandler(_ handler: ChannelHandler) { handlers.append(handler) }
            }
            """,
        "Sources/Core/ChannelHandler.swift": """
            public protocol ChannelHandler {
                func write(_ buffer: ByteBuffer)
            }
            extension ChannelHandler {
                public func flush() {}
            }
            """,
        "Sources/Core/ByteBuffer.swift": """
            /// A growable buffer of bytes with reader and writer indices.
            public struct ByteBuffer {
                var storage: [UInt8] = []
                public var readerIndex = 0
                public var writerIndex = 0
                public mutating func writeBytes(_ bytes: [UInt8]) { storage += bytes; writerIndex += bytes.count }
                public mutating func readBytes(length: Int) -> [UInt8]? {
                    guard readerIndex + length <= writerIndex else { return nil }
                    defer { readerIndex += length }
                    return Array(storage[readerIndex..<(readerIndex + length)])
                }
            }
            """,
        "Sources/Posix/SocketChannel.swift": """
            final class SocketChannel: Channel {
                let pipeline = ChannelPipeline()
                var pending = PendingWrites()
                func write(_ buffer: ByteBuffer) async throws { pending.add(buffer); try flushNow() }
                func flushNow() throws { while let next = pending.next() { _ = next } }
            }
            """,
        "Sources/Posix/PendingWrites.swift": """
            /// Writes waiting for the socket to become writable.
            struct PendingWrites {
                var queue: [ByteBuffer] = []
                mutating func add(_ buffer: ByteBuffer) { queue.append(buffer) }
                mutating func next() -> ByteBuffer? { queue.isEmpty ? nil : queue.removeFirst() }
            }
            """,
        "Sources/HTTP/HTTPDecoder.swift": """
            /// Decodes HTTP/1.1 requests; decides keep-alive from the version and the Connection header.
            struct HTTPDecoder: ChannelHandler {
                var keepAlive = true
                func write(_ buffer: ByteBuffer) {}
                mutating func decode(_ buffer: inout ByteBuffer) { keepAlive = buffer.readerIndex == 0 }
            }
            """,
        "Tests/CoreTests/ByteBufferTests.swift": """
            import XCTest
            final class ByteBufferTests: XCTestCase {
                func testWriteThenRead() {
                    var buffer = ByteBuffer()
                    buffer.writeBytes([1, 2, 3])
                    XCTAssertEqual(buffer.readBytes(length: 2), [1, 2])
                }
            }
            """,
    ]
    for index in 0..<12 {
        files["Sources/Util/Helper\(index).swift"] = """
            /// Helper number \(index) for event loops and timers.
            struct Helper\(index) {
                func schedule(after delay: Int) -> Int { delay + \(index) }
                func cancelTimer() {}
            }
            """
    }
    return files
}

private let questions = [
    "How does a write travel from a ChannelHandler down to the socket?",
    "Where is the HTTP keep-alive decision made in HTTPDecoder?",
    "How does ByteBuffer track its reader and writer indices?",
    "What does PendingWrites do with queued buffers?",
    "How are timers scheduled and cancelled?",
    "Explain ChannelPipeline.addHandler",
    "How are ByteBuffer reads tested?",
]

/// Runs the sqlite3 shell on a database.
private func sqlite(_ path: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3", path, sql]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "sqlite3 failed on \(sql); is it installed? apt-get install -y sqlite3")
}

@Suite("Index database: SQLite tables, FTS5 retrieval, rebuilds", .serialized)
struct IndexDatabaseTests {
    func database(_ fixture: FixtureRepository) -> String { fixture.path + "/.git/assist/index.sqlite" }

    @Test("packing from the database equals packing every file in memory, overlays and exclusions included")
    func databasePackingEqualsTheInMemoryReference() throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        let index = try SwiftWorkspaceIndex(at: fixture.path)
        try index.refresh()
        #expect(FileManager.default.fileExists(atPath: database(fixture)))
        let gatherer = RequestContextGatherer(index: index)
        func compare(_ label: String, excluding: @escaping (String) -> Bool = { _ in false }) throws {
            for question in questions {
                for budget in [800, 8_000] {
                    let stored = try gatherer.pack(question: question, budget: budget, excluding: excluding)
                    let memory = try gatherer.packFromMemory(question: question, budget: budget, excluding: excluding)
                    #expect(stored.ranking.map(\.path) == memory.ranking.map(\.path), "\(label) \(question) \(budget)")
                    #expect(stored.ranking.map(\.score) == memory.ranking.map(\.score), "\(label) \(question) \(budget)")
                    #expect(stored.pieces == memory.pieces, "\(label) \(question) \(budget)")
                    #expect(!stored.pieces.isEmpty, "\(label) \(question) \(budget): nothing packed")
                }
                let names = QueryTerms.identifiers(in: question)
                let facts = try gatherer.classificationRequest(instruction: question, file: nil, selection: nil)
                let reference = try gatherer.classificationRequest(
                    instruction: question, file: nil, selection: nil, analyses: gatherer.analyses())
                #expect(facts.symbols == reference.symbols, "\(label) \(question) \(names)")
                #expect(facts.contextTokens == reference.contextTokens, "\(label) \(question)")
            }
        }
        try compare("plain")
        // An unsaved buffer wins over its file: both paths see the buffer.
        let buffer = "/// Writes waiting for the socket, flushed by the event loop's timer.\nstruct PendingWrites {}\n"
        index.setOverlay(path: "Sources/Posix/PendingWrites.swift", text: buffer)
        let withBuffer = RequestContextGatherer(index: index) { path in
            path == "Sources/Posix/PendingWrites.swift" ? buffer : try? String(contentsOfFile: fixture.path + "/" + path, encoding: .utf8)
        }
        let stored = try withBuffer.pack(question: "What does PendingWrites do with queued buffers?", budget: 8_000)
        #expect(stored.pieces.contains { $0.text.contains("flushed by the event loop") })
        index.setOverlay(path: "Sources/Posix/PendingWrites.swift", text: nil)
        try compare("excluding", excluding: { $0.hasPrefix("Sources/Core/") })
    }

    @Test("a one-file change writes one file's rows; a rename keeps its blob's rows; a new process reuses the file")
    func refreshesAreIncremental() throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        let first = try SwiftWorkspaceIndex(at: fixture.path).refresh()
        #expect(first.database.sync.filesWritten == 20, "\(first.database.sync)")
        #expect(first.database.bytes > 0)
        #expect(first.database.path == database(fixture))

        // A new process: nothing to write, the same answers.
        let warm = try SwiftWorkspaceIndex(at: fixture.path)
        let again = try warm.refresh()
        #expect(again.database.sync.filesWritten == 0 && again.database.sync.filesRemoved == 0, "\(again.database.sync)")
        #expect(again.declarations == first.declarations && again.publicAPI == first.publicAPI)
        #expect(try warm.symbols(matching: "ByteBuf").first?.name == "ByteBuffer")

        try fixture.write("Sources/Util/Helper3.swift", "struct Helper3 { func reschedule() {} }\n")
        let changed = try warm.refresh()
        #expect(changed.database.sync.filesWritten == 1 && changed.database.sync.blobsAdded == 1, "\(changed.database.sync)")
        #expect(changed.database.sync.blobsRemoved == 1)
        #expect(try warm.symbols(matching: "reschedule").map(\.path) == ["Sources/Util/Helper3.swift"])
        #expect(try warm.symbols(matching: "cancelTimer").count == 11)

        try fixture.move("Sources/Util/Helper4.swift", to: "Sources/Util/Renamed.swift")
        let renamed = try warm.refresh()
        #expect(renamed.database.sync.filesWritten == 1 && renamed.database.sync.filesRemoved == 1, "\(renamed.database.sync)")
        #expect(renamed.database.sync.blobsAdded == 0, "a renamed file keeps its blob's rows")
        let gatherer = RequestContextGatherer(index: warm)
        #expect(try gatherer.pack(question: "Helper number 4 timers", budget: 4_000).files.contains("Sources/Util/Renamed.swift"))

        // Two paths with one content, then each removed: the blob's rows go with the last one, and
        // the kept totals follow every step (verify recomputes them from the rows).
        try fixture.write("Sources/Util/CopyA.swift", "/// A.\npublic struct Copy { public func a() {} }\n")
        try fixture.write("Sources/Util/CopyB.swift", "/// A.\npublic struct Copy { public func a() {} }\n")
        let copies = try warm.refresh()
        #expect(copies.database.sync.filesWritten == 2 && copies.database.sync.blobsAdded == 1, "\(copies.database.sync)")
        #expect(copies.declarations == renamed.declarations + 4 && copies.publicAPI == renamed.publicAPI + 4)
        #expect(copies.publicAPIDocumented == renamed.publicAPIDocumented + 2)
        #expect(warm.verifyDatabase() == nil)
        try fixture.delete("Sources/Util/CopyA.swift")
        let one = try warm.refresh()
        #expect(one.database.sync.filesRemoved == 1 && one.database.sync.blobsRemoved == 0, "\(one.database.sync)")
        #expect(one.declarations == renamed.declarations + 2)
        #expect(warm.verifyDatabase() == nil)
        try fixture.delete("Sources/Util/CopyB.swift")
        let none = try warm.refresh()
        #expect(none.database.sync.blobsRemoved == 1, "\(none.database.sync)")
        #expect(none.declarations == renamed.declarations && none.publicAPI == renamed.publicAPI)
        #expect(warm.verifyDatabase() == nil)
        // A new process with nothing changed compares one digest, and finds the same totals.
        let later = try SwiftWorkspaceIndex(at: fixture.path).refresh()
        #expect(later.database.sync.filesWritten + later.database.sync.filesRemoved + later.database.sync.blobsAdded == 0)
        #expect(later.declarations == none.declarations && later.filesWithSyntaxErrors == none.filesWithSyntaxErrors)
    }

    @Test("refreshing named paths gives what a whole refresh gives, ignores hostile and ignored paths, and turns whole when the staging area moves")
    func pathRefreshMatchesWholeRefresh() throws {
        var files = sampleFiles()
        files[".gitignore"] = "Generated/\n"
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let warm = try SwiftWorkspaceIndex(at: fixture.path)
        let first = try warm.refresh()

        try fixture.write("Sources/Util/Helper3.swift", "/// Moves.\npublic struct Helper3 { public func reschedule() {} }\n")
        try fixture.write("Sources/Util/Brand New.swift", "struct BrandNew { func launch() {} }\n")
        try fixture.write("Generated/Ignored.swift", "struct Ignored { func hidden() {} }\n")
        try fixture.delete("Sources/Util/Helper5.swift")
        let named = [
            "Sources/Util/Helper3.swift", "Sources/Util/Brand New.swift", "Generated/Ignored.swift", "Sources/Util/Helper5.swift",
            "../outside.swift", "/etc/passwd", ".git/config", "Sources/../Sources/Util/Helper4.swift", "Sources/Util/Helper6.swift",
        ]
        let (_, changed) = try warm.index.refresh(paths: [])
        #expect(changed == [], "nothing named, nothing looked at")
        let partial = try warm.refresh(paths: named)
        #expect(partial.database.sync.filesWritten == 2 && partial.database.sync.filesRemoved == 1, "\(partial.database.sync)")
        #expect(warm.verifyDatabase() == nil)
        #expect(try warm.symbols(matching: "launch").map(\.path) == ["Sources/Util/Brand New.swift"])
        #expect(try warm.symbols(matching: "hidden").isEmpty, "an ignored file is not indexed")

        // Saved again with other text of the same size: written again.
        try fixture.write("Sources/Util/Helper3.swift", "/// Moves.\npublic struct Helper3 { public func rescheduls() {} }\n")
        let again = try warm.refresh(paths: ["Sources/Util/Helper3.swift"])
        #expect(again.database.sync.filesWritten == 1, "\(again.database.sync)")
        #expect(try warm.symbols(matching: "rescheduls").map(\.path) == ["Sources/Util/Helper3.swift"])
        try fixture.write("Sources/Util/Helper3.swift", "/// Moves.\npublic struct Helper3 { public func reschedule() {} }\n")
        #expect(try warm.refresh(paths: ["Sources/Util/Helper3.swift"]).database.sync.filesWritten == 1)

        // A new process's whole refresh sees the same files, counts and rows.
        let other = try SwiftWorkspaceIndex(at: fixture.path)
        let full = try other.refresh()
        #expect(full.database.sync.filesWritten + full.database.sync.filesRemoved == 0, "\(full.database.sync)")
        let listing = { (index: SwiftWorkspaceIndex) in index.index.files.map { "\($0.path) \($0.blob?.description ?? "-") \($0.skipReason.map { "\($0)" } ?? "")" } }
        #expect(listing(warm) == listing(other))
        #expect(partial.declarations == full.declarations && partial.publicAPI == full.publicAPI)
        #expect(partial.publicAPIDocumented == full.publicAPIDocumented && partial.figures.filesAnalyzed == full.figures.filesAnalyzed)
        #expect(partial.declarations == first.declarations - 1 + 2 - 3)

        // After `git add`, the staging area is not the one the last refresh read: a whole refresh.
        _ = try fixture.git("add", "-A")
        let (_, afterAdd) = try warm.index.refresh(paths: ["Sources/Util/Helper3.swift"])
        #expect(afterAdd == nil)
    }

    @Test("text that changed after the refresh is packed with declarations of that text, never the stored ranges")
    func staleTextIsReanalysed() throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        let index = try SwiftWorkspaceIndex(at: fixture.path)
        try index.refresh()
        // As after a `git pull` the daemon has not seen yet: ten lines pushed in above everything.
        let original = try String(contentsOfFile: fixture.path + "/Sources/Core/ByteBuffer.swift", encoding: .utf8)
        try fixture.write("Sources/Core/ByteBuffer.swift", String(repeating: "// moved down\n", count: 10) + original)
        let packed = try RequestContextGatherer(index: index).pack(question: "How does ByteBuffer readBytes check its reader index?", budget: 600)
        let pieces = packed.pieces.filter { $0.path == "Sources/Core/ByteBuffer.swift" && $0.form == .full }
        #expect(!pieces.isEmpty, "\(packed.pieces.map(\.path))")
        let lines = try String(contentsOfFile: fixture.path + "/Sources/Core/ByteBuffer.swift", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        for piece in pieces {
            // Every piece is exactly the current text at its lines.
            let expected = lines[(piece.lines.lowerBound - 1)..<min(lines.count, piece.lines.upperBound)].joined(separator: "\n")
            #expect(piece.text.hasPrefix(expected), "piece \(piece.lines) is not the text at those lines: \(piece.text)")
            // Declarations start below the ten lines pushed in; the stored ranges would cut them.
            #expect(!piece.text.hasPrefix("// moved down"), "a piece cut at the stored lines: \(piece.text)")
        }
    }

    @Test("a damaged, foreign or linked database is never trusted: rebuilt, or kept in memory")
    func untrustedDatabasesAreRebuilt() throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        try SwiftWorkspaceIndex(at: fixture.path).refresh()
        let path = database(fixture)

        // Not a database at all.
        try Data("this is not SQLite".utf8).write(to: URL(fileURLWithPath: path))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let garbage = try SwiftWorkspaceIndex(at: fixture.path).refresh()
        #expect(garbage.database.note?.hasPrefix("rebuilt") == true, "\(garbage.database)")
        #expect(garbage.database.sync.filesWritten == 20)
        #expect(try SwiftWorkspaceIndex(at: fixture.path).symbols(matching: "PendingWrites").count == 1)

        // A database of another format: rebuilt, not read.
        try sqlite(path, "UPDATE meta SET value = 'schema 0' WHERE key = 'format'")
        let foreign = try SwiftWorkspaceIndex(at: fixture.path).refresh()
        #expect(foreign.database.note?.contains("made with schema 0") == true, "\(foreign.database)")
        #expect(foreign.database.sync.filesWritten == 20)

        // Cut in half (the log folded in first): quick_check finds it and the index rebuilds.
        try sqlite(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size / 2)) == 0)
        // Opening finds it damaged, or quick_check does: either way it is rebuilt.
        let damaged = try SwiftWorkspaceIndex(at: fixture.path)
        _ = damaged.verifyDatabase()
        #expect(try damaged.summary().database.note?.hasPrefix("rebuilt") == true, "a file cut in half was trusted")
        #expect(try damaged.symbols(matching: "PendingWrites").count == 1, "answers come from a sound database")
        #expect(try SwiftWorkspaceIndex(at: fixture.path).refresh().database.sync.filesWritten == 0, "the rebuilt file is kept")

        // A link where the database goes: never followed; the index lives in memory.
        let outside = try fixture.makeScratchDirectory("outside") + "/target.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: outside)
        let linked = try SwiftWorkspaceIndex(at: fixture.path).refresh()
        #expect(linked.database.path == nil && linked.database.note?.contains("not a regular file") == true, "\(linked.database)")
        #expect(!FileManager.default.fileExists(atPath: outside), "the link was followed")
        #expect(linked.declarations == garbage.declarations)
    }

    @Test("two processes share one database: a reader during another's refresh sees a whole snapshot")
    func processesShareTheDatabase() async throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        let writer = try SwiftWorkspaceIndex(at: fixture.path)
        try writer.refresh()
        let reader = try SwiftWorkspaceIndex(at: fixture.path)
        try reader.refresh()
        for round in 0..<5 {
            try fixture.write("Sources/Util/Helper0.swift", "struct Helper0 { func round\(round)() {} }\n")
            async let refreshed = Task.detached { try writer.refresh() }.value
            for _ in 0..<5 {
                let count = try reader.symbols(matching: "cancelTimer").count
                #expect(count == 11 || count == 12, "a half-written refresh was seen: \(count)")
            }
            _ = try await refreshed
        }
        #expect(try reader.symbols(matching: "round4").count == 1)
    }
}
