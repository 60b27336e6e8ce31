import AssistGit
import AssistTestSupport
import Foundation
import Testing

@Suite("Repository")
struct RepositoryTests {
    @Test("libgit2 reports a dotted version number")
    func libgit2Version() throws {
        let parts = LibGit2.version.split(separator: ".")
        #expect(parts.count == 3, "version was \(LibGit2.version)")
        #expect(parts.allSatisfy { Int($0) != nil }, "version was \(LibGit2.version)")
        #expect(LibGit2.version != "0.0.0")
    }

    @Test("opening from the working tree's root finds its folders")
    func openFromRoot() throws {
        let fixture = try FixtureRepository.make(files: ["README.md": "hello\n"])
        defer { fixture.remove() }

        let repository = try Repository.open(at: fixture.path)

        #expect(repository.workingDirectory == fixture.path)
        #expect(repository.gitDirectory == fixture.path + "/.git")
        #expect(!repository.isBare)
    }

    @Test("opening from a subdirectory searches up to the repository")
    func openFromSubdirectory() throws {
        let fixture = try FixtureRepository.make(files: ["Sources/App/main.swift": "print(1)\n"])
        defer { fixture.remove() }
        let subdirectory = fixture.path + "/Sources/App"

        let repository = try Repository.open(at: subdirectory)

        #expect(repository.workingDirectory == fixture.path)
        #expect(repository.gitDirectory == fixture.path + "/.git")
    }

    @Test("searchParents: false from a subdirectory is not a repository")
    func openWithoutSearchingParents() throws {
        let fixture = try FixtureRepository.make(files: ["Sources/main.swift": "print(1)\n"])
        defer { fixture.remove() }
        let subdirectory = fixture.path + "/Sources"

        let error = try #require(throws: GitError.self) {
            try Repository.open(at: subdirectory, searchParents: false)
        }
        #expect(error == .notARepository(path: subdirectory))
        // The same call on the root itself still works.
        #expect(try Repository.open(at: fixture.path, searchParents: false).workingDirectory == fixture.path)
    }

    @Test("HEAD on a branch matches git rev-parse HEAD")
    func headOnBranch() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "one\n"], initialBranch: "trunk")
        defer { fixture.remove() }
        try fixture.write("a.txt", "two\n")
        try fixture.commitAll("Second commit")

        let head = try Repository.open(at: fixture.path).head()

        let expected = try fixture.git("rev-parse", "HEAD")
        #expect(expected.count == 40)
        #expect(head == Head(
            oid: expected, referenceName: "refs/heads/trunk", branch: "trunk",
            isDetached: false, isUnborn: false))
    }

    @Test("HEAD follows a branch switch")
    func headAfterSwitchingBranch() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "one\n"])
        defer { fixture.remove() }
        let repository = try Repository.open(at: fixture.path)
        let before = try repository.head()

        try fixture.git("switch", "--quiet", "-c", "feature/x")
        try fixture.write("b.txt", "new\n")
        let featureCommit = try fixture.commitAll("Feature")

        let after = try repository.head()
        #expect(before.branch == "main")
        #expect(after.branch == "feature/x")
        #expect(after.referenceName == "refs/heads/feature/x")
        #expect(after.oid == featureCommit)
        #expect(after.oid != before.oid)
    }

    @Test("a repository without commits has an unborn HEAD naming its branch")
    func unbornHead() throws {
        let fixture = try FixtureRepository.make(commit: false, initialBranch: "develop")
        defer { fixture.remove() }

        let head = try Repository.open(at: fixture.path).head()

        #expect(head.isUnborn)
        #expect(head.oid == nil)
        #expect(head.branch == "develop")
        #expect(head.referenceName == "refs/heads/develop")
        #expect(!head.isDetached)
    }

    @Test("a detached HEAD has a commit id and no branch")
    func detachedHead() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "one\n"])
        defer { fixture.remove() }
        let first = try fixture.git("rev-parse", "HEAD")
        try fixture.write("a.txt", "two\n")
        try fixture.commitAll("Second commit")
        try fixture.git("checkout", "--quiet", "--detach", first)

        let head = try Repository.open(at: fixture.path).head()

        #expect(head == Head(oid: first, referenceName: nil, branch: nil, isDetached: true, isUnborn: false))
    }

    @Test("a bare clone has no working directory and a readable HEAD")
    func bareRepository() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "one\n"])
        defer { fixture.remove() }
        let bare = try fixture.cloneBare()

        let repository = try Repository.open(at: bare.path)

        #expect(repository.isBare)
        #expect(repository.workingDirectory == nil)
        #expect(repository.gitDirectory == bare.path)
        let head = try repository.head()
        #expect(head.oid == (try fixture.git("rev-parse", "HEAD")))
        #expect(head.branch == "main")
        #expect(!head.isUnborn)
    }

    @Test("an empty bare repository is unborn")
    func emptyBareRepository() throws {
        let bare = try FixtureRepository.makeBare(initialBranch: "main")
        defer { bare.remove() }

        let repository = try Repository.open(at: bare.path)

        #expect(repository.isBare)
        #expect(try repository.head() == Head(
            oid: nil, referenceName: "refs/heads/main", branch: "main", isDetached: false, isUnborn: true))
    }

    @Test("a folder outside any repository is not a repository, and the error names it")
    func notARepository() throws {
        let fixture = try FixtureRepository.make()
        defer { fixture.remove() }
        let plain = try fixture.makeScratchDirectory("plain/nested")

        let error = try #require(throws: GitError.self) {
            try Repository.open(at: plain)
        }

        #expect(error.isNotARepository)
        #expect(error.notARepositoryPath == plain)
        #expect(error.function == nil)
        #expect(error.description == "not a git repository (or any parent up to the filesystem root): \(plain)")
    }

    @Test("a missing folder is not a repository, reported with an absolute path")
    func missingFolder() throws {
        let fixture = try FixtureRepository.make()
        defer { fixture.remove() }
        let missing = fixture.sandbox + "/does/not/exist"

        let error = try #require(throws: GitError.self) {
            try Repository.open(at: missing + "/../exist")
        }

        #expect(error == .notARepository(path: missing))
    }

    @Test("a libgit2 failure while opening names git_repository_open_ext")
    func openFailureNamesFunction() throws {
        let fixture = try FixtureRepository.make()
        defer { fixture.remove() }
        try fixture.git("config", "core.repositoryformatversion", "99")

        let error = try #require(throws: GitError.self) {
            try Repository.open(at: fixture.path)
        }

        #expect(error.function == "git_repository_open_ext")
        #expect((error.code ?? 0) < 0)
        #expect(error.errorClass == 6)  // GIT_ERROR_REPOSITORY
        #expect(error.message?.contains("99") == true, "message was \(error.message ?? "nil")")
        #expect(!error.isNotARepository)
        #expect(error.description.hasPrefix("git_repository_open_ext failed: "))
        #expect(error.description.contains("repository"))
    }

    @Test("a malformed HEAD makes head() throw an error naming the libgit2 function")
    func malformedHead() throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "one\n"])
        defer { fixture.remove() }
        let repository = try Repository.open(at: fixture.path)
        try fixture.write(".git/HEAD", "this is not a reference\n")

        let error = try #require(throws: GitError.self) {
            try repository.head()
        }

        #expect(error.function == "git_repository_head")
        #expect((error.code ?? 0) < 0)
        #expect(error.message?.isEmpty == false)
        #expect(error.description.contains("git_repository_head"))
    }

    @Test("one Repository can be read from many tasks at once")
    func concurrentReads() async throws {
        let fixture = try FixtureRepository.make(files: ["a.txt": "one\n"])
        defer { fixture.remove() }
        let repository = try Repository.open(at: fixture.path)
        let expected = try fixture.git("rev-parse", "HEAD")

        let oids = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    _ = repository.workingDirectory
                    return try repository.head().oid
                }
            }
            var oids: [String?] = []
            for try await oid in group { oids.append(oid) }
            return oids
        }

        #expect(oids.count == 32)
        #expect(oids.allSatisfy { $0 == expected })
    }
}
