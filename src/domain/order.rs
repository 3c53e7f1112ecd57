//! Keys of the manual order: strings of base-62 digits (`0-9A-Za-z`, in ASCII order) read as
//! fractions in (0, 1), compared byte by byte (PostgreSQL `COLLATE "C"`), never ending in `0`.
//! Between any two keys there is another, so a move writes only the moved task's key: nothing is
//! renumbered and there is always room. Each key made between the same two neighbours is about
//! six bits longer than the last, so 200 such moves in a row make a key of some 35 digits, where a
//! float would have run out of precision after about 50.
//!
//! Hand-written (it is one function) after David Greenspan's "Implementing Fractional Indexing"
//! (observablehq.com/@dgreensp/implementing-fractional-indexing), the algorithm behind the
//! `fractional-indexing` packages; the keys of tasks placed at the top are made by the database
//! (`order_key_top()` in migrations), which keeps one clock for every server.

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why two keys have no key between them: they are not keys of this scheme, or not in order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not two ordered manual-order keys: {0:?} and {1:?}")]
pub struct KeyError(pub String, pub Option<String>);

fn digit(byte: u8) -> Option<usize> {
    DIGITS.iter().position(|&d| d == byte)
}

/// Whether `key` is a key of this scheme: base-62 digits, not ending in `0`.
pub fn is_key(key: &str) -> bool {
    key.bytes().all(|b| digit(b).is_some()) && key.bytes().last().is_some_and(|b| b != b'0')
}

/// A key strictly between `a` and `b`; `None` for `b` means after `a`. Deterministic: the
/// database's unique key on (user, project, key) makes a concurrent move that computed the same
/// key retry with fresh neighbours.
pub fn between(a: &str, b: Option<&str>) -> Result<String, KeyError> {
    let error = || KeyError(a.to_owned(), b.map(str::to_owned));
    if (!a.is_empty() && !is_key(a)) || b.is_some_and(|b| !is_key(b) || b <= a) {
        return Err(error());
    }
    let key = midpoint(a.as_bytes(), b.map(str::as_bytes)).ok_or_else(error)?;
    String::from_utf8(key).map_err(|_| error())
}

/// Greenspan's midpoint: `a` may be empty (zero), `b` is `None` (one) or greater than `a`.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Option<Vec<u8>> {
    if let Some(b) = b {
        // The common prefix (reading `a` as padded with zeros) is kept as it is.
        let n = b
            .iter()
            .enumerate()
            .take_while(|&(i, &digit_b)| a.get(i).copied().unwrap_or(b'0') == digit_b)
            .count();
        if n > 0 {
            let mut key = b[..n].to_vec();
            key.extend(midpoint(a.get(n..).unwrap_or_default(), Some(&b[n..]))?);
            return Some(key);
        }
    }
    let digit_a = a.first().map_or(Some(0), |&d| digit(d))?;
    let digit_b = b.map_or(Some(DIGITS.len()), |b| b.first().and_then(|&d| digit(d)))?;
    if digit_b.checked_sub(digit_a)? > 1 {
        // Room for a digit between them: the middle one.
        return Some(vec![DIGITS[(digit_a + digit_b).div_ceil(2)]]);
    }
    match b {
        // Consecutive first digits and a longer `b`: `b`'s first digit alone lies between.
        Some(b) if b.len() > 1 => Some(b[..1].to_vec()),
        // `a`'s first digit, then a key after the rest of `a`.
        _ => {
            let mut key = vec![DIGITS[digit_a]];
            key.extend(midpoint(a.get(1..).unwrap_or_default(), None)?);
            Some(key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, b: Option<&str>) -> String {
        let key = between(a, b).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_key(&key), "{key}");
        assert!(key.as_str() > a, "{a} < {key}");
        if let Some(b) = b {
            assert!(key.as_str() < b, "{key} < {b}");
        }
        key
    }

    #[test]
    fn finds_a_key_between_and_after() {
        assert_eq!(check("", None), "V");
        assert_eq!(check("", Some("1")), "0V");
        assert_eq!(check("1", Some("2")), "1V");
        assert_eq!(check("1", Some("12")), "11");
        assert_eq!(check("z", None), "zV");
        assert_eq!(check("A1", Some("A2")), "A1V");
        check("0001", Some("0002"));
        check("zzzzzzzzzz1", None);
    }

    #[test]
    fn refuses_what_is_not_two_ordered_keys() {
        assert!(between("b", Some("a")).is_err());
        assert!(between("a", Some("a")).is_err());
        assert!(between("a0", None).is_err());
        assert!(between("a-", None).is_err());
        assert!(between("", Some("")).is_err());
    }

    /// 200 moves between the same two neighbours, each landing next to the last (the worst
    /// case): every key in order, none longer than some 40 digits.
    #[test]
    fn two_hundred_moves_between_the_same_neighbours_keep_working() {
        let (low, high) = ("a1", "a2");
        let mut upper = high.to_owned();
        let mut lower = low.to_owned();
        for i in 0..200 {
            // Alternate sides, so that both ends of the gap shrink.
            let key = check(&lower, Some(&upper));
            if i % 2 == 0 {
                upper = key;
            } else {
                lower = key;
            }
        }
        assert!(upper.len() <= 45 && lower.len() <= 45, "{lower} {upper}");
        let mut upper = high.to_owned();
        for _ in 0..200 {
            upper = check(low, Some(&upper));
        }
        assert!(upper.len() <= 45, "{upper}");
    }

    /// Keys like the database's top keys: 15 digits, the later the smaller.
    #[test]
    fn works_between_top_keys() {
        let top_now = "0ABCDEFGHIJklmn";
        let top_earlier = "0ABCDEFGHJ12345";
        check(top_now, Some(top_earlier));
        check("", Some(top_now));
        check(top_earlier, None);
    }

    #[test]
    fn random_insertions_keep_a_total_order() {
        // A small deterministic generator, so the test needs no dependency and always replays.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut keys = vec!["V".to_owned()];
        for _ in 0..2_000 {
            let at = next(keys.len() + 1);
            let low = if at == 0 { "" } else { &keys[at - 1] };
            let key = check(low, keys.get(at).map(String::as_str));
            keys.insert(at, key);
        }
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }
}
