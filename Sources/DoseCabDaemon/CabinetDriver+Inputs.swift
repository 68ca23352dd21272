import DoseCabCore
import DoseCabHardware
import DoseCabStore
import Foundation

/// Line edges → cabinet events. Wiegand data lines go straight to their decoder (never
/// debounced: 50 µs pulses); door, bolt, tamper and beam may be debounced (§4a).
extension CabinetDriver {
    func input(_ edge: LineEvent) {
        if let (reader, _) = edge.role.wiegand {
            let outputs = reader == .counter ? counterDecoder.feed(edge) : returnDecoder.feed(edge)
            deliver(outputs, from: reader, at: edge.timestampNanos)
        } else if var debouncer = debouncers[edge.role] {
            let settled = debouncer.feed(edge)
            debouncers[edge.role] = debouncer
            for e in settled { physical(e) }
        } else {
            physical(edge)
        }
        armInputDeadline()
    }

    /// Door, bolt, tamper and beam, after debouncing. Logical levels: door active = closed,
    /// bolt active = engaged, tamper active = case open, beam active = beam broken.
    func physical(_ edge: LineEvent) {
        let now = clock.now()
        switch edge.role {
        case .door: apply(.door(open: !edge.level, at: now))
        case .bolt: apply(.bolt(engaged: edge.level, at: now))
        case .tamper: if edge.level { apply(.tamper(at: now)) }
        case .returnBeam:
            if edge.level { chuteOutputs(chute.beam(at: edge.timestampNanos)) }
        default: break
        }
    }

    func deliver(_ outputs: WiegandFrames, from reader: Reader, at nanos: UInt64) {
        for output in outputs {
            switch output {
            case .card(let card):
                if reader == .counter {
                    counter(.card(card, at: clock.now()))
                } else {
                    // Durable before the chute's window decides issue or return (issue 18.12).
                    notePendingScan(ReturnChute.serial(of: card))
                    chuteOutputs(chute.scan(card, at: nanos))
                }
            case .keys(let keys):
                if reader == .counter { counter(.keys(keys, at: clock.now())) }
            case .rejected(let why):
                // Bad input is harmless (I6): a clear reason in the journal, nothing changed.
                rejectedFrames += 1
                logger.warning("Wiegand frame rejected: \(why)", metadata: ["reader": "\(reader.rawValue)"])
            }
        }
    }

    func chuteOutputs(_ outputs: [ReturnChute.Output]) {
        for output in outputs {
            let now = clock.now()
            switch output {
            case .returned(let serial):
                apply(.returned(serial, at: now))
                clearPendingScan(serial)
            case .issueScan(let serial):
                let record = (try? store.stockUnit(serial: serial)) ?? nil
                let inStock = record?.state == .inStock ? record?.unit : nil
                apply(.issueScan(serial, stock: inStock, at: now))
                clearPendingScan(serial)
            case .beamWithoutScan:
                logger.warning("return chute: beam broken with no scan; nothing booked")
            }
        }
    }

    /// A return-scanner read, stored at once as a pending scan (one small commit): if the daemon
    /// dies before the chute's window decides, recovery books it (`Store.recover`), so a unit
    /// scanned on its way out is never left in stock and releasable. A store that cannot take
    /// the row is said at crit priority; the chute still decides the scan in this run.
    func notePendingScan(_ serial: UnitSerial) {
        do { try store.recordPendingScan(serial, at: clock.now()) } catch {
            logger.critical("scan of unit \(serial) not made durable before the chute decides: \(error)")
        }
    }

    /// The chute decided and its record is in the store: the pending scan is done with. While
    /// records are held in memory (`unrecorded`) the row stays, so a crash before the store takes
    /// them still leaves recovery the scan (it skips one whose decision did land).
    func clearPendingScan(_ serial: UnitSerial) {
        guard unrecorded.isEmpty else { return }
        do { try store.clearPendingScan(serial) } catch {
            logger.error("pending scan of unit \(serial) not cleared (recovery will find it decided or account for it): \(error)")
        }
    }

    /// One task sleeps until the earliest decoder, chute or debounce deadline (monotonic ns),
    /// then asks the lines for a quiet answer; the deadline is judged when that answer comes
    /// (`inputDeadlinesPassed(quietThrough:)`), after every edge that happened before it.
    /// Judging at the timer would cut a frame whose last bits are still on their way (in the
    /// kernel queue, the event thread or the stream) when the machine is slow: it misread
    /// keypad PINs under emulation (docs/system-tests.md, F6).
    ///
    /// `shortOf` is a quiet answer that came back before the deadline it was asked for (a
    /// test's manual clock lags the real one): the next request waits at least the rest of
    /// the gap as the source counts it, so a lagging source is not asked in a tight loop.
    func armInputDeadline(shortOf answer: UInt64? = nil) {
        inputDeadlineTask?.cancel()
        let deadlines = [counterDecoder.nextDeadline, returnDecoder.nextDeadline, chute.nextDeadline]
            + debouncers.values.map(\.nextDeadline)
        guard let next = deadlines.compactMap({ $0 }).min() else { return }
        let now = inputClock.now()
        var wait = next > now ? next - now : 0
        if let answer, answer < next { wait = max(wait, min(next - answer, 1_000_000_000)) }
        let deadline = now + wait + 100_000
        let (lines, inputClock) = (self.lines, self.inputClock)
        // Not a request's task: its admin record (a task-local) must not ride along.
        inputDeadlineTask = Store.$companion.withValue(nil) { Task {
            try? await inputClock.sleep(until: deadline)
            guard !Task.isCancelled else { return }
            lines.requestQuiet()
        } }
    }

    /// Every edge up to `now` has been fed: frames, debounces and chute windows whose
    /// deadline is at or before it end.
    func inputDeadlinesPassed(quietThrough now: UInt64) {
        deliver(counterDecoder.frameEnd(now: now), from: .counter, at: now)
        deliver(returnDecoder.frameEnd(now: now), from: .returnScanner, at: now)
        chuteOutputs(chute.expire(now: now))
        // Settled edges in the order they happened; at the same instant the door goes first, so
        // a forced door is named as such rather than as the bolt it drags with it.
        var settled: [LineEvent] = []
        for role in Array(debouncers.keys) {
            if var d = debouncers[role], let e = d.expire(now: now) {
                debouncers[role] = d
                settled.append(e)
            }
        }
        let order: [LineRole] = [.door, .tamper, .bolt, .returnBeam]
        settled.sort { ($0.timestampNanos, order.firstIndex(of: $0.role) ?? 9) < ($1.timestampNanos, order.firstIndex(of: $1.role) ?? 9) }
        for e in settled { physical(e) }
        armInputDeadline(shortOf: now)
    }
}
