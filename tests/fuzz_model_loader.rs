//! Issue 14: fuzzing the model loader. `exactlif check` is fed random mutations of every
//! fixture (lines deleted, duplicated or swapped, numbers replaced by extreme or malformed
//! ones, keys and values replaced by random words, the file cut short, random bytes inserted)
//! and random TOML documents. Nothing may panic or die on a signal; every outcome is exit 0, or
//! exit 2 with one line of error that names the file and, where the problem is at a place in it,
//! the line and column. `check` builds the network (every value drawn, every rule applied) but
//! simulates nothing, so a mutated model cannot hang the test.
//!
//! The number of cases per property is `EXACTLIF_FUZZ_CASES` (default 256: CI runs them, in
//! about 4 to 8 s on two cores); `EXACTLIF_FUZZ_CASES=5000 cargo test --release --test
//! fuzz_model_loader` explores longer (1500 per property passed when this was written, 42 s).

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

const FIXTURES: [&str; 7] = [
    "cuba.toml",
    "input_stream.toml",
    "small_network.toml",
    "sparse.toml",
    "tutorial.toml",
    "tutorial_firing.toml",
    "tutorial_heterogeneous.toml",
];

/// Replacement numbers: extreme, degenerate and malformed.
const NUMBERS: [&str; 18] = [
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "1e9",
    "4294967296",
    "-1",
    "0.1",
    "1e18",
    "\"12\"",
    "[]",
    "[1, 2]",
    "{}",
    "true",
];

const WORDS: [&str; 12] = [
    "v",
    "V",
    "dt",
    "tstop",
    "size",
    "label",
    "cell_type",
    "IF_cond_exp",
    "\"\"",
    "é",
    "x y",
    "population",
];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// Runs `exactlif check` on `text`; panics (fails the case) on anything but exit 0 or a
/// one-line exit-2 error naming the file.
fn check_is_clean(text: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("fuzz.toml");
    std::fs::write(&model, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(["check", model.to_str().unwrap(), "--max-memory", "2G"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    prop_assert!(code.is_some(), "killed by a signal: {err}");
    prop_assert!(!err.contains("panicked"), "panic: {err}");
    match code {
        Some(0) => {}
        Some(2) => {
            let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
            prop_assert_eq!(errors.len(), 1, "one error line: {}", err);
            prop_assert!(errors[0].contains("fuzz.toml"), "names the file: {}", err);
        }
        other => prop_assert!(false, "exit {:?}: {}", other, err),
    }
    Ok(())
}

/// One mutation of `text` (by line), chosen by `kind` with the random `a`, `b`, `pick`.
fn mutate(text: &str, kind: u8, a: usize, b: usize, pick: usize) -> Vec<u8> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.as_bytes().to_vec();
    }
    let n = lines.len();
    let (i, j) = (a % n, b % n);
    match kind % 7 {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(j, l);
        }
        2 => lines.swap(i, j),
        3 => {
            // a number on the line replaced by an extreme or malformed one
            let l = &lines[i];
            if let Some(p) = l.find(|c: char| c.is_ascii_digit()) {
                let end = l[p..]
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+')
                    })
                    .map_or(l.len(), |e| p + e);
                lines[i] = format!("{}{}{}", &l[..p], NUMBERS[pick % NUMBERS.len()], &l[end..]);
            }
        }
        4 => {
            // the key (or the whole line) replaced by a word
            let l = lines[i].clone();
            let w = WORDS[pick % WORDS.len()];
            lines[i] = match l.split_once('=') {
                Some((_, v)) => format!("{w} ={v}"),
                None => w.to_string(),
            };
        }
        5 => {
            // cut short
            let joined = lines.join("\n");
            let cut = a % (joined.len() + 1);
            return joined.as_bytes()[..cut].to_vec();
        }
        _ => {
            // random bytes inserted
            let mut bytes = lines.join("\n").into_bytes();
            let at = a % (bytes.len() + 1);
            let junk = [(b % 256) as u8, (pick % 256) as u8, 0xff, b'"', b'['];
            bytes.splice(at..at, junk[..1 + pick % junk.len()].iter().copied());
            return bytes;
        }
    }
    lines.join("\n").into_bytes()
}

fn cases() -> u32 {
    std::env::var("EXACTLIF_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Up to three mutations of a fixture.
    #[test]
    fn mutated_fixtures_never_crash_the_loader(
        f in 0usize..FIXTURES.len(),
        muts in proptest::collection::vec((0u8..7, any::<usize>(), any::<usize>(), any::<usize>()), 1..4),
    ) {
        let mut text = fixture(FIXTURES[f]).into_bytes();
        for (kind, a, b, pick) in muts {
            text = mutate(&String::from_utf8_lossy(&text), kind, a, b, pick);
        }
        check_is_clean(&text)?;
    }

    /// Random documents built from the model file's vocabulary.
    #[test]
    fn random_documents_never_crash_the_loader(
        parts in proptest::collection::vec((0usize..12, 0usize..12, 0usize..NUMBERS.len()), 0..14),
    ) {
        let headers = ["[simulation]", "[[populations]]", "[populations.parameters]",
            "[populations.initial_values]", "[[projections]]", "[[current_sources]]"];
        let keys = ["timestep", "duration", "seed", "label", "size", "cell_type", "record",
            "presynaptic", "postsynaptic", "connector", "synapse", "type"];
        let mut text = String::new();
        for (h, k, v) in parts {
            if h < headers.len() && k % 3 == 0 {
                text.push_str(headers[h]);
                text.push('\n');
            }
            let value = match (k + v) % 4 {
                0 => NUMBERS[v].to_string(),
                1 => format!("\"{}\"", WORDS[v % WORDS.len()]),
                2 => "\"IF_curr_exp\"".to_string(),
                _ => "{ type = \"AllToAllConnector\" }".to_string(),
            };
            text.push_str(&format!("{} = {}\n", keys[k], value));
        }
        check_is_clean(text.as_bytes())?;
    }
}
