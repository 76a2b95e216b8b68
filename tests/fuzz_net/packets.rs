//! What the network fuzzer sends: seeds, CVE vectors and kill-engine-io patterns, and random
//! mutations of them, in batches of one transport each.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};

/// How a batch travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Polling,
    /// POSTs to a session id that does not exist.
    WrongSid,
    /// An upgrade that stops after its probe, and a request cut off in its headers.
    HalfOpen,
}

#[derive(Debug, Clone)]
pub struct Packet {
    pub transport: Transport,
    pub bytes: Vec<u8>,
    /// As a binary WebSocket frame.
    pub binary: bool,
}

/// The events a session may emit, for the contract seeds' payloads to ride in.
const EVENTS: [&str; 14] = [
    "chat message",
    "edit message",
    "delete message",
    "sync",
    "sync rooms",
    "history",
    "rooms",
    "sidebar",
    "create room",
    "join room",
    "leave room",
    "open dm",
    "read",
    "typing",
];

/// `reliability.md` §4: socket.io-parser's crash vectors (CVE-2023-32695), the placeholder
/// type confusion (CVE-2022-2421), unbounded attachments (CVE-2026-33151).
const CVE_VECTORS: [&str; 16] = [
    r#"42[{"toString":"foo"}]"#,
    r#"42[true,"foo"]"#,
    r#"42[null,"bar"]"#,
    r#"42["connect"]"#,
    r#"4442["some","data""#,
    "45",
    "451",
    "45a-",
    "451.23-",
    "4999",
    r#"4451-["hello",{"_placeholder":true,"num":"splice"}]"#,
    r#"45999999999-["chat message",{"_placeholder":true,"num":0}]"#,
    r#"4451-["chat message",{"_placeholder":true,"num":99}]"#,
    r#"42["chat message",{"room":"general","client_id":{"toString":1},"body":[]}]"#,
    r#"40/admin,{"token":"x"}"#,
    r#"42["__proto__",{"constructor":{"prototype":{}}}]"#,
];

pub struct Corpus {
    rng: StdRng,
    sources: Vec<Vec<u8>>,
}

impl Corpus {
    /// The seed files and the fixed vectors; `seed` makes each attacker's choices its own and
    /// a failure repeatable.
    pub fn new(seed: u64) -> Corpus {
        let seeds = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/crates/natter-protocol/fuzz/seeds"
        );
        let mut sources: Vec<Vec<u8>> = CVE_VECTORS.iter().map(|v| v.as_bytes().to_vec()).collect();
        for (target, wrap) in [
            ("fuzz_eio_packet", Wrap::AsIs),
            ("fuzz_payload", Wrap::AsIs),
            ("fuzz_sio_packet", Wrap::Message),
            ("fuzz_contract", Wrap::Event),
        ] {
            let dir = std::fs::read_dir(format!("{seeds}/{target}")).expect("the fuzz seeds");
            // Sorted, so a seed gets the same event on every machine.
            let mut files: Vec<_> = dir.map(|file| file.unwrap().path()).collect();
            files.sort();
            for file in files {
                let bytes = std::fs::read(file).unwrap();
                sources.push(wrap.apply(&bytes, seed as usize + sources.len()));
            }
        }
        // kill-engine-io (CVE-2020-36048): many tiny packets, an absurd length prefix.
        sources.push(b"2:42".repeat(5_000));
        sources.push(b"99999991:4222222222222222".to_vec());
        sources.push(b"4\x1e".repeat(10_000));
        sources.push(b"42[\"typing\",{\"room\":\"general\"}]\x1e".repeat(500));
        Corpus {
            rng: StdRng::seed_from_u64(seed),
            sources,
        }
    }

    /// `n` packets for one connection: a source as it is a third of the time, else mutated.
    pub fn batch(&mut self, n: usize) -> Vec<Packet> {
        let transport = match self.rng.random_range(0..100) {
            0..60 => Transport::WebSocket,
            60..85 => Transport::Polling,
            85..90 => Transport::WrongSid,
            _ => Transport::HalfOpen,
        };
        (0..n)
            .map(|_| {
                let source = self.sources.choose(&mut self.rng).unwrap().clone();
                let bytes = if self.rng.random_ratio(1, 3) {
                    source
                } else {
                    self.mutate(source)
                };
                Packet {
                    transport,
                    bytes,
                    binary: self.rng.random_ratio(1, 10),
                }
            })
            .collect()
    }

    /// One to four edits: a flipped byte, an inserted or removed one, a doubled chunk, a cut.
    fn mutate(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        for _ in 0..self.rng.random_range(1..=4) {
            let at = self.rng.random_range(0..=bytes.len());
            match self.rng.random_range(0..5) {
                0 if at < bytes.len() => bytes[at] ^= 1 << self.rng.random_range(0..8),
                1 => bytes.insert(
                    at,
                    *b"0123456789:\x1e[]{}\",-/ab".choose(&mut self.rng).unwrap(),
                ),
                2 if at < bytes.len() => drop(bytes.remove(at)),
                3 if !bytes.is_empty() && bytes.len() < 32_768 => {
                    let end = self.rng.random_range(at..=bytes.len());
                    let chunk = bytes[at..end].to_vec();
                    bytes.splice(at..at, chunk.iter().copied().cycle().take(chunk.len() * 8));
                }
                _ => bytes.truncate(at),
            }
        }
        bytes
    }
}

#[derive(Clone, Copy)]
enum Wrap {
    AsIs,
    /// An Engine.IO message: the Socket.IO parser's input.
    Message,
    /// A contract payload (after the fuzz target's selector byte) in an event.
    Event,
}

impl Wrap {
    fn apply(self, bytes: &[u8], pick: usize) -> Vec<u8> {
        match self {
            Wrap::AsIs => bytes.to_vec(),
            Wrap::Message => [b"4".as_slice(), bytes].concat(),
            Wrap::Event => {
                let payload = bytes.get(1..).unwrap_or_default();
                let event = EVENTS[pick % EVENTS.len()];
                [format!("42[\"{event}\",").as_bytes(), payload, b"]"].concat()
            }
        }
    }
}
