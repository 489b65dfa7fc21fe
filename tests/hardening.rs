//! Issue 14 ("Hardening"), figures and messages, as a user meets them through the `exactlif`
//! binary: one test per defect, named after it. The drawing itself (one-sample traces,
//! anti-aliasing, the raster's one mark, the axis names) is tested on the figures' pixels in
//! `src/plot/mod.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn exactlif(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("spawn exactlif")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A model of one-cell populations with these labels, each recording v and spikes.
fn model_with_labels(dir: &Path, labels: &[&str]) -> PathBuf {
    let mut toml = String::from("[simulation]\ntimestep = 0.1\nduration = 5.0\n");
    for l in labels {
        toml.push_str(&format!(
            "\n[[populations]]\nlabel = \"{l}\"\nsize = 1\ncell_type = \"IF_curr_exp\"\nrecord = [\"v\", \"spikes\"]\n"
        ));
    }
    let path = dir.join("labels.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// The names of the files in `dir`.
fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The figure paths listed after "figures: " in `run`'s last line.
fn listed_figures(stdout: &str) -> Vec<String> {
    let line = stdout.lines().last().unwrap();
    let (_, list) = line.split_once("figures: ").unwrap();
    list.split(", ").map(str::to_string).collect()
}

/// Issue 14: "a/b", "a_b", "a b" and "a:b" all became `a_b.png`, overwriting each other, and
/// two non-Latin labels of equal length collided the same way; the run still reported one
/// file per population. Every population now has its own figure, `run` lists them all, and
/// `plot` redraws the same files.
#[test]
fn figure_names_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let labels = ["a/b", "a_b", "a b", "a:b", "αβ", "γδ", "exc"];
    let model = model_with_labels(dir.path(), &labels);
    let out = dir.path().join("out");
    let o = exactlif(
        &[
            "run",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    let pngs: BTreeSet<String> = files_in(&out)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect();
    assert_eq!(pngs.len(), labels.len(), "{pngs:?}");
    assert!(pngs.contains("exc.png"), "an unshared name stays plain");
    let listed = listed_figures(&stdout);
    assert_eq!(listed.len(), labels.len());
    for f in &listed {
        assert!(Path::new(f).is_file(), "listed but not written: {f}");
    }
    let o = exactlif(&["plot", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o).1);
    let replotted: BTreeSet<String> = text(&o).0.lines().map(str::to_string).collect();
    assert_eq!(replotted, listed.into_iter().collect());
    assert_eq!(
        files_in(&out).len(),
        4 + labels.len(),
        "plot wrote new files"
    );
}

/// Issue 14: the run reported more files than it wrote (colliding figures counted twice).
/// The count `run` prints is the number of files in the results directory.
#[test]
fn reported_file_count_equals_files_written() {
    let dir = tempfile::tempdir().unwrap();
    for (model, out) in [
        (model_with_labels(dir.path(), &["x y", "x_y", "x-y"]), "a"),
        (fixture("small_network.toml"), "b"),
    ] {
        let out = dir.path().join(out);
        let o = exactlif(
            &[
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "{stderr}");
        let line = stdout.lines().last().unwrap();
        let n: usize = line
            .split_once(" (")
            .and_then(|(_, r)| r.split_once(' '))
            .map(|(n, _)| n.parse().unwrap())
            .unwrap();
        assert_eq!(n, files_in(&out).len(), "{line}");
    }
}

/// Issue 14: a long label gave a file name of any length. File stems are cut to 48 characters
/// (then told apart like any other equal names).
#[test]
fn long_labels_are_shortened_in_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let long = "L".repeat(120);
    let longer = format!("{long}, and more");
    let model = model_with_labels(dir.path(), &[&long, &longer]);
    let out = dir.path().join("out");
    let o = exactlif(
        &[
            "run",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o).1);
    let pngs: Vec<String> = files_in(&out)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect();
    let stem = "L".repeat(48);
    assert_eq!(pngs, [format!("{stem}.0.png"), format!("{stem}.1.png")]);
}

/// Issue 14: every recorded cell's trace was drawn (up to 100). By default the first 5 are;
/// `--traces N` or `--traces all` on `run` and `plot` choose, and `--help` says so.
#[test]
fn traces_option_chooses_how_many_traces_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("small_network.toml");
    for (k, traces) in ["1", "all", "ALL", "500"].iter().enumerate() {
        let out = dir.path().join(format!("out{k}"));
        let o = exactlif(
            &[
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--traces",
                traces,
            ],
            dir.path(),
        );
        assert!(o.status.success(), "--traces {traces}: {}", text(&o).1);
        assert!(out.join("exc.png").is_file());
        let o = exactlif(
            &["plot", out.to_str().unwrap(), "--traces", traces],
            dir.path(),
        );
        assert!(o.status.success(), "plot --traces {traces}: {}", text(&o).1);
    }
    // A different choice draws a different figure.
    let figure = |k: usize| std::fs::read(dir.path().join(format!("out{k}/exc.png"))).unwrap();
    assert_ne!(figure(0), figure(1));
    assert_eq!(figure(1), figure(2));
    for bad in ["0", "-3", "some"] {
        let out = dir.path().join("bad");
        let o = exactlif(
            &[
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--traces",
                bad,
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(2), "--traces {bad}");
        assert!(text(&o).1.contains("--traces"), "{}", text(&o).1);
        assert!(!out.exists());
    }
    for cmd in ["run", "plot"] {
        let o = exactlif(&[cmd, "--help"], dir.path());
        let (help, _) = text(&o);
        assert!(
            help.contains("--traces <N|all>") && help.contains("[default: 5]"),
            "{cmd} --help:\n{help}"
        );
    }
}

/// Issue 14: `plot` and `compare` disagreed on the exit status for the same directory that is
/// not a results directory (1 and 2). Both now exit with 2 (bad input, as `run` and `check`)
/// and say what is wrong in words, for a missing directory, a file, a directory without
/// results and a corrupt data.bin.
#[test]
fn plot_and_compare_agree_on_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "not results").unwrap();
    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(corrupt.join("data.bin"), [0xffu8; 64]).unwrap();
    let cases = [
        (dir.path().join("missing"), "no such directory"),
        (file, "is a file, not a directory"),
        (empty, "is not a results directory"),
        (corrupt, "data.bin"),
    ];
    let good = dir.path().join("good");
    let o = exactlif(
        &[
            "run",
            fixture("tutorial_firing.toml").to_str().unwrap(),
            "--out",
            good.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success());
    for (path, words) in &cases {
        let p = path.to_str().unwrap();
        let plot = exactlif(&["plot", p], dir.path());
        let compare = exactlif(&["compare", good.to_str().unwrap(), p], dir.path());
        assert_eq!(plot.status.code(), Some(2), "plot {p}: {}", text(&plot).1);
        assert_eq!(
            compare.status.code(),
            plot.status.code(),
            "compare {p}: {}",
            text(&compare).1
        );
        for o in [&plot, &compare] {
            let err = text(o).1;
            assert!(
                err.starts_with("error: ") && err.contains(words) && err.contains(p),
                "{p}: {err}"
            );
            assert_eq!(err.trim().lines().count(), 1, "{err}");
        }
    }
}

/// Issue 14: `run` printed "1 populations" (and `check` "1 cells", "1 warning(s)"). Counts are
/// now pluralised as English does.
#[test]
fn counts_are_pluralised() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_with_labels(dir.path(), &["only"]);
    let out = dir.path().join("out");
    let o = exactlif(
        &[
            "run",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (stdout, _) = text(&o);
    assert!(o.status.success());
    assert!(stdout.contains(": 1 population, 5 ms"), "{stdout}");
    assert!(stdout.contains("     1 cell "), "{stdout}");
    assert!(stdout.contains("0 spikes, 0 synaptic inputs"), "{stdout}");
    let o = exactlif(&["check", model.to_str().unwrap()], dir.path());
    let (stdout, _) = text(&o);
    assert!(
        stdout.contains(
            "valid: 1 population, 1 cell, 0 synapses, 5 ms at timestep 0.1 ms; 1 warning\n"
        ),
        "{stdout}"
    );
    let o = exactlif(
        &["check", fixture("small_network.toml").to_str().unwrap()],
        dir.path(),
    );
    let (stdout, _) = text(&o);
    assert!(stdout.contains(": valid: 3 populations, "), "{stdout}");
    for wrong in ["1 populations", "1 cells", "(s)"] {
        assert!(!stdout.contains(wrong), "{stdout}");
    }
}

/// Whether `s` holds a run of more than 20 digits (a number printed in full).
fn has_digit_run(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() > 20)
}

/// Issue 14: numbers were printed with `{}` or `{:.3}`, which write every digit: 1e300 as 301
/// digits, 1e-300 as 300 zeros. Summaries and messages now write them short (`1e300`).
#[test]
fn huge_and_tiny_numbers_print_short() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny.toml");
    std::fs::write(
        &tiny,
        "[simulation]\ntimestep = 1e-300\nduration = 1e-300\n\n[[populations]]\nlabel = \"c\"\n\
         size = 1\ncell_type = \"IF_curr_exp\"\nrecord = [\"spikes\"]\n[populations.initial_values]\nv = -40.0\n",
    )
    .unwrap();
    let huge = dir.path().join("huge.toml");
    std::fs::write(
        &huge,
        "[simulation]\ntimestep = 1e299\nduration = 1e300\n\n[[populations]]\nlabel = \"c\"\n\
         size = 1\ncell_type = \"IF_curr_exp\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let tiny_s = tiny.to_str().unwrap();
    let o = exactlif(&["run", tiny_s, "--out", out.to_str().unwrap()], dir.path());
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(!has_digit_run(&stdout), "{stdout}");
    // one spike at t = 0 in 1e-300 ms: 1e303 Hz
    assert!(
        stdout.contains("1 population, 1e-300 ms") && stdout.contains("1.000e303 Hz"),
        "{stdout}"
    );
    let o = exactlif(&["check", huge.to_str().unwrap()], dir.path());
    let (stdout, _) = text(&o);
    assert!(stdout.contains("1e300 ms at timestep 1e299 ms"), "{stdout}");
    let o = exactlif(
        &[
            "compare",
            out.to_str().unwrap(),
            out.to_str().unwrap(),
            "--tolerance-ms",
            "-1e300",
        ],
        dir.path(),
    );
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr.contains("got -1e300") && !has_digit_run(&stderr),
        "{stderr}"
    );
    let o = exactlif(
        &[
            "compare",
            out.to_str().unwrap(),
            out.to_str().unwrap(),
            "--fail-over",
            "-1e300",
        ],
        dir.path(),
    );
    assert!(text(&o).1.contains("got -1e300"), "{}", text(&o).1);
    let o = exactlif(
        &[
            "converge",
            fixture("tutorial.toml").to_str().unwrap(),
            "--steps",
            "1e300",
        ],
        dir.path(),
    );
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr.contains("the step 1e300 ms is longer than the run (100 ms)"),
        "{stderr}"
    );
    let o = exactlif(
        &[
            "converge",
            fixture("tutorial.toml").to_str().unwrap(),
            "--steps=-1e-300",
        ],
        dir.path(),
    );
    assert!(text(&o).1.contains("got -1e-300"), "{}", text(&o).1);
}
