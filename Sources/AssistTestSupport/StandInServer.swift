import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A stand-in HTTP/1.1 server for backend tests, on 127.0.0.1 and a free port.
///
/// It plays whatever a test scripts, byte by byte, so it can also misbehave the way real servers
/// do: close before the head, close in the middle of a chunked body, wait before the first byte,
/// split an SSE event across TCP writes. Every response is `connection: close`.
///
/// Shared state (requests seen, connections closed, child channels) is guarded by one mutex.
public final class StandInServer: Sendable {
    /// A request as the server received it.
    public struct Request: Sendable {
        /// The method, for example `POST`.
        public var method: String
        /// The target: path and query, for example `/v1/messages`.
        public var target: String
        /// The headers in order, names lowercased.
        public var headers: [(name: String, value: String)]
        /// The body.
        public var body: [UInt8]
        /// When the whole request had arrived.
        public var receivedAt: ContinuousClock.Instant = .now

        /// The first value of a header.
        /// - Parameter name: The header's name, any case.
        /// - Returns: The value, or `nil` when absent.
        public func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }

        /// The path without the query.
        public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }

        /// The body parsed as a JSON object, or `nil`.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
    }

    /// One step of a scripted reply.
    public enum Step: Sendable {
        /// Writes bytes as they are (a head, or a body without chunked framing).
        case raw([UInt8])
        /// Writes bytes as one chunk of a chunked body, flushed on its own.
        case chunk([UInt8])
        /// Waits before the next step.
        case pause(Duration)
        /// Ends a chunked body properly.
        case endChunks
        /// Closes the connection at once, whatever was written before (a FIN).
        case close
        /// Resets the connection: closes it with `SO_LINGER` 0, so the client gets an RST.
        case reset
    }

    /// A scripted reply: steps played in order; the connection is closed after the last.
    public struct Reply: Sendable {
        /// The steps.
        public var steps: [Step]

        /// Creates a reply from steps.
        /// - Parameter steps: The steps.
        public init(steps: [Step]) { self.steps = steps }

        /// The head of a response.
        /// - Parameters:
        ///   - status: The status code.
        ///   - headers: Extra headers.
        ///   - contentType: The content type.
        ///   - chunked: Whether the body is chunked (else `content-length` must be in `headers`).
        /// - Returns: The head's bytes.
        public static func head(status: Int, headers: [(String, String)] = [], contentType: String, chunked: Bool) -> [UInt8] {
            var text = "HTTP/1.1 \(status) \(reason(status))\r\ncontent-type: \(contentType)\r\nconnection: close\r\n"
            if chunked { text += "transfer-encoding: chunked\r\n" }
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            return Array((text + "\r\n").utf8)
        }

        /// A whole response with a `content-length`.
        /// - Parameters:
        ///   - status: The status code.
        ///   - body: The body.
        ///   - contentType: The content type.
        ///   - headers: Extra headers.
        /// - Returns: The reply.
        public static func whole(status: Int = 200, body: String, contentType: String = "application/json", headers: [(String, String)] = []) -> Reply {
            let bytes = Array(body.utf8)
            return Reply(steps: [
                .raw(head(status: status, headers: headers + [("content-length", "\(bytes.count)")], contentType: contentType, chunked: false)),
                .raw(bytes),
            ])
        }

        /// A streamed response: a chunked body, one chunk per piece, each flushed on its own with a
        /// short pause between them so that they reach the client in separate reads.
        /// - Parameters:
        ///   - pieces: The body's pieces.
        ///   - contentType: The content type, `text/event-stream` by default.
        ///   - gap: The pause between pieces.
        ///   - complete: Whether the body ends properly; `false` ends the connection after the
        ///     last piece (a stream cut mid-way).
        ///   - reset: Whether an incomplete body ends with a reset (RST) rather than a close (FIN).
        /// - Returns: The reply.
        public static func streamed(
            _ pieces: [String], contentType: String = "text/event-stream", gap: Duration = .milliseconds(5), complete: Bool = true,
            reset: Bool = false
        ) -> Reply {
            var steps: [Step] = [.raw(head(status: 200, contentType: contentType, chunked: true))]
            for (index, piece) in pieces.enumerated() {
                if index > 0 { steps.append(.pause(gap)) }
                steps.append(.chunk(Array(piece.utf8)))
            }
            steps.append(complete ? .endChunks : reset ? .reset : .close)
            return Reply(steps: steps)
        }

        /// Closes the connection before sending anything.
        public static let closeBeforeHead = Reply(steps: [.close])

        /// Resets the connection (RST) before sending anything.
        public static let resetBeforeHead = Reply(steps: [.reset])

        /// Waits, then plays another reply (a slow first byte).
        /// - Parameters:
        ///   - delay: How long to wait.
        ///   - reply: The reply after the wait.
        /// - Returns: The reply.
        public static func delayed(_ delay: Duration, _ reply: Reply) -> Reply {
            Reply(steps: [.pause(delay)] + reply.steps)
        }

        static func reason(_ status: Int) -> String {
            switch status {
            case 200: return "OK"
            case 400: return "Bad Request"
            case 401: return "Unauthorized"
            case 403: return "Forbidden"
            case 404: return "Not Found"
            case 429: return "Too Many Requests"
            case 500: return "Internal Server Error"
            case 503: return "Service Unavailable"
            case 529: return "Overloaded"
            default: return "Status"
            }
        }
    }

    private struct State {
        var requests: [Request] = []
        var closedConnections = 0
        var children: [ObjectIdentifier: any Channel] = [:]
        var script: [Reply] = []
    }

    private let state = Mutex(State())
    private let route: @Sendable (Request, Int) -> Reply?
    private let channel: any Channel

    /// The port the server listens on.
    public let port: Int

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(channel: any Channel, port: Int, route: @escaping @Sendable (Request, Int) -> Reply?) {
        self.channel = channel
        self.port = port
        self.route = route
    }

    /// Starts a server that answers each request with the reply a closure chooses.
    /// - Parameter route: Given the request and its 0-based number, the reply; `nil` plays the next
    ///   reply of the script (see ``enqueue(_:)``), or a 404 when the script is empty.
    /// - Returns: The running server.
    /// - Throws: When no port can be bound.
    public static func start(route: @escaping @Sendable (Request, Int) -> Reply? = { _, _ in nil }) async throws -> StandInServer {
        let box = Mutex<StandInServer?>(nil)
        // No SO_REUSEADDR: with it, port 0 may be given a port that another socket of this process
        // still holds, and two stand-ins of tests running at once could meet on one port.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    guard let server = box.withLock({ $0 }) else { throw ChannelError.ioOnClosedChannel }
                    try child.pipeline.syncOperations.addHandler(Connection(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try await channel.close()
            throw ChannelError.ioOnClosedChannel
        }
        let server = StandInServer(channel: channel, port: port, route: route)
        box.withLock { $0 = server }
        return server
    }

    /// Starts a server that plays scripted replies to requests in order, whatever their path.
    /// - Parameter replies: The replies; requests beyond them get a 404.
    /// - Returns: The running server.
    /// - Throws: When no port can be bound.
    public static func start(script replies: [Reply]) async throws -> StandInServer {
        let server = try await start()
        for reply in replies { server.enqueue(reply) }
        return server
    }

    /// Adds a reply to the script.
    /// - Parameter reply: The reply for the next request that the route does not answer.
    public func enqueue(_ reply: Reply) {
        state.withLock { $0.script.append(reply) }
    }

    /// The requests received so far, in order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// How many client connections have closed so far.
    public var closedConnections: Int { state.withLock { $0.closedConnections } }

    /// Waits until at least a number of connections have closed.
    /// - Parameters:
    ///   - count: The number of closed connections to wait for.
    ///   - timeout: How long to wait at most.
    /// - Returns: Whether that many closed in time.
    public func waitForClosedConnections(_ count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if closedConnections >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return closedConnections >= count
    }

    /// Stops listening and closes every open connection.
    public func stop() async {
        try? await channel.close()
        let children = state.withLock { Array($0.children.values) }
        for child in children { try? await child.close() }
    }

    // MARK: Connections

    fileprivate func received(_ request: Request) -> Reply {
        let number = state.withLock { state -> Int in
            state.requests.append(request)
            return state.requests.count - 1
        }
        if let reply = route(request, number) { return reply }
        return state.withLock { state in
            state.script.isEmpty ? Reply.whole(status: 404, body: "{\"error\":\"no scripted reply\"}") : state.script.removeFirst()
        }
    }

    fileprivate func opened(_ channel: any Channel) {
        state.withLock { $0.children[ObjectIdentifier(channel)] = channel }
    }

    fileprivate func closed(_ channel: any Channel) {
        state.withLock {
            $0.children[ObjectIdentifier(channel)] = nil
            $0.closedConnections += 1
        }
    }

    fileprivate static func play(_ reply: Reply, on channel: any Channel) async {
        do {
            for step in reply.steps {
                switch step {
                case .raw(let bytes):
                    try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
                case .chunk(let bytes):
                    var frame = ByteBuffer(string: String(bytes.count, radix: 16) + "\r\n")
                    frame.writeBytes(bytes)
                    frame.writeString("\r\n")
                    try await channel.writeAndFlush(frame)
                case .pause(let duration):
                    try await Task.sleep(for: duration)
                case .endChunks:
                    try await channel.writeAndFlush(ByteBuffer(string: "0\r\n\r\n"))
                case .close:
                    try await channel.close()
                    return
                case .reset:
                    if let socket = channel as? any SocketOptionProvider {
                        try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                    }
                    try await channel.close()
                    return
                }
            }
            try await channel.close()
        } catch {
            try? await channel.close()
        }
    }
}

/// Reads one request (head and `content-length` body), then plays its reply. Runs on the
/// channel's event loop; its buffer is touched only there.
private final class Connection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let server: StandInServer
    var buffer: [UInt8] = []
    var answered = false

    init(server: StandInServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        server.opened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        buffer += bytes.readableBytesView
        guard !answered, let request = parse() else { return }
        answered = true
        let reply = server.received(request)
        let channel = context.channel
        Task { await StandInServer.play(reply, on: channel) }
    }

    func parse() -> StandInServer.Request? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = buffer.indices.first(where: { buffer[$0...].starts(with: separator) }) else { return nil }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = end + 4
        guard buffer.count - bodyStart >= length else { return nil }
        return StandInServer.Request(
            method: requestLine.first.map(String.init) ?? "",
            target: requestLine.count > 1 ? String(requestLine[1]) : "/",
            headers: headers, body: Array(buffer[bodyStart..<(bodyStart + length)]))
    }
}
