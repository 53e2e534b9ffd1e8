//! `guichet redeem`: the counter without a window. Verifies each code against the kiosk's
//! bundle and ledger and, if every one is OK, commits them as one learner's checkout.

use std::process::ExitCode;

use guichet_core::message::{message, Lang};
use guichet_core::{verify, Area, Context};
use guichet_ledger::{
    Basket, CheckoutError, InputMethod, Ledger, LedgerSettings, Station, Workshop,
};
use guichet_sync::{Identity, TrustStore};

use crate::cli::{data_dir, default_ledger_path, Language};

/// Arguments of `guichet redeem`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 if the checkout was recorded, 1 if a code was refused \
                        (nothing recorded), 2 on a usage or local error."
)]
pub struct RedeemArgs {
    /// The workshop's area (1.1 … 3.5).
    #[arg(long)]
    area: Area,
    /// The workshop's service code from the referential.
    #[arg(long)]
    service: String,
    /// The mediator at the counter.
    #[arg(long)]
    mediator: String,
    /// What the learner paid otherwise, in cents.
    #[arg(long, default_value_t = 0)]
    paid_otherwise_cents: u32,
    /// Language of the messages.
    #[arg(long, value_enum, default_value_t = Language::Fr)]
    lang: Language,
    /// The coupon codes of one learner.
    #[arg(value_name = "CODE", required = true)]
    codes: Vec<String>,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("guichet: {message}");
    ExitCode::from(2)
}

/// Runs `guichet redeem`.
pub fn run(args: RedeemArgs) -> ExitCode {
    let lang = Lang::from(args.lang);
    let dir = data_dir();
    let identity = match Identity::load(&dir) {
        Ok(identity) => identity,
        Err(error) => return fail(error),
    };
    let trust = match identity
        .root_keys()
        .map_err(|e| e.to_string())
        .and_then(|roots| TrustStore::load(&dir, &roots).map_err(|e| e.to_string()))
    {
        Ok(trust) => trust,
        Err(error) => return fail(error),
    };
    let Some(bundle) = trust.bundle() else {
        return fail("no trust bundle yet: run `guichet sync`");
    };
    // The workshop must be one of the referential's, as the window's workshop choice requires:
    // the platform rejects a redemption for a service it does not know.
    let known = bundle
        .document()
        .referential
        .services
        .iter()
        .any(|s| s.code == args.service && s.area == args.area);
    if !known {
        return fail(format!(
            "service {} is not in area {} of the referential",
            args.service,
            args.area.code()
        ));
    }
    let now = jiff::Timestamp::now();
    let mut ledger = match Ledger::open(default_ledger_path(), LedgerSettings::default()) {
        Ok(ledger) => ledger,
        Err(error) => return fail(error),
    };
    // As at the counter: the later of the clock and the trusted time (the ledger's, the
    // bundle's issue time), so a clock set back revives no expired coupon.
    let today = match ledger.trusted_now(now) {
        Ok(trusted) => guichet_ledger::local_day(trusted.max(bundle.document().issued_at)),
        Err(error) => return fail(error),
    };
    let context = Context {
        bundle,
        today,
        area: Some(args.area),
        center_zone: identity.enrollment.center.zone,
    };
    let mut basket = Basket::new(Workshop {
        area: args.area,
        service: args.service,
    });
    basket.paid_otherwise_cents = args.paid_otherwise_cents;
    let mut refused = false;
    for code in &args.codes {
        let verdict = match verify(code.as_bytes(), &context, &ledger) {
            Ok(verdict) => verdict,
            Err(error) => return fail(error),
        };
        println!("{}\t{}", verdict.code(), message(&verdict, lang));
        if verdict.is_ok() {
            // The basket keeps the code read: the entry carries it to the platform.
            match basket.add(code.as_bytes(), InputMethod::Pasted) {
                Ok(_) => {}
                Err(error @ CheckoutError::DuplicateInBasket { .. }) => {
                    println!("DUPLICATE\t{error}");
                    refused = true;
                }
                Err(error) => {
                    println!("REFUSED\t{error}");
                    refused = true;
                }
            }
        } else {
            refused = true;
        }
    }
    if refused {
        println!("nothing recorded");
        return ExitCode::FAILURE;
    }
    let station = Station {
        center: identity.enrollment.center.id.clone(),
        device: identity.enrollment.device_id.clone(),
        mediator: args.mediator,
    };
    match ledger.commit_checkout(&station, &basket, now) {
        Ok(receipt) => {
            for redemption in &receipt.redemptions {
                println!("RECORDED\t{}\t{}", redemption.serial, redemption.id);
            }
            ExitCode::SUCCESS
        }
        Err(CheckoutError::Ledger(error)) => fail(error),
        Err(refusal) => {
            println!("REFUSED\t{refusal}");
            ExitCode::FAILURE
        }
    }
}
