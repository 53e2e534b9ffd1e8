//! CPU work of one request spread over the cores: the signature checks of a push (each
//! entry's device signature, each code's issuer signature) are independent, and one push
//! of 500 entries is 1,000 Ed25519 verifications. Called on the blocking pool, never on the
//! async threads.

use crate::error::Error;

/// Below this many items a thread costs more than it saves.
const MIN_PER_THREAD: usize = 32;

/// `f` of each item, in order, computed on up to one scoped thread per core (at most 8).
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Result<Vec<R>, Error> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get().min(8))
        .min(items.len() / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        return Ok(items.iter().map(&f).collect());
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for worker in workers {
            out.extend(
                worker
                    .join()
                    .map_err(|_| Error::Storage("a signature check stopped".into()))?,
            );
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_is_mapped_once_in_order() {
        for n in [0, 1, 31, 64, 65, 1000] {
            let items: Vec<u32> = (0..n).collect();
            let doubled = super::map(&items, |x| x * 2).unwrap();
            assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        }
    }
}
