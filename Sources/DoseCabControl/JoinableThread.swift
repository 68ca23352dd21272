import Glibc
import SystemPackage

/// A POSIX thread that can be joined: the server's accept loop and each connection run on
/// one, so blocking I/O never occupies Swift's cooperative pool, and `stop()` can prove
/// every one of them has ended.
struct JoinableThread: Sendable {
    private let handle: pthread_t

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new thread named `name` (at most 15 bytes are shown by `ps`).
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(Errno) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            nameCurrentThread(body.name)
            body.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw Errno(rawValue: rc)
        }
        self.handle = handle
    }

    /// Waits for the thread to end. Call exactly once, never from the thread itself.
    func join() {
        _ = pthread_join(handle, nil)
    }
}
