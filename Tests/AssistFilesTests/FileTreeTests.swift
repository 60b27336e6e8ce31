import AssistFiles
import Foundation
import Testing

/// A scratch working tree with a `.git/` folder, and the hostile shapes a repository can commit.
private struct Scratch {
    let root: String
    let outside: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("assist-files-\(UUID().uuidString)").path
        root = base + "/repo"
        outside = base + "/outside"
        for folder in [root + "/.git/hooks", root + "/Sources", outside] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try "#!/bin/sh\necho original hook\n".write(toFile: root + "/.git/hooks/pre-commit", atomically: false, encoding: .utf8)
        try "secret outside\n".write(toFile: outside + "/secret.txt", atomically: false, encoding: .utf8)
        try "struct A {}\n".write(toFile: root + "/Sources/A.swift", atomically: false, encoding: .utf8)
        // Committed links: a folder into .git/hooks, a folder out of the tree, a file out of the tree, /dev/zero.
        try FileManager.default.createSymbolicLink(atPath: root + "/tools", withDestinationPath: ".git/hooks")
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: root + "/Sources/Link.swift", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/Zero.swift", withDestinationPath: "/dev/zero")
    }

    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
    func remove() { try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent) }
}

@Suite("FileTree: one way to read and write a working tree")
struct FileTreeTests {
    @Test func writingThroughAFolderLinkIntoGitHooksIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tree = FileTree(root: scratch.root)
        #expect(throws: FileRefusal.self) { try tree.write("#!/bin/sh\nevil\n", to: "tools/pre-commit", expecting: .any) }
        #expect(throws: FileRefusal.self) { try tree.write("evil\n", to: "tools/new-hook", expecting: .absent) }
        #expect(scratch.contents(scratch.root + "/.git/hooks/pre-commit") == "#!/bin/sh\necho original hook\n")
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/.git/hooks/new-hook"))
    }

    @Test func nothingIsWrittenOutsideTheTreeOrInGit() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tree = FileTree(root: scratch.root)
        #expect(throws: FileRefusal.self) { try tree.write("x", to: "out/planted.swift", expecting: .absent) }
        #expect(throws: FileRefusal.self) { try tree.write("x", to: "Sources/Link.swift", expecting: .any) }
        #expect(throws: FileRefusal.self) { try tree.write("x", to: ".git/config", expecting: .any) }
        #expect(throws: FileRefusal.self) { try tree.write("x", to: ".git/hooks/pre-commit", expecting: .any) }
        #expect(throws: FileRefusal.self) { try tree.write("x", to: "../outside/secret.txt", expecting: .any) }
        #expect(throws: FileRefusal.self) { try tree.write("x", to: "/etc/passwd", expecting: .any) }
        #expect(!FileManager.default.fileExists(atPath: scratch.outside + "/planted.swift"))
        #expect(scratch.contents(scratch.outside + "/secret.txt") == "secret outside\n")
        try tree.write("state\n", to: ".git/assist/state.json", expecting: .any)
        #expect(scratch.contents(scratch.root + "/.git/assist/state.json") == "state\n")
    }

    @Test func readsFollowNoLinkAndStopAtTheLimit() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tree = FileTree(root: scratch.root)
        #expect(tree.text("Sources/A.swift") == "struct A {}\n")
        #expect(tree.text("Sources/Link.swift") == nil)
        #expect(tree.text("out/secret.txt") == nil)
        #expect(tree.text("tools/pre-commit") == nil)
        #expect(tree.text(".git/hooks/pre-commit") == nil)
        #expect(tree.text("Zero.swift") == nil)
        #expect(throws: FileRefusal.self) { try tree.read("Sources/A.swift", limit: 4) }
        #expect((try? tree.read("Missing.swift")) == nil)
        do {
            _ = try tree.read("Missing.swift")
        } catch {
            #expect(error.isMissing)
        }
    }

    @Test func aFifoIsRefusedWithoutBlocking() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(mkfifo(scratch.root + "/.assist.toml", 0o644) == 0)
        let started = Date()
        #expect(throws: FileRefusal.self) { try FileTree(root: scratch.root).read(".assist.toml", limit: 1 << 20) }
        #expect(throws: FileRefusal.self) { try BoundedFile.read(scratch.root + "/.assist.toml", limit: 1 << 20) }
        #expect(throws: FileRefusal.self) { try BoundedFile.read("/dev/zero", limit: 1 << 20) }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func writesKeepTheModeAndRefuseAFileThatChanged() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tree = FileTree(root: scratch.root)
        let script = scratch.root + "/Sources/run.sh"
        try "#!/bin/sh\n".write(toFile: script, atomically: false, encoding: .utf8)
        #expect(chmod(script, 0o755) == 0)
        try tree.write("#!/bin/sh\necho hi\n", to: "Sources/run.sh", expecting: .content(Array("#!/bin/sh\n".utf8)))
        var info = stat()
        #expect(stat(script, &info) == 0 && info.st_mode & 0o777 == 0o755)
        #expect(throws: FileRefusal.self) {
            try tree.write("again\n", to: "Sources/run.sh", expecting: .content(Array("#!/bin/sh\n".utf8)))
        }
        #expect(scratch.contents(script) == "#!/bin/sh\necho hi\n")
        #expect(throws: FileRefusal.self) { try tree.write("new\n", to: "Sources/A.swift", expecting: .absent) }
        try tree.write("struct B {}\n", to: "Sources/New/B.swift", expecting: .absent)
        #expect(scratch.contents(scratch.root + "/Sources/New/B.swift") == "struct B {}\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.root + "/Sources").filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func appendsOneRecordAtATime() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tree = FileTree(root: scratch.root + "/.git", kind: .owned)
        try tree.append(Array("one\n".utf8), to: "assist/egress.jsonl")
        try tree.append(Array("two\n".utf8), to: "assist/egress.jsonl")
        #expect(scratch.contents(scratch.root + "/.git/assist/egress.jsonl") == "one\ntwo\n")
        #expect(throws: FileRefusal.self) { try FileTree(root: scratch.root).append(Array("x".utf8), to: "tools/log") }
    }
}
