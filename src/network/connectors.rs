//! PyNN's connectors: which (pre, post) pairs a projection connects.
//!
//! `validate` rejects a connector that cannot be built, from the sizes of the selections alone
//! (it runs when a projection is declared); `generate` draws the connections of one projection
//! from that projection's connector stream (SPEC §2), when the network is built.
//!
//! # Semantics
//!
//! - Indices. The connector works on positions in the pre and post selections (a whole
//!   population or a `PopulationView`); a `Connection` holds the *population* indices of its
//!   cells (`pre_cells[i]`, `post_cells[j]`). `FromListConnector` indices are positions in the
//!   selections, as in PyNN.
//! - Self-connections. A pair is a self-connection when both selections are views of the same
//!   population and the pre cell *is* the post cell (same population index), wherever it sits in
//!   either selection. With `allow_self_connections = false` those pairs are never made and never
//!   counted among the candidates (PyNN's default is `true`). `OneToOneConnector` and
//!   `FromListConnector` have no such flag and make every pair they name.
//! - `validate` only knows the sizes, so for `same_population` it assumes the worst case, that
//!   every cell of the smaller selection is also in the other one (for a whole population
//!   connected to itself this is exact). It may therefore reject a connector between two disjoint
//!   views of one population that asks for every single cell (e.g. `FixedNumberPreConnector`
//!   with `n` = size of the pre view, without replacement and without self-connections); it
//!   never accepts a connector that cannot be built, unless a view lists one cell several times.
//!   `generate` never fails: should a cell have fewer candidates than `n` (possible only with
//!   such repeated cells), it gets all of them (without replacement) or none (with replacement
//!   from an empty set).
//! - Without replacement, `n` may not exceed the number of candidates (SPEC §5). PyNN instead
//!   connects every candidate `n / candidates` times and then draws the remainder; that case is
//!   an error here.
//! - `FixedProbabilityConnector` makes each allowed pair independently with probability
//!   `p_connect`. Rather than one Bernoulli draw per pair it walks the pair sequence (pre-major:
//!   pre position 0 with every post position, then pre position 1, ...) in geometric jumps: the
//!   number of pairs skipped before the next connection is Geometric(p) (failures before the
//!   first success), which is exactly the law of the gap between successes in a sequence of
//!   independent Bernoulli(p) trials, so the set of pairs has the same distribution while the
//!   work is proportional to the number of connections. Excluded self-pairs are walked over like
//!   any other pair and simply not made (dropping independent trials does not change the law of
//!   the others). `p = 0` and `p = 1` are exact (nothing / everything) and draw nothing.
//! - `FixedNumberPreConnector`: each post cell, in selection order, draws `n` pre cells uniformly
//!   from its candidates, distinct unless `with_replacement`. `FixedNumberPostConnector`: the
//!   same with pre and post exchanged. `FixedTotalNumberConnector`: `n` pairs uniformly among all
//!   allowed pairs, distinct unless `with_replacement`.
//! - Order. The output is sorted by `(pre, post)` population indices with a stable sort, so
//!   repeated pairs (drawn with replacement, or listed twice) stay in the order they were drawn or
//!   listed, with their own weights and delays. The output depends only on the connector, the
//!   selections and the state of the stream: the same stream gives the same connections.
//! - Memory. Networks hold millions of connections while they are built, so `Connections`
//!   stores them in rows by presynaptic cell: 4 bytes per connection (8 from a connection list,
//!   which also keeps the entry index) plus 8 per presynaptic cell. While drawing, a connector
//!   needs about 12 bytes per connection of its own projection: the draws (8), then the sorted
//!   copy (4).

use rand::seq::index;
use rand::Rng;
use rand_distr::{Distribution, Geometric};

use super::random::{CellStreams, Side, StreamRng};
use super::Connector;

/// One connection, in population indices. A weight and delay can come only from a
/// `FromListConnector` entry (they override the synapse's): `entry` is that entry's index, read
/// back by [`Connection::weight`] and [`Connection::delay`]; `u32::MAX` for every other connector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Connection {
    /// Presynaptic cell (index in the pre population).
    pub pre: u32,
    /// Postsynaptic cell (index in the post population).
    pub post: u32,
    /// Index of the `FromListConnector` entry, or `u32::MAX`.
    pub entry: u32,
}

impl Connection {
    fn list_entry<'c>(&self, c: &'c Connector) -> Option<&'c (u32, u32, Option<f64>, Option<f64>)> {
        match c {
            Connector::FromList { conn_list } => conn_list.get(self.entry as usize),
            _ => None,
        }
    }

    /// The weight given by the connection list (nA), if any; `c` is the connector that made it.
    pub(crate) fn weight(&self, c: &Connector) -> Option<f64> {
        self.list_entry(c).and_then(|e| e.2)
    }

    /// The delay given by the connection list (ms), if any; `c` is the connector that made it.
    pub(crate) fn delay(&self, c: &Connector) -> Option<f64> {
        self.list_entry(c).and_then(|e| e.3)
    }
}

/// The connections of one projection, sorted stably by `(pre, post)` (see the module docs), in
/// rows: the connections of one presynaptic cell are consecutive, and only their post cells (and
/// list entries) are stored.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Connections {
    /// `(pre cell, number of its connections)` of each row; pre cells ascending and distinct,
    /// counts > 0.
    rows: Vec<(u32, u32)>,
    /// Post cell of each connection, row after row.
    post: Vec<u32>,
    /// `FromListConnector` entry index of each connection, parallel to `post`; empty for other
    /// connectors.
    entry: Vec<u32>,
    /// `(pre cell, count)`, pre cells ascending: how many connections of that cell onto targets
    /// before the kept ones were drawn and not kept ([`generate_by_cell`] of a
    /// `FixedNumberPostConnector`, whose weights and delays are drawn per source: the kept
    /// connections' values come after those). Empty otherwise.
    skipped: Vec<(u32, u32)>,
}

impl Connections {
    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.post.is_empty()
    }

    /// Number of connections.
    pub(crate) fn len(&self) -> usize {
        self.post.len()
    }

    /// How many connections of `pre`, onto targets before the kept ones, were drawn and not
    /// kept (see `skipped`).
    pub(crate) fn skipped(&self, pre: u32) -> u32 {
        match self.skipped.binary_search_by_key(&pre, |&(p, _)| p) {
            Ok(k) => self.skipped[k].1,
            Err(_) => 0,
        }
    }

    /// Every pre cell with connections, ascending, with the post cells of its connections.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (u32, &[u32])> + '_ {
        let mut start = 0;
        self.rows.iter().map(move |&(pre, n)| {
            let row = start..start + n as usize;
            start = row.end;
            (pre, &self.post[row])
        })
    }

    /// The connections in order: by `(pre, post)`, repeated pairs in draw or list order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Connection> + '_ {
        let pre = self
            .rows
            .iter()
            .flat_map(|&(pre, n)| std::iter::repeat_n(pre, n as usize));
        pre.zip(&self.post)
            .enumerate()
            .map(|(i, (pre, &post))| Connection {
                pre,
                post,
                entry: self.entry.get(i).copied().unwrap_or(u32::MAX),
            })
    }
}

/// Connections in the order a connector draws them (pre and post cells, and list entries for a
/// `FromListConnector`), to be sorted into [`Connections`].
struct Unsorted {
    pre: Vec<u32>,
    post: Vec<u32>,
    entry: Vec<u32>,
}

impl Unsorted {
    /// Room for the `n` connections expected (an estimate: should that much memory not be
    /// available, the vectors grow as needed instead); list entries are kept if `entries`.
    fn with_capacity(n: usize, entries: bool) -> Self {
        let room = |n: usize| {
            let mut v = Vec::new();
            let _ = v.try_reserve_exact(n);
            v
        };
        Unsorted {
            pre: room(n),
            post: room(n),
            entry: room(if entries { n } else { 0 }),
        }
    }

    fn push(&mut self, pre: u32, post: u32) {
        self.pre.push(pre);
        self.post.push(post);
    }

    /// Sorts stably by `(pre, post)`: by `pre` with a counting sort (O(n), draw order kept
    /// within each pre; nothing to do when drawn pre-major), then each row by `post` with the
    /// draw order (list entry) breaking ties. Several times faster than a comparison sort on
    /// millions of connections.
    fn into_sorted(self) -> Connections {
        let Unsorted { pre, post, entry } = self;
        let (rows, mut post, mut entry) = if pre.is_sorted() {
            let rows = pre
                .chunk_by(|a, b| a == b)
                .map(|run| (run[0], row_len(run.len())))
                .collect();
            drop(pre);
            (rows, post, entry)
        } else {
            let max_pre = pre.iter().copied().max().unwrap_or(0) as usize;
            let mut next = vec![0usize; max_pre + 2];
            for &p in &pre {
                next[p as usize + 1] += 1;
            }
            let rows = (next[1..].iter().enumerate())
                .filter(|&(_, &n)| n > 0)
                .map(|(p, &n)| (p as u32, row_len(n)))
                .collect();
            for i in 0..=max_pre {
                next[i + 1] += next[i];
            }
            let mut sorted_post = vec![0u32; post.len()];
            let mut sorted_entry = vec![0u32; entry.len()];
            if entry.is_empty() {
                for (&p, &q) in pre.iter().zip(&post) {
                    let at = &mut next[p as usize];
                    sorted_post[*at] = q;
                    *at += 1;
                }
            } else {
                for ((&p, &q), &e) in pre.iter().zip(&post).zip(&entry) {
                    let at = &mut next[p as usize];
                    sorted_post[*at] = q;
                    sorted_entry[*at] = e;
                    *at += 1;
                }
            }
            (rows, sorted_post, sorted_entry)
        };
        post.shrink_to_fit();
        entry.shrink_to_fit();
        let mut start = 0;
        let mut scratch = Vec::new();
        for &(_, n) in &rows {
            let row = start..start + n as usize;
            start = row.end;
            if post[row.clone()].is_sorted() {
                continue;
            }
            if entry.is_empty() {
                // equal posts are indistinguishable: any sort is the stable one
                post[row].sort_unstable();
            } else {
                // within a row, entries ascend in list order: sorting (post, entry) is stable
                scratch.clear();
                scratch.extend(
                    post[row.clone()]
                        .iter()
                        .copied()
                        .zip(entry[row.clone()].iter().copied()),
                );
                scratch.sort_unstable();
                for (k, &(p, e)) in row.zip(&scratch) {
                    post[k] = p;
                    entry[k] = e;
                }
            }
        }
        Connections {
            rows,
            post,
            entry,
            skipped: Vec::new(),
        }
    }
}

/// A row length as stored in [`Connections`].
fn row_len(n: usize) -> u32 {
    u32::try_from(n).expect("more than u32::MAX connections from one cell")
}

/// Checks that `c` can be built between a pre selection of `n_pre` cells and a post selection of
/// `n_post` cells (`same_population`: both are views of one population). Returns the offending
/// key and a one-sentence message. With `same_population` and self-connections excluded, the
/// selections are assumed to overlap as much as their sizes allow (see the module docs).
pub(crate) fn validate(
    c: &Connector,
    n_pre: usize,
    n_post: usize,
    same_population: bool,
) -> Result<(), (&'static str, String)> {
    let excludes = |allow_self: bool| same_population && !allow_self;
    let note = |excl: bool| {
        if excl {
            " (self-connections excluded)"
        } else {
            ""
        }
    };
    match c {
        Connector::AllToAll { .. } => Ok(()),
        Connector::OneToOne => {
            if n_pre != n_post {
                Err((
                    "connector",
                    format!(
                        "OneToOneConnector needs selections of equal size, got {n_pre} presynaptic and {n_post} postsynaptic cells"
                    ),
                ))
            } else {
                Ok(())
            }
        }
        Connector::FixedProbability { p_connect, .. } => {
            if p_connect.is_nan() || !(0.0..=1.0).contains(p_connect) {
                Err((
                    "p_connect",
                    format!("must be a probability in [0, 1], got {p_connect}"),
                ))
            } else {
                Ok(())
            }
        }
        Connector::FixedNumberPre {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let excl = excludes(*allow_self_connections);
            let candidates = n_pre.saturating_sub(usize::from(excl));
            check_count(*n, candidates, n_post > 0, *with_replacement).map_err(|why| {
                (
                    "n",
                    format!(
                        "each postsynaptic cell can receive from only {candidates} presynaptic cell(s){}, so n = {n} {why}",
                        note(excl)
                    ),
                )
            })
        }
        Connector::FixedNumberPost {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let excl = excludes(*allow_self_connections);
            let candidates = n_post.saturating_sub(usize::from(excl));
            check_count(*n, candidates, n_pre > 0, *with_replacement).map_err(|why| {
                (
                    "n",
                    format!(
                        "each presynaptic cell can project to only {candidates} postsynaptic cell(s){}, so n = {n} {why}",
                        note(excl)
                    ),
                )
            })
        }
        Connector::FixedTotalNumber {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let excl = excludes(*allow_self_connections);
            let pairs = n_pre as u128 * n_post as u128;
            let pairs = if excl {
                pairs - n_pre.min(n_post) as u128
            } else {
                pairs
            };
            let pairs = usize::try_from(pairs).unwrap_or(usize::MAX);
            check_count(*n, pairs, true, *with_replacement).map_err(|why| {
                (
                    "n",
                    format!(
                        "there are only {pairs} possible (pre, post) pairs{}, so n = {n} {why}",
                        note(excl)
                    ),
                )
            })
        }
        Connector::FromList { conn_list } => {
            for (k, &(pre, post, weight, delay)) in conn_list.iter().enumerate() {
                if pre as usize >= n_pre {
                    return Err((
                        "conn_list",
                        format!(
                            "entry {k}: presynaptic index {pre} is out of range, the presynaptic selection has {n_pre} cells (0..{n_pre})"
                        ),
                    ));
                }
                if post as usize >= n_post {
                    return Err((
                        "conn_list",
                        format!(
                            "entry {k}: postsynaptic index {post} is out of range, the postsynaptic selection has {n_post} cells (0..{n_post})"
                        ),
                    ));
                }
                for (what, x) in [("weight", weight), ("delay", delay)] {
                    if let Some(x) = x.filter(|x| !x.is_finite()) {
                        return Err((
                            "conn_list",
                            format!("entry {k}: the {what} must be a finite number, got {x}"),
                        ));
                    }
                }
            }
            Ok(())
        }
    }
}

/// `n` draws from `candidates` items, needed only if `needed` (some cell must be connected).
fn check_count(
    n: usize,
    candidates: usize,
    needed: bool,
    with_replacement: bool,
) -> Result<(), &'static str> {
    if !needed || n == 0 {
        Ok(())
    } else if candidates == 0 {
        Err("cannot be drawn, even with replacement")
    } else if !with_replacement && n > candidates {
        Err("is too many without replacement; lower n or set with_replacement = true")
    } else {
        Ok(())
    }
}

/// Draws the connections of `c` from the pre selection `pre_cells` to the post selection
/// `post_cells` (population indices; `same_population`: both are views of one population),
/// from `rng`, the projection's connector stream. Sorted stably by `(pre, post)`. The connector
/// should have passed [`validate`]; it never panics if not, see the module docs.
pub(crate) fn generate(
    c: &Connector,
    pre_cells: &[u32],
    post_cells: &[u32],
    same_population: bool,
    rng: &mut StreamRng,
) -> Connections {
    let is_self = |allow_self: bool| {
        let excl = same_population && !allow_self;
        move |pre: u32, post: u32| excl && pre == post
    };
    let (n_pre, n_post) = (pre_cells.len(), post_cells.len());
    let out = match c {
        Connector::AllToAll {
            allow_self_connections,
        } => {
            let is_self = is_self(*allow_self_connections);
            let mut out = Unsorted::with_capacity(n_pre.saturating_mul(n_post), false);
            for &pre in pre_cells {
                for &post in post_cells {
                    if !is_self(pre, post) {
                        out.push(pre, post);
                    }
                }
            }
            out
        }
        Connector::OneToOne => {
            let mut out = Unsorted::with_capacity(n_pre.min(n_post), false);
            for (&pre, &post) in pre_cells.iter().zip(post_cells) {
                out.push(pre, post);
            }
            out
        }
        Connector::FixedProbability {
            p_connect,
            allow_self_connections,
        } => {
            let is_self = is_self(*allow_self_connections);
            let n_post = n_post as u64;
            let total = n_pre as u64 * n_post;
            // the expected count plus six standard deviations: rarely outgrown
            let p = p_connect.clamp(0.0, 1.0);
            let mean = total as f64 * p;
            let room = (mean + 6.0 * (mean * (1.0 - p)).sqrt() + 16.0).min(total as f64);
            let mut out = Unsorted::with_capacity(room as usize, false);
            let mut push = |k: u64| {
                let (pre, post) = (
                    pre_cells[(k / n_post) as usize],
                    post_cells[(k % n_post) as usize],
                );
                if !is_self(pre, post) {
                    out.push(pre, post);
                }
            };
            if *p_connect >= 1.0 {
                (0..total).for_each(&mut push);
            } else if *p_connect > 0.0 {
                let gap = Geometric::new(*p_connect).expect("p_connect in (0, 1)");
                let mut k = gap.sample(rng);
                while k < total {
                    push(k);
                    k = k.saturating_add(1).saturating_add(gap.sample(rng));
                }
            }
            out
        }
        Connector::FixedNumberPre {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let pre_at = Positions::new(pre_cells, same_population && !allow_self_connections);
            let mut out = Unsorted::with_capacity(n.saturating_mul(n_post), false);
            for &post in post_cells {
                for i in draw(n_pre as u64, pre_at.of(post), *n, *with_replacement, rng) {
                    out.push(pre_cells[i as usize], post);
                }
            }
            out
        }
        Connector::FixedNumberPost {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let post_at = Positions::new(post_cells, same_population && !allow_self_connections);
            let mut out = Unsorted::with_capacity(n.saturating_mul(n_pre), false);
            for &pre in pre_cells {
                for j in draw(n_post as u64, post_at.of(pre), *n, *with_replacement, rng) {
                    out.push(pre, post_cells[j as usize]);
                }
            }
            out
        }
        Connector::FixedTotalNumber {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            // Pairs are numbered pre-major: k = i * n_post + j.
            let n_post = n_post as u64;
            let total = n_pre as u64 * n_post;
            let mut excluded = Vec::new();
            if same_population && !allow_self_connections {
                let post_at = Positions::new(post_cells, true);
                for (i, &pre) in pre_cells.iter().enumerate() {
                    excluded.extend(post_at.of(pre).iter().map(|&j| i as u64 * n_post + j));
                }
                excluded.sort_unstable();
            }
            let ks = draw(total, &excluded, *n, *with_replacement, rng);
            let mut out = Unsorted::with_capacity(ks.len(), false);
            for k in ks {
                out.push(
                    pre_cells[(k / n_post) as usize],
                    post_cells[(k % n_post) as usize],
                );
            }
            out
        }
        Connector::FromList { conn_list } => {
            let mut out = Unsorted::with_capacity(conn_list.len(), true);
            for (k, &(i, j, _, _)) in conn_list.iter().enumerate() {
                if let (Some(&pre), Some(&post)) =
                    (pre_cells.get(i as usize), post_cells.get(j as usize))
                {
                    out.push(pre, post);
                    out.entry.push(k as u32);
                }
            }
            out
        }
    };
    out.into_sorted()
}

/// The connections of `c` under seeding version 2 (SPEC §7): like [`generate`] (same selections,
/// same laws, same output order), but drawn from one stream per cell, so that the connections
/// onto a cell do not depend on which other cells are drawn; only connections onto the post
/// cells in `keep` (indices in the post population) are made. `purpose` is the projection's
/// `projection:{label}/connector`; the streams are those of `network::random::stream`:
///
/// - `FixedProbabilityConnector`: each kept target position, from the stream
///   `{purpose}/post:{j}` (`j` its cell), walks the pre positions 0, 1, ... in geometric jumps
///   (one Bernoulli(p) trial per pre position, as in [`generate`]: the law of the set is that of
///   independent trials, the work proportional to the connections). Excluded self-pairs are
///   walked over and not made.
/// - `FixedNumberPreConnector`: each kept target position draws its `n` pre positions from
///   `{purpose}/post:{j}`, as [`generate`] draws them from the projection's stream.
/// - `FixedNumberPostConnector`: every source position draws its `n` post positions from
///   `{purpose}/pre:{i}` (`i` its cell); only connections onto kept targets are made, and the
///   number of each source's connections onto targets before `keep` is kept
///   ([`Connections::skipped`]: its weights and delays are drawn per source, and the kept
///   connections' come after those). So drawing a part of the targets still draws for every
///   source: O(n_pre · n) work on every part, but the memory is only the kept connections'.
/// - `FixedTotalNumberConnector`: the `n` pairs are a draw among all pairs, inherently global:
///   drawn from the one stream `purpose` exactly as [`generate`] draws them (so as under
///   seeding version 1), on every part, then only the kept targets' connections are made.
/// - `AllToAllConnector`, `OneToOneConnector`, `FromListConnector`: no draws; the kept targets'
///   connections.
///
/// A cell listed at several positions of a selection draws for each position in turn, in
/// selection order, from its one stream (so a view repeating a cell does not repeat its
/// draws). Drawing every target cell (`keep` covering the population) and then keeping those of
/// a range gives exactly the connections drawn for that range alone.
pub(crate) fn generate_by_cell(
    c: &Connector,
    pre_cells: &[u32],
    post_cells: &[u32],
    same_population: bool,
    keep: std::ops::Range<u32>,
    seed: u64,
    purpose: &str,
) -> Connections {
    let kept = |post: u32| keep.contains(&post);
    let is_self = |allow_self: bool| {
        let excl = same_population && !allow_self;
        move |pre: u32, post: u32| excl && pre == post
    };
    let n_pre = pre_cells.len();
    let targets = by_cell(post_cells, &keep);
    let out = match c {
        Connector::AllToAll {
            allow_self_connections,
        } => {
            let is_self = is_self(*allow_self_connections);
            let mut out = Unsorted::with_capacity(n_pre.saturating_mul(targets.len()), false);
            for &(post, _) in &targets {
                for &pre in pre_cells {
                    if !is_self(pre, post) {
                        out.push(pre, post);
                    }
                }
            }
            out
        }
        Connector::OneToOne => {
            let mut out = Unsorted::with_capacity(targets.len(), false);
            for (&pre, &post) in pre_cells.iter().zip(post_cells) {
                if kept(post) {
                    out.push(pre, post);
                }
            }
            out
        }
        Connector::FixedProbability {
            p_connect,
            allow_self_connections,
        } => {
            let is_self = is_self(*allow_self_connections);
            let p = p_connect.clamp(0.0, 1.0);
            let total = n_pre as f64 * targets.len() as f64;
            let mean = total * p;
            let room = (mean + 6.0 * (mean * (1.0 - p)).sqrt() + 16.0).min(total);
            let mut out = Unsorted::with_capacity(room as usize, false);
            let mut streams = CellStreams::new(seed, purpose, Side::Post);
            for_each_in_turn(&targets, &mut streams, |post, rng| {
                bernoulli_walk(*p_connect, n_pre, rng, |i| {
                    let pre = pre_cells[i];
                    if !is_self(pre, post) {
                        out.push(pre, post);
                    }
                    true
                });
            });
            out
        }
        Connector::FixedNumberPre {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let pre_at = Positions::new(pre_cells, same_population && !allow_self_connections);
            let mut out = Unsorted::with_capacity(n.saturating_mul(targets.len()), false);
            let mut streams = CellStreams::new(seed, purpose, Side::Post);
            for_each_in_turn(&targets, &mut streams, |post, rng| {
                for i in draw(n_pre as u64, pre_at.of(post), *n, *with_replacement, rng) {
                    out.push(pre_cells[i as usize], post);
                }
            });
            out
        }
        Connector::FixedNumberPost {
            n,
            allow_self_connections,
            with_replacement,
        } => {
            let n_post = post_cells.len();
            let post_at = Positions::new(post_cells, same_population && !allow_self_connections);
            // the kept share of the connections, expected
            let share = targets.len() as f64 / n_post.max(1) as f64;
            let room = (n.saturating_mul(n_pre) as f64 * share * 1.1) as usize + 16;
            let mut out = Unsorted::with_capacity(room, false);
            let sources = by_cell(pre_cells, &(0..u32::MAX));
            let mut streams = CellStreams::new(seed, purpose, Side::Pre);
            let mut skipped: Vec<(u32, u32)> = Vec::new();
            for_each_in_turn(&sources, &mut streams, |pre, rng| {
                let mut before = 0;
                for j in draw(n_post as u64, post_at.of(pre), *n, *with_replacement, rng) {
                    let post = post_cells[j as usize];
                    if kept(post) {
                        out.push(pre, post);
                    } else if post < keep.start {
                        before += 1;
                    }
                }
                match skipped.last_mut() {
                    _ if before == 0 => {}
                    Some((p, count)) if *p == pre => *count += before,
                    _ => skipped.push((pre, before)),
                }
            });
            let mut conns = out.into_sorted();
            conns.skipped = skipped;
            return conns;
        }
        Connector::FixedTotalNumber { .. } => {
            // a global draw, as under seeding version 1, then the kept targets
            let all = generate(
                c,
                pre_cells,
                post_cells,
                same_population,
                &mut super::random::stream(seed, purpose),
            );
            if post_cells.iter().all(|&post| kept(post)) {
                return all;
            }
            let mut out = Unsorted::with_capacity(0, false);
            for (pre, posts) in all.rows() {
                for &post in posts.iter().filter(|&&post| kept(post)) {
                    out.push(pre, post);
                }
            }
            out
        }
        Connector::FromList { conn_list } => {
            let mut out = Unsorted::with_capacity(conn_list.len().min(1 << 20), true);
            for (k, &(i, j, _, _)) in conn_list.iter().enumerate() {
                if let (Some(&pre), Some(&post)) =
                    (pre_cells.get(i as usize), post_cells.get(j as usize))
                {
                    if kept(post) {
                        out.push(pre, post);
                        out.entry.push(k as u32);
                    }
                }
            }
            out
        }
    };
    out.into_sorted()
}

/// Whether `c` makes at least one connection between the whole selections under seeding
/// version 2: `!generate_by_cell(c, ..., keep = every post cell).is_empty()`, without drawing
/// the connections (only `FixedProbabilityConnector` draws, target after target until one
/// connects). A part of a network needs it to say, as the whole network does, whether a
/// population receives synaptic input.
pub(crate) fn connects_any(
    c: &Connector,
    pre_cells: &[u32],
    post_cells: &[u32],
    same_population: bool,
    seed: u64,
    purpose: &str,
) -> bool {
    let (n_pre, n_post) = (pre_cells.len(), post_cells.len());
    // some pair is allowed: with self-connections excluded, unless every cell is one cell
    let some_pair = |allow_self: bool| {
        n_pre > 0
            && n_post > 0
            && (!same_population
                || allow_self
                || !pre_cells
                    .iter()
                    .chain(post_cells)
                    .all(|&cell| cell == pre_cells[0]))
    };
    match c {
        Connector::AllToAll {
            allow_self_connections,
        } => some_pair(*allow_self_connections),
        Connector::OneToOne => n_pre.min(n_post) > 0,
        Connector::FromList { conn_list } => conn_list
            .iter()
            .any(|&(i, j, _, _)| (i as usize) < n_pre && (j as usize) < n_post),
        Connector::FixedNumberPre {
            n,
            allow_self_connections,
            ..
        } => {
            let pre_at = Positions::new(pre_cells, same_population && !allow_self_connections);
            *n > 0 && post_cells.iter().any(|&post| pre_at.of(post).len() < n_pre)
        }
        Connector::FixedNumberPost {
            n,
            allow_self_connections,
            ..
        } => {
            let post_at = Positions::new(post_cells, same_population && !allow_self_connections);
            *n > 0 && pre_cells.iter().any(|&pre| post_at.of(pre).len() < n_post)
        }
        Connector::FixedTotalNumber {
            n,
            allow_self_connections,
            ..
        } => {
            let post_at = Positions::new(post_cells, same_population && !allow_self_connections);
            let excluded: u64 = pre_cells
                .iter()
                .map(|&pre| post_at.of(pre).len() as u64)
                .sum();
            *n > 0 && (n_pre as u64 * n_post as u64) > excluded
        }
        Connector::FixedProbability {
            p_connect,
            allow_self_connections,
        } => {
            let excl = same_population && !allow_self_connections;
            if *p_connect <= 0.0 {
                return false;
            }
            if *p_connect >= 1.0 {
                return some_pair(*allow_self_connections);
            }
            let targets = by_cell(post_cells, &(0..u32::MAX));
            let mut streams = CellStreams::new(seed, purpose, Side::Post);
            let mut any = false;
            for cell in targets.chunk_by(|a, b| a.0 == b.0) {
                let post = cell[0].0;
                let mut rng = streams.of(post);
                for _ in cell {
                    bernoulli_walk(*p_connect, n_pre, &mut rng, |i| {
                        any = !(excl && pre_cells[i] == post);
                        !any
                    });
                    if any {
                        return true;
                    }
                }
            }
            false
        }
    }
}

/// The positions of `selection` whose cell is in `keep`, as `(cell, position)`, sorted by cell
/// then position: the order in which seeding version 2 draws them.
fn by_cell(selection: &[u32], keep: &std::ops::Range<u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = (selection.iter().enumerate())
        .filter(|&(_, cell)| keep.contains(cell))
        .map(|(k, &cell)| (cell, k as u32))
        .collect();
    if !out.is_sorted() {
        out.sort_unstable();
    }
    out
}

/// Calls `f(cell, stream)` for each of `positions` (from [`by_cell`]), the stream of the cell
/// made once and shared, in turn, by the positions of that cell.
fn for_each_in_turn(
    positions: &[(u32, u32)],
    streams: &mut CellStreams,
    mut f: impl FnMut(u32, &mut StreamRng),
) {
    for cell in positions.chunk_by(|a, b| a.0 == b.0) {
        let mut rng = streams.of(cell[0].0);
        for _ in cell {
            f(cell[0].0, &mut rng);
        }
    }
}

/// One Bernoulli(`p`) trial for each of the positions `0..n`, in order, in geometric jumps (the
/// number of failures before the next success is Geometric(p)): calls `hit(i)` for each
/// success `i` while it returns true. `p >= 1`: every position, `p <= 0`: none, and no draws.
fn bernoulli_walk(p: f64, n: usize, rng: &mut StreamRng, mut hit: impl FnMut(usize) -> bool) {
    let n = n as u64;
    if p >= 1.0 {
        for i in 0..n {
            if !hit(i as usize) {
                return;
            }
        }
    } else if p > 0.0 {
        let gap = Geometric::new(p).expect("p_connect in (0, 1)");
        let mut k = gap.sample(rng);
        while k < n {
            if !hit(k as usize) {
                return;
            }
            k = k.saturating_add(1).saturating_add(gap.sample(rng));
        }
    }
}

/// Where each cell sits in a selection (sorted by cell, then position), to find the positions
/// excluded as self-connections of a given cell. Empty when nothing is excluded.
struct Positions {
    cells: Vec<u32>,
    positions: Vec<u64>,
}

impl Positions {
    fn new(selection: &[u32], exclude_self: bool) -> Self {
        let mut by_cell: Vec<(u32, u64)> = if exclude_self {
            selection
                .iter()
                .enumerate()
                .map(|(k, &c)| (c, k as u64))
                .collect()
        } else {
            Vec::new()
        };
        by_cell.sort_unstable();
        let (cells, positions) = by_cell.into_iter().unzip();
        Positions { cells, positions }
    }

    /// The positions of `cell`, ascending (empty if not there or nothing is excluded).
    fn of(&self, cell: u32) -> &[u64] {
        let lo = self.cells.partition_point(|&c| c < cell);
        let hi = self.cells.partition_point(|&c| c <= cell);
        &self.positions[lo..hi]
    }
}

/// Draws `n` of the indices `0..len` other than `excluded` (ascending, distinct, all < `len`),
/// uniformly, distinct unless `with_replacement`; fewer if there are not enough (see the module
/// docs).
fn draw(
    len: u64,
    excluded: &[u64],
    n: usize,
    with_replacement: bool,
    rng: &mut StreamRng,
) -> Vec<u64> {
    let candidates = len - excluded.len() as u64;
    if candidates == 0 || n == 0 {
        Vec::new()
    } else if with_replacement {
        (0..n)
            .map(|_| nth_candidate(rng.random_range(0..candidates), excluded))
            .collect()
    } else {
        let length = usize::try_from(candidates).expect("more candidates than the address space");
        let amount = n.min(length);
        index::sample(rng, length, amount)
            .into_iter()
            .map(|r| nth_candidate(r as u64, excluded))
            .collect()
    }
}

/// The `r`-th (from 0) index that is not in `excluded` (ascending, distinct). The `t`-th excluded
/// index `e_t` has `e_t - t` candidates before it, a non-decreasing sequence: the answer is `r`
/// plus the number of excluded indices with `e_t - t <= r`, found by bisection.
fn nth_candidate(r: u64, excluded: &[u64]) -> u64 {
    let (mut lo, mut hi) = (0, excluded.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if excluded[mid] - mid as u64 <= r {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    r + lo as u64
}

#[cfg(test)]
mod tests {
    use super::super::random::stream;
    use super::*;
    use std::collections::BTreeSet;

    fn cells(n: u32) -> Vec<u32> {
        (0..n).collect()
    }

    fn run(c: &Connector, pre: &[u32], post: &[u32], same: bool, seed: u64) -> Vec<Connection> {
        let out: Vec<_> = generate(c, pre, post, same, &mut stream(seed, "test"))
            .iter()
            .collect();
        assert!(
            out.windows(2)
                .all(|w| (w[0].pre, w[0].post) <= (w[1].pre, w[1].post)),
            "not sorted"
        );
        assert!(out.iter().all(|x| x.entry == u32::MAX) || matches!(c, Connector::FromList { .. }));
        out
    }

    fn pairs(out: &[Connection]) -> Vec<(u32, u32)> {
        out.iter().map(|c| (c.pre, c.post)).collect()
    }

    fn fnpre(n: usize, allow: bool, repl: bool) -> Connector {
        Connector::FixedNumberPre {
            n,
            allow_self_connections: allow,
            with_replacement: repl,
        }
    }
    fn fnpost(n: usize, allow: bool, repl: bool) -> Connector {
        Connector::FixedNumberPost {
            n,
            allow_self_connections: allow,
            with_replacement: repl,
        }
    }
    fn ftotal(n: usize, allow: bool, repl: bool) -> Connector {
        Connector::FixedTotalNumber {
            n,
            allow_self_connections: allow,
            with_replacement: repl,
        }
    }
    fn fprob(p: f64, allow: bool) -> Connector {
        Connector::FixedProbability {
            p_connect: p,
            allow_self_connections: allow,
        }
    }

    #[test]
    fn all_to_all_and_self_connections() {
        let all = |allow| Connector::AllToAll {
            allow_self_connections: allow,
        };
        assert_eq!(run(&all(true), &cells(3), &cells(4), false, 1).len(), 12);
        // One population onto itself: exactly the diagonal goes.
        let with = pairs(&run(&all(true), &cells(5), &cells(5), true, 1));
        let without = pairs(&run(&all(false), &cells(5), &cells(5), true, 1));
        assert_eq!(with.len(), 25);
        let expected: Vec<_> = with.iter().copied().filter(|(i, j)| i != j).collect();
        assert_eq!(without, expected);
        // Two populations: equal indices are different cells, nothing excluded.
        assert_eq!(run(&all(false), &cells(5), &cells(5), false, 1).len(), 25);
        // Views of one population: the shared cell 2 only, whatever its positions.
        let out = pairs(&run(&all(false), &[0, 1, 2], &[2, 3], true, 1));
        assert_eq!(out, vec![(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
    }

    #[test]
    fn one_to_one_uses_population_indices() {
        let out = pairs(&run(&Connector::OneToOne, &[7, 5, 6], &[0, 1, 2], false, 1));
        assert_eq!(out, vec![(5, 1), (6, 2), (7, 0)]);
        // No flag: a cell of one population connects to itself.
        assert_eq!(
            run(&Connector::OneToOne, &cells(4), &cells(4), true, 1).len(),
            4
        );
    }

    #[test]
    fn fixed_probability_counts() {
        let (pre, post) = (cells(200), cells(200));
        let within = |k: usize, pairs: f64, p: f64| {
            let (mean, sd) = (pairs * p, (pairs * p * (1.0 - p)).sqrt());
            assert!(
                (k as f64 - mean).abs() <= 5.0 * sd,
                "{k} connections, expected {mean} ± {sd}"
            );
        };
        for seed in 0..5 {
            let out = run(&fprob(0.1, true), &pre, &post, true, seed);
            within(out.len(), 40000.0, 0.1);
            assert_eq!(
                pairs(&out).into_iter().collect::<BTreeSet<_>>().len(),
                out.len(),
                "duplicates"
            );
            let out = run(&fprob(0.1, false), &pre, &post, true, seed);
            within(out.len(), 39800.0, 0.1);
            assert!(out.iter().all(|c| c.pre != c.post));
        }
        assert_eq!(run(&fprob(0.0, true), &pre, &post, true, 1).len(), 0);
        assert_eq!(run(&fprob(1.0, true), &pre, &post, true, 1).len(), 40000);
        let full = run(&fprob(1.0, false), &pre, &post, true, 1);
        assert_eq!(full.len(), 39800);
        assert!(full.iter().all(|c| c.pre != c.post));
    }

    /// The geometric jumps give every pair (first, last, any) probability p, independently of
    /// its place in the sequence.
    #[test]
    fn fixed_probability_is_uniform_over_pairs() {
        let (p, reps) = (0.3, 4000);
        let mut hits = [[0usize; 6]; 5];
        let mut rng = stream(9, "test");
        for _ in 0..reps {
            for c in generate(&fprob(p, true), &cells(5), &cells(6), false, &mut rng).iter() {
                hits[c.pre as usize][c.post as usize] += 1;
            }
        }
        let sd = (reps as f64 * p * (1.0 - p)).sqrt();
        for row in hits {
            for h in row {
                assert!(
                    (h as f64 - reps as f64 * p).abs() <= 5.0 * sd,
                    "{h} of {reps}"
                );
            }
        }
    }

    #[test]
    fn fixed_number_pre() {
        let out = run(&fnpre(5, true, false), &cells(20), &[3, 9, 11], false, 2);
        assert_eq!(out.len(), 15);
        for post in [3, 9, 11] {
            let pres: Vec<_> = out
                .iter()
                .filter(|c| c.post == post)
                .map(|c| c.pre)
                .collect();
            assert_eq!(
                pres.iter().collect::<BTreeSet<_>>().len(),
                5,
                "distinct pres of {post}"
            );
        }
        // Every other cell when n = size - 1 without self-connections.
        let out = run(&fnpre(9, false, false), &cells(10), &cells(10), true, 2);
        let expected: Vec<_> = (0..10)
            .flat_map(|i| (0..10).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .collect();
        assert_eq!(pairs(&out), expected);
        // With replacement: n may exceed the candidates, never a self-connection.
        let out = run(&fnpre(30, false, true), &cells(10), &cells(10), true, 2);
        for post in 0..10 {
            assert_eq!(out.iter().filter(|c| c.post == post).count(), 30);
        }
        assert!(out.iter().all(|c| c.pre != c.post));
        assert!(pairs(&out).into_iter().collect::<BTreeSet<_>>().len() < out.len());
        // Views: the excluded pre is the post cell itself, wherever it is in the pre view.
        let out = run(&fnpre(2, false, false), &[4, 7, 1], &[7, 1], true, 2);
        assert_eq!(pairs(&out), vec![(1, 7), (4, 1), (4, 7), (7, 1)]);
    }

    #[test]
    fn fixed_number_post() {
        let out = run(&fnpost(4, true, false), &[0, 2], &cells(12), false, 3);
        assert_eq!(out.len(), 8);
        for pre in [0, 2] {
            let posts: BTreeSet<_> = out
                .iter()
                .filter(|c| c.pre == pre)
                .map(|c| c.post)
                .collect();
            assert_eq!(posts.len(), 4);
        }
        let out = run(&fnpost(6, false, false), &cells(7), &cells(7), true, 3);
        assert_eq!(out.len(), 42);
        assert!(out.iter().all(|c| c.pre != c.post));
        let out = run(&fnpost(12, true, true), &cells(3), &cells(2), false, 3);
        assert_eq!(out.len(), 36);
    }

    #[test]
    fn fixed_total_number() {
        let out = run(&ftotal(100, true, false), &cells(30), &cells(40), false, 4);
        assert_eq!(out.len(), 100);
        assert_eq!(pairs(&out).into_iter().collect::<BTreeSet<_>>().len(), 100);
        assert_eq!(
            run(&ftotal(100, true, true), &cells(30), &cells(40), false, 4).len(),
            100
        );
        assert_eq!(
            run(&ftotal(0, true, true), &cells(30), &cells(40), false, 4).len(),
            0
        );
        // Every allowed pair: all but the diagonal.
        let out = run(&ftotal(20, false, false), &cells(5), &cells(5), true, 4);
        let expected: Vec<_> = (0..5)
            .flat_map(|i| (0..5).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .collect();
        assert_eq!(pairs(&out), expected);
        let out = run(&ftotal(500, false, true), &cells(5), &[3, 4, 5, 6], true, 4);
        assert_eq!(out.len(), 500);
        assert!(out.iter().all(|c| c.pre != c.post));
    }

    #[test]
    fn from_list_keeps_list_order_for_duplicates() {
        let c = Connector::FromList {
            conn_list: vec![
                (1, 0, Some(0.5), Some(2.0)),
                (0, 1, None, None),
                (1, 0, Some(0.1), None),
            ],
        };
        assert!(validate(&c, 2, 2, false).is_ok());
        let out = generate(&c, &[10, 20], &[5, 6], false, &mut stream(1, "test"));
        let seen: Vec<_> = out
            .iter()
            .map(|x| (x.pre, x.post, x.weight(&c), x.delay(&c)))
            .collect();
        assert_eq!(
            seen,
            vec![
                (10, 6, None, None),
                (20, 5, Some(0.5), Some(2.0)),
                (20, 5, Some(0.1), None)
            ]
        );
    }

    /// Rows by pre cell, posts ascending within a row, repeated pairs in list order, whether
    /// the list comes pre-major or not.
    #[test]
    fn connections_are_stored_in_rows() {
        let pair = |i, j| (i, j, None, None);
        for (conn_list, entries) in [
            (
                vec![pair(0, 2), pair(0, 0), pair(0, 2), pair(2, 1)],
                [1, 0, 2, 3],
            ),
            (
                vec![pair(2, 1), pair(0, 2), pair(0, 0), pair(0, 2)],
                [2, 1, 3, 0],
            ),
        ] {
            let c = Connector::FromList { conn_list };
            let out = generate(&c, &[4, 5, 6], &[7, 8, 9], false, &mut stream(1, "test"));
            assert_eq!(out.len(), 4);
            let rows: Vec<_> = out.rows().map(|(pre, post)| (pre, post.to_vec())).collect();
            assert_eq!(rows, vec![(4, vec![7, 9, 9]), (6, vec![8])]);
            assert_eq!(out.iter().map(|x| x.entry).collect::<Vec<_>>(), entries);
        }
    }

    #[test]
    fn determinism() {
        let (pre, post) = (cells(50), cells(60));
        for c in [
            fprob(0.2, false),
            fnpre(7, false, false),
            fnpre(7, true, true),
            fnpost(9, false, false),
            ftotal(300, false, false),
            ftotal(300, true, true),
        ] {
            let a = run(&c, &pre, &post, true, 11);
            assert_eq!(a, run(&c, &pre, &post, true, 11), "{c:?}");
            assert_ne!(a, run(&c, &pre, &post, true, 12), "{c:?}");
        }
    }

    /// Seeding version 2 draws per cell: the connections drawn onto the targets of any range
    /// are exactly the whole network's connections onto them, so contiguous parts together
    /// give the whole; and [`connects_any`] says whether the whole has a connection.
    #[test]
    fn by_cell_parts_make_the_whole() {
        let conns = |c: &Connector, pre: &[u32], post: &[u32], keep, seed| -> Vec<Connection> {
            generate_by_cell(c, pre, post, true, keep, seed, "projection:p/connector")
                .iter()
                .collect()
        };
        let views: [(&[u32], &[u32]); 3] = [
            (
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            ),
            (&[9, 2, 2, 5, 0, 7], &[3, 3, 8, 1, 0, 9, 2]),
            (&[4], &[4]),
        ];
        for seed in 0..6 {
            for c in [
                fprob(0.3, false),
                fprob(0.05, true),
                fprob(1.0, false),
                fprob(0.0, true),
                fnpre(3, false, false),
                fnpre(4, true, true),
                fnpost(2, false, false),
                fnpost(5, false, true),
                ftotal(12, false, false),
                ftotal(30, true, true),
                Connector::AllToAll {
                    allow_self_connections: false,
                },
                Connector::OneToOne,
            ] {
                for (pre, post) in views {
                    if validate(&c, pre.len(), post.len(), true).is_err()
                        && !matches!(c, Connector::OneToOne)
                    {
                        continue;
                    }
                    let whole = conns(&c, pre, post, 0..u32::MAX, seed);
                    let any = connects_any(&c, pre, post, true, seed, "projection:p/connector");
                    assert_eq!(any, !whole.is_empty(), "{c:?} {pre:?} {post:?}");
                    for cuts in [[0, 0, 12], [0, 4, 12], [0, 9, 12], [3, 5, 7]] {
                        let mut parts = conns(&c, pre, post, cuts[0]..cuts[1], seed);
                        parts.extend(conns(&c, pre, post, cuts[1]..cuts[2], seed));
                        let in_range = |x: &Connection| (cuts[0]..cuts[2]).contains(&x.post);
                        let mut expected: Vec<_> = whole.iter().copied().filter(in_range).collect();
                        let key = |x: &Connection| (x.post, x.pre);
                        // each part is sorted; together, compare cell by cell
                        parts.sort_by_key(key);
                        expected.sort_by_key(key);
                        assert_eq!(parts, expected, "{c:?} {pre:?} {post:?} {cuts:?}");
                    }
                }
            }
        }
    }

    /// Seeding version 2's `FixedProbabilityConnector` (a stream per target, geometric jumps
    /// over the pre cells) gives every pair probability p, whatever its place.
    #[test]
    fn by_cell_fixed_probability_is_uniform_over_pairs() {
        let (p, reps) = (0.3, 4000);
        let mut hits = [[0usize; 6]; 5];
        for seed in 0..reps {
            let out = generate_by_cell(
                &fprob(p, true),
                &cells(5),
                &cells(6),
                false,
                0..6,
                seed,
                "c",
            );
            for c in out.iter() {
                hits[c.pre as usize][c.post as usize] += 1;
            }
        }
        let sd = (reps as f64 * p * (1.0 - p)).sqrt();
        for row in hits {
            for h in row {
                assert!(
                    (h as f64 - reps as f64 * p).abs() <= 5.0 * sd,
                    "{h} of {reps}"
                );
            }
        }
    }

    #[test]
    fn nth_candidate_skips_excluded() {
        let excluded = [0, 3, 4, 9];
        let brute: Vec<u64> = (0..12).filter(|k| !excluded.contains(k)).collect();
        for (r, &k) in brute.iter().enumerate() {
            assert_eq!(nth_candidate(r as u64, &excluded), k);
        }
    }

    /// A view listing a cell twice leaves it fewer candidates than validate assumed: generate
    /// gives what it can and does not panic.
    #[test]
    fn repeated_cells_do_not_panic() {
        let out = run(&fnpre(2, false, false), &[0, 0, 1], &[0], true, 1);
        assert_eq!(pairs(&out), vec![(1, 0)]);
        assert!(run(&fnpre(2, false, true), &[0, 0], &[0], true, 1).is_empty());
    }

    #[test]
    fn validate_rejects_impossible_connectors() {
        let key =
            |c: &Connector, n_pre, n_post, same| validate(c, n_pre, n_post, same).unwrap_err().0;
        for p in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            assert_eq!(key(&fprob(p, true), 3, 3, false), "p_connect");
        }
        assert!(validate(&fprob(0.0, true), 3, 3, false).is_ok());
        assert!(validate(&fprob(1.0, true), 3, 3, false).is_ok());
        assert_eq!(key(&Connector::OneToOne, 3, 4, false), "connector");
        assert!(validate(&Connector::OneToOne, 4, 4, true).is_ok());

        // FixedNumberPre: n <= n_pre, or n_pre - 1 without self-connections in one population.
        assert_eq!(key(&fnpre(6, true, false), 5, 3, false), "n");
        assert!(validate(&fnpre(5, true, false), 5, 3, false).is_ok());
        assert!(validate(&fnpre(5, false, false), 5, 3, false).is_ok());
        assert_eq!(key(&fnpre(5, false, false), 5, 5, true), "n");
        assert!(validate(&fnpre(4, false, false), 5, 5, true).is_ok());
        assert!(validate(&fnpre(5, true, false), 5, 5, true).is_ok());
        assert!(validate(&fnpre(50, false, true), 5, 5, true).is_ok());
        assert_eq!(key(&fnpre(1, true, true), 0, 5, false), "n");
        assert_eq!(key(&fnpre(1, false, true), 1, 1, true), "n");
        assert!(validate(&fnpre(0, false, false), 1, 1, true).is_ok());

        assert_eq!(key(&fnpost(6, true, false), 3, 5, false), "n");
        assert_eq!(key(&fnpost(5, false, false), 5, 5, true), "n");
        assert!(validate(&fnpost(4, false, false), 5, 5, true).is_ok());
        assert_eq!(key(&fnpost(2, true, true), 4, 0, false), "n");

        assert_eq!(key(&ftotal(13, true, false), 3, 4, false), "n");
        assert!(validate(&ftotal(12, true, false), 3, 4, false).is_ok());
        assert_eq!(key(&ftotal(13, false, false), 4, 4, true), "n");
        assert!(validate(&ftotal(12, false, false), 4, 4, true).is_ok());
        assert!(validate(&ftotal(1000, false, true), 4, 4, true).is_ok());
        assert_eq!(key(&ftotal(1, false, true), 1, 1, true), "n");
        assert_eq!(key(&ftotal(1, true, true), 0, 4, false), "n");

        let list =
            |l: Vec<(u32, u32, Option<f64>, Option<f64>)>| Connector::FromList { conn_list: l };
        let err = validate(
            &list(vec![(0, 0, None, None), (3, 0, None, None)]),
            3,
            3,
            false,
        )
        .unwrap_err();
        assert_eq!(err.0, "conn_list");
        assert!(
            err.1.contains("entry 1") && err.1.contains("3 cells"),
            "{}",
            err.1
        );
        let err = validate(&list(vec![(0, 7, None, None)]), 3, 5, false).unwrap_err();
        assert!(
            err.1.contains("entry 0") && err.1.contains("5 cells"),
            "{}",
            err.1
        );
        assert_eq!(
            key(&list(vec![(0, 0, Some(f64::NAN), None)]), 1, 1, false),
            "conn_list"
        );
        assert_eq!(
            key(
                &list(vec![(0, 0, Some(1.0), Some(f64::INFINITY))]),
                1,
                1,
                false
            ),
            "conn_list"
        );
        assert!(validate(&list(vec![(0, 0, Some(-1.0), Some(1.0))]), 1, 1, false).is_ok());
    }
}
