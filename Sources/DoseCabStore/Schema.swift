import Foundation
import GRDB

/// The versioned schema. A migration, once released, is never edited: a change is a new one.
///
/// Every ledger row carries the `seq` of the audit record written in the same transaction, so
/// each row can be traced to its link in the chain. Indexes keep the daemon's per-patient,
/// per-day and open-unit queries independent of how much history the box holds.
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        // Runs with foreign keys off and checks them all before it commits (GRDB's default),
        // which the rebuild of `stock_unit` needs (issued_unit references it).
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
        }
        // Review of issue #11: a blind count can be cancelled (two people, a reason).
        migrator.registerMigration("v3") { db in
            try db.execute(sql: v3)
        }
        // Residue is wasted with a witness before close-out (ARCHITECTURE §4a).
        migrator.registerMigration("v4") { db in
            try db.execute(sql: v4)
        }
        // Downtime (ARCHITECTURE §4a): a mechanical-key opening owes a witnessed late entry.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: v5)
        }
        // Issue 18.8: wrong-PIN counts and lockouts survive a restart. Registered last: GRDB
        // runs migrations in the order they are registered, and the name says what it is.
        migrator.registerMigration("v7-pin-lockout") { db in
            try db.execute(sql: v7PINLockout)
        }
        // Issue 18.2: the key of the card fingerprints that name a card in the audit log, the
        // journal and the read group's replies. Made once, from the system's random source.
        migrator.registerMigration("v8-card-fingerprint-key") { db in
            try db.execute(sql: v8CardFingerprintKey)
            var random = SystemRandomNumberGenerator()
            let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            try db.execute(sql: "INSERT INTO card_fingerprint_key (id, key) VALUES (1, ?)", arguments: [Data(key)])
        }
        // Issue 18.12: a return-scanner read is durable when it is seen, until the chute's
        // window decides issue or return; recovery decides what a crash left undecided.
        migrator.registerMigration("v9-pending-scan") { db in
            try db.execute(sql: v9PendingScan)
        }
        return migrator
    }

    /// Scans the return chute has not decided yet (one row each, deleted when it decides). Not
    /// part of the chain: the decision is the record, and recovery records its own decision for
    /// a row a crash left behind (an `issue`, or a `scan-undecided-at-restart` anomaly).
    static let v9PendingScan = """
    CREATE TABLE pending_scan (
        serial TEXT PRIMARY KEY NOT NULL,
        seen_wall INTEGER NOT NULL,
        seen_boot INTEGER NOT NULL,
        seen_boot_id TEXT NOT NULL
    );
    """

    /// The one key of ``CardFingerprinter``. Not part of the chain (the chain is readable by the
    /// read group; the key must not be): the fingerprints in the chain are checked against it.
    static let v8CardFingerprintKey = """
    CREATE TABLE card_fingerprint_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key BLOB NOT NULL
    );
    """

    /// The wrong-PIN count of each card that has one, and until when it is locked out (wall
    /// clock, and the boot clock of the boot it was set on). Not part of the chain: every wrong
    /// PIN and lockout is an audit record already (`refusal`); this is the counter's state.
    static let v7PINLockout = """
    CREATE TABLE pin_failure (
        card_format TEXT NOT NULL,
        card_facility INTEGER NOT NULL,
        card_number INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        locked_until_wall INTEGER,
        locked_until_boot INTEGER,
        locked_until_boot_id TEXT,
        PRIMARY KEY (card_format, card_facility, card_number)
    );
    """

    /// One row per mechanical-key alarm, open until two staff members close its late entry; the
    /// releases a late entry booked carry the downtime they belong to. Alarms recorded before v5
    /// owe nothing: the rule did not exist when they were raised.
    static let v5 = """
    CREATE TABLE downtime (
        alarm_seq INTEGER PRIMARY KEY NOT NULL,
        found_wall INTEGER NOT NULL,
        since_wall INTEGER,
        closed_wall INTEGER,
        closed_by TEXT,
        witness TEXT,
        note TEXT,
        close_seq INTEGER
    );
    ALTER TABLE dose_release ADD COLUMN downtime_seq INTEGER;
    CREATE INDEX dose_release_late ON dose_release(downtime_seq) WHERE downtime_seq IS NOT NULL;
    """

    /// Each release keeps the residue wasted against it, updated in the transaction of each
    /// `residue` waste, so the releases that may still owe residue come from a partial index
    /// rather than a walk through every release ever made. Existing wastes are carried over (the
    /// waste's reason text starts with its category, `WasteRequest.reasonText`).
    static let v4 = """
    ALTER TABLE dose_release ADD COLUMN residue_wasted_mg INTEGER NOT NULL DEFAULT 0;
    \(v4CarryOver)
    CREATE INDEX dose_release_residue_open ON dose_release(at_wall) WHERE residue_mg > residue_wasted_mg;
    """

    /// Residue wasted before v4, from the waste register (`not-given` waste is not residue).
    static let v4CarryOver = """
    UPDATE dose_release SET residue_wasted_mg = (
        SELECT coalesce(sum(w.mg), 0) FROM waste w
        WHERE w.release_id = dose_release.id AND (w.reason = 'residue' OR w.reason LIKE 'residue:%'));
    """

    static let v3 = """
    CREATE TABLE stock_count_v3 (
        id TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'entered', 'cancelled')),
        kinds TEXT NOT NULL,
        started_by TEXT NOT NULL,
        witness TEXT NOT NULL,
        started_wall INTEGER NOT NULL,
        started_boot INTEGER NOT NULL,
        started_boot_id TEXT NOT NULL,
        start_seq INTEGER NOT NULL,
        entered_wall INTEGER,
        entered_day INTEGER,
        matched INTEGER,
        lines TEXT,
        enter_seq INTEGER,
        cancelled_wall INTEGER,
        cancel_reason TEXT,
        cancelled_by TEXT,
        cancel_witness TEXT,
        cancel_seq INTEGER
    );
    INSERT INTO stock_count_v3 (id, state, kinds, started_by, witness, started_wall, started_boot, started_boot_id, start_seq,
                                entered_wall, entered_day, matched, lines, enter_seq)
        SELECT id, state, kinds, started_by, witness, started_wall, started_boot, started_boot_id, start_seq,
               entered_wall, entered_day, matched, lines, enter_seq FROM stock_count;
    DROP TABLE stock_count;
    ALTER TABLE stock_count_v3 RENAME TO stock_count;
    CREATE INDEX stock_count_open ON stock_count(state) WHERE state = 'open';
    CREATE INDEX stock_count_by_entered ON stock_count(entered_wall);
    CREATE INDEX stock_count_by_day ON stock_count(entered_day);
    """

    /// Issue #11, stock control: batch and expiry on every unit, the `lost` state, blind
    /// counts, discrepancies and their write-offs, break-glass overrides, overdue-count warnings.
    static let v2 = """
    CREATE TABLE stock_unit_v2 (
        serial TEXT PRIMARY KEY NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        strength_mg INTEGER NOT NULL CHECK (strength_mg > 0),
        batch TEXT,
        expiry TEXT,
        received_wall INTEGER NOT NULL,
        received_by TEXT NOT NULL,
        witness TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('in-stock', 'issued', 'wasted', 'lost')),
        state_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    -- Units loaded before v2 have no batch or expiry: an unknown batch, never released.
    INSERT INTO stock_unit_v2 (serial, drug, route, strength_mg, received_wall, received_by, witness, state, state_wall, audit_seq)
        SELECT serial, drug, route, strength_mg, received_wall, received_by, witness, state, state_wall, audit_seq FROM stock_unit;
    DROP TABLE stock_unit;
    ALTER TABLE stock_unit_v2 RENAME TO stock_unit;
    CREATE INDEX stock_unit_level ON stock_unit(state, drug, route, strength_mg);
    CREATE INDEX stock_unit_by_received ON stock_unit(received_wall);

    ALTER TABLE dose_release ADD COLUMN override_id TEXT;

    CREATE TABLE stock_count (
        id TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'entered')),
        kinds TEXT NOT NULL,
        started_by TEXT NOT NULL,
        witness TEXT NOT NULL,
        started_wall INTEGER NOT NULL,
        started_boot INTEGER NOT NULL,
        started_boot_id TEXT NOT NULL,
        start_seq INTEGER NOT NULL,
        entered_wall INTEGER,
        entered_day INTEGER,
        matched INTEGER,
        lines TEXT,
        enter_seq INTEGER
    );
    CREATE INDEX stock_count_open ON stock_count(state) WHERE state = 'open';
    CREATE INDEX stock_count_by_entered ON stock_count(entered_wall);
    CREATE INDEX stock_count_by_day ON stock_count(entered_day);

    CREATE TABLE discrepancy (
        id TEXT PRIMARY KEY NOT NULL,
        count_id TEXT NOT NULL REFERENCES stock_count(id),
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        strength_mg INTEGER NOT NULL,
        expected INTEGER NOT NULL,
        counted INTEGER NOT NULL,
        opened_wall INTEGER NOT NULL,
        opened_boot INTEGER NOT NULL,
        opened_boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        escalate_wall INTEGER NOT NULL,
        escalated_wall INTEGER,
        escalated_day INTEGER,
        state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
        resolution TEXT,
        note TEXT,
        resolved_by TEXT,
        resolved_witness TEXT,
        resolved_wall INTEGER,
        resolved_day INTEGER,
        open_seq INTEGER NOT NULL,
        escalate_seq INTEGER,
        resolve_seq INTEGER
    );
    CREATE INDEX discrepancy_open ON discrepancy(state) WHERE state = 'open';
    CREATE INDEX discrepancy_by_day ON discrepancy(day);
    CREATE INDEX discrepancy_by_resolved_day ON discrepancy(resolved_day);
    CREATE INDEX discrepancy_by_escalated_day ON discrepancy(escalated_day);

    -- Units written off by a discrepancy resolved as a loss or suspected theft.
    CREATE TABLE stock_loss (
        serial TEXT PRIMARY KEY NOT NULL REFERENCES stock_unit(serial),
        discrepancy_id TEXT NOT NULL REFERENCES discrepancy(id),
        resolution TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );

    CREATE TABLE override (
        id TEXT PRIMARY KEY NOT NULL,
        patient TEXT NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        dose_mg INTEGER NOT NULL,
        reason TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        second_by TEXT NOT NULL,
        opened_wall INTEGER NOT NULL,
        opened_boot INTEGER NOT NULL,
        opened_boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        expires_wall INTEGER NOT NULL,
        expires_boot INTEGER NOT NULL,
        expires_boot_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'expired')),
        used_release TEXT,
        closed_wall INTEGER,
        closed_day INTEGER,
        closed_by TEXT,
        close_reason TEXT,
        reviewed_by TEXT,
        reviewed_wall INTEGER,
        reviewed_day INTEGER,
        review_note TEXT,
        open_seq INTEGER NOT NULL,
        close_seq INTEGER,
        review_seq INTEGER
    );
    CREATE INDEX override_open ON override(state) WHERE state = 'open';
    CREATE INDEX override_unreviewed ON override(reviewed_wall) WHERE reviewed_wall IS NULL;
    CREATE INDEX override_by_patient ON override(patient, state);
    CREATE INDEX override_by_day ON override(day);
    CREATE INDEX override_by_closed_day ON override(closed_day);
    CREATE INDEX override_by_reviewed_day ON override(reviewed_day);

    -- One warning per scheduled count that was not done.
    CREATE TABLE count_overdue (
        due_wall INTEGER PRIMARY KEY NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX count_overdue_by_day ON count_overdue(day);
    """

    static let v1 = """
    CREATE TABLE prescriber_key (
        key_id TEXT PRIMARY KEY NOT NULL,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        installed_wall INTEGER NOT NULL,
        installed_by TEXT NOT NULL,
        revoked_wall INTEGER,
        audit_seq INTEGER NOT NULL
    );

    -- The version in force per prescription id (a cancellation is a version too).
    CREATE TABLE prescription (
        id TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('prescription', 'cancellation')),
        patient TEXT NOT NULL,
        key_id TEXT NOT NULL REFERENCES prescriber_key(key_id),
        payload BLOB NOT NULL,
        signature BLOB NOT NULL,
        imported_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX prescription_by_patient ON prescription(patient);

    -- Every version ever installed, with the exact signed bytes (the evidence).
    CREATE TABLE prescription_version (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        patient TEXT NOT NULL,
        key_id TEXT NOT NULL REFERENCES prescriber_key(key_id),
        payload BLOB NOT NULL,
        signature BLOB NOT NULL,
        imported_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL,
        PRIMARY KEY (id, version)
    );

    CREATE TABLE patient (
        id TEXT PRIMARY KEY NOT NULL,
        card_format TEXT NOT NULL,
        card_facility INTEGER NOT NULL,
        card_number INTEGER NOT NULL,
        pin_salt BLOB NOT NULL,
        pin_hash BLOB NOT NULL,
        pin_rounds INTEGER NOT NULL,
        also_staff TEXT,
        enrolled_wall INTEGER NOT NULL,
        enrolled_by TEXT NOT NULL,
        audit_seq INTEGER NOT NULL,
        UNIQUE (card_format, card_facility, card_number)
    );

    CREATE TABLE staff (
        id TEXT PRIMARY KEY NOT NULL,
        role TEXT NOT NULL,
        card_format TEXT NOT NULL,
        card_facility INTEGER NOT NULL,
        card_number INTEGER NOT NULL,
        pin_salt BLOB NOT NULL,
        pin_hash BLOB NOT NULL,
        pin_rounds INTEGER NOT NULL,
        also_patient TEXT,
        enrolled_wall INTEGER NOT NULL,
        enrolled_by TEXT NOT NULL,
        audit_seq INTEGER NOT NULL,
        UNIQUE (card_format, card_facility, card_number)
    );

    CREATE TABLE stock_unit (
        serial TEXT PRIMARY KEY NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        strength_mg INTEGER NOT NULL CHECK (strength_mg > 0),
        received_wall INTEGER NOT NULL,
        received_by TEXT NOT NULL,
        witness TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('in-stock', 'issued', 'wasted')),
        state_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX stock_unit_level ON stock_unit(state, drug, route, strength_mg);

    -- A release: written as 'intent' before the lock may be energised (I1).
    CREATE TABLE dose_release (
        id TEXT PRIMARY KEY NOT NULL,
        patient TEXT NOT NULL REFERENCES patient(id),
        state TEXT NOT NULL CHECK (state IN ('intent', 'completed', 'interrupted')),
        at_wall INTEGER NOT NULL,
        at_boot INTEGER NOT NULL,
        at_boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        identity_method TEXT NOT NULL,
        prescription_id TEXT NOT NULL,
        prescription_version INTEGER NOT NULL,
        prescriber TEXT NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        dose_mg INTEGER NOT NULL,
        unit_strength_mg INTEGER NOT NULL,
        unit_count INTEGER NOT NULL,
        residue_mg INTEGER NOT NULL,
        staff TEXT NOT NULL,
        witness TEXT NOT NULL,
        close_out_rule TEXT NOT NULL,
        close_out_minutes INTEGER NOT NULL,
        ended_wall INTEGER,
        ended_boot INTEGER,
        ended_boot_id TEXT,
        ended_day INTEGER,
        units_issued INTEGER,
        outcome TEXT,
        intent_seq INTEGER NOT NULL,
        end_seq INTEGER
    );
    CREATE INDEX dose_release_by_patient ON dose_release(patient, at_wall);
    CREATE INDEX dose_release_by_day ON dose_release(day);
    CREATE INDEX dose_release_by_wall ON dose_release(at_wall);
    CREATE INDEX dose_release_by_ended_day ON dose_release(ended_day);
    CREATE INDEX dose_release_in_flight ON dose_release(state) WHERE state = 'intent';

    -- A unit bound to a release by its issue scan; closed out by one state transition.
    CREATE TABLE issued_unit (
        serial TEXT PRIMARY KEY NOT NULL REFERENCES stock_unit(serial),
        release_id TEXT NOT NULL REFERENCES dose_release(id),
        patient TEXT NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        strength_mg INTEGER NOT NULL,
        rule TEXT NOT NULL,
        issued_wall INTEGER NOT NULL,
        issued_boot INTEGER NOT NULL,
        issued_boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        deadline_wall INTEGER NOT NULL,
        deadline_boot INTEGER NOT NULL,
        deadline_boot_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'returned', 'consumed', 'incident')),
        closed_wall INTEGER,
        closed_boot INTEGER,
        closed_boot_id TEXT,
        closed_day INTEGER,
        closed_by TEXT,
        close_reason TEXT,
        issue_seq INTEGER NOT NULL,
        close_seq INTEGER
    );
    CREATE INDEX issued_unit_open ON issued_unit(state) WHERE state = 'open';
    CREATE INDEX issued_unit_by_day ON issued_unit(day);
    CREATE INDEX issued_unit_by_closed_day ON issued_unit(closed_day);
    CREATE INDEX issued_unit_by_release ON issued_unit(release_id);

    CREATE TABLE hold (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL,
        reason TEXT NOT NULL,
        since_wall INTEGER NOT NULL,
        since_boot INTEGER NOT NULL,
        since_boot_id TEXT NOT NULL,
        cleared_wall INTEGER,
        cleared_by TEXT,
        cleared_reason TEXT,
        hold_seq INTEGER NOT NULL,
        clear_seq INTEGER
    );
    CREATE INDEX hold_open ON hold(patient) WHERE cleared_wall IS NULL;

    -- Anomalies (scans that could not be booked) and physical alarms.
    CREATE TABLE incident (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('anomaly', 'alarm')),
        reason TEXT NOT NULL,
        serial TEXT,
        patient TEXT,
        detail TEXT NOT NULL,
        wall INTEGER NOT NULL,
        boot INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX incident_by_day ON incident(day);

    CREATE TABLE refusal (
        id INTEGER PRIMARY KEY,
        patient TEXT,
        staff TEXT,
        reasons TEXT NOT NULL,
        detail TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX refusal_by_day ON refusal(day);

    CREATE TABLE waste (
        id INTEGER PRIMARY KEY,
        release_id TEXT,
        serial TEXT,
        mg INTEGER NOT NULL,
        staff TEXT NOT NULL,
        witness TEXT NOT NULL,
        reason TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX waste_by_day ON waste(day);

    -- Observation clearances and missed-dose re-authorisations.
    CREATE TABLE clinical_decision (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reauthorised', 'observation-cleared')),
        staff TEXT NOT NULL,
        wall INTEGER NOT NULL,
        boot INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX clinical_decision_by_patient ON clinical_decision(patient, kind, wall);

    CREATE TABLE admin_action (
        id INTEGER PRIMARY KEY,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        actor TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX admin_action_by_day ON admin_action(day);

    CREATE TABLE lockdown_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        active INTEGER NOT NULL,
        reason TEXT NOT NULL,
        actor TEXT NOT NULL,
        since_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );

    -- The hash chain. `pos` (the rowid) is the stored order that verification walks; `seq` is
    -- what the chain says. A reordered row shows up as a seq out of place.
    CREATE TABLE audit (
        pos INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        wall INTEGER NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        fields TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_wall ON audit(wall);

    -- How far the journal mirror has confirmed (not a ledger fact, so not itself audited).
    CREATE TABLE audit_mirror (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        upto_seq INTEGER NOT NULL
    );
    INSERT INTO audit_mirror (id, upto_seq) VALUES (1, 0);
    """
}
