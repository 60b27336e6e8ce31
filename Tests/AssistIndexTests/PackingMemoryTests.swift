import AssistCore
import AssistGit
@testable import AssistIndex
import AssistTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("what a warm process remembers between requests")
struct PackingMemoryTests {
    @Test("a file rewritten in place with the same size and mtime after the process verified it is packed from its new text")
    func rewrittenInPlaceIsReadAgain() throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        let index = try SwiftWorkspaceIndex(at: fixture.path)
        try index.refresh()
        let path = "Sources/Core/ByteBuffer.swift"
        let full = fixture.path + "/" + path
        let original = try #require(FileManager.default.contents(atPath: full))
        let blob = try ObjectID.hashBlob(Array(original)).description
        // Only a change that has settled is remembered.
        Thread.sleep(forTimeInterval: Double(PackingMemory.settleSeconds) + 0.3)
        let question = "How does ByteBuffer readBytes check its reader index?"
        let first = try RequestContextGatherer(index: index).pack(question: question, budget: 600)
        #expect(first.pieces.contains { $0.path == path && $0.form == .full }, "\(first.pieces.map(\.path))")
        #expect(index.memory.holds(path, blob: blob), "the packed file was not remembered, so this test proves nothing")

        // The first line becomes blank lines: the same bytes in number, every declaration lower down.
        var before = stat()
        #expect(lstat(full, &before) == 0)
        let text = String(decoding: original, as: UTF8.self)
        let firstLine = text.prefix { $0 != "\n" }
        let rewritten = String(repeating: "\n", count: firstLine.utf8.count) + text.dropFirst(firstLine.count)
        #expect(rewritten.utf8.count == original.count)
        let handle = try #require(FileHandle(forWritingAtPath: full))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(rewritten.utf8))
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, full, &times, 0) == 0)
        var after = stat()
        #expect(lstat(full, &after) == 0)
        #expect(after.st_ino == before.st_ino && after.st_size == before.st_size && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        #expect(!index.memory.holds(path, blob: blob), "a rewritten file is still taken for the blob it held")

        let second = try RequestContextGatherer(index: index).pack(question: question, budget: 600)
        let pieces = second.pieces.filter { $0.path == path && $0.form == .full }
        #expect(!pieces.isEmpty, "\(second.pieces.map(\.path))")
        let lines = rewritten.split(separator: "\n", omittingEmptySubsequences: false)
        for piece in pieces {
            let expected = lines[(piece.lines.lowerBound - 1)..<min(lines.count, piece.lines.upperBound)].joined(separator: "\n")
            #expect(piece.text.hasPrefix(expected), "piece \(piece.lines) is not the text at those lines: \(piece.text)")
            // Every declaration now starts below the blank lines; the stored ranges would cut blank text.
            #expect(piece.lines.lowerBound > firstLine.utf8.count, "a piece cut at the stored lines \(piece.lines): \(piece.text)")
            #expect(!piece.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
    }

    @Test("a warm process packs as the in-memory reference at every request: rows read lazily, then kept, then reused, and dropped when the files change")
    func keptRowsPackAsTheReference() throws {
        let fixture = try FixtureRepository.make(files: sampleFiles())
        defer { fixture.remove() }
        let index = try SwiftWorkspaceIndex(at: fixture.path)
        try index.refresh()
        let gatherer = RequestContextGatherer(index: index)
        let question = "How does ByteBuffer readBytes check its reader index?"
        func check(_ label: String) throws {
            for excluding in [nil, { (path: String) in path.hasPrefix("Sources/Core/") }] as [((String) -> Bool)?] {
                let stored = try gatherer.pack(question: question, budget: 2_000, excluding: excluding)
                let reference = try gatherer.packFromMemory(question: question, budget: 2_000, excluding: excluding ?? { _ in false })
                #expect(!stored.ranking.isEmpty, "\(label): nothing ranked")
                #expect(stored.ranking.map(\.path) == reference.ranking.map(\.path), "\(label) excluding: \(excluding != nil)")
                #expect(stored.ranking.map(\.score) == reference.ranking.map(\.score), "\(label) excluding: \(excluding != nil)")
                #expect(stored.pieces == reference.pieces, "\(label) excluding: \(excluding != nil)")
            }
        }
        // First request of a generation: no rows kept; second: rows read and kept; then reused.
        for round in 1...3 { try check("round \(round)") }
        // A changed file is a new generation: what was kept is dropped, and the new text is what ranks.
        try fixture.write("Sources/Core/ByteBuffer.swift", "/// Reads bytes, checking the reader index.\npublic struct ByteBuffer { public func readBytes() {} }\n")
        try index.refresh()
        for round in 1...3 { try check("after the change, round \(round)") }
    }
}
