/// The kinds of secret ``SecretScanner`` finds.
public enum SecretKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A PEM private key block, from its BEGIN line to its END line.
    case privateKey
    /// An AWS access key id (`AKIA`/`ASIA` and 16 more characters).
    case awsAccessKey
    /// A 40-character AWS secret access key assigned to a name with both "aws" and "secret".
    case awsSecretKey
    /// A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`).
    case githubToken
    /// A GitLab personal access token (`glpat-`).
    case gitlabToken
    /// A Slack token (`xoxb-` and the like) or an incoming-webhook URL.
    case slackToken
    /// A Google API key (`AIza`).
    case googleAPIKey
    /// An OpenAI key (`sk-`, `sk-proj-`).
    case openAIKey
    /// An Anthropic key (`sk-ant-`).
    case anthropicKey
    /// A Stripe secret or restricted key (`sk_live_`, `rk_live_`, `sk_test_`).
    case stripeKey
    /// A JSON Web Token: three base64url parts, the first two JSON objects.
    case jwt
    /// The password of a `scheme://user:password@host` URL.
    case urlCredentials
    /// The value assigned to a name that says it is a secret (`API_KEY=…`, `"password": "…"`).
    case envAssignment
    /// A long, random-looking string literal or assigned value.
    case highEntropy
}

/// One secret in a text.
public struct SecretFinding: Sendable, Hashable, Codable {
    /// What the secret is.
    public var kind: SecretKind
    /// The UTF-8 byte offsets of the secret value in the scanned text.
    public var range: Range<Int>
    /// The 1-based line of `range.lowerBound`.
    public var line: Int

    /// Creates a finding.
    ///
    /// - Parameters:
    ///   - kind: What the secret is.
    ///   - range: The UTF-8 byte offsets of the value.
    ///   - line: The 1-based line where it starts.
    public init(kind: SecretKind, range: Range<Int>, line: Int) {
        self.kind = kind
        self.range = range
        self.line = line
    }
}

/// Finds and redacts secrets in text that is about to leave the machine.
///
/// The scan is a few passes over the UTF-8 bytes: fixed token prefixes, PEM blocks, URL
/// credentials, assignments to secret-like names, and long high-entropy literals.
public enum SecretScanner {
    /// Finds the secrets in a text.
    ///
    /// - Parameter text: The text to scan.
    /// - Returns: The findings, sorted by offset and non-overlapping: overlapping candidates are merged,
    ///   and the more specific kind wins over ``SecretKind/envAssignment`` and ``SecretKind/highEntropy``.
    public static func scan(_ text: String) -> [SecretFinding] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            var scan = Scan(p: buffer)
            scan.run()
            return merge(scan.found, in: buffer)
        }
    }

    /// Replaces every secret in a text with a marker.
    ///
    /// - Parameter text: The text to redact.
    /// - Returns: The text with each finding's bytes replaced by `[REDACTED:<kind>]`, and the findings,
    ///   with offsets in the original text.
    public static func redact(_ text: String) -> (text: String, findings: [SecretFinding]) {
        let findings = scan(text)
        if findings.isEmpty { return (text, []) }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var at = 0
        for finding in findings {
            out.append(contentsOf: bytes[at..<finding.range.lowerBound])
            out.append(contentsOf: "[REDACTED:\(finding.kind.rawValue)]".utf8)
            at = finding.range.upperBound
        }
        out.append(contentsOf: bytes[at...])
        return (String(decoding: out, as: UTF8.self), findings)
    }

    private static func priority(_ kind: SecretKind) -> Int {
        switch kind {
        case .highEntropy: 0
        case .envAssignment: 1
        default: 2
        }
    }

    private static func merge(_ candidates: [(SecretKind, Range<Int>)], in p: UnsafeBufferPointer<UInt8>) -> [SecretFinding] {
        let sorted = candidates.sorted {
            $0.1.lowerBound != $1.1.lowerBound ? $0.1.lowerBound < $1.1.lowerBound : priority($0.0) > priority($1.0)
        }
        var merged: [(SecretKind, Range<Int>)] = []
        for (kind, range) in sorted {
            if let last = merged.last, range.lowerBound < last.1.upperBound {
                let upper = max(last.1.upperBound, range.upperBound)
                let winner = priority(kind) > priority(last.0) ? kind : last.0
                merged[merged.count - 1] = (winner, last.1.lowerBound..<upper)
            } else {
                merged.append((kind, range))
            }
        }
        var findings: [SecretFinding] = []
        var line = 1
        var at = 0
        for (kind, range) in merged {
            while at < range.lowerBound {
                if p[at] == 10 { line += 1 }
                at += 1
            }
            findings.append(SecretFinding(kind: kind, range: range, line: line))
        }
        return findings
    }
}

// MARK: - Byte classes

private func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
private func isLower(_ c: UInt8) -> Bool { c >= 97 && c <= 122 }
private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
private func isAlpha(_ c: UInt8) -> Bool { isUpper(c) || isLower(c) }
private func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }
/// `[A-Za-z0-9_-]`: base64url.
private func isURLSafe(_ c: UInt8) -> Bool { isAlnum(c) || c == 95 || c == 45 }
/// `[A-Za-z0-9+/=_-]`: the characters of a high-entropy run.
private func isRunByte(_ c: UInt8) -> Bool { isURLSafe(c) || c == 43 || c == 47 || c == 61 }
private func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }
private func isLineEnd(_ c: UInt8) -> Bool { c == 10 || c == 13 }
private func isWhite(_ c: UInt8) -> Bool { isSpace(c) || isLineEnd(c) }
private func isNameByte(_ c: UInt8) -> Bool { isURLSafe(c) || c == 46 }
private func lowered(_ c: UInt8) -> UInt8 { isUpper(c) ? c + 32 : c }
private func isHexLower(_ c: UInt8) -> Bool { isDigit(c) || (c >= 97 && c <= 102) }

private let dash = UInt8(ascii: "-"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
private let backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":"), equals = UInt8(ascii: "=")

/// Name words (lowercased, separators removed) that make an assigned value a secret.
private let sensitiveWords: [[UInt8]] = [
    "secret", "token", "password", "passwd", "pwd", "apikey", "accesskey", "privatekey", "credential",
    "credentials", "auth", "authorization", "passphrase",
].map { Array($0.utf8) }
/// What may follow the last sensitive word of a name (`secretKey`, `API_KEY_VALUE`, `tokens`).
private let sensitiveSuffixes: Set<[UInt8]> = Set([
    "", "s", "key", "keys", "value", "str", "string", "data", "b64", "base64", "hex", "raw", "keybase",
].map { Array($0.utf8) })
/// Names whose hex values are checksums, not secrets.
private let checksumWords: [[UInt8]] = ["sha", "checksum", "hash", "digest", "md5", "integrity", "commit", "revision"].map { Array($0.utf8) }
/// Unquoted values that are plainly not secrets.
private let plainWords: Set<[UInt8]> = Set(["true", "false", "null", "nil", "none", "yes", "no", "undefined"].map { Array($0.utf8) })
/// Prefixes of values that read a secret from somewhere else.
private let referencePrefixes: [[UInt8]] = [
    "process.env", "ProcessInfo", "os.environ", "os.getenv", "getenv", "ENV[", "System.getenv", "Environment.", "env(", "secrets.",
].map { Array($0.utf8) }
/// Swift type names with digits, which follow `name:` in declarations.
private let typePrefixes: [[UInt8]] = ["Int", "UInt", "Float", "SIMD", "UTF", "Unicode"].map { Array($0.utf8) }

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    var i = 0
    while i + needle.count <= haystack.count {
        if haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        i += 1
    }
    return false
}

// MARK: - The scan

private struct Scan {
    let p: UnsafeBufferPointer<UInt8>
    var found: [(SecretKind, Range<Int>)] = []

    var n: Int { p.count }

    /// Per byte: whether it belongs to a high-entropy run (a lookup, to keep the per-byte pass cheap).
    let runTable: [Bool]

    init(p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        runTable = (0..<256).map { isRunByte(UInt8($0)) }
    }

    func has(_ literal: StaticString, at i: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i >= 0, i + count <= n else { return false }
        let s = literal.utf8Start
        for k in 0..<count where p[i + k] != s[k] { return false }
        return true
    }

    /// The end of the run from `i` of bytes satisfying `test`.
    func runEnd(_ i: Int, _ test: (UInt8) -> Bool) -> Int {
        var j = i
        while j < n && test(p[j]) { j += 1 }
        return j
    }

    func boundaryBefore(_ i: Int) -> Bool { i == 0 || !isAlnum(p[i - 1]) }

    mutating func add(_ kind: SecretKind, _ range: Range<Int>) {
        if !range.isEmpty { found.append((kind, range)) }
    }

    mutating func run() {
        var i = 0
        while i < n {
            let c = p[i]
            switch c {
            case dash: if let end = privateKey(i) { i = end; continue }
            case UInt8(ascii: "A"): prefixed(i)
            case UInt8(ascii: "g"), UInt8(ascii: "x"), UInt8(ascii: "s"), UInt8(ascii: "r"), UInt8(ascii: "e"),
                 UInt8(ascii: "h"):
                prefixed(i)
            case colon:
                if has("://", at: i) { urlCredentials(i) } else { assignment(i) }
            case equals: assignment(i)
            default: break
            }
            i += 1
        }
        highEntropy()
    }

    // MARK: PEM

    /// A private key block starting at `i`; returns where scanning resumes.
    mutating func privateKey(_ i: Int) -> Int? {
        guard has("-----BEGIN ", at: i) else { return nil }
        var j = i + 11
        let labelStart = j
        while j < n && j - labelStart < 64 && (isUpper(p[j]) || isDigit(p[j]) || p[j] == 32) { j += 1 }
        guard has("-----", at: j) else { return nil }
        let label = Array(p[labelStart..<j])
        guard contains(label, Array("PRIVATE KEY".utf8)) else { return nil }
        var k = j + 5
        while k < n {
            if p[k] == dash && has("-----END ", at: k) {
                var e = k + 9
                while e < n && e - k < 80 && p[e] != dash && !isLineEnd(p[e]) { e += 1 }
                if has("-----", at: e) { e += 5 }
                add(.privateKey, i..<e)
                return e
            }
            k += 1
        }
        add(.privateKey, i..<n)
        return n
    }

    // MARK: Fixed prefixes

    mutating func prefixed(_ i: Int) {
        guard boundaryBefore(i) else { return }
        switch p[i] {
        case UInt8(ascii: "A"):
            if has("AKIA", at: i) || has("ASIA", at: i) {
                let end = runEnd(i + 4) { isUpper($0) || isDigit($0) }
                if end - i == 20 && (end == n || !isAlnum(p[end])) { add(.awsAccessKey, i..<end) }
            } else if has("AIza", at: i) {
                let end = runEnd(i + 4, isURLSafe)
                if end - i >= 39 { add(.googleAPIKey, i..<end) }
            }
        case UInt8(ascii: "g"):
            if has("ghp_", at: i) || has("gho_", at: i) || has("ghu_", at: i) || has("ghs_", at: i) || has("ghr_", at: i) {
                let end = runEnd(i + 4, isAlnum)
                if end - i >= 40 { add(.githubToken, i..<end) }
            } else if has("github_pat_", at: i) {
                let end = runEnd(i + 11) { isAlnum($0) || $0 == 95 }
                if end - i >= 93 { add(.githubToken, i..<end) }
            } else if has("glpat-", at: i) {
                let end = runEnd(i + 6, isURLSafe)
                if end - i >= 26 { add(.gitlabToken, i..<end) }
            }
        case UInt8(ascii: "x"):
            if has("xoxb-", at: i) || has("xoxp-", at: i) || has("xoxa-", at: i) || has("xoxr-", at: i) || has("xoxs-", at: i) {
                let end = runEnd(i + 5) { isAlnum($0) || $0 == dash }
                if end - i >= 15 { add(.slackToken, i..<end) }
            }
        case UInt8(ascii: "h"):
            if has("hooks.slack.com/services/", at: i) {
                let end = runEnd(i + 25) { isURLSafe($0) || $0 == 47 }
                guard end - (i + 25) >= 8 else { return }
                let start = has("https://", at: i - 8) ? i - 8 : (has("http://", at: i - 7) ? i - 7 : i)
                add(.slackToken, start..<end)
            }
        case UInt8(ascii: "s"), UInt8(ascii: "r"):
            if has("sk-ant-", at: i) {
                let end = runEnd(i + 7, isURLSafe)
                if end - (i + 7) >= 20 { add(.anthropicKey, i..<end) }
            } else if has("sk-", at: i) {
                let end = runEnd(i + 3, isURLSafe)
                var digits = false, letters = false
                for k in (i + 3)..<end { if isDigit(p[k]) { digits = true } else if isAlpha(p[k]) { letters = true } }
                if end - (i + 3) >= 20 && digits && letters { add(.openAIKey, i..<end) }
            } else if has("sk_live_", at: i) || has("rk_live_", at: i) || has("sk_test_", at: i) {
                let end = runEnd(i + 8, isAlnum)
                if end - (i + 8) >= 16 { add(.stripeKey, i..<end) }
            }
        case UInt8(ascii: "e"):
            guard has("eyJ", at: i) else { return }
            let first = runEnd(i + 3, isURLSafe)
            guard first - i >= 10, first < n, p[first] == 46, has("eyJ", at: first + 1) else { return }
            let second = runEnd(first + 4, isURLSafe)
            guard second - first >= 10, second < n, p[second] == 46 else { return }
            let third = runEnd(second + 1, isURLSafe)
            if third - second > 8 { add(.jwt, i..<third) }
        default:
            break
        }
    }

    // MARK: URL credentials

    /// `scheme://user:password@host` with `://` at `i`: the password.
    mutating func urlCredentials(_ i: Int) {
        guard i > 0, isAlpha(p[i - 1]) else { return }
        let start = i + 3
        var j = start
        var firstColon = -1, lastAt = -1
        while j < n {
            let c = p[j]
            if isWhite(c) || c == 47 || c == 63 || c == 35 || c == quote || c == apostrophe || c == 96 || c == 62 || c == 41 { break }
            if c == colon && firstColon < 0 { firstColon = j }
            if c == UInt8(ascii: "@") { lastAt = j }
            j += 1
        }
        guard firstColon >= 0, lastAt > firstColon + 1, lastAt + 1 < n, isAlnum(p[lastAt + 1]) else { return }
        let password = (firstColon + 1)..<lastAt
        let first = p[password.lowerBound]
        if first == UInt8(ascii: "$") || first == UInt8(ascii: "<") || first == UInt8(ascii: "{") || first == UInt8(ascii: "%") { return }
        if password.allSatisfy({ p[$0] == first }) && (first == UInt8(ascii: "*") || first == UInt8(ascii: "x")) { return }
        let word = Array(p[password]).map(lowered)
        if ["password", "pass", "passwd", "pwd", "secret"].contains(where: { word.elementsEqual($0.utf8) }) { return }
        add(.urlCredentials, password)
    }

    // MARK: Assignments

    /// The name left of an assignment operator at `op`, lowercased with separators removed, and
    /// where the line holding it starts.
    func assignedName(_ op: Int) -> (raw: Range<Int>, normalized: [UInt8])? {
        var j = op - 1
        while j >= 0 && isSpace(p[j]) { j -= 1 }
        guard j >= 0 else { return nil }
        var raw: Range<Int>
        if p[j] == quote || p[j] == apostrophe {
            let q = p[j]
            var k = j - 1
            while k >= 0 && p[k] != q && !isLineEnd(p[k]) && j - k < 128 { k -= 1 }
            guard k >= 0, p[k] == q else { return nil }
            raw = (k + 1)..<j
            // A quoted key starts an entry (`{"token": …`), not the second arm of `c ? "a" : "b"`.
            var m = k - 1
            while m >= 0 && isSpace(p[m]) { m -= 1 }
            if m >= 0 && !isLineEnd(p[m]) && !"{[(,-".utf8.contains(p[m]) { return nil }
        } else if p[j] == UInt8(ascii: "]"), j > 1, p[j - 1] == quote || p[j - 1] == apostrophe {
            let q = p[j - 1]
            var k = j - 2
            while k >= 0 && p[k] != q && !isLineEnd(p[k]) && j - k < 128 { k -= 1 }
            guard k >= 0 else { return nil }
            raw = (k + 1)..<(j - 1)
        } else {
            var end = j + 1
            if p[j] == UInt8(ascii: "?") || p[j] == UInt8(ascii: "!") { j -= 1; end -= 1 }
            var k = j
            while k >= 0 && isNameByte(p[k]) { k -= 1 }
            raw = (k + 1)..<end
            // `let name: Type = value`: the name is before the annotation.
            if p[op] == equals {
                var m = k
                while m >= 0 && isSpace(p[m]) { m -= 1 }
                if m >= 0 && p[m] == colon && !raw.isEmpty && isUpper(p[raw.lowerBound]) {
                    var e = m - 1
                    while e >= 0 && isSpace(p[e]) { e -= 1 }
                    var s = e
                    while s >= 0 && isNameByte(p[s]) { s -= 1 }
                    raw = (s + 1)..<(e + 1)
                }
            }
        }
        guard !raw.isEmpty else { return nil }
        var normalized: [UInt8] = []
        normalized.reserveCapacity(raw.count)
        for k in raw where isAlnum(p[k]) { normalized.append(lowered(p[k])) }
        return (raw, normalized)
    }

    static func isSensitive(_ name: [UInt8]) -> Bool {
        // The last sensitive word in the name, longest first at each position.
        var i = name.count - 1
        while i >= 0 {
            var best = -1
            let c = name[i]
            if c == UInt8(ascii: "s") || c == UInt8(ascii: "t") || c == UInt8(ascii: "p") || c == UInt8(ascii: "a") || c == UInt8(ascii: "c") {
                for word in sensitiveWords where word[0] == c && i + word.count <= name.count && word.count > best {
                    var k = 1
                    while k < word.count && name[i + k] == word[k] { k += 1 }
                    if k == word.count { best = word.count }
                }
            }
            if best > 0 {
                var suffix = Array(name[(i + best)...])
                while let last = suffix.last, isDigit(last) { suffix.removeLast() }
                return sensitiveSuffixes.contains(suffix)
            }
            i -= 1
        }
        return false
    }

    mutating func assignment(_ op: Int) {
        let c = p[op]
        let next: UInt8 = op + 1 < n ? p[op + 1] : 0
        let prev: UInt8 = op > 0 ? p[op - 1] : 0
        if c == equals {
            if next == equals || next == UInt8(ascii: ">") { return }
            if "=!<>+-*/%&|^~:".utf8.contains(prev) { return }
        } else {
            if next == colon || prev == colon { return }
        }
        guard let (raw, name) = assignedName(op), Scan.isSensitive(name) else { return }
        var j = (c == colon && next == equals) ? op + 2 : op + 1
        while j < n && isSpace(p[j]) { j += 1 }
        guard j < n, !isLineEnd(p[j]) else { return }
        let isAWS = contains(name, Array("aws".utf8)) && contains(name, Array("secret".utf8))
        if p[j] == quote || p[j] == apostrophe || p[j] == 96 {
            let q = p[j]
            if q == quote && has("\"\"\"", at: j) { return }
            var k = j + 1
            while k < n && p[k] != q && !isLineEnd(p[k]) {
                if p[k] == backslash { k += 1 }
                k += 1
            }
            guard k < n, p[k] == q else { return }
            var value = (j + 1)..<k
            if let token = bearer(value) { value = token }
            guard acceptQuoted(value) else { return }
            add(isAWS && isAWSSecret(value) ? .awsSecretKey : .envAssignment, value)
            return
        }
        // Unquoted; an HTTP header's `Bearer <token>` is the token.
        for scheme: StaticString in ["Bearer ", "Basic ", "Token "] where has(scheme, at: j) {
            let start = j + scheme.utf8CodeUnitCount
            let end = runEnd(start) { !isWhite($0) && $0 != quote && $0 != apostrophe && $0 != UInt8(ascii: ",") }
            if end - start >= 8 && p[start] != UInt8(ascii: "$") && p[start] != UInt8(ascii: "<") && p[start] != UInt8(ascii: "{") {
                add(.envAssignment, start..<end)
            }
            return
        }
        let first = p[j]
        if "$<{[(%&*!.@-\\#/~|>".utf8.contains(first) { return }
        if startsWithReference(j) { return }
        var k = j
        while k < n {
            let b = p[k]
            if isWhite(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: ";") || b == UInt8(ascii: ")") || b == UInt8(ascii: "}")
                || b == UInt8(ascii: "]") || b == quote || b == apostrophe || b == UInt8(ascii: "(") { break }
            k += 1
        }
        if k < n && p[k] == UInt8(ascii: "(") { return }
        var value = j..<k
        while value.count > 0 && (p[value.upperBound - 1] == UInt8(ascii: "?") || p[value.upperBound - 1] == UInt8(ascii: "!")) {
            value = value.lowerBound..<(value.upperBound - 1)
        }
        guard !value.isEmpty else { return }
        var digits = 0, identifierLike = true, dotted = false
        for m in value {
            let b = p[m]
            if isDigit(b) { digits += 1 } else if !(isAlpha(b) || "_.:?!<>".utf8.contains(b)) { identifierLike = false }
            if b == 46 { dotted = true }
        }
        if digits == value.count { return }
        if Array(p[value]).allSatisfy({ isDigit($0) || $0 == 46 || $0 == 95 || $0 == 120 || isHexLower($0) }) && p[value.lowerBound] == 48 { return }
        if plainWords.contains(Array(p[value]).map(lowered)) { return }
        if isAWS && isAWSSecret(value) { add(.awsSecretKey, value); return }
        if identifierLike && !isDigit(first) {
            // An identifier, a type or a member path: a secret only in `.env`-style `NAME=value` lines,
            // or when it holds digits and is no Swift type name.
            let envLine = c == equals && prev != 32 && next != 32 && isEnvName(raw) && lineStartsWith(raw.lowerBound)
            if !envLine {
                if digits == 0 || dotted { return }
                if typePrefixes.contains(where: { has(Array(p[value]), prefix: $0) }) { return }
                if Array(p[value]).map(lowered) == name { return }
            }
        }
        guard value.count >= 6 else { return }
        add(.envAssignment, value)
    }

    func has(_ bytes: [UInt8], prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && bytes[0..<prefix.count].elementsEqual(prefix) }

    func isEnvName(_ raw: Range<Int>) -> Bool { raw.allSatisfy { isUpper(p[$0]) || isDigit(p[$0]) || p[$0] == 95 } }

    /// Whether only blanks, or `export `, stand between the line's start and `i`.
    func lineStartsWith(_ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && isSpace(p[j]) { j -= 1 }
        if j < 0 || isLineEnd(p[j]) { return true }
        if j >= 5 && has("export", at: j - 5) { return j - 6 < 0 || isWhite(p[j - 6]) }
        return false
    }

    func startsWithReference(_ j: Int) -> Bool {
        for prefix in referencePrefixes where j + prefix.count <= n {
            if p[j..<(j + prefix.count)].elementsEqual(prefix) { return true }
        }
        return false
    }

    /// The token of an `Authorization`-style value (`Bearer <token>`).
    func bearer(_ value: Range<Int>) -> Range<Int>? {
        for prefix: StaticString in ["Bearer ", "Basic ", "Token ", "token ", "bearer "] where has(prefix, at: value.lowerBound) {
            let start = value.lowerBound + prefix.utf8CodeUnitCount
            if start < value.upperBound { return start..<value.upperBound }
        }
        return nil
    }

    func isAWSSecret(_ value: Range<Int>) -> Bool {
        value.count == 40 && value.allSatisfy { isAlnum(p[$0]) || p[$0] == 43 || p[$0] == 47 }
    }

    func acceptQuoted(_ value: Range<Int>) -> Bool {
        guard value.count >= 4 else { return false }
        let first = p[value.lowerBound]
        if first == UInt8(ascii: "<") || first == UInt8(ascii: "/") || first == UInt8(ascii: "~") { return false }
        if first == UInt8(ascii: "$") && value.count > 1 && (isAlpha(p[value.lowerBound + 1]) || p[value.lowerBound + 1] == 123 || p[value.lowerBound + 1] == 95) { return false }
        if has("./", at: value.lowerBound) || has("../", at: value.lowerBound) { return false }
        if startsWithReference(value.lowerBound) { return false }
        var k = value.lowerBound
        var allSame = true
        while k < value.upperBound {
            let b = p[k]
            if isWhite(b) { return false }
            if b == backslash && k + 1 < value.upperBound && p[k + 1] == UInt8(ascii: "(") { return false }
            if b == UInt8(ascii: "{") && k + 1 < value.upperBound && p[k + 1] == UInt8(ascii: "{") { return false }
            if b == UInt8(ascii: "%") && k + 1 < value.upperBound && "s@dfi".utf8.contains(p[k + 1]) { return false }
            if b == colon && has("://", at: k) { return false }
            if b != first { allSame = false }
            k += 1
        }
        return !allSame
    }

    // MARK: High entropy

    mutating func highEntropy() {
        var i = 0
        var inQuote = false
        var lineStart = 0
        while i < n {
            let c = p[i]
            if isLineEnd(c) { inQuote = false; lineStart = i + 1; i += 1; continue }
            if c == quote {
                var slashes = 0
                var k = i - 1
                while k >= lineStart && p[k] == backslash { slashes += 1; k -= 1 }
                if slashes % 2 == 0 { inQuote.toggle() }
                i += 1
                continue
            }
            guard runTable[Int(c)] else { i += 1; continue }
            var end = i + 1
            while end < n && runTable[Int(p[end])] { end += 1 }
            if end - i >= 20 { entropyRun(i..<end, inQuote: inQuote, lineStart: lineStart) }
            i = end
        }
    }

    mutating func entropyRun(_ run: Range<Int>, inQuote: Bool, lineStart: Int) {
        // The context: a string literal, or the value of an assignment.
        var before = run.lowerBound - 1
        while before >= lineStart && isSpace(p[before]) { before -= 1 }
        let prev: UInt8 = before >= lineStart ? p[before] : 10
        let assigned = prev == equals || prev == colon
        guard inQuote || assigned || prev == apostrophe else { return }
        if has("base64,", at: run.lowerBound - 7) { return }
        var upper = 0, lower = 0, digits = 0, hexLower = true
        for k in run {
            let b = p[k]
            if isUpper(b) { upper += 1 } else if isLower(b) { lower += 1 } else if isDigit(b) { digits += 1 }
            if !isHexLower(b) { hexLower = false }
        }
        guard digits > 0, upper + lower > 0 else { return }
        if isUUID(run) { return }
        if hexLower {
            guard run.count >= 32, run.count != 40, entropy(run) >= 3.0 else { return }
            if let name = nameBefore(before), checksumWords.contains(where: { contains(name, $0) }) { return }
            add(.highEntropy, run)
            return
        }
        guard upper > 0, lower > 0 else { return }
        // Identifiers change character class every word; random strings every other character.
        var changes = 0
        var previousClass = -1
        for k in run {
            let b = p[k]
            let cls = isUpper(b) ? 0 : isLower(b) ? 1 : isDigit(b) ? 2 : 3
            if previousClass >= 0 && cls != previousClass { changes += 1 }
            previousClass = cls
        }
        guard Double(changes) / Double(run.count - 1) >= 0.45 else { return }
        // Names made of short parts (`Model2-135M-Instruct`) are no keys.
        var longest = 0, part = 0
        for k in run {
            if isAlnum(p[k]) { part += 1; longest = max(longest, part) } else { part = 0 }
        }
        guard longest >= 12 else { return }
        guard entropy(run) >= 4.0 else { return }
        add(.highEntropy, run)
    }

    /// The normalized name an assigned or quoted value at `before` (its operator or quote) belongs to.
    func nameBefore(_ before: Int) -> [UInt8]? {
        var op = before
        if op >= 0 && (p[op] == quote || p[op] == apostrophe) {
            op -= 1
            while op >= 0 && isSpace(p[op]) { op -= 1 }
        }
        guard op >= 0, p[op] == equals || p[op] == colon else { return nil }
        return assignedName(op)?.normalized
    }

    func isUUID(_ run: Range<Int>) -> Bool {
        guard run.count == 36 else { return false }
        for (offset, k) in run.enumerated() {
            let b = p[k]
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                if b != dash { return false }
            } else if !(isDigit(b) || (lowered(b) >= 97 && lowered(b) <= 102)) {
                return false
            }
        }
        return true
    }

    func entropy(_ run: Range<Int>) -> Double {
        var counts = [Int](repeating: 0, count: 128)
        for k in run { counts[Int(p[k] & 127)] += 1 }
        let total = Double(run.count)
        var bits = 0.0
        for count in counts where count > 0 {
            let f = Double(count) / total
            bits -= f * log2(f)
        }
        return bits
    }
}

/// The base-2 logarithm, by the natural logarithm's series (no Foundation here).
private func log2(_ x: Double) -> Double {
    // x = m * 2^e with m in [1, 2); log2(x) = e + ln(m) / ln 2.
    guard x > 0 else { return -.infinity }
    let e = x.exponent
    let m = x.significand
    // ln(m) = 2 * atanh((m - 1) / (m + 1)).
    let t = (m - 1) / (m + 1)
    let t2 = t * t
    var term = t, sum = 0.0
    var k = 1.0
    while k < 40 {
        sum += term / k
        term *= t2
        k += 2
    }
    return Double(e) + 2 * sum / 0.6931471805599453
}
