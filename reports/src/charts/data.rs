//! Turns a results model into what the charts draw: per-node step series,
//! leader spans, fault spans and disruption points, each checked against
//! the run (node ids in 1..=nodes, times inside the run). A results file
//! that does not fit is rejected here with the JSON path of the bad value,
//! so no chart ever panics or draws nonsense on hand-edited input.

use sim_core::faults::FaultKind;
use sim_core::metrics::Series;
use sim_core::node::{NodeId, NodeSet};
use sim_core::results::{Results, VariantResult};

use super::ChartError;
use crate::table::stopped_at_ms;

/// Limits on what a chart can lay out legibly (and in bounded time).
pub const MAX_NODES: u64 = 64;
pub const MAX_VARIANTS: usize = 32;

/// Everything the charts need, already checked.
pub struct ChartData<'a> {
    pub results: &'a Results,
    pub nodes: u32,
    pub duration_ms: f64,
    pub variants: Vec<VariantData<'a>>,
}

pub struct VariantData<'a> {
    pub result: &'a VariantResult,
    /// When the run stopped: its duration, or earlier when a safety
    /// violation stopped it (`table::stopped_at_ms`).
    pub end_ms: f64,
    /// Per node (index 0 = node 1): (at_ms, term) changes, starting at 0 ms.
    pub terms: Vec<Vec<(f64, u64)>>,
    pub leaders: Vec<LeaderSpan>,
    pub faults: Vec<FaultSpan>,
    pub disruptions: Vec<Disruption>,
    /// Per node (index 0 = node 1): the stretches `(from_ms, to_ms)` it was
    /// outside the committed configuration (neither voter nor learner): a
    /// spare not yet added, or a server removed.
    pub outside: Vec<Vec<(f64, f64)>>,
}

/// Who was effective leader from `from_ms` to `to_ms` (None: nobody).
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderSpan {
    pub from_ms: f64,
    pub to_ms: f64,
    pub leader: Option<u32>,
    pub term: Option<u64>,
}

/// A fault to shade (`to_ms` is Some) or an instant event to mark.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpan {
    pub from_ms: f64,
    pub to_ms: Option<f64>,
    pub kind: FaultKind,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Disruption {
    pub at_ms: f64,
    /// The leader that stepped down.
    pub node: u32,
    pub term: u64,
}

fn invalid(path: String, reason: impl Into<String>) -> ChartError {
    ChartError::Invalid {
        path,
        reason: reason.into(),
    }
}

/// What a series may hold: times within the run, nodes of the cluster.
struct Bounds {
    nodes: u32,
    duration_ms: f64,
    /// When the variant's run stopped (at most `duration_ms`).
    end_ms: f64,
    /// The variant being read, for the JSON paths of errors.
    variant: usize,
}

impl Bounds {
    fn path(&self, series: &str, i: usize, field: &str) -> String {
        format!("variants[{}].series.{series}[{i}].{field}", self.variant)
    }

    fn time(&self, path: String, at_ms: f64) -> Result<f64, ChartError> {
        // A little slack: times are rounded to microseconds.
        if (0.0..=self.duration_ms + 0.001).contains(&at_ms) {
            Ok(at_ms.min(self.duration_ms))
        } else {
            Err(invalid(
                path,
                format!(
                    "{at_ms} ms is outside the run (0 to {} ms)",
                    self.duration_ms
                ),
            ))
        }
    }

    fn node(&self, path: String, node: u32) -> Result<u32, ChartError> {
        if (1..=self.nodes).contains(&node) {
            Ok(node)
        } else {
            Err(invalid(
                path,
                format!(
                    "node {node} does not exist (the cluster has nodes 1..={})",
                    self.nodes
                ),
            ))
        }
    }

    /// Each node's term as steps over time, starting at (0 ms, term 0).
    fn terms(&self, series: &Series) -> Result<Vec<Vec<(f64, u64)>>, ChartError> {
        let mut terms: Vec<Vec<(f64, u64)>> = vec![vec![(0.0, 0)]; self.nodes as usize];
        let mut last_ms = 0.0;
        for (i, p) in series.terms.iter().enumerate() {
            let at_ms = self.time(self.path("terms", i, "at_ms"), p.at_ms)?;
            if at_ms < last_ms {
                return Err(invalid(
                    self.path("terms", i, "at_ms"),
                    "the series goes back in time",
                ));
            }
            last_ms = at_ms;
            let node = self.node(self.path("terms", i, "node"), p.node.0)?;
            let steps = &mut terms[node as usize - 1];
            match steps.last_mut() {
                // The same instant: the later value wins.
                Some(last) if last.0 == at_ms => last.1 = p.term,
                _ => steps.push((at_ms, p.term)),
            }
        }
        Ok(terms)
    }

    /// The effective leader as spans covering the whole run.
    fn leaders(&self, series: &Series) -> Result<Vec<LeaderSpan>, ChartError> {
        let mut leaders = Vec::new();
        let mut from_ms = 0.0;
        let mut current: (Option<u32>, Option<u64>) = (None, None);
        for (i, p) in series.leaders.iter().enumerate() {
            let at_ms = self.time(self.path("leaders", i, "at_ms"), p.at_ms)?;
            if at_ms < from_ms {
                return Err(invalid(
                    self.path("leaders", i, "at_ms"),
                    "the series goes back in time",
                ));
            }
            let leader = match p.leader {
                Some(node) => Some(self.node(self.path("leaders", i, "leader"), node.0)?),
                None => None,
            };
            if at_ms > from_ms {
                leaders.push(LeaderSpan {
                    from_ms,
                    to_ms: at_ms,
                    leader: current.0,
                    term: current.1,
                });
            }
            from_ms = at_ms;
            current = (leader, p.term);
        }
        // The last stretch lasts until the run stopped, as leaderless
        // time does (metrics.rs).
        if self.end_ms > from_ms {
            leaders.push(LeaderSpan {
                from_ms,
                to_ms: self.end_ms,
                leader: current.0,
                term: current.1,
            });
        }
        // Adjacent spans of one leader in one term are one span.
        leaders.dedup_by(|later, earlier| {
            if later.leader == earlier.leader && later.term == earlier.term {
                earlier.to_ms = later.to_ms;
                true
            } else {
                false
            }
        });
        Ok(leaders)
    }

    /// The faults that fired, lasting ones with their end.
    fn faults(&self, series: &Series) -> Result<Vec<FaultSpan>, ChartError> {
        let mut faults = Vec::new();
        let mut ends = Vec::new();
        for (i, f) in series.faults.iter().enumerate() {
            let from_ms = self.time(self.path("faults", i, "at_ms"), f.at_ms)?;
            for (k, node) in f.nodes.iter().enumerate() {
                self.node(self.path("faults", i, &format!("nodes[{k}]")), node.0)?;
            }
            // A request the leader refused is marked, with the refusal (a
            // skipped event did nothing and is left out).
            if let Some(reason) = &f.refused {
                faults.push(FaultSpan {
                    from_ms,
                    to_ms: None,
                    kind: f.kind,
                    description: format!("{} refused: {reason}", f.kind.name()),
                });
                continue;
            }
            if f.skipped.is_some() {
                continue;
            }
            let to_ms = if f.kind.lasting() {
                // Shaded until it ended, or until the run stopped.
                let to_ms = match f.until_ms {
                    Some(until) => self.time(self.path("faults", i, "until_ms"), until)?,
                    None => self.end_ms.max(from_ms),
                }
                .min(self.end_ms.max(from_ms));
                if to_ms < from_ms {
                    return Err(invalid(
                        self.path("faults", i, "until_ms"),
                        "the fault ends before it starts",
                    ));
                }
                ends.push(to_ms);
                Some(to_ms)
            } else {
                None
            };
            faults.push(FaultSpan {
                from_ms,
                to_ms,
                kind: f.kind,
                description: f.description.clone(),
            });
        }
        // An instant event at the moment a fault ended is what ended it
        // (the heal after an isolate): the end of the shading shows it.
        faults.retain(|f| f.to_ms.is_some() || !ends.contains(&f.from_ms));
        // Each configuration the cluster committed, where it took effect.
        for (i, c) in series.configs.iter().enumerate() {
            let from_ms = self.time(
                self.path("configs", i, "committed_at_ms"),
                c.committed_at_ms,
            )?;
            let joint = match c.outgoing.is_empty() {
                true => String::new(),
                false => format!(" outgoing={}", c.outgoing),
            };
            let learners = match c.learners.is_empty() {
                true => String::new(),
                false => format!(" learners={}", c.learners),
            };
            faults.push(FaultSpan {
                from_ms,
                to_ms: None,
                kind: FaultKind::Change,
                description: format!("committed: voters={}{joint}{learners}", c.voters),
            });
        }
        Ok(faults)
    }

    /// When each node was outside the committed configuration: from the
    /// start if `members` left it out, and after each committed
    /// configuration that does not name it until one that does.
    fn outside(
        &self,
        members: Option<NodeSet>,
        series: &Series,
    ) -> Result<Vec<Vec<(f64, f64)>>, ChartError> {
        let mut outside = vec![Vec::new(); self.nodes as usize];
        let mut since: Vec<Option<f64>> = (1..=self.nodes)
            .map(|n| match members {
                Some(members) if !members.contains(NodeId(n)) => Some(0.0),
                _ => None,
            })
            .collect();
        for (i, c) in series.configs.iter().enumerate() {
            let at_ms = self.time(
                self.path("configs", i, "committed_at_ms"),
                c.committed_at_ms,
            )?;
            let inside = c.voters.union(c.outgoing).union(c.learners);
            for (index, since) in since.iter_mut().enumerate() {
                let node = NodeId(index as u32 + 1);
                match (inside.contains(node), *since) {
                    (true, Some(from_ms)) => {
                        outside[index].push((from_ms, at_ms));
                        *since = None;
                    }
                    (false, None) => *since = Some(at_ms),
                    _ => {}
                }
            }
        }
        for (index, since) in since.into_iter().enumerate() {
            if let Some(from_ms) = since.filter(|&from_ms| from_ms < self.end_ms) {
                outside[index].push((from_ms, self.end_ms));
            }
        }
        Ok(outside)
    }

    fn disruptions(&self, series: &Series) -> Result<Vec<Disruption>, ChartError> {
        let mut disruptions = Vec::new();
        for (i, d) in series.disruptions.iter().enumerate() {
            disruptions.push(Disruption {
                at_ms: self.time(self.path("disruptions", i, "at_ms"), d.at_ms)?,
                node: self.node(self.path("disruptions", i, "node"), d.node.0)?,
                term: d.term,
            });
        }
        Ok(disruptions)
    }
}

/// Checks that the results can be drawn and puts them in drawing form.
pub fn prepare(results: &Results) -> Result<ChartData<'_>, ChartError> {
    if results.nodes == 0 || results.nodes > MAX_NODES {
        return Err(invalid(
            "nodes".into(),
            format!(
                "{} nodes: charts are drawn for 1 to {MAX_NODES} nodes",
                results.nodes
            ),
        ));
    }
    if results.duration_ms == 0 {
        return Err(invalid("duration_ms".into(), "the run lasted 0 ms"));
    }
    if results.variants.is_empty() {
        return Err(invalid("variants".into(), "no variants to chart"));
    }
    if results.variants.len() > MAX_VARIANTS {
        return Err(invalid(
            "variants".into(),
            format!(
                "{} variants: charts are drawn for at most {MAX_VARIANTS}",
                results.variants.len()
            ),
        ));
    }
    let nodes = results.nodes as u32;
    let duration_ms = results.duration_ms as f64;
    let mut variants = Vec::with_capacity(results.variants.len());
    for (variant, result) in results.variants.iter().enumerate() {
        let end_ms = stopped_at_ms(result).map_or(duration_ms, |at| at.clamp(0.0, duration_ms));
        let bounds = Bounds {
            nodes,
            duration_ms,
            end_ms,
            variant,
        };
        let series = &result.series;
        variants.push(VariantData {
            result,
            end_ms,
            terms: bounds.terms(series)?,
            leaders: bounds.leaders(series)?,
            faults: bounds.faults(series)?,
            disruptions: bounds.disruptions(series)?,
            outside: bounds.outside(results.members, series)?,
        });
    }
    Ok(ChartData {
        results,
        nodes,
        duration_ms,
        variants,
    })
}

impl ChartData<'_> {
    /// The highest term any node of any variant reached.
    pub fn max_term(&self) -> u64 {
        self.variants
            .iter()
            .flat_map(|v| v.terms.iter().flatten().map(|&(_, term)| term))
            .chain(
                self.variants
                    .iter()
                    .flat_map(|v| v.disruptions.iter().map(|d| d.term)),
            )
            .max()
            .unwrap_or(0)
    }

    /// Kinds of shaded faults (not instants) in any variant, in order of
    /// first appearance.
    pub fn fault_kinds(&self) -> Vec<FaultKind> {
        let mut kinds: Vec<FaultKind> = Vec::new();
        let shaded = self
            .variants
            .iter()
            .flat_map(|v| v.faults.iter())
            .filter(|f| f.to_ms.is_some());
        for f in shaded {
            if !kinds.contains(&f.kind) {
                kinds.push(f.kind);
            }
        }
        kinds
    }
}
