import AssistCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP client per pair of timeouts, shared by every backend for the life of the process
/// (like `HTTPClient.shared`, these are never shut down). Protected by the mutex.
private let clients = Mutex<[String: HTTPClient]>([:])

private func sharedClient(connect: Duration, read: Duration) -> HTTPClient {
    let key = "\(connect)|\(read)"
    return clients.withLock { clients in
        if let client = clients[key] { return client }
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(connect), read: TimeAmount(read)))
        configuration.httpVersion = .automatic
        // A refused connection fails at once; `HTTPTransport` retries it under the backend's policy
        // (the pool's own retry would hide it until the connect timeout).
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        clients[key] = client
        return client
    }
}

extension TimeAmount {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// A request as a provider describes it; the transport adds nothing but the body's length.
struct HTTPCall: Sendable {
    var method: HTTPMethod = .POST
    /// The full URL.
    var url: String
    /// Headers, the key's header included.
    var headers: [(String, String)] = []
    var body: [UInt8]? = nil
}

/// What a provider says about an error response.
struct ErrorInterpretation: Sendable {
    /// The kind of failure, if the body names one (for example Anthropic's `overloaded_error`).
    var kind: BackendError.Kind?
    /// The server's message, if the body has one.
    var message: String?
}

/// Sends requests for one backend: the concurrency limit, retries with backoff and `Retry-After`,
/// timeouts, error mapping, key redaction and logging. It never logs headers or bodies.
final class HTTPTransport: Sendable {
    let settings: BackendSettings
    let client: HTTPClient
    let limiter: ConcurrencyLimiter
    let logger: Logger
    let redact: Redactor
    /// Statuses retried besides connection failures.
    let retryStatuses: Set<Int>
    /// Reads a provider's error body.
    let interpretError: @Sendable ([UInt8]) -> ErrorInterpretation

    init(
        settings: BackendSettings, logger: Logger, retryStatuses: Set<Int> = [429, 503],
        interpretError: @escaping @Sendable ([UInt8]) -> ErrorInterpretation
    ) {
        self.settings = settings
        self.client = sharedClient(connect: settings.connectTimeout, read: settings.readTimeout)
        self.limiter = ConcurrencyLimiter(limit: settings.maxConcurrentRequests)
        var logger = logger
        logger[metadataKey: "backend"] = "\(settings.name)"
        self.logger = logger
        self.redact = Redactor([settings.apiKey])
        self.retryStatuses = retryStatuses
        self.interpretError = interpretError
    }

    func error(_ kind: BackendError.Kind, status: Int? = nil, _ message: String) -> BackendError {
        BackendError(kind, backend: settings.name, status: status, message: redact(message))
    }

    /// Runs a chat call and decodes its body into events, holding a concurrency permit throughout.
    func stream(_ call: HTTPCall, decoder: some ResponseDecoder) -> AsyncThrowingStream<ChatEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.limiter.acquire()
                } catch {
                    continuation.finish(throwing: self.error(.cancelled, "the request was cancelled"))
                    return
                }
                do {
                    try await self.run(call, decoder: decoder) { continuation.yield($0) }
                    continuation.finish()
                } catch let error as BackendError where error.kind == .cancelled {
                    self.logger.debug("request cancelled")
                    continuation.finish(throwing: error)
                } catch {
                    self.logger.info("request failed", metadata: ["error": "\(error)"])
                    continuation.finish(throwing: error)
                }
                await self.limiter.release()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func run(
        _ call: HTTPCall, decoder: some ResponseDecoder, yield: (ChatEvent) -> Void
    ) async throws(BackendError) {
        let response = try await send(call)
        var decoder = decoder
        do {
            for try await buffer in response.body {
                for event in try decoder.feed(Array(buffer.readableBytesView)) { yield(event) }
            }
        } catch let wire as WireError {
            throw error(wire.kind, wire.message)
        } catch {
            throw self.failure(error, afterHead: true)
        }
        do {
            for event in try decoder.finish() { yield(event) }
        } catch {
            throw self.error(error.kind, error.message)
        }
    }

    /// Runs a small request (capabilities, tokens, health) and returns its whole body.
    func fetch(_ call: HTTPCall, retries: Bool = true, limit: Int = 4 << 20) async throws(BackendError) -> [UInt8] {
        let response = try await send(call, retries: retries)
        do {
            let buffer = try await response.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw failure(error, afterHead: true)
        }
    }

    /// Sends a request until it gets a 2xx head, retrying as the policy says.
    func send(_ call: HTTPCall, retries: Bool = true) async throws(BackendError) -> HTTPClientResponse {
        var request = HTTPClientRequest(url: call.url)
        request.method = call.method
        for (name, value) in call.headers { request.headers.add(name: name, value: value) }
        if let body = call.body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let path = URL(string: call.url)?.path ?? "?"
        let policy = settings.retry
        let maxRetries = retries ? policy.maxRetries : 0
        var retry = 0
        while true {
            if Task.isCancelled { throw error(.cancelled, "the request was cancelled") }
            logger.debug("request", metadata: ["path": "\(path)", "attempt": "\(retry + 1)"])
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .hours(24))
            } catch {
                let failure = self.failure(error, afterHead: false)
                guard failure.kind == .connection, retry < maxRetries else { throw failure }
                let delay = policy.backoff(retry: retry, random: Double.random(in: 0..<1))
                logger.notice("retrying after a connection failure", metadata: ["attempt": "\(retry + 1)", "delay": "\(delay)", "error": "\(failure.message)"])
                try await sleep(delay)
                retry += 1
                continue
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return response }

            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) } ?? []
            let failure = statusError(status, reason: response.status.reasonPhrase, body: body)
            guard retryStatuses.contains(status), retry < maxRetries else { throw failure }
            var delay = policy.backoff(retry: retry, random: Double.random(in: 0..<1))
            if let header = response.headers.first(name: "retry-after") {
                if let wanted = RetryPolicy.retryAfter(header, now: Date()) {
                    guard wanted <= policy.maxDelay else {
                        logger.notice("not retrying: Retry-After is beyond the cap", metadata: ["status": "\(status)", "retryAfter": "\(header)"])
                        throw BackendError(failure.kind, backend: failure.backend, status: status,
                            message: failure.message + " (the server asks to retry after \(header.trimmingCharacters(in: .whitespaces)) s, beyond the \(policy.maxDelay) cap)")
                    }
                    delay = wanted
                }
            }
            logger.notice("retrying", metadata: ["status": "\(status)", "attempt": "\(retry + 1)", "delay": "\(delay)"])
            try await sleep(delay)
            retry += 1
        }
    }

    private func sleep(_ delay: Duration) async throws(BackendError) {
        do {
            try await Task.sleep(for: delay)
        } catch {
            throw self.error(.cancelled, "the request was cancelled")
        }
    }

    /// The error for a non-2xx status, with the server's message (redacted).
    func statusError(_ status: Int, reason: String, body: [UInt8]) -> BackendError {
        let interpreted = interpretError(body)
        var serverMessage = interpreted.message
        if serverMessage == nil, !body.isEmpty {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            serverMessage = text.isEmpty ? nil : text
        }
        let said = serverMessage.map { ": \($0)" } ?? (reason.isEmpty ? "" : ": \(reason)")
        switch status {
        case 401, 403:
            return error(.authentication, status: status, "the server refused the key\(said); check your key (\(settings.keySource))")
        case 429:
            return error(.rateLimited, status: status, "rate limited\(said)")
        case 503, 529:
            return error(interpreted.kind ?? .overloaded, status: status, "the service is overloaded or unavailable\(said)")
        case 400..<500:
            return error(interpreted.kind ?? .invalidRequest, status: status, "the request was refused\(said)")
        default:
            return error(interpreted.kind ?? .server, status: status, "the server failed\(said)")
        }
    }

    /// The error for a failure of the connection, before or after the answer's head.
    func failure(_ error: any Error, afterHead: Bool) -> BackendError {
        if error is CancellationError || Task.isCancelled {
            return self.error(.cancelled, "the request was cancelled")
        }
        if let backend = error as? BackendError { return backend }
        let host = URL(string: settings.baseURL)?.host ?? settings.baseURL
        if let client = error as? HTTPClientError {
            switch client {
            case .cancelled: return self.error(.cancelled, "the request was cancelled")
            case .readTimeout, .deadlineExceeded:
                return afterHead
                    ? self.error(.timeout, "the server stopped sending for longer than \(settings.readTimeout)")
                    : self.error(.timeout, "no answer within \(settings.readTimeout)")
            case .connectTimeout:
                return self.error(.connection, "could not connect to \(host) within \(settings.connectTimeout)")
            default: break
            }
        }
        if afterHead {
            return self.error(.streamCut, "the connection was lost before the answer's end (\(error))")
        }
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
            let url = URL(string: settings.baseURL)
            let address = url?.port.map { "\(host):\($0)" } ?? host
            return self.error(.connection, "\(address) refused the connection; is the server running?")
        }
        return self.error(.connection, "could not reach \(host) (\(error))")
    }
}
