//! Value stability of a model's random draws, through the network build (issue 14): a regression
//! pin of literal values recorded from the current code (rand 0.9, rand_distr 0.5, rand_pcg
//! 0.9, rand_seeder 0.4), so that a change of the seed derivation (`network::random::stream`),
//! of the purpose labels the build uses, or of those crates' algorithms, which would change
//! every user's results, fails loudly. The streams themselves are pinned beside their code
//! (`stream_value_stability` in `src/network/random.rs`); the connectors' choices are pinned
//! here because the connectors' module depends on that one.

mod common;

use exactlif::internals::{NetData, INHIBITORY_BIT};
use exactlif::{
    CellType, Connector, Network, RandomDistribution, Receptor, Setup, StaticSynapse, Var,
};

/// The (pre, post) population indices of every synapse from population `pre` to population
/// `post`, sorted (independent of how the flat network orders them).
fn pairs(net: &NetData, pre: &str, post: &str) -> Vec<(u32, u32)> {
    let layout = |label: &str| net.layout.iter().find(|l| l.label == label).unwrap();
    let (pre, post) = (layout(pre), layout(post));
    let mut out = Vec::new();
    for cell in pre.offset..pre.offset + pre.size {
        let groups = net.group_offsets[cell as usize]..net.group_offsets[cell as usize + 1];
        for g in groups {
            let syns = net.syn_offsets[g as usize]..net.syn_offsets[g as usize + 1];
            for s in syns {
                let target = net.syn_target[s as usize] & !INHIBITORY_BIT;
                if (post.offset..post.offset + post.size).contains(&target) {
                    out.push((cell - pre.offset, target - post.offset));
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// Seed 42: `v_rest` of "exc" drawn from a normal distribution, the connectors'
/// choices of "exc->inh" (`FixedProbabilityConnector`, geometric gaps) and "exc->exc"
/// (`FixedNumberPreConnector` without self-connections, index sampling), and the spikes of a
/// 20 Hz `SpikeSourcePoisson` cell, all as recorded.
#[test]
fn model_draws_are_pinned() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 42,
        min_delay: None,
    });
    let exc = net.create("exc", 10, CellType::IfCurrExp).unwrap();
    let inh = net.create("inh", 10, CellType::IfCurrExp).unwrap();
    let noise = net
        .create("noise", 1, CellType::SpikeSourcePoisson)
        .unwrap();
    net.set(
        &exc,
        "v_rest",
        RandomDistribution::Normal {
            mu: -65.0,
            sigma: 2.0,
        },
    )
    .unwrap();
    net.set(&noise, "rate", 20.0).unwrap();
    let synapse = StaticSynapse::new(0.1, 1.0);
    net.connect(
        exc,
        inh,
        Connector::FixedProbability {
            p_connect: 0.1,
            allow_self_connections: true,
        },
        synapse.clone(),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    net.connect(
        exc,
        exc,
        Connector::FixedNumberPre {
            n: 2,
            allow_self_connections: false,
            with_replacement: false,
        },
        synapse,
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    net.record(noise, &[Var::Spikes]).unwrap();

    let flat = net.materialise().unwrap();
    let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let v_rest: Vec<f64> = flat.params[..3].iter().map(|p| p.v_rest).collect();
    // the stream "42/population:exc/parameter:v_rest", as in stream_value_stability
    assert_eq!(
        bits(&v_rest),
        bits(&[-65.3193457956347, -65.39314266985689, -66.67748320365699])
    );
    // the stream "42/projection:exc->inh/connector"
    assert_eq!(
        pairs(&flat, "exc", "inh"),
        [
            (0, 4),
            (1, 8),
            (2, 2),
            (3, 0),
            (4, 9),
            (7, 0),
            (7, 7),
            (7, 8),
            (8, 2)
        ]
    );
    // "42/projection:exc->exc/connector": two distinct pre cells per post cell, never itself
    assert_eq!(
        pairs(&flat, "exc", "exc"),
        [
            (0, 1),
            (0, 6),
            (1, 8),
            (3, 0),
            (3, 9),
            (4, 0),
            (4, 2),
            (4, 3),
            (4, 6),
            (4, 7),
            (5, 4),
            (6, 5),
            (7, 2),
            (7, 4),
            (7, 5),
            (8, 3),
            (8, 7),
            (8, 9),
            (9, 1),
            (9, 8)
        ]
    );

    // "42/population:noise/poisson:0": exponential intervals at 20 Hz
    let mut sim = net.build().unwrap();
    sim.run(100.0);
    let data = common::data(&sim);
    let noise = data
        .populations
        .iter()
        .find(|p| p.label == "noise")
        .unwrap();
    assert_eq!(
        bits(&noise.spiketrains[0].times_ms),
        bits(&[5.844037800701048, 12.856819864202262, 76.90116111707246])
    );
}
