import AssistGit
import AssistIndex
import AssistTestSupport
import Foundation
import Testing

@Suite("Index: one test per repository shape")
struct RepositoryShapeTests {
    @Test("normal repository: every committed file listed unmodified, analysed, by language")
    func normal() throws {
        let fixture = try FixtureRepository.make(files: [
            "Package.swift": "// swift-tools-version: 6.0\n",
            "Sources/App/main.swift": "func main() {}\nmain()\n",
            "README.md": "# Title\n",
        ])
        defer { fixture.remove() }
        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path + "/Sources", analyzer: analyzer)
        let figures = try index.refresh()

        #expect(summary(index) == [
            "Package.swift unmodified", "README.md unmodified", "Sources/App/main.swift unmodified",
        ])
        #expect(index.file(at: "Sources/App/main.swift")?.blob == (try gitBlob(fixture, "HEAD:Sources/App/main.swift")))
        #expect(index.file(at: "Sources/App/main.swift")?.size == 22)
        #expect(index.result(for: "Sources/App/main.swift") == .init(text: "func main() {}\nmain()\n", lines: 2))
        #expect(figures.filesByLanguage == [.swift: 2, .markdown: 1])
        #expect(figures.filesAnalyzed == 3)
        #expect(figures.cacheLoad == .missing)
        #expect(index.cachePath == fixture.path + "/.git/assist/index-counting.bin")
        #expect(FileManager.default.fileExists(atPath: fixture.path + "/.git/assist/index-counting.bin"))
    }

    @Test("bare repository: HEAD's tree is indexed, the cache lives in the bare folder")
    func bare() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "let a = 1\n", "docs/b.md": "b\n"])
        defer { fixture.remove() }
        let bare = try fixture.cloneBare()
        let index = try RepositoryIndex(at: bare.path, analyzer: CountingAnalyzer())
        let figures = try index.refresh()

        #expect(summary(index) == ["a.swift unmodified", "docs/b.md unmodified"])
        #expect(index.result(for: "a.swift")?.text == "let a = 1\n")
        #expect(index.file(at: "a.swift")?.size == 10)
        #expect(figures.filesAnalyzed == 2)
        #expect(index.cachePath == bare.path + "/assist/index-counting.bin")

        let warm = try RepositoryIndex(at: bare.path, analyzer: CountingAnalyzer())
        #expect(try warm.refresh().analyses == 0)
    }

    @Test("empty repository (no commits): staged files are added, others untracked")
    func empty() throws {
        let fixture = try FixtureRepository.make(files: ["staged.swift": "let s = 1\n", "loose.txt": "x\n"], commit: false)
        defer { fixture.remove() }
        try fixture.git("add", "staged.swift")
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()

        #expect(summary(index) == ["loose.txt untracked", "staged.swift added"])
        #expect(index.result(for: "loose.txt")?.text == "x\n")
        #expect(index.file(at: "loose.txt")?.blob == (try hashObject(fixture, "loose.txt")))
    }

    @Test("empty repository with nothing at all gives an empty index, not an error")
    func emptyWithNothing() throws {
        let fixture = try FixtureRepository.make(commit: false)
        defer { fixture.remove() }
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        let figures = try index.refresh()
        #expect(index.files.isEmpty)
        #expect(figures.files == 0)
    }

    @Test("detached HEAD: the checked-out commit's files are indexed")
    func detached() throws {
        let fixture = try FixtureRepository.make(files: ["a.swift": "let version = 1\n"])
        defer { fixture.remove() }
        try fixture.write("a.swift", "let version = 2\n")
        try fixture.write("b.swift", "let b = 2\n")
        try fixture.commitAll("second")
        try fixture.git("checkout", "--quiet", "--detach", "HEAD~1")
        #expect(try Repository.open(at: fixture.path).head().isDetached)

        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()
        #expect(summary(index) == ["a.swift unmodified"])
        #expect(index.result(for: "a.swift")?.text == "let version = 1\n")
    }

    @Test("linked worktree: its own files and status; the cache is shared in the common git folder")
    func linkedWorktree() throws {
        let fixture = try FixtureRepository.make(files: ["shared.swift": "let shared = 1\n"])
        defer { fixture.remove() }
        let main = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try main.refresh()

        let worktree = try fixture.addWorktree(named: "feature")
        try worktree.write("feature.swift", "let feature = 1\n")
        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: worktree.path, analyzer: analyzer)
        let figures = try index.refresh()

        #expect(index.cachePath == fixture.path + "/.git/assist/index-counting.bin")
        #expect(summary(index) == ["feature.swift untracked", "shared.swift unmodified"])
        #expect(figures.cacheLoad == .loaded(entries: 1))
        #expect(analyzer.analyzedPaths == ["feature.swift"], "the shared blob came from the main checkout's cache")
    }

    @Test("submodules are listed as gitlinks and never entered")
    func submodules() throws {
        let library = try FixtureRepository.make(files: ["lib.swift": "func lib() {}\n"])
        defer { library.remove() }
        let fixture = try FixtureRepository.make(files: ["app.swift": "import Lib\n"])
        defer { fixture.remove() }
        try fixture.addSubmodule(library, at: "Vendor/Lib")
        try fixture.write("Vendor/Lib/lib.swift", "func lib() { changed() }\n")

        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer)
        let figures = try index.refresh()
        #expect(summary(index) == [".gitmodules unmodified", "Vendor/Lib unmodified skip:submodule", "app.swift unmodified"])
        #expect(index.file(at: "Vendor/Lib")?.mode == .gitlink)
        #expect(figures.filesSkipped == [.submodule: 1])
        #expect(!analyzer.analyzedPaths.contains { $0.hasPrefix("Vendor/") })
    }

    @Test("symbolic links are listed with their target's hash and never followed, inside or outside")
    func symlinks() throws {
        let fixture = try FixtureRepository.make(files: ["real.swift": "let real = 1\n"])
        defer { fixture.remove() }
        let outside = try fixture.makeScratchDirectory("outside")
        try Data("let secret = 42\n".utf8).write(to: URL(fileURLWithPath: outside + "/secret.swift"))
        try fixture.symlink("inner.swift", to: "real.swift")
        try fixture.symlink("committed-escape.swift", to: outside + "/secret.swift")
        try fixture.commitAll("links")
        try fixture.symlink("untracked-escape.swift", to: outside + "/secret.swift")
        try fixture.symlink("escape-dir", to: outside)

        let analyzer = CountingAnalyzer()
        let index = try RepositoryIndex(at: fixture.path, analyzer: analyzer)
        try index.refresh()
        #expect(summary(index) == [
            "committed-escape.swift unmodified skip:symlink",
            "escape-dir untracked skip:symlink",
            "inner.swift unmodified skip:symlink",
            "real.swift unmodified",
            "untracked-escape.swift untracked skip:symlink",
        ])
        #expect(analyzer.analyzedPaths == ["real.swift"])
        #expect(index.result(for: "untracked-escape.swift") == nil)
        #expect(index.file(at: "untracked-escape.swift")?.mode == .symlink)
        #expect(index.file(at: "untracked-escape.swift")?.blob == (try ObjectID.hashBlob(Array((outside + "/secret.swift").utf8))))
        #expect(index.file(at: "inner.swift")?.blob == (try gitBlob(fixture, "HEAD:inner.swift")))
    }

    @Test("a directory outside any repository is a clear error naming the path")
    func notARepository() throws {
        let fixture = try FixtureRepository.make(commit: false)
        defer { fixture.remove() }
        let plain = try fixture.makeScratchDirectory("plain folder")
        let error = try #require(throws: GitError.self) {
            _ = try RepositoryIndex(at: plain, analyzer: CountingAnalyzer())
        }
        #expect(error.notARepositoryPath == plain)
        #expect(error.description.contains(plain))
    }

    @Test("paths with spaces and non-ASCII names are indexed and found by their exact path")
    func unusualPaths() throws {
        let paths = ["With Space/file name.swift", "naïve/日本語.swift", "emoji 🎉.md", "tab\tname.txt"]
        let fixture = try FixtureRepository.make(files: Dictionary(uniqueKeysWithValues: paths.map { ($0, "content of \($0)\n") }))
        defer { fixture.remove() }
        try fixture.write("untracked é.swift", "new\n")
        let index = try RepositoryIndex(at: fixture.path, analyzer: CountingAnalyzer())
        try index.refresh()
        for path in paths {
            #expect(index.file(at: path)?.state == .unmodified, "\(path)")
            #expect(index.result(for: path)?.text == "content of \(path)\n", "\(path)")
        }
        #expect(index.file(at: "untracked é.swift")?.state == .untracked)
    }

    @Test("files with invalid UTF-8 and CRLF line endings are analysed from their exact bytes")
    func invalidUTF8AndCRLF() throws {
        let fixture = try FixtureRepository.make(commit: false)
        defer { fixture.remove() }
        let crlf = Array("func a() {}\r\nfunc b() {}\r\n".utf8)
        let invalid: [UInt8] = Array("func c() {}\n// ".utf8) + [0xc3, 0x28, 0xa0, 0xa1, 0xff] + Array("\n".utf8)
        try fixture.writeBytes("crlf.swift", crlf)
        try fixture.writeBytes("invalid.swift", invalid)
        try fixture.commitAll("bytes")
        try fixture.writeBytes("invalid-untracked.swift", invalid + [0xfe])

        let index = try RepositoryIndex(at: fixture.path, analyzer: LineCountAnalyzer())
        let figures = try index.refresh()
        #expect(index.result(for: "crlf.swift") == .init(lines: 2, functions: 2))
        #expect(index.result(for: "invalid.swift") == .init(lines: 2, functions: 1))
        #expect(index.result(for: "invalid-untracked.swift") == .init(lines: 3, functions: 1))
        #expect(index.file(at: "crlf.swift")?.blob == (try gitBlob(fixture, "HEAD:crlf.swift")))
        #expect(index.file(at: "invalid-untracked.swift")?.blob == (try hashObject(fixture, "invalid-untracked.swift")))
        #expect(figures.filesSkipped.isEmpty, "neither is binary: no NUL byte")
    }
}
