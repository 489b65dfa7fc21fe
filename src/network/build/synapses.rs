//! The synapses of a network: each projection's connections drawn, their weights and delays
//! checked, and laid out as [`NetData`]'s compressed rows (by presynaptic cell, one group per
//! delay, each group sorted by target cell).
//!
//! # Weights and delays
//!
//! A random weight or delay is drawn per connection, every connection taking its draw (even
//! where a connection list overrides it):
//!
//! - seeding version 1: from the projection's stream `projection:{label}/weight` (`.../delay`),
//!   one value per connection in connection order (by presynaptic cell, then target cell,
//!   repeated pairs in draw or list order);
//! - seeding version 2 (SPEC §7): from the stream of the connection's target,
//!   `projection:{label}/weight/post:{j}` (`j` the target's index in the post population), the
//!   target's connections taking its values one after another in connection order, i.e. by
//!   presynaptic cell, repeated pairs in draw or list order; for `FixedNumberPostConnector`
//!   from the stream of its source, `.../weight/pre:{i}`, the source's connections in order of
//!   target cell. So the values of a target's synapses do not depend on which other targets
//!   are built ([`Network::materialise_part`]).

use std::convert::Infallible;
use std::ops::Range;

use super::super::connectors::{self, Connection, Connections};
use super::super::random::{stream, CellStreams, RandomDistribution, Side, StreamRng};
use super::super::{
    check_delay, check_weight_sign, BuildError, Connector, Network, Projection, Receptor, Seeding,
    Value,
};
use crate::engine::{NetData, INHIBITORY_BIT};

/// The weights or the delays of one projection's connections, one after another in connection
/// order: one number shared by all, or a value each, drawn from the stream of its purpose (or of
/// its cell) as it is needed (nothing stored per connection). A fresh `PerConnection` gives the
/// same values again.
enum PerConnection<'a> {
    Same(f64),
    Each(Box<dyn Iterator<Item = f64> + 'a>),
    /// Seeding version 2, keyed by the target: the stream of target `post` is
    /// `streams[post - first]`, made at its first connection.
    ByTarget {
        dist: &'a RandomDistribution,
        cells: CellStreams,
        first: u32,
        streams: Vec<Option<StreamRng>>,
    },
    /// Seeding version 2, keyed by the source: the connections of a source are consecutive, so
    /// one stream at a time.
    BySource {
        dist: &'a RandomDistribution,
        cells: CellStreams,
        current: Option<(u32, StreamRng)>,
        /// The connections: a source's values begin after those of its connections not built
        /// ([`Connections::skipped`]).
        conns: &'a Connections,
    },
}

impl<'a> PerConnection<'a> {
    /// The values of `value` for the connections `conns` (random values from the stream
    /// `purpose`, or its streams per cell).
    fn new(
        value: &'a Value,
        seed: u64,
        purpose: &str,
        keyed: Option<&Keyed>,
        conns: &'a Connections,
    ) -> Self {
        match (value, keyed) {
            (Value::Scalar(x), _) => PerConnection::Same(*x),
            // a per-cell list is rejected by Network::connect
            (Value::PerCell(xs), _) => PerConnection::Each(Box::new(xs.iter().copied())),
            (Value::Random(d), None) => PerConnection::Each(Box::new(d.samples(seed, purpose))),
            (Value::Random(dist), Some(k)) => {
                let cells = CellStreams::new(seed, purpose, k.side);
                match k.side {
                    Side::Post => PerConnection::ByTarget {
                        dist,
                        cells,
                        first: k.targets.start,
                        streams: Vec::new(),
                    },
                    Side::Pre => PerConnection::BySource {
                        dist,
                        cells,
                        current: None,
                        conns,
                    },
                }
            }
        }
    }

    /// The value of the next connection, `c`.
    #[inline]
    fn next(&mut self, c: Connection) -> f64 {
        match self {
            PerConnection::Same(x) => *x,
            PerConnection::Each(xs) => xs.next().expect("a value for each connection"),
            PerConnection::ByTarget {
                dist,
                cells,
                first,
                streams,
            } => {
                let k = (c.post - *first) as usize;
                if k >= streams.len() {
                    streams.resize_with(k + 1, || None);
                }
                let rng = streams[k].get_or_insert_with(|| cells.of(c.post));
                dist.sample(rng)
            }
            PerConnection::BySource {
                dist,
                cells,
                current,
                conns,
            } => {
                if current.as_ref().is_none_or(|(pre, _)| *pre != c.pre) {
                    let mut rng = cells.of(c.pre);
                    // the values of the source's connections onto earlier targets, not built
                    for _ in 0..conns.skipped(c.pre) {
                        dist.sample(&mut rng);
                    }
                    *current = Some((c.pre, rng));
                }
                let (_, rng) = current.as_mut().expect("made above");
                dist.sample(rng)
            }
        }
    }
}

/// How a projection's streams are keyed under seeding version 2.
struct Keyed {
    /// By target, or by source (`FixedNumberPostConnector`).
    side: Side,
    /// The post cells (indices in the post population) whose connections are drawn.
    targets: Range<u32>,
}

/// One projection's connections, drawn and counted, waiting to be placed.
struct Drawn<'a> {
    proj: &'a Projection,
    conns: Connections,
    /// Global index of the first cell of the pre and of the post population.
    pre_off: u32,
    post_off: u32,
    /// Seeding version 2: how the weight and delay streams are keyed; `None`: version 1.
    keyed: Option<Keyed>,
}

impl Drawn<'_> {
    /// The weight and delay of all synapses, when they share one (scalars, not overridden by a
    /// connection list).
    fn fixed(&self) -> Option<(f64, f64)> {
        match (
            &self.proj.synapse.weight,
            &self.proj.synapse.delay,
            &self.proj.connector,
        ) {
            (_, _, Connector::FromList { .. }) => None,
            (&Value::Scalar(w), &Value::Scalar(d), _) => Some((w, d)),
            _ => None,
        }
    }

    /// [`INHIBITORY_BIT`] for an inhibitory projection, else 0.
    fn inhibitory_bit(&self) -> u32 {
        match self.proj.receptor {
            Receptor::Inhibitory => INHIBITORY_BIT,
            Receptor::Excitatory => 0,
        }
    }

    /// The projection's synapses in connection order, as (global pre cell, delay, target with
    /// [`INHIBITORY_BIT`] for an inhibitory receptor, weight). Weights and delays come from
    /// fresh streams (see the module docs), so every call gives the same values.
    fn for_each_synapse<E>(
        &self,
        seed: u64,
        mut f: impl FnMut(Connection, u32, f64, u32, f64) -> Result<(), E>,
    ) -> Result<(), E> {
        let proj = self.proj;
        let purpose = |what: &str| format!("projection:{}/{what}", proj.label);
        let keyed = self.keyed.as_ref();
        let (w, d) = (&proj.synapse.weight, &proj.synapse.delay);
        let mut weights = PerConnection::new(w, seed, &purpose("weight"), keyed, &self.conns);
        let mut delays = PerConnection::new(d, seed, &purpose("delay"), keyed, &self.conns);
        let inh = self.inhibitory_bit();
        for c in self.conns.iter() {
            // every connection takes its draw, even where the list overrides it
            let (w, d) = (weights.next(c), delays.next(c));
            let w = c.weight(&proj.connector).unwrap_or(w);
            let d = c.delay(&proj.connector).unwrap_or(d);
            f(
                c,
                self.pre_off + c.pre,
                d,
                (self.post_off + c.post) | inh,
                w,
            )?;
        }
        Ok(())
    }
}

impl Network {
    /// Draws, checks and lays out the synapses ([`NetData`]'s compressed rows by presynaptic
    /// cell, one group per delay, delays increasing) into `net`, whose cells are there
    /// already and whose populations start at `offsets`: every synapse, or with `part` (seeding
    /// version 2 only) those onto the global cells of `part`, drawing only what they need. Fails
    /// on the first bad weight or delay, in projection and connection order (of the synapses
    /// built: a part checks only its own).
    ///
    /// Each projection is drawn once and kept until placed as [`Connections`] (4 bytes a
    /// connection). Then the synapses of every (pre cell, delay) group are counted, the final
    /// arrays allocated at their exact size, each projection's synapses placed into their groups
    /// in projection order (weights and delays redrawn from their streams, cheaper than keeping
    /// them) and its connections freed, and last each group is sorted by target cell with a
    /// stable sort. So a group holds its synapses by target, ties in projection order then
    /// connection order; the peak is the final 12 bytes a synapse plus 4 per connection.
    /// `receives_input` is the whole network's, part or not.
    pub(super) fn synapses(
        &self,
        offsets: &[u32],
        net: &mut NetData,
        part: Option<Range<u32>>,
    ) -> Result<(), BuildError> {
        let seed = self.setup.seed;
        let n_cells = net.n_cells();
        let mut receives_input = vec![false; self.populations.len()];
        // Draw and check every projection; count the synapses of each (pre cell, delay) group
        // as (global pre cell, delay, count), a cell's entries possibly repeated.
        let mut drawn = Vec::with_capacity(self.projections.len());
        let mut counts: Vec<(u32, f64, u32)> = Vec::new();
        for proj in &self.projections {
            let pending = self.draw(proj, offsets, part.clone());
            self.count(&pending, &mut counts)?;
            let post = proj.post.population;
            if !receives_input[post] {
                receives_input[post] =
                    !pending.conns.is_empty() || (part.is_some() && self.connects_any(proj));
            }
            drawn.push(pending);
        }
        let n_syn: usize = drawn.iter().map(|p| p.conns.len()).sum();
        if n_syn >= u32::MAX as usize {
            return Err(BuildError::new(
                "simulation",
                "projections",
                format!("{n_syn} synapses is more than this build supports"),
            ));
        }
        let groups = Groups::of(counts, n_cells);
        (net.syn_target, net.syn_weight) = groups.place(drawn, n_syn, seed);
        sort_by_target(
            &groups.syn_offsets,
            &mut net.syn_target,
            &mut net.syn_weight,
        );
        net.group_offsets = groups.group_offsets;
        net.group_delay = groups.group_delay;
        net.syn_offsets = groups.syn_offsets;
        net.receives_input = receives_input;
        Ok(())
    }

    /// The connections of projection `index` as the build draws them, in connection order:
    /// `(pre, post, weight nA, delay ms)`, cells as indices in their populations (PyNN's
    /// `Projection.get(["weight", "delay"], format="list")`). The draws come from the same
    /// streams as the build's, so these are the synapses a simulation of this network has;
    /// they are not checked here (the build checks them).
    ///
    /// ```
    /// use exactlif::{CellType, Connector, Network, Receptor, Setup, StaticSynapse};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 7, min_delay: None, seeding: Default::default() });
    /// let a = net.create("a", 20, CellType::IfCurrExp)?;
    /// let b = net.create("b", 10, CellType::IfCurrExp)?;
    /// let rule = Connector::FixedNumberPre { n: 3, allow_self_connections: true, with_replacement: false };
    /// net.connect(a, b, rule, StaticSynapse::new(0.5, 1.5), Receptor::Excitatory, None)?;
    /// let c = net.connections(0)?;
    /// assert_eq!(c.len(), 30);
    /// assert!(c.iter().all(|&(pre, post, w, d)| pre < 20 && post < 10 && w == 0.5 && d == 1.5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connections(&self, index: usize) -> Result<Vec<(u32, u32, f64, f64)>, BuildError> {
        let Some(proj) = self.projections.get(index) else {
            return Err(BuildError::new(
                "simulation",
                "projections",
                format!(
                    "there is no projection {index}: the network has {}",
                    self.projections.len()
                ),
            ));
        };
        let zeros = vec![0; self.populations.len()];
        let drawn = self.draw(proj, &zeros, None);
        let mut out = Vec::with_capacity(drawn.conns.len());
        drawn
            .for_each_synapse(self.setup.seed, |_, pre, delay, target, weight| {
                out.push((pre, target & !INHIBITORY_BIT, weight, delay));
                Ok::<(), Infallible>(())
            })
            .unwrap_or_else(|e| match e {});
        Ok(out)
    }

    /// The pre and post selections of `proj` (population indices) and whether they are views of
    /// one population.
    fn selections(&self, proj: &Projection) -> (Vec<u32>, Vec<u32>, bool) {
        let all = |n: usize| (0..n as u32).collect::<Vec<_>>();
        let pre_size = self.populations[proj.pre.population].size;
        let post_size = self.populations[proj.post.population].size;
        let pre_cells = proj.pre.cells.clone().unwrap_or_else(|| all(pre_size));
        let post_cells = proj.post.cells.clone().unwrap_or_else(|| all(post_size));
        let same = proj.pre.population == proj.post.population;
        (pre_cells, post_cells, same)
    }

    /// The connections of `proj` (seeding version 1: from its stream
    /// `projection:{label}/connector`; version 2: see `connectors::generate_by_cell`), not yet
    /// placed; its populations start at `offsets`. With `part` (global cells; seeding version 2
    /// only), only the connections onto those cells.
    fn draw<'a>(
        &self,
        proj: &'a Projection,
        offsets: &[u32],
        part: Option<Range<u32>>,
    ) -> Drawn<'a> {
        let (pre_cells, post_cells, same) = self.selections(proj);
        let purpose = format!("projection:{}/connector", proj.label);
        let seed = self.setup.seed;
        let post_off = offsets[proj.post.population];
        let (conns, keyed) = match self.setup.seeding {
            Seeding::V1 => {
                assert!(
                    part.is_none(),
                    "seeding version 1 builds whole networks only"
                );
                let mut rng = stream(seed, &purpose);
                let conns =
                    connectors::generate(&proj.connector, &pre_cells, &post_cells, same, &mut rng);
                (conns, None)
            }
            Seeding::V2 => {
                let size = self.populations[proj.post.population].size as u32;
                // the part's cells as indices in the post population
                let targets = match part {
                    None => 0..size,
                    Some(r) => {
                        let lo = r.start.clamp(post_off, post_off + size) - post_off;
                        let hi = r.end.clamp(post_off, post_off + size) - post_off;
                        lo..hi.max(lo)
                    }
                };
                let side = match proj.connector {
                    Connector::FixedNumberPost { .. } => Side::Pre,
                    _ => Side::Post,
                };
                let conns = connectors::generate_by_cell(
                    &proj.connector,
                    &pre_cells,
                    &post_cells,
                    same,
                    targets.clone(),
                    seed,
                    &purpose,
                );
                (conns, Some(Keyed { side, targets }))
            }
        };
        Drawn {
            proj,
            conns,
            pre_off: offsets[proj.pre.population],
            post_off,
            keyed,
        }
    }

    /// Whether `proj` makes a connection in the whole network (seeding version 2), without
    /// drawing it all (`connectors::connects_any`).
    fn connects_any(&self, proj: &Projection) -> bool {
        let (pre_cells, post_cells, same) = self.selections(proj);
        let purpose = format!("projection:{}/connector", proj.label);
        connectors::connects_any(
            &proj.connector,
            &pre_cells,
            &post_cells,
            same,
            self.setup.seed,
            &purpose,
        )
    }

    /// Checks the weights and delays of `pending`'s synapses and adds to `counts` one
    /// `(global pre cell, delay, number of synapses)` per (pre cell, delay) group they fill.
    /// Fails on the first bad weight or delay, in connection order.
    fn count(&self, pending: &Drawn, counts: &mut Vec<(u32, f64, u32)>) -> Result<(), BuildError> {
        let (seed, min_delay) = (self.setup.seed, self.setup.min_delay());
        let proj = pending.proj;
        let item = format!("projection \"{}\"", proj.label);
        let check = |c: Connection, delay: f64, w: f64| {
            check_weight_sign(w, proj.receptor).map_err(|m| {
                BuildError::new(
                    &item,
                    "weight",
                    format!("connection {} -> {}: {m}", c.pre, c.post),
                )
            })?;
            check_delay(delay, min_delay).map_err(|m| {
                BuildError::new(
                    &item,
                    "delay",
                    format!("connection {} -> {}: {m}", c.pre, c.post),
                )
            })?;
            Ok(())
        };
        match pending.fixed() {
            // One weight and delay for all: checked once, one group per pre cell.
            Some((w, delay)) => {
                if let Some(c) = pending.conns.iter().next() {
                    check(c, delay, w)?;
                }
                let pre_off = pending.pre_off;
                let rows = pending.conns.rows();
                counts.extend(rows.map(|(pre, post)| (pre_off + pre, delay, post.len() as u32)));
            }
            // A value each: every synapse checked, one group per distinct delay of a cell.
            None => {
                let mut cell = None;
                let mut delays: Vec<f64> = Vec::new();
                pending.for_each_synapse(seed, |c, pre, delay, _, w| {
                    check(c, delay, w)?;
                    if cell != Some(pre) {
                        count_delays(counts, cell, &mut delays);
                        cell = Some(pre);
                    }
                    delays.push(delay);
                    Ok(())
                })?;
                count_delays(counts, cell, &mut delays);
            }
        }
        Ok(())
    }
}

/// The (pre cell, delay) groups of [`NetData`], before their synapses are placed.
struct Groups {
    group_offsets: Vec<u32>,
    group_delay: Vec<f64>,
    syn_offsets: Vec<u32>,
}

impl Groups {
    /// The groups of a network of `n_cells` cells from the counts of their synapses: by cell,
    /// delays increasing; the synapses of group k are `syn_offsets[k]..syn_offsets[k + 1]`.
    fn of(mut counts: Vec<(u32, f64, u32)>, n_cells: usize) -> Self {
        counts.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let same_group = |a: &(u32, f64, u32), b: &(u32, f64, u32)| a.0 == b.0 && a.1 == b.1;
        let n_groups = counts.chunk_by(same_group).count();
        let mut group_offsets = vec![0u32; n_cells + 1];
        let mut group_delay = Vec::with_capacity(n_groups);
        let mut syn_offsets = Vec::with_capacity(n_groups + 1);
        let mut end = 0u32;
        for group in counts.chunk_by(same_group) {
            group_offsets[group[0].0 as usize + 1] += 1;
            group_delay.push(group[0].1);
            syn_offsets.push(end);
            end += group.iter().map(|g| g.2).sum::<u32>();
        }
        syn_offsets.push(end);
        for g in 0..n_cells {
            group_offsets[g + 1] += group_offsets[g];
        }
        Groups {
            group_offsets,
            group_delay,
            syn_offsets,
        }
    }

    /// The group of cell `pre` with this delay.
    fn of_synapse(&self, pre: u32, delay: f64) -> usize {
        let groups = self.group_offsets[pre as usize] as usize
            ..self.group_offsets[pre as usize + 1] as usize;
        groups.start + self.group_delay[groups].partition_point(|&x| x < delay)
    }

    /// The targets and weights of the `n_syn` synapses of `drawn`, placed projection by
    /// projection, each group filled in projection order and connection order; a projection's
    /// connections are freed once placed.
    fn place(&self, drawn: Vec<Drawn>, n_syn: usize, seed: u64) -> (Vec<u32>, Vec<f64>) {
        let n_groups = self.group_delay.len();
        let mut syn_target = vec![0u32; n_syn];
        let mut syn_weight = vec![0.0f64; n_syn];
        let mut next = self.syn_offsets[..n_groups].to_vec();
        for pending in drawn {
            if let Some((w, delay)) = pending.fixed() {
                // a row at a time
                let (pre_off, post_off) = (pending.pre_off, pending.post_off);
                let inh = pending.inhibitory_bit();
                for (pre, post) in pending.conns.rows() {
                    let k = self.of_synapse(pre_off + pre, delay);
                    let start = next[k] as usize;
                    let row = start..start + post.len();
                    next[k] = row.end as u32;
                    for (t, &p) in syn_target[row.clone()].iter_mut().zip(post) {
                        *t = (post_off + p) | inh;
                    }
                    syn_weight[row].fill(w);
                }
            } else {
                let Ok(()) = pending.for_each_synapse(seed, |_, pre, delay, target, w| {
                    let k = self.of_synapse(pre, delay);
                    let s = next[k] as usize;
                    next[k] += 1;
                    syn_target[s] = target;
                    syn_weight[s] = w;
                    Ok::<(), Infallible>(())
                });
            }
        }
        debug_assert!((0..n_groups).all(|k| next[k] == self.syn_offsets[k + 1]));
        (syn_target, syn_weight)
    }
}

/// Sorts each group (`syn_offsets[k]..syn_offsets[k + 1]`) by target cell, stably (most are
/// already in order).
fn sort_by_target(syn_offsets: &[u32], syn_target: &mut [u32], syn_weight: &mut [f64]) {
    let mut scratch: Vec<(u32, f64)> = Vec::new();
    for k in 0..syn_offsets.len() - 1 {
        let range = syn_offsets[k] as usize..syn_offsets[k + 1] as usize;
        if syn_target[range.clone()].is_sorted_by_key(|&t| t & !INHIBITORY_BIT) {
            continue;
        }
        scratch.clear();
        scratch.extend(
            syn_target[range.clone()]
                .iter()
                .copied()
                .zip(syn_weight[range.clone()].iter().copied()),
        );
        scratch.sort_by_key(|&(t, _)| t & !INHIBITORY_BIT);
        for (s, &(t, w)) in range.zip(&scratch) {
            syn_target[s] = t;
            syn_weight[s] = w;
        }
    }
}

/// Adds to `counts` one `(cell, delay, number of synapses)` per distinct value of `delays`, the
/// delays of the synapses of `cell` (if any) in one projection, and empties `delays`.
fn count_delays(counts: &mut Vec<(u32, f64, u32)>, cell: Option<u32>, delays: &mut Vec<f64>) {
    if let Some(cell) = cell {
        delays.sort_unstable_by(f64::total_cmp);
        for run in delays.chunk_by(|a, b| a == b) {
            counts.push((cell, run[0], run.len() as u32));
        }
    }
    delays.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{CellType, RandomDistribution, Selection, Setup, StaticSynapse};

    /// Each synapse of `net` as `(pre cell, delay, target, inhibitory, weight)`, in storage order.
    fn synapses(net: &NetData) -> Vec<(usize, f64, u32, bool, f64)> {
        let mut out = Vec::new();
        for g in 0..net.n_cells() {
            for k in net.group_offsets[g] as usize..net.group_offsets[g + 1] as usize {
                for s in net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize {
                    let t = net.syn_target[s];
                    out.push((
                        g,
                        net.group_delay[k],
                        t & !INHIBITORY_BIT,
                        t & INHIBITORY_BIT != 0,
                        net.syn_weight[s],
                    ));
                }
            }
        }
        out
    }

    /// The layout of [`NetData`]: offsets consistent and covering everything, no empty group,
    /// delays increasing within a cell, and every group sorted by target cell.
    fn assert_layout(net: &NetData) {
        assert_eq!(net.group_offsets.len(), net.n_cells() + 1);
        assert_eq!(net.group_offsets[0], 0);
        assert_eq!(
            *net.group_offsets.last().unwrap() as usize,
            net.group_delay.len()
        );
        assert_eq!(net.syn_offsets.len(), net.group_delay.len() + 1);
        assert_eq!(net.syn_offsets[0], 0);
        assert_eq!(*net.syn_offsets.last().unwrap() as usize, net.n_synapses());
        assert_eq!(net.syn_weight.len(), net.n_synapses());
        assert!(
            net.syn_offsets.windows(2).all(|w| w[0] < w[1]),
            "empty group"
        );
        for g in 0..net.n_cells() {
            let groups = net.group_offsets[g] as usize..net.group_offsets[g + 1] as usize;
            assert!(net.group_delay[groups].windows(2).all(|w| w[0] < w[1]));
        }
        for k in 0..net.group_delay.len() {
            let group =
                &net.syn_target[net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize];
            assert!(
                group.is_sorted_by_key(|&t| t & !INHIBITORY_BIT),
                "group {k} not sorted by target: {group:?}"
            );
        }
    }

    fn list(entries: &[(u32, u32, Option<f64>, Option<f64>)]) -> Connector {
        Connector::FromList {
            conn_list: entries.to_vec(),
        }
    }

    /// Two connection lists onto one population, pairs unsorted and repeated: each delay group
    /// holds its synapses by target cell, ties in projection order, then in list order.
    #[test]
    fn groups_sorted_by_target_ties_in_projection_then_list_order() {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 1,
            min_delay: None,
            seeding: Default::default(),
        });
        let src = net.create("src", 2, CellType::SpikeSourcePoisson).unwrap();
        let dst = net.create("dst", 4, CellType::IfCurrExp).unwrap();
        let exc = [
            (0, 3, Some(0.1), None),
            (0, 1, Some(0.2), None),
            (1, 0, Some(0.4), None),
            (0, 3, Some(0.3), None),
            (0, 1, Some(0.5), Some(2.0)),
            (0, 2, None, None),
        ];
        let inh = [
            (0, 3, Some(-0.8), None),
            (0, 1, Some(-0.6), None),
            (0, 0, Some(-0.7), None),
            (0, 1, Some(-0.9), Some(2.0)),
        ];
        let synapse = StaticSynapse::new(0.05, 1.0);
        net.connect(src, dst, list(&exc), synapse, Receptor::Excitatory, None)
            .unwrap();
        net.connect(
            src,
            dst,
            list(&inh),
            StaticSynapse::new(-0.05, 1.0),
            Receptor::Inhibitory,
            None,
        )
        .unwrap();
        let built = net.materialise().unwrap();
        assert_layout(&built);
        let (e, i) = (false, true);
        assert_eq!(
            synapses(&built),
            vec![
                (0, 1.0, 2, i, -0.7),
                (0, 1.0, 3, e, 0.2),
                (0, 1.0, 3, i, -0.6),
                (0, 1.0, 4, e, 0.05),
                (0, 1.0, 5, e, 0.1),
                (0, 1.0, 5, e, 0.3),
                (0, 1.0, 5, i, -0.8),
                (0, 2.0, 3, e, 0.5),
                (0, 2.0, 3, i, -0.9),
                (1, 1.0, 2, e, 0.4),
            ]
        );
    }

    /// The synapses of `net` by definition, in the order of [`synapses`]: each projection's
    /// connections with their weights and delays (values drawn from the streams of SPEC §2 and
    /// §7: under seeding version 1 from the projection's stream in connection order; under
    /// version 2 from the stream of each connection's target, or source for
    /// `FixedNumberPostConnector`, the connections of that cell in connection order), all of
    /// them sorted stably by (pre cell, delay, target cell).
    fn reference(net: &Network) -> Vec<(usize, f64, u32, bool, f64)> {
        let seed = net.setup.seed;
        let mut offsets = vec![0];
        for p in &net.populations {
            offsets.push(offsets.last().unwrap() + p.size as u32);
        }
        let mut all = Vec::new();
        for proj in &net.projections {
            let cells = |pop: usize, sel: &Option<Vec<u32>>| {
                sel.clone()
                    .unwrap_or_else(|| (0..net.populations[pop].size as u32).collect())
            };
            let (pre, post) = (proj.pre.population, proj.post.population);
            let purpose = |what: &str| format!("projection:{}/{what}", proj.label);
            let (pre_cells, post_cells) =
                (cells(pre, &proj.pre.cells), cells(post, &proj.post.cells));
            let conns: Vec<Connection> = match net.setup.seeding {
                Seeding::V1 => connectors::generate(
                    &proj.connector,
                    &pre_cells,
                    &post_cells,
                    pre == post,
                    &mut stream(seed, &purpose("connector")),
                ),
                Seeding::V2 => connectors::generate_by_cell(
                    &proj.connector,
                    &pre_cells,
                    &post_cells,
                    pre == post,
                    0..u32::MAX,
                    seed,
                    &purpose("connector"),
                ),
            }
            .iter()
            .collect();
            let by_source = matches!(proj.connector, Connector::FixedNumberPost { .. });
            let values = |v: &Value, what: &str| match (v, net.setup.seeding) {
                (Value::Scalar(x), _) => vec![*x; conns.len()],
                (Value::Random(d), Seeding::V1) => d.sample_n(seed, &purpose(what), conns.len()),
                (Value::Random(d), Seeding::V2) => {
                    // the connections of each cell, in connection order, take its stream's
                    // values one after another
                    let key = |c: &Connection| if by_source { c.pre } else { c.post };
                    let side = if by_source { "pre" } else { "post" };
                    let mut drawn = std::collections::BTreeMap::new();
                    for c in &conns {
                        *drawn.entry(key(c)).or_insert(0) += 1;
                    }
                    let mut values: std::collections::BTreeMap<u32, std::vec::IntoIter<f64>> =
                        drawn
                            .into_iter()
                            .map(|(cell, n)| {
                                let purpose = purpose(&format!("{what}/{side}:{cell}"));
                                (cell, d.sample_n(seed, &purpose, n).into_iter())
                            })
                            .collect();
                    conns
                        .iter()
                        .map(|c| values.get_mut(&key(c)).unwrap().next().unwrap())
                        .collect()
                }
                (Value::PerCell(xs), _) => xs.clone(),
            };
            let weights = values(&proj.synapse.weight, "weight");
            let delays = values(&proj.synapse.delay, "delay");
            for (i, c) in conns.iter().enumerate() {
                all.push((
                    (offsets[pre] + c.pre) as usize,
                    c.delay(&proj.connector).unwrap_or(delays[i]),
                    offsets[post] + c.post,
                    proj.receptor == Receptor::Inhibitory,
                    c.weight(&proj.connector).unwrap_or(weights[i]),
                ));
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        all
    }

    /// `net` built whole, and in parts (seeding version 2 draws only each part's synapses):
    /// every part is the whole's part ([`NetData::part`]), synapse for synapse, and the parts
    /// together hold every synapse.
    fn assert_parts(net: &Network, built: &NetData) {
        let n = built.n_cells() as u32;
        for cuts in [vec![0, n], vec![0, n / 3, n], vec![0, 1, n / 2, n - 1, n]] {
            let mut total = 0;
            for w in cuts.windows(2) {
                let part = net.materialise_part(w[0]..w[1]).unwrap();
                let expected = built.part(w[0]..w[1]);
                assert_layout(&part);
                assert_eq!(synapses(&part), synapses(&expected), "{:?}", w);
                assert_eq!(part.receives_input, built.receives_input);
                total += part.n_synapses();
            }
            assert_eq!(total, built.n_synapses());
        }
    }

    /// Random connectors, weights and delays, views in any order, several projections onto one
    /// population with a shared delay: the layout holds and the synapses are those of the
    /// definition ([`reference`]), in its order.
    #[test]
    fn random_networks_match_the_definition() {
        for (seed, seeding) in (0..4).flat_map(|s| [(s, Seeding::V1), (s, Seeding::V2)]) {
            let mut net = Network::new(Setup {
                timestep: 0.1,
                seed,
                min_delay: Some(0.2),
                seeding,
            });
            let a = net.create("a", 60, CellType::IfCurrExp).unwrap();
            let b = net.create("b", 30, CellType::IfCurrExp).unwrap();
            let uniform = |low, high| RandomDistribution::Uniform { low, high };
            let exc = Receptor::Excitatory;
            let mut connect = |pre: Selection, post: Selection, c, w: Value, d: Value, r| {
                net.connect(pre, post, c, StaticSynapse::new(w, d), r, None)
                    .unwrap();
            };
            connect(
                a.into(),
                a.view(&[5, 1, 1, 40, 7]),
                Connector::FixedNumberPre {
                    n: 4,
                    allow_self_connections: false,
                    with_replacement: true,
                },
                uniform(0.0, 0.2).into(),
                0.4.into(),
                exc,
            );
            connect(
                a.into(),
                a.into(),
                Connector::FixedProbability {
                    p_connect: 0.1,
                    allow_self_connections: false,
                },
                (-0.1).into(),
                0.4.into(),
                Receptor::Inhibitory,
            );
            connect(
                b.into(),
                a.into(),
                Connector::FixedTotalNumber {
                    n: 300,
                    allow_self_connections: true,
                    with_replacement: true,
                },
                0.3.into(),
                RandomDistribution::NormalClipped {
                    mu: 1.0,
                    sigma: 0.5,
                    low: 0.2,
                    high: 2.0,
                }
                .into(),
                exc,
            );
            connect(
                a.into(),
                b.into(),
                Connector::FixedNumberPost {
                    n: 5,
                    allow_self_connections: true,
                    with_replacement: false,
                },
                uniform(0.0, 0.1).into(),
                0.4.into(),
                exc,
            );
            connect(
                b.into(),
                b.view(&[3, 9, 2]),
                Connector::AllToAll {
                    allow_self_connections: false,
                },
                0.2.into(),
                uniform(0.2, 0.5).into(),
                exc,
            );
            connect(
                b.into(),
                a.view(&[7, 3, 7, 0]),
                Connector::FromList {
                    conn_list: vec![
                        (4, 2, None, None),
                        (1, 0, Some(0.5), None),
                        (4, 2, None, Some(0.8)),
                        (0, 3, None, None),
                        (2, 1, None, None),
                    ],
                },
                uniform(0.0, 0.1).into(),
                uniform(0.2, 0.5).into(),
                exc,
            );
            connect(
                a.view(&[1, 2, 3, 4]),
                b.view(&[29, 0, 11, 12]),
                Connector::OneToOne,
                uniform(0.0, 0.1).into(),
                uniform(0.2, 0.5).into(),
                exc,
            );
            let built = net.materialise().unwrap();
            assert_layout(&built);
            assert_eq!(synapses(&built), reference(&net));
            assert!(synapses(&built).iter().filter(|s| s.3).count() > 0);
            assert_parts(&net, &built);
        }
    }

    /// The CUBA benchmark's projections (fixtures/cuba.toml: four, two onto each population,
    /// one delay): the layout holds and the synapses are those of the definition, in its order.
    #[test]
    fn cuba_matches_the_definition() {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 98765,
            min_delay: Some(0.2),
            seeding: Default::default(),
        });
        let exc = net.create("exc", 3200, CellType::IfCurrExp).unwrap();
        let inh = net.create("inh", 800, CellType::IfCurrExp).unwrap();
        for (label, pre, post, allow_self_connections, weight, receptor) in [
            ("e2e", exc, exc, false, 0.0162, Receptor::Excitatory),
            ("e2i", exc, inh, true, 0.0162, Receptor::Excitatory),
            ("i2e", inh, exc, true, -0.09, Receptor::Inhibitory),
            ("i2i", inh, inh, false, -0.09, Receptor::Inhibitory),
        ] {
            let connector = Connector::FixedProbability {
                p_connect: 0.02,
                allow_self_connections,
            };
            let synapse = StaticSynapse::new(weight, 0.2);
            net.connect(pre, post, connector, synapse, receptor, Some(label))
                .unwrap();
        }
        let built = net.materialise().unwrap();
        assert_layout(&built);
        assert!(built.n_synapses() > 300_000);
        assert_eq!(synapses(&built), reference(&net));
    }
}
