//! The ledger's rules on real SQLite files.

mod common;

use common::*;
use guichet_core::message::Lang;
use guichet_core::{Area, RedemptionLookup};
use guichet_ledger::{
    export, CancelError, ChainBreak, CheckoutError, ClockStatus, Filters, InputMethod, Ledger,
    LedgerError, LedgerSettings, Role, SyncResult, SyncState,
};
use guichet_protocol::limits::LimitError;
use jiff::civil::date;
use rusqlite::Connection;

fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let ledger = open(&path);
    (dir, path, ledger)
}

#[test]
fn a_committed_coupon_is_found_with_when_where_and_who() {
    let (_dir, _path, mut ledger) = fresh();
    assert_eq!(ledger.active_redemption(kid(), 7).unwrap(), None);
    let receipt = redeem(&mut ledger, &[7], MORNING);
    assert_eq!(receipt.redemptions.len(), 1);
    assert_eq!(receipt.local_day, "2026-11-23");
    assert_eq!(receipt.occurred_at, "2026-11-23T09:00:00.000Z");
    let prior = ledger
        .active_redemption(kid(), 7)
        .unwrap()
        .expect("recorded");
    assert_eq!(prior.center, "center-bordeaux");
    assert_eq!(prior.mediator, "Amine");
    // Local time: 09:00 UTC is 10:00 in Paris in November.
    assert_eq!(prior.redeemed_at.to_string(), "2026-11-23T10:00:00");
    assert_eq!(ledger.active_redemption(kid(), 8).unwrap(), None);
}

#[test]
fn ids_are_uuid_v7() {
    let (_dir, _path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1, 2], MORNING);
    for id in std::iter::once(&receipt.checkout_id).chain(receipt.redemptions.iter().map(|r| &r.id))
    {
        let uuid = uuid::Uuid::parse_str(id).expect("uuid");
        assert_eq!(uuid.get_version_num(), 7, "{id}");
    }
}

#[test]
fn the_local_day_is_the_paris_day() {
    let (_dir, _path, mut ledger) = fresh();
    // 23:30 UTC on 23 November is 00:30 on 24 November in Paris.
    let receipt = redeem(&mut ledger, &[1], "2026-11-23T23:30:00Z");
    assert_eq!(receipt.local_day, "2026-11-24");
}

#[test]
fn a_second_commit_of_the_same_coupon_is_already_redeemed() {
    let (_dir, _path, mut ledger) = fresh();
    redeem(&mut ledger, &[7], MORNING);
    let error = ledger
        .commit_checkout(&station("Zoé"), &basket(&[7]), at("2026-11-23T09:05:00Z"))
        .unwrap_err();
    match error {
        CheckoutError::AlreadyRedeemed { serial, prior, .. } => {
            assert_eq!(serial, 7);
            assert_eq!(prior.mediator, "Amine");
        }
        other => panic!("expected ALREADY_REDEEMED, got {other:?}"),
    }
}

#[test]
fn a_checkout_is_all_or_nothing() {
    let (_dir, _path, mut ledger) = fresh();
    redeem(&mut ledger, &[3], MORNING);
    let error = ledger
        .commit_checkout(&station("Amine"), &basket(&[1, 2, 3]), at(MORNING))
        .unwrap_err();
    assert!(matches!(
        error,
        CheckoutError::AlreadyRedeemed { serial: 3, .. }
    ));
    assert_eq!(ledger.active_redemption(kid(), 1).unwrap(), None);
    assert_eq!(ledger.active_redemption(kid(), 2).unwrap(), None);
    let review = ledger
        .review(date(2026, 11, 23), date(2026, 11, 23), &Filters::default())
        .unwrap();
    assert_eq!(review.summary.redeemed.count, 1);
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}

#[test]
fn the_same_coupon_twice_in_a_basket_is_caught_before_commit() {
    let mut basket = basket(&[5]);
    let error = basket
        .add(code(5).as_bytes(), InputMethod::Scanner)
        .unwrap_err();
    assert!(matches!(
        error,
        CheckoutError::DuplicateInBasket { serial: 5, .. }
    ));
    assert_eq!(basket.coupons().len(), 1);
    assert!(basket.remove(kid(), 5));
    assert!(!basket.remove(kid(), 5));
    let (_dir, _path, mut ledger) = fresh();
    let error = ledger
        .commit_checkout(&station("Amine"), &basket, at(MORNING))
        .unwrap_err();
    assert!(matches!(error, CheckoutError::EmptyBasket));
}

#[test]
fn bad_text_is_refused_before_anything_is_written() {
    let (_dir, _path, mut ledger) = fresh();
    for mediator in ["", "  ", "line\nbreak"] {
        let error = ledger
            .commit_checkout(&station(mediator), &basket(&[1]), at(MORNING))
            .unwrap_err();
        assert!(
            matches!(
                error,
                CheckoutError::Ledger(
                    LedgerError::Invalid { field: "actor", .. }
                        | LedgerError::Limit(LimitError::Empty { field: "actor" })
                )
            ),
            "{mediator:?}: {error:?}"
        );
    }
    assert_eq!(ledger.sync_counts().unwrap().pending, 0);
}

#[test]
fn a_mediator_cancels_within_the_window_a_manager_at_any_time() {
    let (_dir, _path, mut ledger) = fresh();
    let first = redeem(&mut ledger, &[1], MORNING);
    let second = redeem(&mut ledger, &[2], MORNING);
    let id = &first.redemptions[0].id;
    let late = ledger
        .cancel_redemption(
            id,
            &canceller(Role::Mediator),
            "erreur",
            at("2026-11-23T09:10:01Z"),
        )
        .unwrap_err();
    assert!(
        matches!(
            late,
            CancelError::WindowPassed {
                window_minutes: 10,
                ..
            }
        ),
        "{late:?}"
    );
    ledger
        .cancel_redemption(
            id,
            &canceller(Role::Manager),
            "erreur de saisie",
            at("2026-11-24T09:00:00Z"),
        )
        .unwrap();
    assert_eq!(ledger.active_redemption(kid(), 1).unwrap(), None);
    let again = ledger
        .cancel_redemption(
            id,
            &canceller(Role::Manager),
            "encore",
            at("2026-11-24T09:00:00Z"),
        )
        .unwrap_err();
    assert!(matches!(again, CancelError::AlreadyCancelled(_)));
    // Within the window, a mediator may undo a whole checkout.
    let undone = ledger
        .cancel_checkout(
            &second.checkout_id,
            &canceller(Role::Mediator),
            "annulé",
            at("2026-11-23T09:09:59Z"),
        )
        .unwrap();
    assert_eq!(undone.len(), 1);
    assert!(matches!(
        ledger.cancel_redemption("nope", &canceller(Role::Manager), "x", at(MORNING)),
        Err(CancelError::NotFound(_))
    ));
    // A cancelled coupon can be accepted again, and the chain still holds.
    redeem(&mut ledger, &[1], "2026-11-24T10:00:00Z");
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}

#[test]
fn the_cancellation_window_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let settings = LedgerSettings {
        mediator_cancel_window: jiff::SignedDuration::from_mins(2),
    };
    let mut ledger = Ledger::open(dir.path().join("l.sqlite3"), settings).unwrap();
    let receipt = redeem(&mut ledger, &[1], MORNING);
    let error = ledger
        .cancel_checkout(
            &receipt.checkout_id,
            &canceller(Role::Mediator),
            "x",
            at("2026-11-23T09:02:01Z"),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        CancelError::WindowPassed {
            window_minutes: 2,
            ..
        }
    ));
}

#[test]
fn entries_cannot_be_updated_or_deleted_through_sql() {
    let (_dir, path, mut ledger) = fresh();
    redeem(&mut ledger, &[1], MORNING);
    drop(ledger);
    let conn = Connection::open(&path).unwrap();
    let update = conn
        .execute("UPDATE entries SET actor = 'X'", [])
        .unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = conn.execute("DELETE FROM entries", []).unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
    let checkout = conn.execute("DELETE FROM checkouts", []).unwrap_err();
    assert!(checkout.to_string().contains("append-only"), "{checkout}");
}

/// Opens the file behind the ledger's back, without its triggers, as someone editing it by
/// hand would.
fn tamper(path: &std::path::Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;
         DROP TRIGGER outbox_delete_only_when_pruning;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn ledger_of_five() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, path, mut ledger) = fresh();
    for serial in 1..=5 {
        redeem(&mut ledger, &[serial], MORNING);
    }
    let report = ledger.verify_chain().unwrap();
    assert_eq!(report.entries, 5);
    assert_eq!(report.first_break, None);
    (dir, path)
}

#[test]
fn an_edited_entry_is_reported() {
    let (_dir, path) = ledger_of_five();
    tamper(&path, "UPDATE entries SET value_cents = 5000 WHERE seq = 3");
    let report = open(&path).verify_chain().unwrap();
    assert!(
        matches!(report.first_break, Some(ChainBreak::Altered { seq: 3, .. })),
        "{report:?}"
    );
    assert_eq!(report.entries, 2);
}

#[test]
fn an_edit_that_also_fixes_the_hash_breaks_the_next_link() {
    let (_dir, path) = ledger_of_five();
    tamper(
        &path,
        "UPDATE entries SET hash = zeroblob(32) WHERE seq = 2",
    );
    let report = open(&path).verify_chain().unwrap();
    // Entry 2's content no longer matches its (rewritten) hash.
    assert!(
        matches!(report.first_break, Some(ChainBreak::Altered { seq: 2, .. })),
        "{report:?}"
    );
}

#[test]
fn a_removed_entry_is_reported() {
    let (_dir, path) = ledger_of_five();
    tamper(&path, "DELETE FROM outbox WHERE entry_id = (SELECT id FROM entries WHERE seq = 2); DELETE FROM entries WHERE seq = 2");
    let report = open(&path).verify_chain().unwrap();
    assert_eq!(
        report.first_break,
        Some(ChainBreak::Missing {
            expected_seq: 2,
            found_seq: Some(3)
        })
    );
}

#[test]
fn removed_last_entries_are_reported() {
    let (_dir, path) = ledger_of_five();
    tamper(&path, "DELETE FROM outbox WHERE entry_id IN (SELECT id FROM entries WHERE seq >= 4); DELETE FROM entries WHERE seq >= 4");
    let report = open(&path).verify_chain().unwrap();
    assert_eq!(
        report.first_break,
        Some(ChainBreak::Missing {
            expected_seq: 4,
            found_seq: None
        })
    );
}

#[test]
fn review_totals_and_filters() {
    let (_dir, _path, mut ledger) = fresh();
    let mut other = basket(&[]);
    other.workshop = workshop(Area::A2_2);
    other
        .add(code(10).as_bytes(), InputMethod::Scanner)
        .unwrap();
    other
        .add(code(11).as_bytes(), InputMethod::Scanner)
        .unwrap();
    other.paid_otherwise_cents = 550;
    ledger
        .commit_checkout(&station("Zoé"), &other, at(MORNING))
        .unwrap();
    let first = redeem(&mut ledger, &[1], MORNING);
    redeem(&mut ledger, &[2], MORNING);
    redeem(&mut ledger, &[3], "2026-11-24T09:00:00Z");
    ledger
        .cancel_redemption(
            &first.redemptions[0].id,
            &canceller(Role::Manager),
            "doublon",
            at(MORNING),
        )
        .unwrap();
    let day = date(2026, 11, 23);
    let review = ledger.review(day, day, &Filters::default()).unwrap();
    let s = &review.summary;
    assert_eq!(review.lines.len(), 4);
    assert_eq!((s.redeemed.count, s.redeemed.total_cents), (3, 3000));
    assert_eq!((s.cancelled.count, s.cancelled.total_cents), (1, 1000));
    assert_eq!(s.checkouts, 2);
    assert_eq!(s.paid_otherwise_cents, 550);
    assert_eq!(s.by_mediator["Zoé"].count, 2);
    assert_eq!(s.by_mediator["Amine"].count, 1);
    assert_eq!(s.by_area["2.2"].total_cents, 2000);
    assert_eq!(s.by_provider[&1].count, 3);
    assert_eq!(s.by_sync_state[&SyncState::Pending].count, 3);

    let zoe = Filters {
        mediator: Some("Zoé".into()),
        ..Filters::default()
    };
    assert_eq!(
        ledger
            .review(day, day, &zoe)
            .unwrap()
            .summary
            .redeemed
            .count,
        2
    );
    let area = Filters {
        area: Some("1.1".into()),
        ..Filters::default()
    };
    assert_eq!(ledger.review(day, day, &area).unwrap().lines.len(), 2);
    let accepted = Filters {
        sync_state: Some(SyncState::Accepted),
        ..Filters::default()
    };
    assert!(ledger.review(day, day, &accepted).unwrap().lines.is_empty());
    let two_days = ledger
        .review(day, date(2026, 11, 24), &Filters::default())
        .unwrap();
    assert_eq!(two_days.summary.redeemed.count, 4);
}

#[test]
fn csv_export_reads_back_with_french_headers() {
    let (_dir, _path, mut ledger) = fresh();
    redeem(&mut ledger, &[1, 2], MORNING);
    let day = date(2026, 11, 23);
    let review = ledger.review(day, day, &Filters::default()).unwrap();
    let text = export::render(&review, export::Format::Csv, Lang::Fr);
    let body = text.strip_prefix('\u{feff}').expect("BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[2], "médiateur");
    assert_eq!(&headers[8], "valeur (€)");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "10:00:00");
    assert_eq!(&rows[0][8], "10,00");
    assert_eq!(&rows[1][7], "2");
    let english = export::render(&review, export::Format::Csv, Lang::En);
    assert!(english.contains("mediator,area"), "{english}");
    let json: serde_json::Value =
        serde_json::from_str(&export::render(&review, export::Format::Json, Lang::Fr)).unwrap();
    assert_eq!(json["summary"]["redeemed"]["total_cents"], 2000);
    let table = export::render(&review, export::Format::Table, Lang::Fr);
    // Issue 15: French words, French dates, the day's total with other payments.
    for expected in [
        "Pass encaissés : 2 pass, 20,00 €",
        "Total encaissé (pass et autres paiements) : ",
    ] {
        assert!(table.contains(expected), "{expected:?} in {table}");
    }
    for english in ["pasted", "scanner", "camera", "× ="] {
        assert!(!table.contains(english), "{english:?} in {table}");
    }
}

#[test]
fn the_outbox_tracks_each_entry_until_the_platform_answers() {
    let (_dir, _path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1, 2, 3], MORNING);
    let batch = ledger.outbox_batch(2).unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0].seq, 1);
    assert_eq!(batch[0].prev_hash, guichet_ledger::GENESIS_HASH);
    assert_eq!(batch[1].prev_hash, batch[0].hash);
    let ids: Vec<String> = batch.iter().map(|e| e.entry.id.clone()).collect();
    ledger.mark_sent(&ids, at(MORNING)).unwrap();
    let counts = ledger.sync_counts().unwrap();
    assert_eq!((counts.pending, counts.sent), (1, 2));
    // Sent but unanswered entries are delivered again.
    assert_eq!(ledger.outbox_batch(10).unwrap().len(), 3);
    ledger
        .record_sync_results(
            &[
                SyncResult {
                    entry_id: ids[0].clone(),
                    state: SyncState::Accepted,
                    detail: None,
                },
                SyncResult {
                    entry_id: ids[1].clone(),
                    state: SyncState::Conflict,
                    detail: Some("déjà encaissé à Paris".into()),
                },
            ],
            at(MORNING),
        )
        .unwrap();
    let rest = ledger.outbox_batch(10).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].entry.id, receipt.redemptions[2].id);
    assert_eq!(
        ledger.sync_state(&ids[1]).unwrap(),
        Some((SyncState::Conflict, Some("déjà encaissé à Paris".into())))
    );
    assert!(ledger
        .record_sync_results(
            &[SyncResult {
                entry_id: ids[0].clone(),
                state: SyncState::Pending,
                detail: None
            }],
            at(MORNING)
        )
        .is_err());
}

/// Records the platform's "accepted" for every entry of `batch`.
fn accept_all(ledger: &mut Ledger, batch: &[guichet_ledger::ChainedEntry]) {
    let accepted: Vec<SyncResult> = batch
        .iter()
        .map(|e| SyncResult {
            entry_id: e.entry.id.clone(),
            state: SyncState::Accepted,
            detail: None,
        })
        .collect();
    ledger.record_sync_results(&accepted, at(MORNING)).unwrap();
}

#[test]
fn a_platform_that_lost_entries_gets_them_queued_again_from_its_head() {
    let (_dir, _path, mut ledger) = fresh();
    redeem(&mut ledger, &[1, 2, 3], MORNING);
    let batch = ledger.outbox_batch(10).unwrap();
    accept_all(&mut ledger, &batch);
    assert!(ledger.outbox_batch(10).unwrap().is_empty());
    // The platform holds only the first entry: the two after it go again, in chain order.
    assert_eq!(
        ledger.requeue_after(&batch[0].hash, at(MORNING)).unwrap(),
        2
    );
    let again = ledger.outbox_batch(10).unwrap();
    assert_eq!(again.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(again[0].prev_hash, batch[0].hash);
    // It holds none: everything goes again.
    assert_eq!(
        ledger
            .requeue_after(&guichet_ledger::GENESIS_HASH, at(MORNING))
            .unwrap(),
        1
    );
    assert_eq!(ledger.outbox_batch(10).unwrap().len(), 3);
    // A head this ledger never had is refused, and changes nothing.
    let error = ledger.requeue_after(&[7; 32], at(MORNING)).unwrap_err();
    assert!(
        error.to_string().contains("not an entry of this ledger"),
        "{error}"
    );
}

#[test]
fn entries_pruned_here_cannot_be_sent_again_to_a_platform_that_lost_them() {
    let (_dir, _path, mut ledger) = fresh();
    redeem(&mut ledger, &[1], "2026-10-01T09:00:00Z");
    redeem(&mut ledger, &[2], MORNING);
    let batch = ledger.outbox_batch(10).unwrap();
    accept_all(&mut ledger, &batch);
    assert_eq!(ledger.prune_accepted(date(2026, 11, 1)).unwrap(), 1);
    // The platform's head is the pruned entry (the anchor): the one after it goes again.
    assert_eq!(
        ledger.requeue_after(&batch[0].hash, at(MORNING)).unwrap(),
        1
    );
    // It holds nothing: the pruned entry cannot be sent; a clear refusal.
    let error = ledger
        .requeue_after(&guichet_ledger::GENESIS_HASH, at(MORNING))
        .unwrap_err();
    assert!(error.to_string().contains("pruned"), "{error}");
}

#[test]
fn retention_prunes_only_old_accepted_entries_and_keeps_the_chain_verifiable() {
    let (_dir, _path, mut ledger) = fresh();
    redeem(&mut ledger, &[1], "2026-10-01T09:00:00Z");
    redeem(&mut ledger, &[2], "2026-10-02T09:00:00Z");
    redeem(&mut ledger, &[3], "2026-10-03T09:00:00Z");
    redeem(&mut ledger, &[4], MORNING);
    let batch = ledger.outbox_batch(10).unwrap();
    // Entries 1 and 3 accepted, 2 still pending: only entry 1 may go.
    let accept = |i: usize| SyncResult {
        entry_id: batch[i].entry.id.clone(),
        state: SyncState::Accepted,
        detail: None,
    };
    ledger
        .record_sync_results(&[accept(0), accept(2), accept(3)], at(MORNING))
        .unwrap();
    assert_eq!(ledger.prune_accepted(date(2026, 11, 1)).unwrap(), 1);
    assert_eq!(ledger.prune_accepted(date(2026, 11, 1)).unwrap(), 0);
    ledger
        .record_sync_results(&[accept(1)], at(MORNING))
        .unwrap();
    assert_eq!(ledger.prune_accepted(date(2026, 11, 1)).unwrap(), 2);
    let report = ledger.verify_chain().unwrap();
    assert_eq!((report.entries, report.first_break), (1, None));
    // The coupons stay used.
    assert!(ledger.active_redemption(kid(), 1).unwrap().is_some());
    redeem(&mut ledger, &[5], MORNING);
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}

#[test]
fn the_clock_guard_reports_a_clock_that_went_back() {
    let (_dir, _path, mut ledger) = fresh();
    assert_eq!(redeem(&mut ledger, &[1], MORNING).clock, ClockStatus::Ok);
    // Within the tolerance: not reported.
    assert_eq!(
        redeem(&mut ledger, &[2], "2026-11-23T08:59:00Z").clock,
        ClockStatus::Ok
    );
    let behind = redeem(&mut ledger, &[3], "2026-11-22T09:00:00Z").clock;
    assert_eq!(
        behind,
        ClockStatus::Behind {
            latest_trusted: at(MORNING)
        }
    );
    // A platform time later than the kiosk's clock.
    let status = ledger
        .observe_trusted_time(at("2026-11-25T00:00:00Z"), at(MORNING))
        .unwrap();
    assert!(matches!(status, ClockStatus::Behind { .. }));
    assert_eq!(
        ledger.clock_status(at("2026-11-25T00:00:01Z")).unwrap(),
        ClockStatus::Ok
    );
}

/// Dates are checked on the later of the clock and the latest trusted time: a clock set back
/// gets the trusted time, a clock ahead keeps its own.
#[test]
fn trusted_now_is_the_later_of_the_clock_and_the_trusted_time() {
    let (_dir, _path, mut ledger) = fresh();
    assert_eq!(ledger.latest_trusted_time().unwrap(), None);
    assert_eq!(ledger.trusted_now(at(MORNING)).unwrap(), at(MORNING));
    redeem(&mut ledger, &[1], MORNING);
    ledger
        .observe_trusted_time(at("2027-02-05T10:00:00Z"), at(MORNING))
        .unwrap();
    let set_back = at("2026-01-01T00:00:00Z");
    assert_eq!(
        ledger.trusted_now(set_back).unwrap(),
        at("2027-02-05T10:00:00Z")
    );
    let ahead = at("2027-03-01T00:00:00Z");
    assert_eq!(ledger.trusted_now(ahead).unwrap(), ahead);
}

#[test]
fn the_ledger_survives_a_reopen() {
    let (_dir, path, mut ledger) = fresh();
    redeem(&mut ledger, &[1], MORNING);
    drop(ledger);
    let mut ledger = open(&path);
    assert!(ledger.active_redemption(kid(), 1).unwrap().is_some());
    redeem(&mut ledger, &[2], MORNING);
    assert_eq!(ledger.verify_chain().unwrap().entries, 2);
    ledger.integrity_check().unwrap();
}

/// The caller's verification, run again inside the write transaction, refuses one coupon:
/// nothing of the checkout is recorded, and every refused coupon comes back with its verdict.
#[test]
fn a_coupon_refused_when_verified_again_at_commit_stops_the_whole_checkout() {
    use guichet_core::verify::Outcome;
    use guichet_core::Verdict;
    let (_dir, _path, mut ledger) = fresh();
    let mut asked = Vec::new();
    let result = ledger.commit_checkout_verified(
        &station("Amine"),
        &basket(&[1, 2, 3]),
        at(MORNING),
        |item, lookup| {
            asked.push(item.coupon.serial);
            // The lookup reads the ledger inside the transaction.
            assert_eq!(lookup.active_redemption(kid(), item.coupon.serial)?, None);
            Ok((item.coupon.serial == 2).then_some(Verdict {
                outcome: Outcome::Revoked,
                coupon: Some(item.coupon),
            }))
        },
    );
    assert_eq!(asked, [1, 2, 3]);
    match result {
        Err(CheckoutError::NoLongerValid(failed)) => {
            assert_eq!(failed.len(), 1);
            assert_eq!((failed[0].serial, failed[0].verdict.code()), (2, "REVOKED"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ledger.sync_counts().unwrap().to_deliver(), 0);
    assert_eq!(ledger.active_redemption(kid(), 1).unwrap(), None);
    // Verified again and passing: recorded.
    ledger
        .commit_checkout_verified(&station("Amine"), &basket(&[1, 3]), at(MORNING), |_, _| {
            Ok(None)
        })
        .unwrap();
    assert!(ledger.active_redemption(kid(), 3).unwrap().is_some());
}

/// The file's permission bits.
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_ledger_and_its_wal_are_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path, mut ledger) = fresh();
    redeem(&mut ledger, &[7], MORNING);
    assert_eq!(mode_of(&path), 0o600);
    for suffix in ["-wal", "-shm"] {
        let beside = dir.path().join(format!("ledger.sqlite3{suffix}"));
        assert_eq!(mode_of(&beside), 0o600, "{suffix}");
    }
    drop(ledger);

    // A ledger copied with a wider mode is narrowed when it is opened again.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
    let ledger = open(&path);
    assert_eq!(mode_of(&path), 0o600);
    assert!(ledger.active_redemption(kid(), 7).unwrap().is_some());
    drop(ledger);

    // The owner's own bits are left alone: a ledger made read-only stays read-only.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let _ = Ledger::open(&path, LedgerSettings::default());
    assert_eq!(mode_of(&path), 0o400);
}
