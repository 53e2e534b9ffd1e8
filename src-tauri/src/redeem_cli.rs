//! `guichet redeem`: the counter without a window. It goes through the same `Kiosk` methods as
//! the window (workshop from the referential, mediator's name, each code verified into the
//! basket, the amount paid otherwise within the counter's cap, the commit that verifies every
//! pass again): this file only translates arguments and prints the answers.

use std::process::ExitCode;

use guichet_kiosk::counter::ScanKind;
use guichet_kiosk::{Kiosk, Lang, Problem, Text};
use guichet_ledger::InputMethod;
use jiff::Timestamp;

use crate::cli::data_dir;

/// Arguments of `guichet redeem`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 if the checkout was recorded, 1 if a code was refused \
                        (nothing recorded), 2 on a usage or local error. The workshop and the \
                        mediator stay chosen at the counter, as if typed there; a basket left \
                        open at the counter is not touched (the command refuses)."
)]
pub struct RedeemArgs {
    /// The workshop's area (1.1 … 3.5).
    #[arg(long)]
    area: String,
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
    #[arg(long, value_parser = crate::cli::lang_parser(), default_value = "fr")]
    lang: Lang,
    /// The coupon codes of one learner.
    #[arg(value_name = "CODE", required = true)]
    codes: Vec<String>,
}

/// Runs `guichet redeem`.
pub fn run(args: RedeemArgs) -> ExitCode {
    let say = |text: &Text| match args.lang {
        Lang::Fr => text.fr.clone(),
        Lang::En => text.en.clone(),
    };
    let fail = |problem: Problem| {
        eprintln!("guichet: {}: {}", problem.code, say(&problem.message));
        ExitCode::from(2)
    };
    let mut kiosk = match Kiosk::open(&data_dir()) {
        Ok(kiosk) => kiosk,
        Err(problem) => return fail(problem),
    };
    if !kiosk.basket_view().coupons.is_empty() {
        return fail(Problem::new(
            "BASKET_OPEN",
            "Un panier est ouvert au comptoir : encaissez-le ou videz-le d'abord.",
            "A basket is open at the counter: take payment or empty it first.",
        ));
    }
    if let Err(problem) = kiosk
        .set_workshop(&args.area, &args.service)
        .and_then(|()| kiosk.set_mediator(&args.mediator))
    {
        return fail(problem);
    }
    let mut refused = false;
    for code in &args.codes {
        match kiosk.scan(code.as_bytes(), InputMethod::Pasted, Timestamp::now()) {
            Ok(result) => {
                println!("{}\t{}", result.code, say(&result.message));
                refused |= result.kind != ScanKind::Accepted;
            }
            Err(problem) => return fail(problem),
        }
    }
    if refused {
        kiosk.basket_clear();
        println!("nothing recorded");
        return ExitCode::FAILURE;
    }
    if let Err(problem) = kiosk.basket_paid_otherwise(args.paid_otherwise_cents) {
        kiosk.basket_clear();
        return fail(problem);
    }
    match kiosk.basket_commit(Timestamp::now()) {
        Ok(result) if result.kind == "committed" => {
            for serial in result.last_checkout.iter().flat_map(|c| &c.serials) {
                println!("RECORDED\t{serial}");
            }
            ExitCode::SUCCESS
        }
        Ok(result) => {
            kiosk.basket_clear();
            println!("{}\t{}", result.code, say(&result.message));
            println!("nothing recorded");
            ExitCode::FAILURE
        }
        Err(problem) => fail(problem),
    }
}
