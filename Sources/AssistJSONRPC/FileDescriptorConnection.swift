#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Blocking reads from one file descriptor and whole-frame writes to another (stdin/stdout, or pipes).
///
/// Writes are serialised by a mutex so frames from concurrent tasks never interleave. Reads belong to
/// the one thread that runs the message loop.
public final class FileDescriptorConnection: Sendable {
    public let input: Int32
    public let output: Int32
    /// Guards writes to `output` (and whether writing still works).
    private let writeLock = Mutex<Bool>(true)

    /// Wraps two open file descriptors; it does not close them.
    ///
    /// - Parameters:
    ///   - input: The descriptor to read frames from.
    ///   - output: The descriptor to write frames to.
    public init(input: Int32, output: Int32) {
        self.input = input
        self.output = output
    }

    /// Reads the next chunk, retrying on interruption.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes read; 0 at end of input or on a read error.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            #if canImport(Darwin)
            let count = Darwin.read(input, buffer.baseAddress, buffer.count)
            #else
            let count = Glibc.read(input, buffer.baseAddress, buffer.count)
            #endif
            if count >= 0 { return count }
            if errno == EINTR { continue }
            return 0
        }
    }

    /// Writes one frame completely.
    ///
    /// - Parameter bytes: The framed bytes.
    /// - Returns: `false` when the output is closed (the peer went away).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        writeLock.withLock { open in
            guard open else { return false }
            var offset = 0
            let ok = bytes.withUnsafeBytes { raw -> Bool in
                while offset < raw.count {
                    #if canImport(Darwin)
                    let written = Darwin.write(output, raw.baseAddress! + offset, raw.count - offset)
                    #else
                    let written = Glibc.write(output, raw.baseAddress! + offset, raw.count - offset)
                    #endif
                    if written < 0 {
                        if errno == EINTR || errno == EAGAIN { continue }
                        return false
                    }
                    offset += written
                }
                return true
            }
            if !ok { open = false }
            return ok
        }
    }
}
