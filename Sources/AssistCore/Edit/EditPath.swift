/// Paths as models write them, made into paths relative to the repository root.
public enum EditPath {
    /// Normalises a path a model wrote, relative to the repository root.
    ///
    /// Strips surrounding whitespace, backticks, quotes and `**`; a leading `./` (always); and a leading
    /// `a/` or `b/` (the prefixes of diffs) only when the path itself is not in `known` and the rest
    /// is. Empty and `.` components (`x//y`, `x/./y`) are dropped. Refuses absolute paths (`/…`, `~…`,
    /// `C:\…`), any `..` component, empty paths, paths ending in `/`, NUL, and `.git` or anything
    /// under `.git/` (in any letter case, at any depth).
    /// - Parameters:
    ///   - raw: The path as the model wrote it.
    ///   - known: The paths of the repository's files, relative to its root.
    /// - Returns: The normalised path, or an error of kind `badPath` whose message says why.
    public static func normalize(_ raw: String, known: Set<String>) -> Result<String, EditError> {
        var path = raw
        while true {
            let before = path
            path = EditText.trimmed(path)
            for mark in ["**", "`", "\"", "'"] where path.count >= 2 * mark.count {
                if path.hasPrefix(mark) && path.hasSuffix(mark) {
                    path = String(path.dropFirst(mark.count).dropLast(mark.count))
                } else if path.hasPrefix(mark) && !path.dropFirst(mark.count).contains(where: { mark.contains($0) }) {
                    path = String(path.dropFirst(mark.count))
                } else if path.hasSuffix(mark) && !path.dropLast(mark.count).contains(where: { mark.contains($0) }) {
                    path = String(path.dropLast(mark.count))
                }
            }
            if path == before { break }
        }
        let shown = path.isEmpty ? raw : path
        func refuse(_ why: String) -> Result<String, EditError> {
            .failure(EditError(kind: .badPath, message: "The path `\(shown)` \(why)"))
        }
        if path.isEmpty { return .failure(EditError(kind: .badPath, message: "The path is empty; name the file relative to the repository root.")) }
        if path.unicodeScalars.contains("\0") { return refuse("contains a NUL character; name the file relative to the repository root.") }
        if path.hasPrefix("/") || path.hasPrefix("\\") || path.hasPrefix("~") || isDrivePath(path) {
            return refuse("is absolute; write it relative to the repository root, e.g. `Sources/App/main.swift`.")
        }
        if path.hasSuffix("/") { return refuse("names a directory; name a file.") }
        var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if components.contains("..") { return refuse("leaves the repository root (`..`); write it relative to the repository root without `..`.") }
        components.removeAll { $0.isEmpty || $0 == "." }
        if components.isEmpty { return refuse("names no file; name the file relative to the repository root.") }
        if components.contains(where: { $0.lowercased() == ".git" }) {
            return refuse("is inside `.git`, which cannot be edited; edit files of the working tree only.")
        }
        path = components.joined(separator: "/")
        if !known.contains(path), components.count > 1, components[0] == "a" || components[0] == "b" {
            let rest = components.dropFirst().joined(separator: "/")
            if known.contains(rest) { path = rest }
        }
        return .success(path)
    }

    /// Why a change to a file must be reviewed by a person instead of written by `--apply` (or an
    /// editor's "accept all"), or `nil` when it may be applied: the files a model answer may change
    /// on its own are the Swift sources the request is about.
    ///
    /// Refused are dotfiles and anything in a dot-folder (`.github/`, `.envrc`, `.assist.toml`,
    /// `.gitignore`: configuration that tools run or trust), executables, files that are not Swift
    /// sources, and `Package.swift` (it runs when the package builds). The file the request names
    /// is exempt from all but the dot rule: the user asked for it.
    ///
    /// - Parameters:
    ///   - path: The path from the repository root.
    ///   - isExecutable: Whether the file exists and is executable.
    ///   - requested: The file the request names, if any.
    /// - Returns: The reason, in words.
    public static func reviewReason(_ path: String, isExecutable: Bool, requested: String?) -> String? {
        let components = path.split(separator: "/")
        if components.contains(where: { $0.hasPrefix(".") }) {
            return "\(path) is a dotfile or in a dot-folder (configuration that tools run or trust)"
        }
        if path == requested { return nil }
        if isExecutable { return "\(path) is an executable file" }
        if components.last == "Package.swift" { return "\(path) is a package manifest, which runs when the package builds" }
        if !path.hasSuffix(".swift") { return "\(path) is not a Swift source file" }
        return nil
    }

    /// Whether a path starts with a Windows drive, as in `C:\` or `C:/`.
    private static func isDrivePath(_ path: String) -> Bool {
        let scalars = Array(path.unicodeScalars.prefix(3))
        guard scalars.count == 3, scalars[1] == ":", scalars[2] == "/" || scalars[2] == "\\" else { return false }
        return ("a"..."z").contains(scalars[0]) || ("A"..."Z").contains(scalars[0])
    }
}
