//! The model-file loader: every reference model parses, and every kind of bad input is
//! rejected with a message naming the file, the item, the key and (for a misspelt name) a
//! suggestion.

use std::path::{Path, PathBuf};

use exactlif::io::model_file::{from_build, load_model, parse_model, ModelError, Position};
use exactlif::{
    BuildError, CellType, Connector, CurrentSource, RandomDistribution, Receptor, Seeding,
    SpikeTimes, Value, Var,
};

const SIM: &str = "[simulation]\ntimestep = 0.1\nduration = 10.0\n";

/// A small valid model used as a base for the bad snippets: a source, two cell populations.
const BASE: &str = r#"
[simulation]
timestep = 0.1
duration = 10.0
seed = 7

[[populations]]
label = "in"
size = 2
cell_type = "SpikeSourceArray"
parameters = { spike_times = [1.0, 2.0] }

[[populations]]
label = "exc"
size = 3
cell_type = "IF_curr_exp"

[[populations]]
label = "inh"
size = 2
cell_type = "IF_curr_exp"
"#;

fn parse_ok(text: &str) -> exactlif::io::model_file::Model {
    parse_model(text, "ok.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str) -> ModelError {
    match parse_model(text, "bad.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn reference_models() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/models");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn every_reference_model_parses() {
    let Some(files) = reference_models() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "../shared/reference/models not found under CI"
        );
        eprintln!("reference models not found; skipped");
        return;
    };
    for f in &files {
        let m = load_model(f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.path, *f);
        assert!(m.duration > 0.0, "{}", f.display());
        assert!(!m.network.populations.is_empty(), "{}", f.display());
    }
}

#[test]
fn a_full_model_is_read_into_the_network() {
    let text = format!(
        r#"{BASE}
[populations.parameters]
v_rest = {{ distribution = "normal", mu = -65.0, sigma = 1.0 }}
tau_m = 10
i_offset = [0.1, 0.2]
[populations.initial_values]
v = {{ distribution = "uniform", low = -70.0, high = -60.0 }}

[[populations]]
label = "noise"
size = 4
cell_type = "SpikeSourcePoisson"
record = ["spikes"]
parameters = {{ rate = 20.0, start = 1.0 }}

[[populations]]
label = "per_cell"
size = 2
cell_type = "SpikeSourceArray"
parameters = {{ spike_times = [[1.0, 3.0], []] }}

[[projections]]
presynaptic = "in"
postsynaptic = "exc"
connector = {{ type = "FixedProbabilityConnector", p_connect = 0.5, allow_self_connections = false }}
synapse = {{ type = "StaticSynapse", weight = {{ distribution = "gamma", k = 2.0, theta = 0.1 }}, delay = 1.5 }}

[[projections]]
label = "inh->exc"
presynaptic = "inh"
postsynaptic = "exc"
postsynaptic_cells = [0, 2]
receptor_type = "inhibitory"
connector = {{ type = "FixedNumberPreConnector", n = 1 }}
synapse = {{ weight = -0.5 }}

[[projections]]
presynaptic = "exc"
postsynaptic = "exc"
connector = {{ type = "FromListConnector", conn_list = [[0, 1, 0.3, 2.0], [1, 2, 0.1, 0.5]] }}

[[projections]]
presynaptic = "noise"
postsynaptic = "inh"
connector = {{ type = "FixedTotalNumberConnector", n = 3 }}

[[current_sources]]
type = "DCSource"
amplitude = 0.5
start = 2
inject_into = "exc"
cells = [1]

[[current_sources]]
type = "StepCurrentSource"
times = [1.0, 2.5]
amplitudes = [0.2, 0.0]
inject_into = "inh"
"#
    );
    let m = parse_ok(&text);
    let net = &m.network;
    assert_eq!(net.setup.timestep, 0.1);
    assert_eq!(net.setup.seed, 7);
    assert_eq!(net.setup.min_delay(), 0.1);
    assert_eq!(m.duration, 10.0);
    assert_eq!(net.populations.len(), 5);
    assert_eq!(
        net.populations[0].spike_times,
        Some(SpikeTimes::Same(vec![1.0, 2.0]))
    );
    let inh = &net.populations[2];
    assert_eq!(
        inh.parameters.iter().find(|p| p.0 == "tau_m").unwrap().1,
        Value::Scalar(10.0)
    );
    assert_eq!(
        inh.parameters.iter().find(|p| p.0 == "i_offset").unwrap().1,
        Value::PerCell(vec![0.1, 0.2])
    );
    assert_eq!(
        inh.parameters.iter().find(|p| p.0 == "v_rest").unwrap().1,
        Value::Random(RandomDistribution::Normal {
            mu: -65.0,
            sigma: 1.0
        })
    );
    assert!(matches!(
        inh.initial_values[0].1,
        Value::Random(RandomDistribution::Uniform { .. })
    ));
    assert_eq!(net.populations[3].cell_type, CellType::SpikeSourcePoisson);
    assert_eq!(net.populations[3].record, vec![(Var::Spikes, None)]);
    assert_eq!(
        net.populations[4].spike_times,
        Some(SpikeTimes::PerCell(vec![vec![1.0, 3.0], vec![]]))
    );

    let p = &net.projections;
    assert_eq!(p.len(), 4);
    assert_eq!(p[0].label, "in->exc");
    assert_eq!(
        p[0].connector,
        Connector::FixedProbability {
            p_connect: 0.5,
            allow_self_connections: false
        }
    );
    assert_eq!(p[0].receptor, Receptor::Excitatory);
    assert_eq!(p[1].label, "inh->exc");
    assert_eq!(p[1].receptor, Receptor::Inhibitory);
    assert_eq!(p[1].post.cells, Some(vec![0, 2]));
    assert_eq!(
        p[1].connector,
        Connector::FixedNumberPre {
            n: 1,
            allow_self_connections: true,
            with_replacement: false
        }
    );
    assert_eq!(
        p[1].synapse.delay,
        Value::Scalar(0.1),
        "delay defaults to min_delay"
    );
    assert_eq!(
        p[2].connector,
        Connector::FromList {
            conn_list: vec![(0, 1, Some(0.3), Some(2.0)), (1, 2, Some(0.1), Some(0.5))]
        }
    );
    assert_eq!(p[2].synapse.weight, Value::Scalar(0.0));
    assert_eq!(
        p[3].connector,
        Connector::FixedTotalNumber {
            n: 3,
            allow_self_connections: true,
            with_replacement: true
        }
    );

    let cs = &net.current_sources;
    assert_eq!(
        cs[0].0,
        CurrentSource::Dc {
            amplitude: 0.5,
            start: 2.0,
            stop: f64::INFINITY
        }
    );
    assert_eq!(cs[0].1.cells, Some(vec![1]));
    assert_eq!(
        cs[1].0,
        CurrentSource::Step {
            times: vec![1.0, 2.5],
            amplitudes: vec![0.2, 0.0]
        }
    );
}

#[test]
fn defaults_of_the_simulation_table() {
    let m = parse_ok(SIM);
    assert_eq!(m.network.setup.seed, 0);
    assert!(!m.seed_given);
    assert_eq!(m.network.setup.min_delay, None);
    assert!(m.network.populations.is_empty());
    let m = parse_ok("[simulation]\ntimestep = 0.1\nduration = 10.0\nmin_delay = 0.5\nseed = 3\n");
    assert_eq!(m.network.setup.min_delay(), 0.5);
    assert!(m.seed_given);
    // seeding version 2 unless the file asks for 1
    assert_eq!(parse_ok(SIM).network.setup.seeding, Seeding::V2);
    for n in [1, 2] {
        let m = parse_ok(&format!(
            "[simulation]\ntimestep = 0.1\nduration = 10.0\nseeding = {n}\n"
        ));
        assert_eq!(m.network.setup.seeding.number(), n);
    }
}

/// (what, model text, fragments the message must contain)
fn bad_models() -> Vec<(&'static str, String, Vec<&'static str>)> {
    let with = |extra: &str| format!("{BASE}\n{extra}");
    let proj = |connector: &str, rest: &str| {
        with(&format!(
            "[[projections]]\npresynaptic = \"in\"\npostsynaptic = \"exc\"\nconnector = {connector}\n{rest}"
        ))
    };
    vec![
        (
            "misspelt parameter",
            with("[populations.parameters]\nt_refrac = 2.0\n"),
            vec!["population \"inh\"", "`t_refrac`", "did you mean `tau_refrac`"],
        ),
        (
            "list of the wrong length",
            with("[populations.parameters]\ni_offset = [0.1, 0.2, 0.3]\n"),
            vec!["population \"inh\"", "`i_offset`", "expected 2 values, got 3"],
        ),
        (
            "string where a number belongs",
            with("[populations.parameters]\ntau_m = \"10\"\n"),
            vec!["population \"inh\"", "`tau_m`", "must be a number", "string"],
        ),
        (
            "boolean in a list",
            with("[populations.parameters]\ni_offset = [0.1, true]\n"),
            vec!["`i_offset`", "element 1", "must be a number"],
        ),
        (
            "unknown cell type",
            format!("{SIM}[[populations]]\nlabel = \"p\"\nsize = 1\ncell_type = \"IF_cur_exp\"\n"),
            vec!["population \"p\"", "`cell_type`", "did you mean `IF_curr_exp`"],
        ),
        (
            "tau_syn on IF_curr_delta (SPEC §8: an error)",
            format!(
                "{SIM}[[populations]]\nlabel = \"p\"\nsize = 1\ncell_type = \"IF_curr_delta\"\n\
                 [populations.parameters]\ntau_syn_E = 2.0\n"
            ),
            vec![
                "population \"p\"",
                "`tau_syn_E`",
                "IF_curr_delta has no tau_syn_E: its inputs are instant jumps of v (mV), with no \
                 synaptic current",
            ],
        ),
        (
            "recording isyn of IF_curr_delta (SPEC §8: an error)",
            format!(
                "{SIM}[[populations]]\nlabel = \"p\"\nsize = 1\ncell_type = \"IF_curr_delta\"\n\
                 record = [\"v\", \"isyn_exc\"]\n"
            ),
            vec![
                "population \"p\"",
                "IF_curr_delta records v and spikes, not `isyn_exc`",
            ],
        ),
        (
            "unknown key in [simulation]",
            "[simulation]\ntimestep = 0.1\nduration = 10.0\nsed = 1\n".to_string(),
            vec!["bad.toml:4:1", "simulation", "`sed`", "did you mean `seed`"],
        ),
        (
            "seeding version 3",
            "[simulation]\ntimestep = 0.1\nduration = 10.0\nseeding = 3\n".to_string(),
            vec!["bad.toml:4:", "simulation", "`seeding`", "must be 1", "or 2", "got 3"],
        ),
        (
            "seeding as a string",
            "[simulation]\ntimestep = 0.1\nduration = 10.0\nseeding = \"2\"\n".to_string(),
            vec!["bad.toml:4:", "`seeding`", "whole number"],
        ),
        (
            "misspelt seeding",
            "[simulation]\ntimestep = 0.1\nduration = 10.0\nseding = 1\n".to_string(),
            vec!["`seding`", "did you mean `seeding`"],
        ),
        (
            "unknown key in a population",
            format!("{SIM}[[populations]]\nlabel = \"p\"\nsize = 1\ncell_type = \"IF_curr_exp\"\nrecrod = [\"v\"]\n"),
            vec!["population \"p\"", "`recrod`", "did you mean `record`"],
        ),
        (
            "unknown top-level table",
            format!("{SIM}[[population]]\nlabel = \"p\"\n"),
            vec!["`population`", "did you mean `populations`"],
        ),
        (
            "unknown recorded variable",
            format!("{SIM}[[populations]]\nlabel = \"p\"\nsize = 1\ncell_type = \"IF_curr_exp\"\nrecord = [\"spike\"]\n"),
            vec!["population \"p\"", "`record`", "did you mean `spikes`"],
        ),
        (
            "unknown connector",
            proj("{ type = \"FixedProbabilityConector\", p_connect = 0.1 }", ""),
            vec!["projection \"in->exc\"", "`connector.type`", "did you mean `FixedProbabilityConnector`"],
        ),
        (
            "misspelt connector parameter",
            proj("{ type = \"FixedProbabilityConnector\", p_conect = 0.1 }", ""),
            vec!["projection \"in->exc\"", "`connector.p_conect`", "did you mean `p_connect`"],
        ),
        (
            "unknown distribution",
            with("[populations.parameters]\nv_rest = { distribution = \"normall\", mu = -65.0, sigma = 1.0 }\n"),
            vec!["population \"inh\"", "`v_rest.distribution`", "did you mean `normal`"],
        ),
        (
            "misspelt distribution parameter",
            with("[populations.parameters]\nv_rest = { distribution = \"normal\", mu = -65.0, sigm = 1.0 }\n"),
            vec!["population \"inh\"", "`v_rest.sigm`", "did you mean `sigma`"],
        ),
        (
            "missing population",
            with("[[projections]]\npresynaptic = \"in\"\npostsynaptic = \"exd\"\nconnector = { type = \"AllToAllConnector\" }\n"),
            vec!["projection \"in->exd\"", "`postsynaptic`", "did you mean `exc`"],
        ),
        (
            "current source into a missing population",
            with("[[current_sources]]\ntype = \"DCSource\"\ninject_into = \"inhh\"\n"),
            vec!["current source 0 (DCSource)", "`inject_into`", "did you mean `inh`"],
        ),
        (
            "negative rate",
            format!("{SIM}[[populations]]\nlabel = \"noise\"\nsize = 2\ncell_type = \"SpikeSourcePoisson\"\nparameters = {{ rate = -5.0 }}\n"),
            vec!["population \"noise\"", "`rate`", "must be >= 0"],
        ),
        (
            "negative rate in a list",
            format!("{SIM}[[populations]]\nlabel = \"noise\"\nsize = 2\ncell_type = \"SpikeSourcePoisson\"\nparameters = {{ rate = [5.0, -1.0] }}\n"),
            vec!["population \"noise\"", "`rate`", "cell 1"],
        ),
        (
            "unsorted spike_times",
            format!("{SIM}[[populations]]\nlabel = \"s\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\nparameters = {{ spike_times = [3.0, 1.0] }}\n"),
            vec!["population \"s\"", "`spike_times`", "sorted"],
        ),
        (
            "unsorted StepCurrentSource times",
            with("[[current_sources]]\ntype = \"StepCurrentSource\"\ntimes = [5.0, 2.0]\namplitudes = [0.1, 0.2]\ninject_into = \"exc\"\n"),
            vec!["current source 0 (StepCurrentSource)", "`times`", "strictly increasing"],
        ),
        (
            "delay below min_delay",
            proj("{ type = \"AllToAllConnector\" }", "synapse = { type = \"StaticSynapse\", weight = 0.5, delay = 0.05 }\n"),
            vec!["projection \"in->exc\"", "`synapse.delay`", "min_delay"],
        ),
        (
            "conn_list delay below min_delay",
            proj("{ type = \"FromListConnector\", conn_list = [[0, 0, 0.5, 0.01]] }", ""),
            vec!["projection \"in->exc\"", "`connector.conn_list`", "row 0", "min_delay"],
        ),
        ("timestep zero", "[simulation]\ntimestep = 0.0\nduration = 10.0\n".to_string(), vec!["simulation", "`timestep`", "> 0"]),
        ("timestep negative", "[simulation]\ntimestep = -0.1\nduration = 10.0\n".to_string(), vec!["simulation", "`timestep`", "> 0"]),
        ("missing duration", "[simulation]\ntimestep = 0.1\n".to_string(), vec!["simulation", "`duration`", "missing"]),
        (
            "negative excitatory weight",
            proj("{ type = \"AllToAllConnector\" }", "synapse = { weight = -0.5, delay = 1.0 }\n"),
            vec!["projection \"in->exc\"", "`synapse.weight`", "excitatory"],
        ),
        (
            "positive inhibitory weight",
            proj("{ type = \"AllToAllConnector\" }", "receptor_type = \"inhibitory\"\nsynapse = { weight = 0.5, delay = 1.0 }\n"),
            vec!["projection \"in->exc\"", "`synapse.weight`", "inhibitory"],
        ),
        (
            "positive inhibitory weight in conn_list",
            proj("{ type = \"FromListConnector\", conn_list = [[0, 0, 0.5, 1.0]] }", "receptor_type = \"inhibitory\"\n"),
            vec!["projection \"in->exc\"", "`connector.conn_list`", "inhibitory"],
        ),
        (
            "misspelt receptor type",
            proj("{ type = \"AllToAllConnector\" }", "receptor_type = \"inhibitroy\"\n"),
            vec!["`receptor_type`", "did you mean `inhibitory`"],
        ),
        (
            "p_connect above 1",
            proj("{ type = \"FixedProbabilityConnector\", p_connect = 1.5 }", ""),
            vec!["projection \"in->exc\"", "`connector.p_connect`", "[0, 1]"],
        ),
        (
            "n not an integer",
            proj("{ type = \"FixedNumberPreConnector\", n = 1.5 }", ""),
            vec!["projection \"in->exc\"", "`connector.n`", "whole number"],
        ),
        ("nan value", with("[populations.parameters]\nv_thresh = nan\n"), vec!["population \"inh\"", "`v_thresh`", "finite"]),
        ("inf duration", "[simulation]\ntimestep = 0.1\nduration = inf\n".to_string(), vec!["simulation", "`duration`", "finite"]),
        (
            "nan in a distribution",
            with("[populations.parameters]\nv_rest = { distribution = \"normal\", mu = -65.0, sigma = nan }\n"),
            vec!["population \"inh\"", "`v_rest.sigma`", "finite"],
        ),
        (
            "-inf as a DCSource amplitude",
            with("[[current_sources]]\ntype = \"DCSource\"\namplitude = -inf\ninject_into = \"exc\"\n"),
            vec!["current source 0 (DCSource)", "`amplitude`", "finite"],
        ),
        ("malformed TOML", "[simulation]\ntimestep = 0.1\nduration = [1.0,\nseed = 3\n".to_string(), vec!["bad.toml:4:6", "invalid TOML"]),
        ("duplicate key", "[simulation]\ntimestep = 0.1\ntimestep = 0.2\n".to_string(), vec!["bad.toml:3:1", "invalid TOML", "`timestep`"]),
        (
            "projection into a spike source",
            with("[[projections]]\npresynaptic = \"exc\"\npostsynaptic = \"in\"\nconnector = { type = \"AllToAllConnector\" }\n"),
            vec!["projection \"exc->in\"", "`postsynaptic`", "cannot receive input"],
        ),
        (
            "current into a spike source",
            with("[[current_sources]]\ntype = \"DCSource\"\ninject_into = \"in\"\n"),
            vec!["current source 0 (DCSource)", "`inject_into`", "cannot receive current"],
        ),
        (
            "v_reset above v_thresh",
            with("[populations.parameters]\nv_reset = -40.0\n"),
            vec!["population \"inh\"", "`v_reset`", "below v_thresh"],
        ),
        ("cm zero", with("[populations.parameters]\ncm = 0.0\n"), vec!["population \"inh\"", "`cm`", "> 0"]),
        ("negative tau_refrac", with("[populations.parameters]\ntau_refrac = [1.0, -1.0]\n"), vec!["`tau_refrac`", ">= 0", "cell 1"]),
        (
            "cell index out of range",
            with("[[current_sources]]\ntype = \"DCSource\"\ninject_into = \"exc\"\ncells = [0, 3]\n"),
            vec!["current source 0 (DCSource)", "`cells`", "out of range"],
        ),
        (
            "recording v of a spike source",
            format!("{SIM}[[populations]]\nlabel = \"s\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\nrecord = [\"v\"]\n"),
            vec!["population \"s\"", "`record`", "only records spikes"],
        ),
        (
            "initial value of a misspelt variable",
            with("[populations.initial_values]\nvv = -60.0\n"),
            vec!["population \"inh\"", "`vv`", "did you mean `v`"],
        ),
        (
            "duplicate population label",
            with("[[populations]]\nlabel = \"exc\"\nsize = 1\ncell_type = \"IF_curr_exp\"\n"),
            vec!["population \"exc\"", "`label`", "unique"],
        ),
        (
            "float size",
            format!("{SIM}[[populations]]\nlabel = \"p\"\nsize = 2.0\ncell_type = \"IF_curr_exp\"\n"),
            vec!["population \"p\"", "`size`", "whole number"],
        ),
        ("negative seed", "[simulation]\ntimestep = 0.1\nduration = 1.0\nseed = -1\n".to_string(), vec!["simulation", "`seed`", ">= 0"]),
        (
            "populations as a single table",
            format!("{SIM}[populations]\nlabel = \"p\"\n"),
            vec!["`populations`", "[[populations]]"],
        ),
        (
            "spike_times mixing numbers and lists",
            format!("{SIM}[[populations]]\nlabel = \"s\"\nsize = 2\ncell_type = \"SpikeSourceArray\"\nparameters = {{ spike_times = [[1.0], 2.0] }}\n"),
            vec!["population \"s\"", "`spike_times`", "mixes"],
        ),
        (
            "step amplitudes of the wrong length",
            with("[[current_sources]]\ntype = \"StepCurrentSource\"\ntimes = [1.0, 2.0]\namplitudes = [0.1]\ninject_into = \"exc\"\n"),
            vec!["current source 0 (StepCurrentSource)", "`amplitudes`"],
        ),
        (
            "unknown current source",
            with("[[current_sources]]\ntype = \"DCsource\"\ninject_into = \"exc\"\n"),
            vec!["current source 0", "`type`", "did you mean `DCSource`"],
        ),
    ]
}

#[test]
fn bad_models_are_rejected_with_a_clear_message() {
    let mut failures = Vec::new();
    for (what, text, fragments) in bad_models() {
        match parse_model(&text, "bad.toml") {
            Ok(_) => failures.push(format!("{what}: accepted")),
            Err(e) => {
                let msg = e.to_string();
                if !msg.starts_with("bad.toml") || msg.contains('\n') {
                    failures.push(format!(
                        "{what}: not one line starting with the file name: {msg}"
                    ));
                }
                for f in fragments {
                    if !msg.contains(f) {
                        failures.push(format!("{what}: {msg:?} lacks {f:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn errors_carry_the_position_of_the_key() {
    let text = format!("{BASE}[populations.parameters]\ntau_m = 10.0\nt_refrac = 2.0\n");
    let e = parse_err(&text);
    let line = text
        .lines()
        .position(|l| l.starts_with("t_refrac"))
        .unwrap()
        + 1;
    assert_eq!(e.position, Some(Position { line, column: 1 }));
    assert_eq!(e.item, "population \"inh\"");
    assert_eq!(e.key, "t_refrac");
    assert_eq!(e.suggestion.as_deref(), Some("tau_refrac"));
    assert_eq!(e.file, "bad.toml");
}

#[test]
fn load_model_names_an_unreadable_file() {
    let e = load_model(Path::new("/nonexistent/model.toml")).unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/model.toml: "),
        "{e}"
    );
}

#[test]
fn build_errors_are_wrapped_with_the_file_and_position() {
    let e = BuildError {
        item: "projection \"in->exc\"".into(),
        key: "weight".into(),
        message: "drawn weight -0.1 is negative".into(),
        suggestion: None,
    };
    assert_eq!(
        from_build("m.toml", e.clone()).to_string(),
        "m.toml: projection \"in->exc\": `weight`: drawn weight -0.1 is negative"
    );
    let text = format!(
        "{BASE}[[projections]]\npresynaptic = \"in\"\npostsynaptic = \"exc\"\nconnector = {{ type = \"AllToAllConnector\" }}\nsynapse = {{ weight = {{ distribution = \"normal\", mu = 0.1, sigma = 1.0 }} }}\n"
    );
    let m = parse_ok(&text);
    let w = m.build_error(e);
    let line = text.lines().position(|l| l.starts_with("synapse")).unwrap() + 1;
    assert_eq!(w.key, "synapse.weight");
    assert_eq!(w.position.map(|p| p.line), Some(line));
}

/// Prints every message, to read them: `cargo test --test model_file -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_messages() {
    for (what, text, _) in bad_models() {
        println!("{what}:\n  {}", parse_err(&text));
    }
}

/// Issue 14: NEST's and Brian's names point to ours (`dt` to `timestep`, not to `duration`,
/// which it resembles more as a string), and a variable in another case to ours.
#[test]
fn suggestions_know_other_simulators_names_and_case() {
    let simulation = |key: &str| {
        format!("[simulation]\ntimestep = 0.1\nduration = 10.0\n{key} = 1.0\n\n[[populations]]\nlabel = \"a\"\nsize = 1\ncell_type = \"IF_curr_exp\"\n")
    };
    for (given, meant) in [
        ("dt", "timestep"),
        ("tstop", "duration"),
        ("resolution", "timestep"),
    ] {
        let e = parse_err(&simulation(given));
        assert_eq!(e.key, given);
        assert_eq!(e.suggestion.as_deref(), Some(meant), "{given}: {e}");
    }
    let record = format!("{BASE}record = [\"V\"]\n");
    let e = parse_err(&record);
    assert_eq!(e.suggestion.as_deref(), Some("v"), "{e}");
    assert_eq!(
        exactlif::suggest("V_m", ["v", "isyn_exc"]).as_deref(),
        Some("v")
    );
    // an alias is suggested only where its meaning is a candidate
    assert_eq!(exactlif::suggest("dt", ["delay"]), None);
}

/// Issue 14: a run shorter than one timestep is refused (0 stays valid: the state at t = 0).
#[test]
fn a_duration_shorter_than_the_timestep_is_refused() {
    let model = |duration: f64| {
        format!("[simulation]\ntimestep = 0.1\nduration = {duration}\n\n[[populations]]\nlabel = \"a\"\nsize = 1\ncell_type = \"IF_curr_exp\"\n")
    };
    let e = parse_err(&model(0.05));
    assert_eq!(e.key, "duration");
    assert!(e.to_string().contains("shorter than one timestep"), "{e}");
    parse_ok(&model(0.0));
    parse_ok(&model(0.1));
}
