//! What one client, or all of them, may ask of the server: a deadline per request, a bound
//! on requests in progress, and a budget of enrollment attempts per address.
//!
//! The deadline is a small middleware rather than tower-http's `TimeoutLayer` so that a late
//! request gets the API's JSON error body (`REQUEST_TIMEOUT`) like every other refusal. The
//! bound on requests in progress is tower's `GlobalConcurrencyLimitLayer` (one semaphore for
//! all connections). The enrollment budget is a fixed window per IP address: a few lines,
//! where a rate-limiting crate would bring a keyed store for one counter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use guichet_protocol::ErrorCode;

use crate::error::Error;

/// How long a request may take, body included.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Requests in progress at once, all clients together; more wait for a place.
pub const MAX_IN_PROGRESS: usize = 512;
/// Enrollment attempts one address may make per [`ENROLL_WINDOW`], by default
/// (`serve --enroll-attempts-per-minute`: behind a reverse proxy every kiosk comes from the
/// proxy's address, so a large deployment enrolling many kiosks at once raises it).
pub const ENROLL_ATTEMPTS: u32 = 10;
/// The window of [`ENROLL_ATTEMPTS`].
pub const ENROLL_WINDOW: Duration = Duration::from_secs(60);

/// Answers `REQUEST_TIMEOUT` when the rest of the stack takes longer than the deadline.
pub async fn deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Error::refused(
            ErrorCode::RequestTimeout,
            format!(
                "the request took longer than {} s",
                REQUEST_DEADLINE.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Enrollment attempts per address, in fixed windows.
#[derive(Debug)]
pub struct EnrollBudget {
    attempts: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Default for EnrollBudget {
    fn default() -> EnrollBudget {
        EnrollBudget::new(ENROLL_ATTEMPTS)
    }
}

impl EnrollBudget {
    /// A budget of `attempts` per address and [`ENROLL_WINDOW`].
    pub fn new(attempts: u32) -> EnrollBudget {
        EnrollBudget {
            attempts,
            windows: Mutex::default(),
        }
    }

    /// Counts an attempt from `address` at `now`; `RATE_LIMITED` beyond the budget.
    pub fn spend(&self, address: IpAddr, now: Instant) -> Result<(), Error> {
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| Error::Storage("the enrollment budget is poisoned".into()))?;
        // Forget finished windows now and then, so the map stays as small as the traffic.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < ENROLL_WINDOW);
        }
        let (start, count) = windows.entry(address).or_insert((now, 0));
        if now.duration_since(*start) >= ENROLL_WINDOW {
            (*start, *count) = (now, 0);
        }
        *count += 1;
        if *count > self.attempts {
            let wait = ENROLL_WINDOW.saturating_sub(now.duration_since(*start));
            return Err(Error::refused(
                ErrorCode::RateLimited,
                format!(
                    "too many enrollment attempts from this address; try again in {} s",
                    wait.as_secs().max(1)
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_attempts_per_window_and_others_keep_theirs() {
        let budget = EnrollBudget::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        for _ in 0..ENROLL_ATTEMPTS {
            budget.spend(a, start).unwrap();
        }
        let refused = budget.spend(a, start).unwrap_err();
        assert_eq!(refused.body().error, ErrorCode::RateLimited);
        budget.spend(b, start).unwrap();
        budget.spend(a, start + ENROLL_WINDOW).unwrap();
    }
}
