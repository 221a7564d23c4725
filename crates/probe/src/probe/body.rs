//! Bounded response-body reading: Content-Length, chunked or until close, keeping a sample.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

pub(super) struct BodyReader {
    cap: u64,
    sample_cap: usize,
    sample: Vec<u8>,
    /// Body bytes (the decoded content).
    read: u64,
    /// Bytes consumed after the head: content plus chunk framing and trailer fields. The cap
    /// bounds this, so endless trailers or tiny chunks stop at the cap like a large body.
    wire: u64,
    framing: Framing,
}

enum Framing {
    Length { remaining: u64 },
    UntilClose,
    Chunked(ChunkState),
}

enum ChunkState {
    Size(Vec<u8>),
    Data(u64),
    DataEnd(u8),
    Trailer(Vec<u8>),
    Done,
}

impl BodyReader {
    pub(super) fn new(cap: u64, sample_cap: usize, chunked: bool, length: Option<u64>) -> Self {
        let framing = if chunked {
            Framing::Chunked(ChunkState::Size(Vec::new()))
        } else if let Some(n) = length {
            Framing::Length { remaining: n }
        } else {
            Framing::UntilClose
        };
        BodyReader { cap, sample_cap, sample: Vec::new(), read: 0, wire: 0, framing }
    }

    pub(super) fn done(&self) -> bool {
        matches!(self.framing, Framing::Length { remaining: 0 } | Framing::Chunked(ChunkState::Done))
    }

    /// True when the body ends only when the connection closes (no length, not chunked).
    pub(super) fn until_close(&self) -> bool {
        matches!(self.framing, Framing::UntilClose)
    }

    pub(super) fn over_cap(&self) -> bool {
        self.wire >= self.cap
    }

    fn keep(&mut self, data: &[u8]) {
        self.read = self.read.saturating_add(data.len() as u64);
        let room = self.sample_cap.saturating_sub(self.sample.len());
        self.sample.extend_from_slice(&data[..data.len().min(room)]);
    }

    pub(super) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.done() {
            let before = data.len();
            match &mut self.framing {
                Framing::UntilClose => {
                    let d = data;
                    data = &[];
                    self.keep(d);
                }
                Framing::Length { remaining } => {
                    let take = (*remaining).min(data.len() as u64) as usize;
                    *remaining = remaining.saturating_sub(take as u64);
                    let (d, rest) = data.split_at(take);
                    data = rest;
                    self.keep(d);
                    if take == 0 {
                        break;
                    }
                }
                Framing::Chunked(state) => match state {
                    ChunkState::Size(line) => {
                        let b = data[0];
                        data = &data[1..];
                        if b == b'\n' {
                            let text = String::from_utf8_lossy(line).to_string();
                            let hex = text.trim().split(';').next().unwrap_or("").trim().to_string();
                            match u64::from_str_radix(&hex, 16) {
                                Ok(0) => *state = ChunkState::Trailer(Vec::new()),
                                Ok(n) => *state = ChunkState::Data(n),
                                // A malformed chunk size ends the body; what was read is kept.
                                Err(_) => *state = ChunkState::Done,
                            }
                        } else if line.len() < 1024 {
                            line.push(b);
                        } else {
                            *state = ChunkState::Done;
                        }
                    }
                    ChunkState::Data(remaining) => {
                        let take = (*remaining).min(data.len() as u64) as usize;
                        *remaining = remaining.saturating_sub(take as u64);
                        let next = if *remaining == 0 { Some(ChunkState::DataEnd(0)) } else { None };
                        if let Some(n) = next {
                            *state = n;
                        }
                        let (d, rest) = data.split_at(take);
                        data = rest;
                        self.keep(d);
                    }
                    ChunkState::DataEnd(seen) => {
                        let b = data[0];
                        data = &data[1..];
                        if b == b'\n' {
                            *state = ChunkState::Size(Vec::new());
                        } else {
                            *seen = seen.saturating_add(1);
                            if *seen > 2 {
                                *state = ChunkState::Done;
                            }
                        }
                    }
                    ChunkState::Trailer(line) => {
                        let b = data[0];
                        data = &data[1..];
                        if b == b'\n' {
                            if line.iter().all(|c| *c == b'\r') {
                                *state = ChunkState::Done;
                            } else {
                                line.clear();
                            }
                        } else if line.len() < 1024 {
                            line.push(b);
                        }
                    }
                    ChunkState::Done => break,
                },
            }
            self.wire = self.wire.saturating_add(before.saturating_sub(data.len()) as u64);
            if self.over_cap() {
                break;
            }
        }
    }

    /// The kept sample and the number of body bytes read.
    pub(super) fn finish(self) -> (Vec<u8>, u64) {
        (self.sample, self.read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_across_arbitrary_splits() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for split in 1..wire.len() {
            let mut r = BodyReader::new(1 << 20, 1024, true, None);
            r.feed(&wire[..split]);
            r.feed(&wire[split..]);
            assert!(r.done(), "split at {split}");
            let (sample, read) = r.finish();
            assert_eq!(sample, b"hello, world");
            assert_eq!(read, 12);
        }
    }

    #[test]
    fn content_length_stops_at_length_and_sample_is_capped() {
        let mut r = BodyReader::new(1 << 20, 4, false, Some(6));
        r.feed(b"abcdefEXTRA");
        assert!(r.done());
        assert_eq!(r.finish(), (b"abcd".to_vec(), 6));
    }

    #[test]
    fn trailers_and_chunk_framing_count_against_the_cap() {
        let mut r = BodyReader::new(1024, 16, true, None);
        r.feed(b"1\r\nx\r\n0\r\n");
        for _ in 0..100 {
            r.feed(b"X-Trailer: again\r\n");
        }
        assert!(r.over_cap() && !r.done());
        assert_eq!(r.finish().1, 1, "only the content counts as body bytes");
    }

    #[test]
    fn the_byte_cap_stops_reading() {
        let mut r = BodyReader::new(10, 4, false, None);
        r.feed(&[b'x'; 64]);
        assert!(r.over_cap());
        assert!(r.finish().1 <= 64);
    }
}
