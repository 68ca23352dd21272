import Glibc

/// Socket activation: the control socket passed by `dosecabd.socket`.
public enum ListenFDs {
    /// The first fd passed by systemd (`SD_LISTEN_FDS_START`).
    public static let start: Int32 = 3

    /// The listening AF_UNIX stream socket systemd passed (`sd_listen_fds` +
    /// `sd_is_socket_unix`), or nil when the daemon was not socket-activated and must
    /// bind the socket itself. The `LISTEN_*` variables are unset so children do not
    /// inherit them.
    public static func controlSocket() -> Int32? {
        guard let n = try? LibSystemd.listenFDs(unsetEnvironment: true), n > 0 else { return nil }
        for fd in start..<(start + n) {
            if (try? LibSystemd.isSocketUnix(fd, type: Int32(SOCK_STREAM.rawValue), listening: 1)) == true {
                return fd
            }
        }
        return nil
    }
}
