import AssistCore
import Foundation
import Testing

// Fake secrets: each matches its pattern and says FAKE or EXAMPLE.
private let awsID = "AKIA" + "FAKEFAKEFAKE1234"
private let awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
private let github = "ghp_" + String(repeating: "a1B2", count: 8) + "FAKE"
private let githubPAT = "github_pat_" + String(repeating: "A1b_", count: 20) + "Z9"
private let gitlab = "glpat-" + "FAKE-fake_0123456789"
private let slack = "xoxb-" + "000000000000-FAKEfakeFAKE"
private let slackHook = "https://hooks.slack.com/services/" + "T00000000/B00000000/FAKEFAKEFAKEFAKE"
private let google = "AIza" + "FAKE" + String(repeating: "x1Y2z", count: 6) + "Z"
private let openAI = "sk-" + "proj-FAKEfake0123456789FAKEfake"
private let anthropic = "sk-" + "ant-api03-FAKEfake0123456789FAKEfake"
private let stripe = "sk_" + "test_FAKEfake01234567"
private let jwt = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJmYWtlIn0.FAKEsignatureFAKE0123"
private let entropic = "Xk9fQ2mZ7vR4tB8wL1nC5yH3"
private let hex = "3f9a1c7e5b2d8046f1e3a5c7b9d0e2f4"
private let pem = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEFAKEFAKEFAKE\nAAAAFAKE==\n-----END RSA PRIVATE KEY-----"

/// One scan case: a text and the findings expected in it, each as a kind and the exact secret text.
struct SecretCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var expected: [(SecretKind, String)]
    var line: Int = 1

    var testDescription: String { name }
}

let secretCases: [SecretCase] = [
    // Every kind.
    SecretCase(name: "aws access key", text: "id = \(awsID)\n", expected: [(.awsAccessKey, awsID)]),
    SecretCase(name: "aws secret key", text: "aws_secret_access_key = \(awsSecret)\n", expected: [(.awsSecretKey, awsSecret)]),
    SecretCase(name: "aws secret key quoted", text: "let awsSecret = \"\(awsSecret)\"", expected: [(.awsSecretKey, awsSecret)]),
    SecretCase(name: "github token", text: "git clone x # \(github)", expected: [(.githubToken, github)]),
    SecretCase(name: "github fine-grained token", text: "gh = '\(githubPAT)'", expected: [(.githubToken, githubPAT)]),
    SecretCase(name: "gitlab token", text: "GL: \(gitlab)", expected: [(.gitlabToken, gitlab)]),
    SecretCase(name: "slack token", text: "bot \(slack) end", expected: [(.slackToken, slack)]),
    SecretCase(name: "slack webhook", text: "post(\"\(slackHook)\")", expected: [(.slackToken, slackHook)]),
    SecretCase(name: "google key", text: "maps?key=\(google)&x=1", expected: [(.googleAPIKey, google)]),
    SecretCase(name: "openai key", text: "client = OpenAI(\(openAI))", expected: [(.openAIKey, openAI)]),
    SecretCase(name: "anthropic key", text: "x \(anthropic)", expected: [(.anthropicKey, anthropic)]),
    SecretCase(name: "stripe key", text: "Stripe.apiKey2 \(stripe);", expected: [(.stripeKey, stripe)]),
    SecretCase(name: "jwt", text: "cookie \(jwt) end", expected: [(.jwt, jwt)]),
    SecretCase(name: "url credentials", text: "url = postgres://admin:FakePassw0rd@db.example.com:5432/app", expected: [(.urlCredentials, "FakePassw0rd")]),
    SecretCase(name: "env assignment", text: "DB_PASSWORD=fake-pass-123\n", expected: [(.envAssignment, "fake-pass-123")]),
    SecretCase(name: "high entropy literal", text: "let blob = \"\(entropic)\"", expected: [(.highEntropy, entropic)]),
    SecretCase(name: "high entropy hex", text: "seed: \(hex)", expected: [(.highEntropy, hex)]),
    SecretCase(name: "private key", text: "key:\n\(pem)\nafter", expected: [(.privateKey, pem)], line: 2),
    // Formats.
    SecretCase(name: "swift literal", text: "struct C {\n    static let apiKey = \"fake-api-key-0001\"\n}", expected: [(.envAssignment, "fake-api-key-0001")], line: 2),
    SecretCase(name: "swift annotated literal", text: "let clientSecret: String = \"FAKE_secret_value\"", expected: [(.envAssignment, "FAKE_secret_value")]),
    SecretCase(name: "json", text: "{\n  \"name\": \"demo\",\n  \"password\": \"fake-Passw0rd\"\n}", expected: [(.envAssignment, "fake-Passw0rd")], line: 3),
    SecretCase(name: "yaml", text: "db:\n  user: app\n  password: \"changeme\"\n", expected: [(.envAssignment, "changeme")], line: 3),
    SecretCase(name: "yaml unquoted with digits", text: "auth:\n  token: fake42token\n", expected: [(.envAssignment, "fake42token")], line: 2),
    SecretCase(name: "dotenv bare word", text: "# comment\nSESSION_SECRET=fakesecretvalue\n", expected: [(.envAssignment, "fakesecretvalue")], line: 2),
    SecretCase(name: "shell export", text: "export GITHUB_TOKEN=\(github)\n", expected: [(.githubToken, github)]),
    SecretCase(name: "shell export env", text: "export API_KEY=fake0key0value\n", expected: [(.envAssignment, "fake0key0value")]),
    SecretCase(name: "authorization header", text: "req.headers[\"Authorization\"] = \"Bearer FAKEtoken0123\"", expected: [(.envAssignment, "FAKEtoken0123")]),
    SecretCase(name: "http header", text: "GET / HTTP/1.1\nAuthorization: Bearer FAKEtoken0123\n", expected: [(.envAssignment, "FAKEtoken0123")], line: 2),
    SecretCase(name: "swift literal password", text: "let password = \"hunter2\"", expected: [(.envAssignment, "hunter2")]),
    SecretCase(name: "url credentials in literal", text: "let u = \"https://bob:FAKE-pw-9@example.com/x\"", expected: [(.urlCredentials, "FAKE-pw-9")]),
    // Several on a line; overlaps.
    SecretCase(name: "two on a line", text: "a=\(awsID) b=\(stripe)", expected: [(.awsAccessKey, awsID), (.stripeKey, stripe)]),
    SecretCase(name: "specific kind wins over assignment", text: "OPENAI_API_KEY=\(openAI)", expected: [(.openAIKey, openAI)]),
    SecretCase(name: "specific kind wins over entropy", text: "let x = \"\(jwt)\"", expected: [(.jwt, jwt)]),
    SecretCase(name: "anthropic, not openai", text: "k: \(anthropic)", expected: [(.anthropicKey, anthropic)]),
    SecretCase(name: "non-ascii before", text: "// Grüße, 東京 🚀\nlet token = \"FAKE-tok-123\"", expected: [(.envAssignment, "FAKE-tok-123")], line: 2),
    SecretCase(name: "pem without end", text: "x\n" + "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1FAKE\nAAAA", expected: [(.privateKey, "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1FAKE\nAAAA")], line: 2),
    SecretCase(name: "pgp private block", text: "-----BEGIN " + "PGP PRIVATE KEY BLOCK-----\nFAKE\n-----END PGP PRIVATE KEY BLOCK-----", expected: [(.privateKey, "-----BEGIN " + "PGP PRIVATE KEY BLOCK-----\nFAKE\n-----END PGP PRIVATE KEY BLOCK-----")]),
    // Not secrets.
    SecretCase(name: "type annotation", text: "struct Login {\n    var password: String\n    let token: Token?\n}", expected: []),
    SecretCase(name: "function call", text: "let token = try makeToken()\nlet secret = makeSecret(for: user)", expected: []),
    SecretCase(name: "env reference", text: "API_KEY=${API_KEY}\nTOKEN=$TOKEN\nPASSWORD=<your password>", expected: []),
    SecretCase(name: "environment lookups", text: "const key = process.env.API_KEY\nlet t = ProcessInfo.processInfo.environment[\"TOKEN\"]\npwd = os.environ['PASSWORD']", expected: []),
    SecretCase(name: "argument labels", text: "login(user: user, password: password)\nf(token: token, count: 3)", expected: []),
    SecretCase(name: "public key block", text: "-----BEGIN " + "PUBLIC KEY-----\nMIIBFAKE\n-----END PUBLIC KEY-----", expected: []),
    SecretCase(name: "uuid", text: "let id = \"123e4567-e89b-12d3-a456-426614174000\"", expected: []),
    SecretCase(name: "git object id", text: "let commit = \"9fceb02d0ae598e95dc970b74767f19372d61af8\"", expected: []),
    SecretCase(name: "sha256 checksum", text: "checksum: \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", expected: []),
    SecretCase(name: "identifier with digits", text: "let name = \"testUTF8DecodingWithInvalidBytes2\"", expected: []),
    SecretCase(name: "paths and urls", text: "let p = \"Sources/AssistCore/Routing/Classifier2.swift\"\nlet u = \"https://example.com/v1/api/resource/items2\"", expected: []),
    SecretCase(name: "data url", text: "img = \"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk\"", expected: []),
    SecretCase(name: "numbers and booleans", text: "MAX_TOKENS=4096\nauth: true\ntokenCount = 0", expected: []),
    SecretCase(name: "names that merely contain the word", text: "let author = \"Jane Doe\"\nlet tokenKind = \"keyword\"\nlet tokenizer = \"wordpiece\"", expected: []),
    SecretCase(name: "interpolation", text: "let header = \"Bearer \\(token)\"\nlet auth = \"Basic \\(creds)\"", expected: []),
    SecretCase(name: "url without password", text: "git clone https://git@github.com/org/repo.git", expected: []),
]

/// The byte range of `needle` in `haystack`.
private func byteRange(of needle: String, in haystack: String) -> Range<Int>? {
    let h = Array(haystack.utf8), n = Array(needle.utf8)
    guard !n.isEmpty, n.count <= h.count else { return nil }
    for i in 0...(h.count - n.count) where h[i..<(i + n.count)].elementsEqual(n) { return i..<(i + n.count) }
    return nil
}

@Suite("Secret scanning")
struct SecretScannerTests {
    @Test(arguments: secretCases)
    func finds(_ item: SecretCase) throws {
        let findings = SecretScanner.scan(item.text)
        #expect(findings.map(\.kind) == item.expected.map(\.0))
        for (finding, (_, secret)) in zip(findings, item.expected) {
            let expected = try #require(byteRange(of: secret, in: item.text))
            #expect(finding.range == expected)
        }
        if let first = findings.first, !item.expected.isEmpty { #expect(first.line == item.line) }
        // Redaction removes every secret and keeps the rest.
        let (redacted, redactedFindings) = SecretScanner.redact(item.text)
        #expect(redactedFindings == findings)
        for (kind, secret) in item.expected {
            #expect(!redacted.contains(secret))
            #expect(redacted.contains("[REDACTED:\(kind.rawValue)]"))
        }
        if item.expected.isEmpty { #expect(redacted == item.text) }
    }

    @Test func redactionKeepsEverythingElse() {
        let text = "héllo AKIA" + "FAKEFAKEFAKE1234 and DB_PASSWORD=fake-pass-123\nbye"
        let (redacted, findings) = SecretScanner.redact(text)
        #expect(redacted == "héllo [REDACTED:awsAccessKey] and DB_PASSWORD=[REDACTED:envAssignment]\nbye")
        #expect(findings.map(\.line) == [1, 1])
        #expect(findings[0].range == 7..<27)
    }

    @Test func privateKeyBecomesOneMarker() {
        let (redacted, findings) = SecretScanner.redact("a\n\(pem)\nb")
        #expect(redacted == "a\n[REDACTED:privateKey]\nb")
        #expect(findings.count == 1)
    }

    @Test func unterminatedPrivateKeyRedactsToTheEnd() {
        let text = "before\n" + "-----BEGIN " + "EC PRIVATE KEY-----\nMHcCAQEEFAKE\n"
        let (redacted, findings) = SecretScanner.redact(text)
        #expect(redacted == "before\n[REDACTED:privateKey]")
        #expect(findings.first?.range.upperBound == text.utf8.count)
    }

    @Test func findingsAreSortedAndDisjoint() {
        let text = secretCases.map(\.text).joined(separator: "\n")
        let findings = SecretScanner.scan(text)
        #expect(findings.count > 30)
        for (a, b) in zip(findings, findings.dropFirst()) { #expect(a.range.upperBound <= b.range.lowerBound) }
        let redacted = SecretScanner.redact(text).text
        for item in secretCases { for (_, secret) in item.expected { #expect(!redacted.contains(secret)) } }
    }

    @Test func everyKindIsCovered() {
        let kinds = Set(secretCases.flatMap { $0.expected.map(\.0) })
        #expect(kinds == Set(SecretKind.allCases))
    }
}

/// Ordinary source code holds no secrets: the scanner must stay quiet on it.
@Suite("Secret scanning: false positives")
struct SecretScannerSourceTests {
    /// The package root, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func swiftFiles(under directory: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    }

    static func findings(under directory: URL) -> [String] {
        var out: [String] = []
        for file in swiftFiles(under: directory) {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            let bytes = Array(text.utf8)
            for finding in SecretScanner.scan(text) {
                let value = String(decoding: bytes[finding.range], as: UTF8.self)
                out.append("\(file.path):\(finding.line): \(finding.kind) \(value.prefix(60))")
            }
        }
        return out
    }

    @Test func packageSourcesAreClean() {
        let sources = Self.packageRoot.appendingPathComponent("Sources")
        #expect(Self.swiftFiles(under: sources).count > 20)
        let found = Self.findings(under: sources)
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test func swiftSyntaxSourcesAreClean() {
        let sources = Self.packageRoot.appendingPathComponent(".build/checkouts/swift-syntax/Sources")
        guard FileManager.default.fileExists(atPath: sources.path) else {
            print("swift-syntax checkout absent at \(sources.path): not scanned")
            return
        }
        let found = Self.findings(under: sources)
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }
}
