//! Bounds on what one observation may contribute to the evidence and the report. Every string
//! and list an origin controls (certificate names, header values, a chain) is cut to these
//! sizes when it is recorded, so a hostile origin cannot grow the report (or the memory that
//! holds it) beyond a small multiple of them; what was cut is marked (`…`) or counted.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

/// The longest text recorded from one field an origin controls, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024;
/// The most entries recorded from one list an origin controls (SAN names, header fields).
pub const MAX_LIST_ITEMS: usize = 64;
/// The most certificates of one presented chain that are described; real chains have 2 to 4
/// (a leaf, one or two intermediates, sometimes the root).
pub const MAX_CHAIN_CERTIFICATES: usize = 16;

/// `s` cut to at most [`MAX_TEXT_BYTES`] on a character boundary, marked with `…` when cut.
pub fn bounded_text(mut s: String) -> String {
    if s.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !s.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// The first `max` items of `items`, and how many were left out.
pub fn bounded_list<T>(mut items: Vec<T>, max: usize) -> (Vec<T>, u64) {
    let dropped = items.len().saturating_sub(max);
    items.truncate(max);
    (items, dropped as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_character_boundary_and_marked() {
        assert_eq!(bounded_text("short".into()), "short");
        let long = "é".repeat(MAX_TEXT_BYTES);
        let cut = bounded_text(long);
        assert!(cut.len() <= MAX_TEXT_BYTES + '…'.len_utf8() && cut.ends_with('…'));
        assert_eq!(bounded_list(vec![1, 2, 3], 2), (vec![1, 2], 1));
        assert_eq!(bounded_list(vec![1], 2), (vec![1], 0));
    }
}
