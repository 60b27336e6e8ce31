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
}
