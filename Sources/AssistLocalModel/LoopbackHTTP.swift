import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few plain HTTP/1.1 requests the managed server needs (`/health`, `/v1/models`, `/props`),
/// over a loopback socket: no proxy settings apply, and nothing but 127.0.0.1 is ever reached.
public enum LoopbackHTTP {
    /// An answer: its status and body.
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
    }

    /// A free TCP port on 127.0.0.1, as the kernel picks it.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalModelError(.serverFailed, "socket() failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LocalModelError(.serverFailed, "bind() failed: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw LocalModelError(.serverFailed, "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    /// Sends `GET path` to 127.0.0.1:port and reads the whole answer.
    /// - Returns: The status and body, or `nil` when nothing answers (connection refused, timeout).
    /// - Parameters:
    ///   - port: The loopback port.
    ///   - path: The path, with its query.
    ///   - bearer: An API key sent as `Authorization: Bearer …`, or `nil` for none.
    ///   - timeoutSeconds: The longest wait for each send and receive.
    public static func get(port: Int, path: String, bearer: String? = nil, timeoutSeconds: Int = 5) async -> Response? {
        await withCheckedContinuation { continuation in
            // Blocking socket calls run on their own thread, never on the cooperative pool.
            Thread { continuation.resume(returning: blockingGet(port: port, path: path, bearer: bearer, timeoutSeconds: timeoutSeconds)) }.start()
        }
    }

    /// ``get(port:path:bearer:timeoutSeconds:)`` on the calling thread (which it blocks).
    static func blockingGet(port: Int, path: String, bearer: String? = nil, timeoutSeconds: Int) -> Response? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: UInt16(port))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let authorization = bearer.map { ["Authorization: Bearer", $0].joined(separator: " ") + "\r\n" } ?? ""
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: application/json\r\n\(authorization)Connection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return nil }
            sent += count
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            received.append(contentsOf: chunk[0..<count])
        }
        return parse(received)
    }

    /// Parses a whole HTTP/1.1 response (Content-Length, chunked, or up to the end).
    static func parse(_ bytes: [UInt8]) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var body = Array(bytes[(end + 4)...])
        let headers = head.dropFirst().map { $0.lowercased() }
        if headers.contains(where: { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }) {
            var decoded: [UInt8] = []
            var index = 0
            while index < body.count {
                guard let lineEnd = body[index...].indices.first(where: { body[$0...].starts(with: [13, 10]) }),
                    let size = Int(String(decoding: body[index..<lineEnd], as: UTF8.self).split(separator: ";")[0]
                        .trimmingCharacters(in: .whitespaces), radix: 16)
                else { break }
                if size == 0 { break }
                let start = lineEnd + 2
                guard start + size <= body.count else { break }
                decoded += body[start..<(start + size)]
                index = start + size + 2
            }
            body = decoded
        } else if let line = headers.first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)), length <= body.count
        {
            body = Array(body[..<length])
        }
        return Response(status: status, body: Data(body))
    }
}
