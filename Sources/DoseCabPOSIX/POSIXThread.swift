import Glibc
import SystemPackage

/// A POSIX thread with a name, the one way the process starts a thread of its own: the control
/// server's accept loop and connections, the GPIO event thread, the journal writer and the
/// executor's workers. Blocking I/O on one never occupies Swift's cooperative pool.
///
/// Exactly one of ``join()`` or ``detach()`` must be called, once, and never from the thread
/// itself: join to prove it has ended, detach for a thread that lives as long as the process.
public struct POSIXThread: Sendable {
    private let handle: pthread_t

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new thread named `name` (at most 15 bytes are shown by `ps`)
    /// (`pthread_create(3)`).
    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(Errno) {
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

    /// Waits for the thread to end (`pthread_join(3)`).
    public func join() {
        _ = pthread_join(handle, nil)
    }

    /// Lets the thread's resources go when it ends, without anyone joining it
    /// (`pthread_detach(3)`).
    public func detach() {
        _ = pthread_detach(handle)
    }
}
