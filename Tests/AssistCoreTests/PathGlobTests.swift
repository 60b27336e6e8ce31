import AssistCore
import Testing

/// One glob case: a pattern, paths it matches and paths it does not.
struct GlobCase: CustomTestStringConvertible, Sendable {
    var pattern: String
    var matching: [String]
    var notMatching: [String]

    var testDescription: String { pattern }
}

let globCases: [GlobCase] = [
    // No slash: the basename (or any component) at any depth.
    GlobCase(pattern: "*.pem", matching: ["a.pem", "certs/server.pem", "a/b/c/.pem"], notMatching: ["a.pem.bak", "pem", "a.PEM"]),
    GlobCase(pattern: ".env", matching: [".env", "app/.env"], notMatching: [".env.local", "x.env", "env"]),
    GlobCase(pattern: ".env.*", matching: [".env.local", "deploy/.env.production"], notMatching: [".env", "x.env.local"]),
    GlobCase(pattern: "Internal", matching: ["Internal", "Internal/a.swift", "x/Internal/b.swift"], notMatching: ["Internals/a.swift", "internal/a.swift"]),
    // `*` stays in one component; `?` is one character.
    GlobCase(pattern: "Sources/*.swift", matching: ["Sources/a.swift"], notMatching: ["Sources/A/b.swift", "x/Sources/a.swift"]),
    GlobCase(pattern: "key?.json", matching: ["key1.json", "a/keyA.json"], notMatching: ["key.json", "key12.json", "key/.json"]),
    // Sets.
    GlobCase(pattern: "id_[rd]sa", matching: ["id_rsa", ".ssh/id_dsa"], notMatching: ["id_ecdsa", "id_xsa"]),
    GlobCase(pattern: "v[0-9].key", matching: ["v1.key", "v9.key"], notMatching: ["va.key", "v10.key"]),
    GlobCase(pattern: "[!.]*.txt", matching: ["notes.txt"], notMatching: [".hidden.txt"]),
    // `**`.
    GlobCase(pattern: "**/secrets/*", matching: ["secrets/a", "x/secrets/b", "x/y/secrets/c.json", "secrets/deep/d"], notMatching: ["secrets", "mysecrets/a"]),
    GlobCase(pattern: "Sources/**", matching: ["Sources/a.swift", "Sources/A/B/c.swift"], notMatching: ["Sources", "Tests/Sources/a.swift"]),
    GlobCase(pattern: "a/**/b", matching: ["a/b", "a/x/b", "a/x/y/b", "a/x/b/c.txt"], notMatching: ["a/bb", "x/a/b", "a/x/c"]),
    GlobCase(pattern: "**", matching: ["a", "a/b/c"], notMatching: []),
    // Anchoring.
    GlobCase(pattern: "/config.yml", matching: ["config.yml"], notMatching: ["app/config.yml"]),
    GlobCase(pattern: "config/prod.yml", matching: ["config/prod.yml"], notMatching: ["app/config/prod.yml", "config/prod.yml.bak"]),
    GlobCase(pattern: "/build", matching: ["build", "build/out.o"], notMatching: ["src/build/out.o"]),
    // Trailing slash: the directory and everything below.
    GlobCase(pattern: "Secrets/", matching: ["Secrets/a.txt", "Secrets/b/c.txt", "x/Secrets/d", "Secrets/"], notMatching: ["Secrets", "SecretsFile", "x/Secrets"]),
    GlobCase(pattern: "Config/Keys/", matching: ["Config/Keys/a.p8"], notMatching: ["x/Config/Keys/a.p8", "Config/Keys"]),
    // Case-sensitive, and escapes.
    GlobCase(pattern: "README.md", matching: ["README.md", "docs/README.md"], notMatching: ["readme.md"]),
    GlobCase(pattern: "a\\*b", matching: ["a*b"], notMatching: ["axb"]),
    // Non-ASCII components.
    GlobCase(pattern: "d?ta/*", matching: ["däta/x"], notMatching: ["dta/x"]),
]

@Suite("privacy.localOnly path patterns")
struct PathGlobTests {
    @Test(arguments: globCases)
    func matches(_ item: GlobCase) throws {
        let glob = try PathGlob(item.pattern)
        #expect(glob.pattern == item.pattern)
        for path in item.matching { #expect(glob.matches(path), "\(item.pattern) should match \(path)") }
        for path in item.notMatching { #expect(!glob.matches(path), "\(item.pattern) should not match \(path)") }
    }

    @Test(arguments: ["", "/", "//"])
    func emptyPatternsAreRejected(_ pattern: String) {
        #expect(throws: PathGlobError(pattern: pattern, reason: .empty)) { try PathGlob(pattern) }
    }

    @Test func unclosedBracketIsRejected() {
        #expect(throws: PathGlobError(pattern: "keys/[ab", reason: .unclosedBracket(offset: 5))) { try PathGlob("keys/[ab") }
        #expect(throws: PathGlobError.self) { try PathGlob("[!") }
        #expect(throws: PathGlobError.self) { try PathGlob("x[]") }
        #expect((try? PathGlob("[]]")) != nil)
    }

    @Test func errorNamesThePattern() {
        do {
            _ = try PathGlob("a/[b")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("a/[b"))
        }
    }

    @Test func anyMatches() throws {
        let globs = try ["*.pem", "Secrets/", "/config/prod.yml"].map { try PathGlob($0) }
        #expect(PathGlob.anyMatches(globs, "certs/a.pem"))
        #expect(PathGlob.anyMatches(globs, "Secrets/x"))
        #expect(PathGlob.anyMatches(globs, "config/prod.yml"))
        #expect(!PathGlob.anyMatches(globs, "Sources/main.swift"))
        #expect(!PathGlob.anyMatches([], "a"))
    }

    @Test func equalityIsThePattern() throws {
        #expect(try PathGlob("*.pem") == PathGlob("*.pem"))
        #expect(try PathGlob("*.pem") != PathGlob("*.key"))
    }
}
