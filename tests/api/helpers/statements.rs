//! [`StatementCounter`]: counts the statements a client sends to PostgreSQL by reading the
//! client's half of the wire protocol (version 3.0) as it passes through [`super::DbProxy`].

/// Counts statements in the bytes a PostgreSQL client sends, fed in whatever chunks the socket
/// delivers (a message split across chunks is counted once, when complete).
///
/// What counts as one statement:
/// - an `Execute` message (`E`, extended protocol: what sqlx sends for every query), and
/// - a `Query` message (`Q`, simple protocol), whatever its text holds.
///
/// What does not count, or cannot be seen:
/// - the untyped start-up packets (`SSLRequest`, `GSSENCRequest`, `StartupMessage`,
///   `CancelRequest`) and the typed messages of the rest of a conversation that are not `E` or
///   `Q`: authentication, `Parse`/`Bind`/`Describe`/`Close`, and `Sync` (a bare `Sync` is how
///   sqlx pings a connection: not a statement);
/// - anything after a TLS handshake: the bytes are encrypted (connect with TLS off to count);
/// - `COPY` data (`CopyData`/`CopyDone`/`CopyFail`): the `COPY` statement itself counts once;
/// - several statements in one simple `Query` (`BEGIN; ...; COMMIT`): one message, one count;
/// - the legacy `FunctionCall` message, and anything the server runs on its own (triggers,
///   functions called by a statement);
/// - the server's answers: a statement that fails still counted when it was sent.
#[derive(Default)]
pub struct StatementCounter {
    started: bool,
    pending: Vec<u8>,
}

impl StatementCounter {
    const PROTOCOL_3_0: u32 = 3 << 16;

    /// Takes the next bytes the client sent and returns how many statements they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let word = |at: usize| {
            u32::from_be_bytes([
                self.pending[at],
                self.pending[at + 1],
                self.pending[at + 2],
                self.pending[at + 3],
            ]) as usize
        };
        let (mut at, mut count) = (0, 0);
        loop {
            let available = self.pending.len() - at;
            if !self.started {
                // Untyped start-up packets (SSLRequest, StartupMessage): length, then a code.
                if available < 8 || available < word(at) {
                    break;
                }
                self.started = word(at + 4) == Self::PROTOCOL_3_0 as usize;
                at += word(at);
            } else {
                // Typed messages: one byte of type, then a length that counts itself.
                if available < 5 || available < 1 + word(at + 1) {
                    break;
                }
                if matches!(self.pending[at], b'E' | b'Q') {
                    count += 1;
                }
                at += 1 + word(at + 1);
            }
        }
        self.pending.drain(..at);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::StatementCounter;

    /// An untyped start-up packet: its length (counting itself), a code, then `rest`.
    fn packet(code: u32, rest: &[u8]) -> Vec<u8> {
        let length = u32::try_from(8 + rest.len()).expect("short packet");
        [&length.to_be_bytes()[..], &code.to_be_bytes(), rest].concat()
    }

    /// The StartupMessage of protocol 3.0 for user `ada`.
    fn startup() -> Vec<u8> {
        packet(3 << 16, b"user\0ada\0\0")
    }

    /// A typed message: its type byte, its length (counting itself, not the type), its body.
    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let length = u32::try_from(4 + body.len()).expect("short message");
        [&[kind][..], &length.to_be_bytes(), body].concat()
    }

    /// What sqlx sends for one prepared query: Parse, Bind, Describe, Execute, Sync.
    fn extended_query() -> Vec<u8> {
        [
            message(b'P', b"\0SELECT 1\0\0\0"),
            message(b'B', b"\0\0\0\0\0\0\0\0"),
            message(b'D', b"P\0"),
            message(b'E', b"\0\0\0\0\0"),
            message(b'S', b""),
        ]
        .concat()
    }

    #[test]
    fn executes_and_simple_queries_count_but_set_up_and_pings_do_not() {
        let mut counter = StatementCounter::default();
        assert_eq!(counter.feed(&startup()), 0);
        assert_eq!(counter.feed(&message(b'p', b"secret\0")), 0, "password");
        assert_eq!(counter.feed(&extended_query()), 1);
        assert_eq!(counter.feed(&message(b'Q', b"SELECT 1\0")), 1);
        assert_eq!(
            counter.feed(&message(b'S', b"")),
            0,
            "a ping is a bare Sync"
        );
    }

    #[test]
    fn a_message_split_across_reads_counts_once_when_complete() {
        let mut counter = StatementCounter::default();
        let bytes = [startup(), extended_query(), extended_query()].concat();
        let counts: Vec<u64> = bytes.iter().map(|b| counter.feed(&[*b])).collect();
        assert_eq!(counts.iter().sum::<u64>(), 2);
        // Each Execute counts on its last byte, not before.
        let execute_ends = bytes.len() - message(b'S', b"").len();
        assert_eq!(counts[execute_ends - 1], 1);
        assert_eq!(counts[execute_ends - 2], 0);
    }

    #[test]
    fn an_ssl_request_refused_by_the_server_is_not_a_statement() {
        // SSLRequest (code 80877103); the server's "N" is not seen; then the real start-up.
        let mut counter = StatementCounter::default();
        assert_eq!(counter.feed(&packet(80_877_103, b"")), 0);
        assert_eq!(counter.feed(&startup()), 0);
        assert_eq!(counter.feed(&message(b'Q', b"SELECT 1\0")), 1);
    }

    #[test]
    fn copy_data_and_multi_statement_queries_count_as_their_one_message() {
        let mut counter = StatementCounter::default();
        counter.feed(&startup());
        let copy = [
            message(b'Q', b"COPY tasks FROM STDIN\0"),
            message(b'd', b"row 1\n"),
            message(b'd', b"row 2\n"),
            message(b'c', b""),
        ]
        .concat();
        assert_eq!(counter.feed(&copy), 1);
        assert_eq!(
            counter.feed(&message(b'Q', b"BEGIN; SELECT 1; COMMIT\0")),
            1
        );
    }
}
