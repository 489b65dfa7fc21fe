//! Every output of every fixture and reference case is byte-identical to the golden digests.
//!
//! `tests/golden/manifest.txt` holds the SHA-256 of every file the CLI wrote for the cases of
//! `tests/golden/cases.txt`, made by the binary of commit 74c7586 (before the layering refactor
//! of issue 12) with `python3 tests/golden/make.py target/release/exactlif`. This test runs the
//! same cases with the binary under test, normalises the same way (wall-time fields zeroed or
//! dropped, the temporary directory's path in stdout replaced), and reports every file that
//! differs, is missing or is new. A deliberate change of output re-makes the manifest with that
//! command and says why in its commit.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The normalisation of tests/golden/make.py.
fn normalised(name: &str, data: Vec<u8>) -> Vec<u8> {
    if name.ends_with(".json") {
        let text = String::from_utf8(data).expect("JSON is UTF-8");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = ["\"wall_time_s\":", "\"build_time_s\":"]
            .iter()
            .filter_map(|k| rest.find(k).map(|i| i + k.len()))
            .min()
        {
            out.push_str(&rest[..i]);
            let after = &rest[i..];
            let ws = after.len() - after.trim_start().len();
            out.push_str(&after[..ws]);
            let num = after[ws..]
                .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                .unwrap_or(after.len() - ws);
            out.push('0');
            rest = &after[ws + num..];
        }
        out.push_str(rest);
        return out.into_bytes();
    }
    match name {
        "data.bin" => data[..data.len() - 16].to_vec(),
        "converge.csv" => {
            let lines: Vec<&[u8]> = data
                .split(|&b| b == b'\n')
                .map(|l| match l.iter().rposition(|&b| b == b',') {
                    Some(i) => &l[..i],
                    None => l,
                })
                .collect();
            lines.join(&b'\n')
        }
        _ => data,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digests(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>, case: &str) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            digests(&path, base, out, case);
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let data = normalised(&name, fs::read(&path).unwrap());
            out.insert(format!("{case}/{rel}"), hex(&Sha256::digest(&data)));
        }
    }
}

#[test]
fn every_output_matches_the_golden_digests() {
    let root = root();
    let cases = fs::read_to_string(root.join("tests/golden/cases.txt")).unwrap();
    let expected: BTreeMap<String, String> =
        fs::read_to_string(root.join("tests/golden/manifest.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_str = tmp.path().to_str().unwrap().to_string();
    let mut got = BTreeMap::new();
    let mut ran = 0;
    // summary.json files read, each with events.solver_cap_hits == 0
    let mut summaries = 0;
    for line in cases.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, args) = line.split_once(':').unwrap();
        let name = name.trim();
        let out = tmp.path().join(name);
        let args: Vec<String> = args
            .split_whitespace()
            .map(|a| {
                a.replace("{out}", out.to_str().unwrap())
                    .replace("{tmp}", &tmp_str)
            })
            .collect();
        let r = Command::new(env!("CARGO_BIN_EXE_exactlif"))
            .args(&args)
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{name}: {:?} failed: {}",
            args,
            String::from_utf8_lossy(&r.stderr)
        );
        if out.is_dir() {
            digests(&out, &out, &mut got, name);
            summaries += common::assert_summaries_no_cap_hits(&out);
        }
        if !line.contains("{out}") {
            let stdout = String::from_utf8(r.stdout)
                .unwrap()
                .replace(&tmp_str, "{tmp}");
            got.insert(
                format!("{name}/stdout"),
                hex(&Sha256::digest(stdout.as_bytes())),
            );
        }
        ran += 1;
    }
    assert!(ran >= 60, "only {ran} golden cases ran");
    assert!(
        summaries >= 30,
        "only {summaries} summaries checked for solver cap hits"
    );
    let mut problems = Vec::new();
    for (k, v) in &expected {
        match got.get(k) {
            None => problems.push(format!("{k}: not written")),
            Some(g) if g != v => problems.push(format!("{k}: differs from the golden output")),
            _ => {}
        }
    }
    for k in got.keys().filter(|k| !expected.contains_key(*k)) {
        problems.push(format!("{k}: written, but not in the golden manifest"));
    }
    assert!(
        problems.is_empty(),
        "{} of {} golden outputs differ:\n{}",
        problems.len(),
        expected.len(),
        problems.join("\n")
    );
}

/// `[simulation] seeding = 1` keeps the outputs of before seeding version 2 (SPEC §7): three
/// fixtures with random connectors (FixedProbabilityConnector: small_network and cuba;
/// FixedNumberPreConnector: input_stream), copied with `seeding = 1` added to their
/// `[simulation]` table, write byte for byte what they wrote when per-projection streams were
/// the only seeding. The digests are those of tests/golden/manifest.txt as made by commit
/// 166ba68 (before seeding version 2), copied here; but those of `summary.json`, which since
/// gained `"processes"` and `"threads"` (SPEC §7) and otherwise holds what it held then.
#[test]
fn seeding_1_writes_the_outputs_of_before_seeding_2() {
    let old: BTreeMap<&str, &str> = [
        (
            "cuba/data.bin",
            "8971660eadea135cbf2add756a40b6e114fcfd461b3cfd52492aaafa3f8f852d",
        ),
        (
            "cuba/exc.png",
            "e7a505e404102ff6dee0d6088b34f1dd9073d294ddfd91fcf338521c941ead6b",
        ),
        (
            "cuba/inh.png",
            "90c5714aac41da6b7a45bccb202330cd72bcb2a5d1adf4a22a74e8f82a4eeafc",
        ),
        (
            "cuba/spikes.csv",
            "44e3267d91b752e9681f17337bc5c66ed705dea65ceb51073288cd02b51e9479",
        ),
        (
            "cuba/summary.json",
            "997cf96a1a85717a215845a598d30b8b59c3518b9bac656e736d67b68f6fabce",
        ),
        (
            "input_stream/cells.png",
            "b5bdb95abbca52eea3b1cb1b38f06ebf6affff981ebbd4f3f72a7bae70d24ec0",
        ),
        (
            "input_stream/data.bin",
            "907d62e68bab32f92ea4dc2750790dc8586a3dfbebf3b3f39c3937a64b6a5aa9",
        ),
        (
            "input_stream/spikes.csv",
            "8c94b9b79d60c07e1d691972735f50acd9c30a293bb9d16a2d27b9bd26b92a62",
        ),
        (
            "input_stream/summary.json",
            "4deff132e6e929b3108847fd798b9200547326966f78eef10c52493de33d9e67",
        ),
        (
            "small_network/data.bin",
            "54934ad69536514d8b6679a062ba4a451bcd7350548db79f86a012b56079fe17",
        ),
        (
            "small_network/exc.png",
            "bddbd23e2523f2fa410c1abaa1bd47a919aaae90d6de77bb9adcfba6402609fa",
        ),
        (
            "small_network/inh.png",
            "6bf14a84a029737e090f97e993f130b9640fe200ede4803fb4ad509bfe2be084",
        ),
        (
            "small_network/spikes.csv",
            "b1859ad464fb479a9c8d80e403d84a118939ae534e8c57698e78d489b748ddc2",
        ),
        (
            "small_network/summary.json",
            "0e93a6dee63ffd30351178667d7ffc6ae0c39e2bd7bd95c4240133731f9e70a7",
        ),
        (
            "small_network/v.csv",
            "a1417eda98f3385d717b52271dca679b87639526ca94b7d21c8f1d8b3bb332e4",
        ),
    ]
    .into_iter()
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    let mut got = BTreeMap::new();
    for name in ["cuba", "input_stream", "small_network"] {
        let text = fs::read_to_string(root().join(format!("fixtures/{name}.toml"))).unwrap();
        assert!(!text.contains("seeding"), "{name} sets its seeding already");
        let text = text.replacen("[simulation]\n", "[simulation]\nseeding = 1\n", 1);
        let model = tmp.path().join(format!("{name}.toml"));
        fs::write(&model, text).unwrap();
        let out = tmp.path().join(name);
        let r = Command::new(env!("CARGO_BIN_EXE_exactlif"))
            .args([
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        digests(&out, &out, &mut got, name);
    }
    let got: BTreeMap<&str, &str> = got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, old);
}
