import AssistGit
@testable import AssistIndex
import AssistTestSupport
import Foundation
import Testing

@Suite("Index: file states, content addressing, persistence, refresh, overlays")
struct IndexBehaviourTests {
    // MARK: - File set

    @Test("file states: modified, staged, added, untracked, deleted, renamed — blobs of working content")
    func fileStates() throws {
        let fixture = try FixtureRepository.make(files: [
            "clean.swift": "let clean = 1\n",
            "modified.swift": "let m = 1\n",
            "staged.swift": "let s = 1\n",
            "deleted.swift": "let d = 1\n",
            "staged-deleted.swift": "let sd = 1\n",
            "renamed-git.swift": "let renamed = \"a line long enough for rename detection\"\n",
            "renamed-plain.swift": "let moved = \"another line long enough for rename detection\"\n",
        ])
        defer { fixture.remove() }
        try fixture.write("modified.swift", "let m = 2\n")
        try fixture.write("staged.swift", "let s = 2\n")
        try fixture.git("add", "staged.swift")
        try fixture.write("added.swift", "let a = 1\n")
        try fixture.git("add", "added.swift")
        try fixture.write("untracked.swift", "let u = 1\n")
        try fixture.delete("deleted.swift")
        try fixture.git("rm", "--quiet", "staged-deleted.swift")
        try fixture.git("mv", "renamed-git.swift", "now-git.swift")
        try fixture.move("renamed-plain.swift", to: "now-plain.swift")

        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        let figures = try index.refresh()
        #expect(summary(index) == [
            "added.swift added",
            "clean.swift unmodified",
            "deleted.swift deleted skip:deleted",
            "modified.swift modified",
            "now-git.swift renamed from renamed-git.swift",
            "now-plain.swift renamed from renamed-plain.swift",
            "staged-deleted.swift deleted skip:deleted",
            "staged.swift modified",
            "untracked.swift untracked",
        ])
        #expect(index.file(at: "modified.swift")?.blob == (try hashObject(fixture, "modified.swift")))
        #expect(index.result(for: "modified.swift")?.text == "let m = 2\n")
        #expect(index.result(for: "staged.swift")?.text == "let s = 2\n")
        #expect(index.file(at: "deleted.swift")?.blob == nil)
        #expect(index.result(for: "now-plain.swift")?.text.contains("another line") == true)
        #expect(figures.filesSkipped == [.deleted: 2])
        #expect(figures.filesHashed == 3, "only the modified, untracked and plainly renamed files are read from disk")
    }

    @Test("a merge conflict lists the file once, conflicted, with the working tree's content")
    func conflicted() throws {
        let fixture = try FixtureRepository.make(files: ["c.swift": "let base = 0\n", "other.swift": "let o = 1\n"])
        defer { fixture.remove() }
        try fixture.git("switch", "--quiet", "-c", "theirs")
        try fixture.write("c.swift", "let theirs = 1\n")
        try fixture.commitAll("theirs")
        try fixture.git("switch", "--quiet", "main")
        try fixture.write("c.swift", "let ours = 2\n")
        try fixture.commitAll("ours")
        #expect(throws: FixtureRepositoryError.self) { try fixture.git("merge", "--quiet", "theirs") }

        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()
        #expect(summary(index) == ["c.swift conflicted", "other.swift unmodified"])
        #expect(index.file(at: "c.swift")?.blob == (try hashObject(fixture, "c.swift")))
        #expect(index.result(for: "c.swift")?.text.contains("<<<<<<<") == true)
    }

    @Test("binary files, files over the size limit and languages by extension and #! are classified")
    func classification() throws {
        let fixture = try FixtureRepository.make(commit: false)
        defer { fixture.remove() }
        try fixture.writeBytes("image.png", [0x89, 0x50, 0x4e, 0x47, 0x00, 0x01])
        try fixture.write("big.swift", String(repeating: "let x = 1\n", count: 20))
        try fixture.write("small.swift", "let y = 2\n")
        try fixture.write("tools/build", "#!/usr/bin/env python3\nprint(1)\n")
        try fixture.write("tools/run", "#!/bin/bash\necho hi\n")
        try fixture.write("notes", "plain words\n")
        try fixture.commitAll("mixed")

        let analyzer = CountingAnalyzer(onlySwift: true)
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer, options: IndexOptions(maxFileSize: 100))
        let figures = try index.refresh()
        #expect(summary(index) == [
            "big.swift unmodified skip:tooLarge",
            "image.png unmodified skip:binary",
            "notes unmodified skip:unsupportedLanguage",
            "small.swift unmodified",
            "tools/build unmodified skip:unsupportedLanguage",
            "tools/run unmodified skip:unsupportedLanguage",
        ])
        #expect(index.file(at: "tools/build")?.language == .python)
        #expect(index.file(at: "tools/run")?.language == .shell)
        #expect(index.file(at: "notes")?.language == .unknown)
        #expect(index.file(at: "big.swift")?.size == 200)
        #expect(figures.filesSkipped == [.tooLarge: 1, .binary: 1, .unsupportedLanguage: 3])
        #expect(figures.filesAnalyzed == 1)
        #expect(analyzer.analyzedPaths == ["small.swift"])

        // A warm start keeps the classification without reading any blob again.
        let warm = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer(onlySwift: true), options: IndexOptions(maxFileSize: 100))
        let warmFigures = try warm.refresh()
        #expect(summary(warm) == summary(index))
        #expect(warm.file(at: "tools/build")?.language == .python)
        #expect(warmFigures.cacheMisses == 0)
    }

    @Test("refresh reports analysis progress up to the total, and nothing when all is cached")
    func progress() throws {
        let files = Dictionary(uniqueKeysWithValues: (0..<250).map { ("Sources/f\($0).swift", "let v\($0) = \($0)\n") })
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        let seen = Locked<[(done: Int, total: Int)]>([])
        try index.refresh { done, total in seen.withLock { $0.append((done, total)) } }
        let calls = seen.withLock { $0 }
        #expect(!calls.isEmpty && calls.count <= 260)
        #expect(calls.allSatisfy { $0.total == 250 && $0.done <= 250 })
        #expect(calls.contains { $0.done == 250 })
        let again = Locked(0)
        try index.refresh { _, _ in again.withLock { $0 += 1 } }
        #expect(again.withLock { $0 } == 0)
    }

    @Test("references: a name's uses across files, buffers instead of their files")
    func referencesAcrossFiles() throws {
        let fixture = try FixtureRepository.make(files: [
            "Sources/A.swift": "struct Channel {}\nlet first = Channel()\n",
            "Sources/B.swift": "func make() -> Channel { Channel() }\n",
            "Sources/C.swift": "let unrelated = 1\n",
        ])
        defer { fixture.remove() }
        let index = try SwiftWorkspaceIndex(at: fixture.path)
        let uses = try index.references(to: "Channel")
        #expect(uses.map(\.path) == ["Sources/A.swift", "Sources/B.swift", "Sources/B.swift"])
        #expect(uses.map(\.position.line) == [2, 1, 1])
        index.setOverlay(path: "Sources/C.swift", text: "let third = Channel()\n")
        #expect(try index.references(to: "Channel").map(\.path).last == "Sources/C.swift")
        index.setOverlay(path: "Sources/C.swift", text: nil)
        #expect(try index.references(to: "Channel").count == 3)
    }

    @Test("language table: extensions and #! lines")
    func languages() {
        #expect(Language.forPath("a/b.swift") == .swift)
        #expect(Language.forPath("Makefile") == .make)
        #expect(Language.forPath("x.H") == .c)
        #expect(Language.forPath(".gitignore") == nil)
        #expect(Language.forPath("README") == nil)
        #expect(Language.forShebang(Array("#!/usr/bin/env -S python3 -u\n".utf8)) == .python)
        #expect(Language.forShebang(Array("#!/bin/sh\n".utf8)) == .shell)
        #expect(Language.forShebang(Array("#!/usr/bin/swift\r\n".utf8)) == .swift)
        #expect(Language.forShebang(Array("# not\n".utf8)) == nil)
    }

    // MARK: - Content addressing

    @Test("identical files are analysed once and unchanged files never again, in process or after a restart")
    func analysedOnce() throws {
        let fixture = try FixtureRepository.make(files: [
            "a/one.swift": "let same = 1\n", "b/two.swift": "let same = 1\n", "c/three.swift": "let same = 1\n",
            "other.swift": "let other = 2\n",
        ])
        defer { fixture.remove() }
        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer, options: IndexOptions(workers: 4))
        let cold = try index.refresh()
        #expect(analyzer.calls == 2)
        #expect((cold.analyses, cold.cacheHits, cold.cacheMisses) == (2, 0, 2))
        #expect(index.result(for: "c/three.swift")?.text == "let same = 1\n")

        let again = try index.refresh()
        #expect(analyzer.calls == 2)
        #expect((again.analyses, again.cacheHits, again.cacheMisses) == (0, 2, 0))

        let restartedAnalyzer = CountingAnalyzer()
        let restarted = try RepositoryIndex(at: fixture.path, analyzer: restartedAnalyzer)
        let warm = try restarted.refresh()
        #expect(restartedAnalyzer.calls == 0)
        #expect(warm.cacheLoad == .loaded(entries: 2))
        #expect((warm.cacheHits, warm.cacheMisses) == (2, 0))
        #expect(warm.timings[.saveCache] == nil, "nothing changed, so nothing is written")
        #expect(restarted.result(for: "other.swift")?.text == "let other = 2\n")

        try fixture.write("d/four.swift", "let same = 1\n")
        try fixture.write("other.swift", "let other = 3\n")
        let changed = try restarted.refresh()
        #expect(restartedAnalyzer.analyzedPaths == ["other.swift"], "the new copy of a known content is not analysed")
        #expect((changed.cacheHits, changed.cacheMisses) == (1, 1))
    }

    @Test("many files analysed in parallel give the same results as one worker")
    func parallel() throws {
        var files: [String: String] = [:]
        for number in 0..<300 {
            files["Sources/M\(number % 7)/F\(number).swift"] = String(repeating: "func f\(number)() {}\n", count: number % 5 + 1)
        }
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let serial = try RepositoryIndex(
            at: fixture.path, analyzer: LineCountAnalyzer(), options: IndexOptions(workers: 1, persist: false))
        let parallel = try RepositoryIndex(
            at: fixture.path, analyzer: LineCountAnalyzer(), options: IndexOptions(workers: 4, persist: false))
        try serial.refresh()
        let figures = try parallel.refresh()
        #expect(figures.filesAnalyzed == 300)
        #expect(figures.cacheLoad == .disabled)
        for file in serial.files {
            #expect(parallel.result(for: file.path) == serial.result(for: file.path))
        }
        #expect(parallel.result(for: "Sources/M4/F4.swift") == .init(lines: 5, functions: 5))
    }

    // MARK: - Persistence

    private func makeIndexed() throws -> (FixtureRepository, String) {
        let fixture = try FixtureRepository.make(files: ["a.swift": "let a = 1\n", "b.swift": "let b = 2\n"])
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()
        return (fixture, try #require(index.cachePath))
    }

    /// Damages the cache file, then checks that a new index rebuilds it and that the result is sound.
    private func expectRebuilt(
        _ damage: (inout [UInt8]) -> Void, reason: String, analyzer: CountingAnalyzer = CountingAnalyzer()
    ) throws {
        let (fixture, cachePath) = try makeIndexed()
        defer { fixture.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cachePath)))
        damage(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: cachePath))

        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer)
        let figures = try index.refresh()
        guard case .rebuilt(let why) = figures.cacheLoad else {
            Issue.record("expected a rebuild, got \(figures.cacheLoad)")
            return
        }
        #expect(why.contains(reason), "\(why)")
        #expect(analyzer.calls == 2, "everything is analysed again, nothing trusted")
        #expect(index.result(for: "a.swift")?.text == "let a = 1\n")

        let after = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer(name: analyzer.name, version: analyzer.version))
        #expect(try after.refresh().cacheLoad == .loaded(entries: 2), "the rebuilt file is sound")
    }

    @Test("a corrupt cache (one byte flipped) is rebuilt")
    func corrupt() throws {
        try expectRebuilt({ $0[$0.count / 2] ^= 0x5a }, reason: "checksum")
    }

    @Test("a truncated cache is rebuilt", arguments: [
        (0, "bad magic"), (4, "bad magic"), (11, "truncated"), (30, "truncated"), (60, "truncated"),
        (-1, "truncated"),
    ])
    func truncated(keep: Int, reason: String) throws {
        // A negative count keeps all but that many bytes: the last payload runs past the end.
        try expectRebuilt({ $0 = Array(keep < 0 ? $0.dropLast(-keep) : $0.prefix(keep)) }, reason: reason)
    }

    @Test("a cache of a foreign format version is rebuilt")
    func foreignVersion() throws {
        try expectRebuilt({ $0[8] = 99 }, reason: "format version 99")
    }

    @Test("a cache of another analyser version is rebuilt")
    func otherAnalyserVersion() throws {
        try expectRebuilt({ _ in }, reason: "expected counting v2", analyzer: CountingAnalyzer(version: 2))
    }

    @Test("a file of garbage is rebuilt")
    func garbage() throws {
        try expectRebuilt({ $0 = Array("not a cache at all, just some words of text".utf8) }, reason: "bad magic")
    }

    /// Where the table ends (its length, after magic, version, the analyser's name and version).
    private func tableLength(_ bytes: [UInt8], name: String = "counting") -> Int {
        let offset = 8 + 4 + 2 + name.utf8.count + 8
        return Int(bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) })
    }

    @Test("an entry whose lengths run past the end is caught even with a recomputed checksum")
    func lyingLengths() throws {
        let (fixture, cachePath) = try makeIndexed()
        defer { fixture.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cachePath)))
        // The entry count follows the table's length (8 bytes).
        let countOffset = 8 + 4 + 2 + "counting".utf8.count + 8 + 8
        bytes[countOffset] = 200
        let end = tableLength(bytes)
        let checksum = cacheChecksum(bytes, count: end - 8)
        withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(end - 8..<end, with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: cachePath))

        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        let figures = try index.refresh()
        guard case .rebuilt(let reason) = figures.cacheLoad else {
            Issue.record("expected a rebuild, got \(figures.cacheLoad)")
            return
        }
        #expect(!reason.contains("checksum") && (reason.contains("truncated") || reason.contains("exceeds")), "\(reason)")
    }

    @Test("a stored result that no longer matches its checksum is analysed again, never decoded")
    func damagedPayload() throws {
        let (fixture, cachePath) = try makeIndexed()
        defer { fixture.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cachePath)))
        let end = tableLength(bytes)
        #expect(end < bytes.count, "the results follow the table")
        // Damage every result byte-for-byte the same way: valid JSON that says the wrong thing.
        let text = String(decoding: bytes[end...], as: UTF8.self)
        let forged = text.replacingOccurrences(of: "let a = 1", with: "let a = 9")
        #expect(forged != text)
        bytes.replaceSubrange(end..., with: Array(forged.utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: cachePath))

        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer)
        let figures = try index.refresh()
        #expect(figures.cacheLoad == .loaded(entries: 2), "the table itself is sound")
        #expect(analyzer.calls == 0, "loading reads no result")
        #expect(index.result(for: "a.swift")?.text == "let a = 1\n", "the damaged result is not used")
        #expect(analyzer.analyzedPaths == ["a.swift"], "only the damaged one is analysed again")
        #expect(index.result(for: "b.swift")?.text == "let b = 2\n")
        #expect(analyzer.calls == 1)
    }

    @Test("a link where the cache file would be is not followed")
    func linkedCacheFile() throws {
        let (fixture, cachePath) = try makeIndexed()
        defer { fixture.remove() }
        let elsewhere = fixture.path + "/elsewhere.bin"
        try FileManager.default.moveItem(atPath: cachePath, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: cachePath, withDestinationPath: elsewhere)
        let before = try Data(contentsOf: URL(fileURLWithPath: elsewhere))

        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        let figures = try index.refresh()
        guard case .rebuilt(let reason) = figures.cacheLoad else {
            Issue.record("expected a rebuild, got \(figures.cacheLoad)")
            return
        }
        #expect(reason.contains("link"), "\(reason)")
        #expect(figures.cacheWriteError?.contains("link") == true, "\(figures.cacheWriteError ?? "no error")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: elsewhere)) == before, "the link's target is untouched")
        #expect(index.result(for: "a.swift")?.text == "let a = 1\n", "the index works without its file")
    }

    @Test("writes are atomic: no temporary file is left, and a failed write leaves none either")
    func atomicWrite() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "let a = 1\n"])
        defer { fixture.remove() }
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()
        #expect(try cacheFolderContents(index) == ["index-counting.bin"])
        try fixture.write("b.swift", "let b = 1\n")
        let second = try index.refresh()
        #expect(second.cacheWriteError == nil)
        #expect(second.cacheFileBytes > 0)
        #expect(try cacheFolderContents(index) == ["index-counting.bin"])

        // Make the destination a non-empty folder: rename(2) must fail.
        let cachePath = try #require(index.cachePath)
        try FileManager.default.removeItem(atPath: cachePath)
        try FileManager.default.createDirectory(atPath: cachePath + "/blocker", withIntermediateDirectories: true)
        let blocked = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        let figures = try blocked.refresh()
        #expect(figures.cacheWriteError?.contains("rename") == true, "\(figures.cacheWriteError ?? "no error")")
        #expect(try cacheFolderContents(index) == ["index-counting.bin"])
        #expect(blocked.result(for: "b.swift")?.text == "let b = 1\n", "the index works without its file")
    }

    @Test("the same records always give the same cache file")
    func deterministicFile() throws {
        var files: [String: String] = [:]
        for number in 0..<50 { files["f\(number).swift"] = "let v = \(number)\n" }
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let first = try RepositoryIndex(at: fixture.path, analyzer: LineCountAnalyzer(), options: IndexOptions(workers: 4))
        try first.refresh()
        let cachePath = try #require(first.cachePath)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cachePath))
        try FileManager.default.removeItem(atPath: cachePath)
        let second = try RepositoryIndex(at: fixture.path, analyzer: LineCountAnalyzer(), options: IndexOptions(workers: 2))
        try second.refresh()
        #expect(try Data(contentsOf: URL(fileURLWithPath: cachePath)) == bytes)
    }

    @Test("the cache keeps only blobs still in use")
    func pruning() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "let a = 1\n"])
        defer { fixture.remove() }
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()
        try fixture.write("a.swift", "let a = 2\n")
        try index.refresh()
        try fixture.write("a.swift", "let a = 3\n")
        try index.refresh()
        let warm = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        #expect(try warm.refresh().cacheLoad == .loaded(entries: 1))
    }

    // MARK: - Refresh

    @Test("refresh after modify, add, delete and rename re-reads only those files")
    func refreshChanges() throws {
        var files: [String: String] = [:]
        for number in 0..<20 { files["f\(number).swift"] = "let v\(number) = \(number)\n" }
        let fixture = try FixtureRepository.make(files: files)
        defer { fixture.remove() }
        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer)
        try index.refresh()
        analyzer.reset()

        try fixture.write("f1.swift", "let v1 = 100\n")
        var figures = try index.refresh()
        #expect(analyzer.analyzedPaths == ["f1.swift"])
        #expect(figures.filesHashed == 1)
        #expect(index.result(for: "f1.swift")?.text == "let v1 = 100\n")
        #expect(index.file(at: "f1.swift")?.state == .modified)

        analyzer.reset()
        try fixture.write("new.swift", "let fresh = 1\n")
        figures = try index.refresh()
        #expect(analyzer.analyzedPaths == ["new.swift"])
        #expect(index.file(at: "new.swift")?.state == .untracked)

        analyzer.reset()
        try fixture.delete("f2.swift")
        figures = try index.refresh()
        #expect(analyzer.calls == 0)
        #expect(index.file(at: "f2.swift")?.state == .deleted)
        #expect(index.result(for: "f2.swift") == nil)

        analyzer.reset()
        try fixture.git("mv", "f3.swift", "g3.swift")
        figures = try index.refresh()
        #expect(analyzer.calls == 0, "a rename keeps the content, so the result is reused")
        #expect(index.file(at: "g3.swift")?.state == .renamed)
        #expect(index.file(at: "g3.swift")?.originalPath == "f3.swift")
        #expect(index.file(at: "f3.swift") == nil)
        #expect(index.result(for: "g3.swift")?.text == "let v3 = 3\n")

        analyzer.reset()
        try fixture.commitAll("all of it")
        figures = try index.refresh()
        #expect(analyzer.calls == 0)
        #expect(figures.filesHashed == 0)
        #expect(index.files.allSatisfy { $0.state == .unmodified })
        #expect(index.files.count == 20)
    }

    // MARK: - Overlay

    @Test("an overlay wins over the working tree and never touches the cached committed content")
    func overlay() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "let a = 1\n", "b.swift": "let b = 1\n"])
        defer { fixture.remove() }
        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer)
        try index.refresh()
        let cachePath = try #require(index.cachePath)
        let before = try Data(contentsOf: URL(fileURLWithPath: cachePath))

        let result = index.overlay(path: "a.swift", text: "let a = 1\nlet unsaved = 2\n")
        #expect(result.lines == 2)
        #expect(index.result(for: "a.swift")?.text == "let a = 1\nlet unsaved = 2\n")
        #expect(index.overlaidPaths == ["a.swift"])
        try index.refresh()
        #expect(index.result(for: "a.swift")?.text == "let a = 1\nlet unsaved = 2\n", "a refresh keeps the overlay")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cachePath)) == before, "the cache file is untouched")
        #expect(index.file(at: "a.swift")?.state == .unmodified)

        // An overlay equal to known content reuses its result.
        let calls = analyzer.calls
        index.overlay(path: "b.swift", text: "let a = 1\n")
        #expect(analyzer.calls == calls)
        #expect(index.result(for: "b.swift")?.text == "let a = 1\n")

        index.removeOverlay(path: "a.swift")
        index.removeOverlay(path: "b.swift")
        #expect(index.result(for: "a.swift")?.text == "let a = 1\n")
        #expect(index.result(for: "b.swift")?.text == "let b = 1\n")
        #expect(index.overlaidPaths.isEmpty)
    }
}
