import AssistGit
import AssistTestSupport
import Foundation
import Testing

@Suite("Repository content: trees, blobs, index, status, hashing, working tree")
struct ContentTests {
    /// Parses `git ls-tree -r -l HEAD` into (mode, id, size, path) rows.
    private func lsTree(_ fixture: FixtureRepository) throws -> [TreeEntry] {
        let output = try fixture.git("-c", "core.quotePath=false", "ls-tree", "-r", "-l", "-z", "HEAD")
        return try output.split(separator: "\0").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            let fields = parts[0].split(separator: " ", omittingEmptySubsequences: true)
            let oid = try #require(ObjectID(hex: String(fields[2])))
            let mode = FileMode(rawValue: try #require(UInt32(fields[0], radix: 8)))
            return TreeEntry(path: String(parts[1]), oid: oid, mode: mode, size: Int(fields[3]))
        }
    }

    @Test("object ids round-trip through hex and bytes")
    func objectIDs() throws {
        let hex = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        let oid = try #require(ObjectID(hex: hex))
        #expect(oid.description == hex)
        #expect(ObjectID(bytes: oid.bytes) == oid)
        #expect(ObjectID(hex: hex.uppercased()) == oid)
        #expect(ObjectID(hex: "xyz") == nil)
        #expect(ObjectID(hex: String(hex.dropLast()) + "g") == nil)
        #expect(ObjectID(bytes: [1, 2, 3]) == nil)
        let low = try #require(ObjectID(hex: "00" + String(repeating: "ff", count: 19)))
        let high = try #require(ObjectID(hex: "01" + String(repeating: "00", count: 19)))
        let lastByte = try #require(ObjectID(hex: String(repeating: "00", count: 19) + "01"))
        #expect(low < high)
        #expect(!(high < low))
        #expect(try #require(ObjectID(hex: String(repeating: "00", count: 20))) < lastByte)
        #expect([high, lastByte, low].sorted() == [lastByte, low, high])
        #expect(try ObjectID.hashBlob([]) == oid, "the empty blob's id")
    }

    @Test("hashing bytes gives the id git hash-object gives, CRLF and invalid UTF-8 included")
    func hashLikeGit() throws {
        let fixture = try FixtureRepository.make(commit: false)
        defer { fixture.remove() }
        let samples: [[UInt8]] = [Array("hello\n".utf8), Array("a\r\nb\r\n".utf8), [0xff, 0xfe, 0x00, 0x41], Array("é 日本\n".utf8)]
        for (number, bytes) in samples.enumerated() {
            try fixture.writeBytes("sample\(number)", bytes)
            let expected = try fixture.git("hash-object", "sample\(number)")
            #expect(try ObjectID.hashBlob(bytes).description == expected)
        }
    }

    @Test("HEAD's tree lists every file with id, mode (executable, symlink, gitlink) and size, like git ls-tree")
    func headTreeMatchesLsTree() throws {
        let fixture = try FixtureRepository.make(files: [
            "README.md": "hello\n",
            "Sources/App/main.swift": "print(1)\n",
            "Sources/With Space/naïve 日本.swift": "let x = 1\n",
            "tools/run.sh": "#!/bin/sh\necho hi\n",
        ])
        defer { fixture.remove() }
        let library = try FixtureRepository.make(files: ["lib.swift": "func lib() {}\n"])
        defer { library.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.path + "/tools/run.sh")
        try fixture.symlink("link-to-readme", to: "README.md")
        try fixture.commitAll("link and mode")
        try fixture.addSubmodule(library, at: "Vendor/lib")

        let repository = try Repository.open(at: fixture.path)
        let tree = try repository.headTree(includeSizes: true)
        let expected = try lsTree(fixture)

        #expect(tree.map(\.path) == expected.map(\.path))
        #expect(tree.map(\.oid) == expected.map(\.oid))
        #expect(tree.map(\.mode) == expected.map(\.mode))
        #expect(tree.map(\.size) == expected.map(\.size))
        #expect(tree.first { $0.path == "link-to-readme" }?.mode == .symlink)
        #expect(tree.first { $0.path == "Vendor/lib" }?.mode == .gitlink)
        #expect(tree.first { $0.path == "tools/run.sh" }?.mode == .executable)
        #expect(!tree.contains { $0.path.hasPrefix("Vendor/lib/") }, "submodules are not entered")
        #expect(try repository.headTree(includeSizes: false).allSatisfy { $0.size == nil })
    }

    @Test("an unborn branch has an empty tree")
    func unbornTree() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "a\n"], commit: false)
        defer { fixture.remove() }
        #expect(try Repository.open(at: fixture.path).headTree().isEmpty)
    }

    @Test("blobs read back byte for byte, with sizes, CRLF and invalid UTF-8 intact")
    func blobBytes() throws {
        let fixture = try FixtureRepository.make(commit: false)
        defer { fixture.remove() }
        let crlf = Array("line one\r\nline two\r\n".utf8)
        let invalid: [UInt8] = [0x66, 0x75, 0x6e, 0x63, 0x20, 0xc3, 0x28, 0xff, 0x0a]
        try fixture.writeBytes("crlf.swift", crlf)
        try fixture.writeBytes("invalid.swift", invalid)
        try fixture.commitAll("bytes")
        let repository = try Repository.open(at: fixture.path)
        for (path, bytes) in [("crlf.swift", crlf), ("invalid.swift", invalid)] {
            let oid = try #require(ObjectID(hex: try fixture.git("rev-parse", "HEAD:\(path)")))
            #expect(try repository.blob(oid) == bytes)
            #expect(try repository.blobSize(oid) == bytes.count)
        }
        let missing = try #require(ObjectID(hex: String(repeating: "1", count: 40)))
        let error = try #require(throws: GitError.self) { try repository.blob(missing) }
        #expect(error.function == "git_blob_lookup")
        #expect(error.code == -3)
    }

    @Test("the staging area matches git ls-files --stage, staged-only changes included")
    func indexMatchesLsFiles() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "a\n", "dir/b.txt": "b\n"])
        defer { fixture.remove() }
        try fixture.write("dir/b.txt", "b2\n")
        try fixture.write("new.txt", "new\n")
        try fixture.git("add", "dir/b.txt", "new.txt")
        try fixture.write("a.txt", "unstaged\n")

        let entries = try Repository.open(at: fixture.path).indexEntries()
        let expected = try fixture.git("ls-files", "--stage").split(separator: "\n").map { line in
            let parts = line.split(separator: "\t")
            let fields = parts[0].split(separator: " ")
            return "\(fields[0]) \(fields[1]) \(fields[2]) \(parts[1])"
        }
        #expect(entries.map { "\($0.mode) \($0.oid) \($0.stage) \($0.path)" } == expected)
        #expect(entries.first { $0.path == "a.txt" }?.fileSize == 2, "the stat cache records the staged file's size")
    }

    @Test("the index file's checksum is its last 20 bytes, and changes when the staging area does")
    func indexChecksum() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "a\n"])
        defer { fixture.remove() }
        let repository = try Repository.open(at: fixture.path)
        let first = try #require(repository.indexFileChecksum())
        let file = try Data(contentsOf: URL(fileURLWithPath: fixture.path + "/.git/index"))
        #expect(first.bytes == Array(file.suffix(20)))
        #expect(repository.indexFileChecksum() == first)
        try fixture.write("b.txt", "b\n")
        try fixture.git("add", "b.txt")
        #expect(repository.indexFileChecksum() != first)

        let empty = try FixtureRepository.make(commit: false)
        defer { empty.remove() }
        #expect(try Repository.open(at: empty.path).indexFileChecksum() == nil, "no index file yet")
    }

    @Test("a merge conflict shows stages 1, 2 and 3 in the index and a conflicted status")
    func conflictStages() throws {
        let fixture = try FixtureRepository.make(files: ["c.txt": "base\n"])
        defer { fixture.remove() }
        try fixture.git("switch", "--quiet", "-c", "other")
        try fixture.write("c.txt", "theirs\n")
        try fixture.commitAll("theirs")
        try fixture.git("switch", "--quiet", "main")
        try fixture.write("c.txt", "ours\n")
        try fixture.commitAll("ours")
        #expect(throws: FixtureRepositoryError.self) { try fixture.git("merge", "--quiet", "other") }

        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.indexEntries().filter { $0.path == "c.txt" }.map(\.stage) == [1, 2, 3])
        #expect(try repository.status() == [StatusEntry(path: "c.txt", isConflicted: true)])
    }

    @Test("status reports modified, added, deleted, untracked and renamed paths; ignored files stay out")
    func statusKinds() throws {
        let fixture = try FixtureRepository.make(files: [
            ".gitignore": "*.log\nbuild/\n",
            "keep.txt": "keep\n",
            "modify.txt": "before\n",
            "delete.txt": "bye\n",
            "stage-delete.txt": "bye\n",
            "move-staged.txt": "moved with git mv, long enough to be similar\n",
            "move-plain.txt": "moved without git, long enough to be similar\n",
        ])
        defer { fixture.remove() }
        try fixture.write("modify.txt", "after\n")
        try fixture.delete("delete.txt")
        try fixture.git("rm", "--quiet", "stage-delete.txt")
        try fixture.write("added.txt", "staged new\n")
        try fixture.git("add", "added.txt")
        try fixture.write("untracked dir/naïve.txt", "untracked\n")
        try fixture.write("debug.log", "ignored\n")
        try fixture.write("build/out.txt", "ignored\n")
        try fixture.git("mv", "move-staged.txt", "moved-staged.txt")
        try fixture.move("move-plain.txt", to: "moved-plain.txt")

        let status = try Repository.open(at: fixture.path).status()
        let expected: [StatusEntry] = [
            StatusEntry(path: "added.txt", index: .added),
            StatusEntry(path: "delete.txt", workTree: .deleted),
            StatusEntry(path: "modify.txt", workTree: .modified),
            StatusEntry(path: "moved-plain.txt", originalPath: "move-plain.txt", workTree: .renamed),
            StatusEntry(path: "moved-staged.txt", originalPath: "move-staged.txt", index: .renamed),
            StatusEntry(path: "stage-delete.txt", index: .deleted),
            StatusEntry(path: "untracked dir/naïve.txt", workTree: .untracked),
        ]
        #expect(status == expected)
    }

    @Test("a bare repository has no working tree, index entries or status, but a HEAD tree")
    func bareRepository() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "func a() {}\n"])
        defer { fixture.remove() }
        let bare = try fixture.cloneBare()
        let repository = try Repository.open(at: bare.path)
        #expect(repository.isBare)
        #expect(repository.workingDirectory == nil)
        #expect(try repository.indexEntries().isEmpty)
        #expect(try repository.status().isEmpty)
        #expect(try repository.headTree().map(\.path) == ["a.swift"])
    }

    @Test("a linked worktree has its own git folder and shares the common one")
    func linkedWorktree() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "a\n"])
        defer { fixture.remove() }
        let worktree = try fixture.addWorktree(named: "feature")
        try worktree.write("b.txt", "b\n")

        let repository = try Repository.open(at: worktree.path)
        #expect(repository.workingDirectory == worktree.path)
        #expect(repository.gitDirectory == fixture.path + "/.git/worktrees/feature")
        #expect(repository.commonDirectory == fixture.path + "/.git")
        #expect(try repository.status() == [StatusEntry(path: "b.txt", workTree: .untracked)])
        #expect(try repository.headTree().map(\.path) == ["a.txt"])
    }

    @Test("the working-tree reader never follows a symbolic link and refuses paths that leave the root")
    func workingTreeReader() throws {
        let fixture = try FixtureRepository.make(files: ["inside.txt": "inside\n", "dir/file.txt": "x\n"])
        defer { fixture.remove() }
        let outside = try fixture.makeScratchDirectory("outside")
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try fixture.symlink("escape", to: outside + "/secret.txt")
        try fixture.symlink("escape-dir", to: outside)
        try fixture.symlink("inner", to: "inside.txt")
        let tree = try #require(try Repository.open(at: fixture.path).workingTree)

        #expect(tree.read("inside.txt") == .file(Array("inside\n".utf8)))
        #expect(tree.read("dir/file.txt") == .file(Array("x\n".utf8)))
        #expect(tree.read("escape") == .symlink(target: Array((outside + "/secret.txt").utf8)))
        #expect(tree.read("inner") == .symlink(target: Array("inside.txt".utf8)))
        #expect(tree.read("nothing.txt") == .missing)
        #expect(tree.read("dir/nothing/deeper.txt") == .missing)
        for refused in ["escape-dir/secret.txt", "../outside/secret.txt", "/etc/passwd", "dir/../inside.txt", "dir", ""] {
            guard case .refused = tree.read(refused) else {
                Issue.record("\(refused) was not refused: \(tree.read(refused))")
                continue
            }
        }
    }
}
