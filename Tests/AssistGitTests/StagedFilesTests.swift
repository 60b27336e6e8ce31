import AssistGit
import AssistTestSupport
import Foundation
import Testing

@Suite("Staged files for the pre-commit hook")
struct StagedFilesTests {
    @Test("staged files are those added or modified in the index against HEAD, with their staged blobs")
    func stagedAgainstHead() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "a\n", "b.swift": "b\n", "gone.swift": "g\n"])
        defer { fixture.remove() }
        try fixture.write("a.swift", "a staged\n")
        try fixture.write("new.swift", "new\n")
        try fixture.git("add", "a.swift", "new.swift")
        try fixture.git("rm", "--quiet", "gone.swift")
        try fixture.write("a.swift", "a unstaged\n")
        try fixture.write("b.swift", "b unstaged\n")

        let repository = try Repository.open(at: fixture.path)
        let staged = try repository.stagedFiles()
        #expect(staged.map(\.path) == ["a.swift", "new.swift"])
        #expect(staged.map(\.isNew) == [false, true])
        #expect(try staged.map { String(decoding: try repository.blob($0.oid), as: UTF8.self) } == ["a staged\n", "new\n"])
        #expect(staged.map(\.oid.description) == [try fixture.git("rev-parse", ":a.swift"), try fixture.git("rev-parse", ":new.swift")])
    }

    @Test("another index file (GIT_INDEX_FILE during git commit -a) is read instead of the repository's")
    func anotherIndexFile() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "a\n"])
        defer { fixture.remove() }
        try fixture.write("a.swift", "a changed\n")
        let other = fixture.sandbox + "/other-index"
        try FileManager.default.copyItem(atPath: fixture.path + "/.git/index", toPath: other)
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.stagedFiles().isEmpty)
        // Stage into the other index only, as `git commit -a` does with its temporary one.
        let blob = try fixture.git("hash-object", "-w", "a.swift")
        try updateIndex(fixture, indexFile: other, line: "100644 \(blob)\ta.swift")
        #expect(try repository.stagedFiles().isEmpty)
        #expect(try repository.stagedFiles(indexFile: other).map(\.path) == ["a.swift"])
    }

    @Test("an unborn branch stages everything as new")
    func unborn() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "a\n"], commit: false)
        defer { fixture.remove() }
        try fixture.git("add", "a.swift")
        let staged = try Repository.open(at: fixture.path).stagedFiles()
        #expect(staged.map(\.path) == ["a.swift"])
        #expect(staged.map(\.isNew) == [true])
    }

    /// Runs `git update-index --index-info` against another index file.
    private func updateIndex(_ fixture: FixtureRepository, indexFile: String, line: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "update-index", "--index-info"]
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.path)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_INDEX_FILE"] = indexFile
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
