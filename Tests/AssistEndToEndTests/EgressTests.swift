import AssistProtocol
import AssistTestSupport
import Foundation
import Testing

/// A repository with secrets in ordinary code and a folder that must never leave the machine.
private let fixtureFiles: [String: String] = [
    "Sources/App/Config.swift": """
        /// Settings of the session service.
        struct Config {
            let region = "eu-west-1"
            let awsKey = "AKIAIOSFODNN7EXAMPLE"
            let githubToken = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
            let password = "hunter2-correct-horse-battery"
            let signingKey = \"\"\"
            -----BEGIN RSA PRIVATE KEY-----
            MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu
            KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm
            -----END RSA PRIVATE KEY-----
            \"\"\"
            var timeout = 30
        }

        """,
    "Sources/App/Session.swift": """
        struct Session {
            let config = Config()

            /// Refreshes the session with the configured timeout.
            func refresh() -> Int {
                config.timeout * 2
            }
        }

        """,
    "Internal/Vault.swift": """
        // VAULT-MARKER-7731: this file never leaves the machine.
        struct Vault {
            let session = Session()
            func unlock() -> Int { session.refresh() + 7731 }
        }

        """,
]

/// The secrets and private text that no recorded body may contain.
private let forbidden = [
    "AKIAIOSFODNN7EXAMPLE", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", "hunter2-correct-horse-battery",
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu", "VAULT-MARKER-7731", "Internal/Vault.swift",
]

/// The stand-in cloud's answers: a SEARCH/REPLACE edit for a refactor, prose for a question.
private let refactorAnswer = """
    I raised the timeout.

    Sources/App/Config.swift
    <<<<<<< SEARCH
        var timeout = 30
    =======
        var timeout = 60
    >>>>>>> REPLACE
    """
private let askAnswer = "Session.refresh() in Sources/App/Session.swift doubles Config.timeout from Sources/App/Config.swift."

@Suite("egress: what reaches a cloud backend")
struct EgressTests {
    @Test func noSecretOrLocalOnlyFileLeavesAndEveryRequestIsInTheLedger() async throws {
        let server = try await StandInServer.start { request, _ in
            guard request.path == "/v1/messages" else { return .whole(status: 404, body: "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"no such path\"}}") }
            let body = String(decoding: request.body, as: UTF8.self)
            return .streamed(anthropicAnswer(body.contains("Instruction:") ? refactorAnswer : askAnswer))
        }
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: fixtureFiles)
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",  // no local model: only the cloud can answer
            "ASSIST_ROUTING_CLOUD_PROVIDER": "anthropic",
            "ASSIST_PROVIDERS_ANTHROPIC_BASE_URL": server.baseURL,
            "ASSIST_PROVIDERS_ANTHROPIC_MODEL": "claude-test",
            "ASSIST_PROVIDERS_ANTHROPIC_PRICES": "claude-test=3/15",
            "ANTHROPIC_API_KEY": "sk-ant-test-key-0000000000000000",
            "ASSIST_PRIVACY_LOCAL_ONLY": "Internal/",
            "ASSIST_ROUTING_LOCAL_MAX_TOKENS": "1",  // every refactor prefers the cloud
        ]

        // 1. A multi-file question: the cloud answers; Internal/ is left out, secrets are redacted.
        let ask = try await runAssist(["ask", "How does Session refresh use Config and Vault across the repository?", "--json"], in: fixture.path, environment: environment)
        #expect(ask.status == 0, "\(ask.stderr)")
        let askResult = try JSONDecoder().decode(AskResult.self, from: Data(ask.stdout.utf8))
        #expect(askResult.answer == askAnswer)
        #expect(askResult.route.kind == "multi-file")
        #expect(askResult.route.backend == "anthropic")
        #expect(askResult.route.reasons.contains { $0.step == "privacy" && $0.outcome == "exclude" && $0.detail.contains("Internal/Vault.swift") })
        #expect(askResult.route.reasons.contains { $0.step == "secrets" && $0.outcome == "redact" })
        #expect(!askResult.context.files.contains { $0.path.hasPrefix("Internal/") })
        #expect(askResult.costUSD > 0)

        // 2. A refactor of the file with the secrets: sent redacted, the edit keeps the secrets.
        let refactor = try await runAssist(["refactor", "Sources/App/Config.swift", "--instruction", "raise the timeout to 60", "--apply", "--json"], in: fixture.path, environment: environment)
        #expect(refactor.status == 0, "\(refactor.stderr)")
        let refactorResult = try JSONDecoder().decode(RefactorResult.self, from: Data(refactor.stdout.utf8))
        #expect(refactorResult.route.backend == "anthropic")
        #expect(refactorResult.diff.contains("-    var timeout = 30\n+    var timeout = 60\n"))
        #expect(refactorResult.explanation == "I raised the timeout.")
        let written = try String(contentsOfFile: fixture.path + "/Sources/App/Config.swift", encoding: .utf8)
        #expect(written == fixtureFiles["Sources/App/Config.swift"]!.replacingOccurrences(of: "timeout = 30", with: "timeout = 60"))

        // 3. A refactor of a localOnly file stays local; with no local model it is refused and nothing is sent.
        let sentBefore = server.requests.count
        let privateRefactor = try await runAssist(["refactor", "Internal/Vault.swift", "--instruction", "rename unlock to open"], in: fixture.path, environment: environment)
        #expect(privateRefactor.status == 1)
        #expect(privateRefactor.stderr.contains("privacy.localOnly"), "\(privateRefactor.stderr)")
        #expect(server.requests.count == sentBefore)

        // Every body that reached the cloud: no secret, nothing of Internal/, and the markers instead.
        let bodies = server.requests.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies.count == 2)
        for body in bodies {
            for secret in forbidden { #expect(!body.contains(secret), "a request body contains \(secret)") }
            #expect(!body.contains("sk-ant-test-key"))
        }
        #expect(bodies.allSatisfy { $0.contains("[REDACTED:") })

        // One ledger line per request, naming what was sent and what was redacted.
        let egress = try await runAssist(["egress", "--json"], in: fixture.path, environment: environment)
        #expect(egress.status == 0, "\(egress.stderr)")
        let ledger = try JSONDecoder().decode(JSONValue.self, from: Data(egress.stdout.utf8))
        let entries = ledger["entries"]?.arrayValue ?? []
        #expect(entries.count == bodies.count)
        #expect(entries.map { $0["kind"]?.stringValue } == ["multi-file", "refactor"])
        for entry in entries {
            #expect(entry["backend"] == "anthropic")
            #expect(entry["model"] == "claude-test")
            let paths = (entry["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
            #expect(paths.contains("Sources/App/Config.swift"))
            #expect(!paths.contains { $0.hasPrefix("Internal/") })
            let kinds = Set((entry["redactions"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue })
            #expect(kinds.isSuperset(of: ["awsAccessKey", "githubToken", "privateKey"]), "\(kinds)")
        }
        let raw = try String(contentsOfFile: fixture.path + "/.git/assist/egress.jsonl", encoding: .utf8)
        for secret in forbidden.dropLast(2) { #expect(!raw.contains(secret)) }

        // The text report says the same.
        let text = try await runAssist(["egress"], in: fixture.path, environment: environment)
        #expect(text.stdout.contains("2 request(s)"), "\(text.stdout)")
    }

    @Test func offlineModeSendsNothing() async throws {
        let server = try await StandInServer.start { _, _ in .streamed(anthropicAnswer(askAnswer)) }
        defer { Task { await server.stop() } }
        let fixture = try FixtureRepository.make(files: fixtureFiles)
        defer { fixture.remove() }
        let environment = [
            "ASSIST_CACHE_DIR": fixture.path + "/.git/no-cache",
            "ASSIST_ROUTING_CLOUD_PROVIDER": "anthropic",
            "ASSIST_PROVIDERS_ANTHROPIC_BASE_URL": server.baseURL,
            "ASSIST_PROVIDERS_ANTHROPIC_MODEL": "claude-test",
            "ANTHROPIC_API_KEY": "sk-ant-test-key-0000000000000000",
            "ASSIST_ROUTING_OFFLINE": "true",
        ]
        let ask = try await runAssist(["ask", "How does Session refresh use Config across the repository?"], in: fixture.path, environment: environment)
        #expect(ask.status == 1)
        #expect(ask.stderr.contains("offline"), "\(ask.stderr)")
        #expect(server.requests.isEmpty)
        let egress = try await runAssist(["egress"], in: fixture.path, environment: environment)
        #expect(egress.stdout.contains("nothing has left the machine"))
    }
}
