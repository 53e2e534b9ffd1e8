//! Statements over many rows at once: one round trip for a chunk of a batch instead of one per
//! row (PostgreSQL answers each statement over the network).
//!
//! Chunks have power-of-two sizes, so a batch of any size uses at most
//! [`MAX_CHUNK`]`.ilog2() + 1` distinct statement texts per shape, which the backends' prepared
//! statement caches keep.

use super::{Tx, Value};
use crate::error::Error;

/// The largest chunk: 256 rows of the widest statement (33 parameters) stay far below both
/// backends' parameter limits (SQLite 32,766, PostgreSQL 65,535).
pub const MAX_CHUNK: usize = 256;

/// Splits `items` into chunks of power-of-two sizes, largest first (at most [`MAX_CHUNK`]).
pub fn chunks<T>(items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = rest.len().min(MAX_CHUNK);
        let size = 1 << size.ilog2();
        let (chunk, tail) = rest.split_at(size);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// `($1, $2), ($3, $4), …`: `rows` tuples of one placeholder per column, each wrapped by its
/// column's template (`{}` stands for the placeholder, e.g. `CAST({} AS BIGINT)`; a template
/// without one is a constant).
pub fn tuples(rows: usize, columns: &[&str]) -> String {
    let mut sql = String::new();
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (i, template) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            if template.contains("{}") {
                n += 1;
                sql.push_str(&template.replace("{}", &format!("${n}")));
            } else {
                sql.push_str(template);
            }
        }
        sql.push(')');
    }
    sql
}

/// `$1, $2, …, $n`: an `IN` list of `n` placeholders.
pub fn list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `select` (ending with `… IN`) for every key, in chunks; all the rows, read into `T`.
pub async fn query_in<T>(tx: &mut Tx, select: &str, keys: &[&str]) -> Result<Vec<T>, Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut rows = Vec::new();
    for chunk in chunks(keys) {
        let params: Vec<Value> = chunk.iter().map(|&key| key.into()).collect();
        rows.extend(
            tx.rows(&format!("{select} ({})", list(chunk.len())), &params)
                .await?,
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_largest_first_and_cover_everything() {
        for n in 0..1200 {
            let items: Vec<usize> = (0..n).collect();
            let chunks = chunks(&items);
            assert_eq!(chunks.concat(), items, "n = {n}");
            for pair in chunks.windows(2) {
                assert!(pair[0].len() >= pair[1].len(), "n = {n}");
            }
            for chunk in &chunks {
                assert!(chunk.len().is_power_of_two() && chunk.len() <= MAX_CHUNK);
            }
        }
        assert_eq!(
            chunks(&[0; 500])
                .iter()
                .map(|c| c.len())
                .collect::<Vec<_>>(),
            [256, 128, 64, 32, 16, 4]
        );
    }

    #[test]
    fn tuples_number_the_placeholders_row_by_row() {
        assert_eq!(
            tuples(2, &["{}", "CAST({} AS BIGINT)"]),
            "($1, CAST($2 AS BIGINT)), ($3, CAST($4 AS BIGINT))"
        );
        assert_eq!(tuples(2, &["{}", "'x'"]), "($1, 'x'), ($2, 'x')");
        assert_eq!(tuples(0, &["{}"]), "");
    }

    #[test]
    fn list_numbers_from_one() {
        assert_eq!(list(3), "$1, $2, $3");
    }
}
