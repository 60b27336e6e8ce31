/// Why a `privacy.localOnly` pattern was rejected.
public struct PathGlobError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with a pattern.
    public enum Reason: Sendable, Equatable {
        /// The pattern is empty (or only `/`).
        case empty
        /// A `[` at this character offset has no closing `]`.
        case unclosedBracket(offset: Int)
    }

    /// The pattern as written.
    public var pattern: String
    /// What is wrong with it.
    public var reason: Reason

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - pattern: The pattern as written.
    ///   - reason: What is wrong with it.
    public init(pattern: String, reason: Reason) {
        self.pattern = pattern
        self.reason = reason
    }

    /// A message naming the pattern.
    public var description: String {
        switch reason {
        case .empty: "invalid path pattern \"\(pattern)\": it is empty"
        case .unclosedBracket(let offset): "invalid path pattern \"\(pattern)\": the '[' at offset \(offset) is not closed"
        }
    }
}

/// A `privacy.localOnly` pattern, with .gitignore-like rules over repository-relative paths using "/".
///
/// `*` matches within one path component, `?` one character, `[abc]`, `[a-z]` and `[!x]` one of a set,
/// and `**` as a whole component zero or more components. A pattern without a `/` (other than a
/// trailing one) matches a component at any depth; any other pattern is anchored at the root. A
/// trailing `/` matches only a directory. A pattern that matches a directory matches everything
/// below it. Matching is case-sensitive.
public struct PathGlob: Sendable, Hashable {
    /// The pattern as written.
    public let pattern: String

    private enum Piece: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case any
        case star
        case set(ranges: [ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    private enum Component: Sendable, Hashable {
        case globstar
        case pieces([Piece])
    }

    private let components: [Component]
    private let anchored: Bool
    private let directoryOnly: Bool

    /// Parses a pattern.
    ///
    /// - Parameter pattern: The pattern, as in `privacy.localOnly`.
    /// - Throws: ``PathGlobError`` for an empty pattern or an unclosed `[`.
    public init(_ pattern: String) throws(PathGlobError) {
        self.pattern = pattern
        var body = Substring(pattern)
        var anchored = false
        var directoryOnly = false
        if body.hasPrefix("/") { anchored = true; body = body.dropFirst() }
        if body.hasSuffix("/") { directoryOnly = true; body = body.dropLast() }
        if body.isEmpty { throw PathGlobError(pattern: pattern, reason: .empty) }
        if body.contains("/") { anchored = true }
        let leading = pattern.unicodeScalars.count - body.unicodeScalars.count - (directoryOnly ? 1 : 0)
        var components: [Component] = []
        var offset = leading
        for part in body.split(separator: "/", omittingEmptySubsequences: false) {
            if part == "**" {
                components.append(.globstar)
            } else {
                components.append(.pieces(try PathGlob.pieces(Array(part.unicodeScalars), offset: offset, pattern: pattern)))
            }
            offset += part.unicodeScalars.count + 1
        }
        self.components = components
        self.anchored = anchored
        self.directoryOnly = directoryOnly
    }

    private static func pieces(_ s: [Unicode.Scalar], offset: Int, pattern: String) throws(PathGlobError) -> [Piece] {
        var pieces: [Piece] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            switch c {
            case "*":
                if pieces.last != .star { pieces.append(.star) }
                i += 1
            case "?":
                pieces.append(.any)
                i += 1
            case "\\" where i + 1 < s.count:
                pieces.append(.literal(s[i + 1]))
                i += 2
            case "[":
                var j = i + 1
                var negated = false
                if j < s.count && (s[j] == "!" || s[j] == "^") { negated = true; j += 1 }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                while j < s.count && (s[j] != "]" || first) {
                    first = false
                    var low = s[j]
                    if low == "\\" && j + 1 < s.count { j += 1; low = s[j] }
                    if j + 2 < s.count && s[j + 1] == "-" && s[j + 2] != "]" {
                        let high = s[j + 2]
                        ranges.append(low <= high ? low...high : high...low)
                        j += 3
                    } else {
                        ranges.append(low...low)
                        j += 1
                    }
                }
                guard j < s.count else { throw PathGlobError(pattern: pattern, reason: .unclosedBracket(offset: offset + i)) }
                pieces.append(.set(ranges: ranges, negated: negated))
                i = j + 1
            default:
                pieces.append(.literal(c))
                i += 1
            }
        }
        return pieces
    }

    /// Whether a path is matched by this pattern.
    ///
    /// - Parameter path: A repository-relative path using `/`; a trailing `/` marks a directory.
    /// - Returns: True when the path, or a directory above it, matches.
    public func matches(_ path: String) -> Bool {
        let isDirectory = path.hasSuffix("/")
        let parts = path.split(separator: "/").filter { $0 != "." }.map { Array($0.unicodeScalars) }
        guard !parts.isEmpty else { return false }
        if anchored { return prefixMatches(0, parts, 0, isDirectory) }
        guard case .pieces(let pieces)? = components.first, components.count == 1 else {
            // A lone `**`: everything.
            return true
        }
        for (index, part) in parts.enumerated() where PathGlob.match(pieces[...], part[...]) {
            if !directoryOnly || index < parts.count - 1 || isDirectory { return true }
        }
        return false
    }

    /// Whether `components[pi...]` matches `parts[si..<k]` for some `k`, the directory rule included.
    private func prefixMatches(_ pi: Int, _ parts: [[Unicode.Scalar]], _ si: Int, _ isDirectory: Bool) -> Bool {
        if pi == components.count {
            return !directoryOnly || si < parts.count || isDirectory
        }
        switch components[pi] {
        case .globstar:
            // A trailing `**` needs at least one component below.
            let lowest = pi == components.count - 1 ? si + 1 : si
            guard lowest <= parts.count else { return false }
            for s in lowest...parts.count where prefixMatches(pi + 1, parts, s, isDirectory) { return true }
            return false
        case .pieces(let pieces):
            guard si < parts.count, PathGlob.match(pieces[...], parts[si][...]) else { return false }
            return prefixMatches(pi + 1, parts, si + 1, isDirectory)
        }
    }

    private static func match(_ pieces: ArraySlice<Piece>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let piece = pieces.first else { return name.isEmpty }
        switch piece {
        case .star:
            let rest = pieces.dropFirst()
            if rest.isEmpty { return true }
            var start = name.startIndex
            while true {
                if match(rest, name[start...]) { return true }
                if start == name.endIndex { return false }
                start += 1
            }
        case .any:
            guard !name.isEmpty else { return false }
            return match(pieces.dropFirst(), name.dropFirst())
        case .literal(let c):
            guard name.first == c else { return false }
            return match(pieces.dropFirst(), name.dropFirst())
        case .set(let ranges, let negated):
            guard let c = name.first else { return false }
            guard ranges.contains(where: { $0.contains(c) }) != negated else { return false }
            return match(pieces.dropFirst(), name.dropFirst())
        }
    }

    /// Whether any of several patterns matches a path.
    ///
    /// - Parameters:
    ///   - globs: The patterns.
    ///   - path: A repository-relative path using `/`.
    /// - Returns: True when any pattern matches.
    public static func anyMatches(_ globs: [PathGlob], _ path: String) -> Bool {
        globs.contains { $0.matches(path) }
    }

    /// Two globs are equal when their patterns are.
    ///
    /// - Parameters:
    ///   - lhs: A glob.
    ///   - rhs: Another glob.
    /// - Returns: Whether the patterns are equal.
    public static func == (lhs: PathGlob, rhs: PathGlob) -> Bool { lhs.pattern == rhs.pattern }

    /// Hashes the pattern.
    ///
    /// - Parameter hasher: The hasher.
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}
