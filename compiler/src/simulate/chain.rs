//! The critical chain of a simulated boot: for each job instance, the path
//! of waits that decided when it became running — what
//! `systemd-analyze critical-chain` is for units.
//!
//! An instance's run becomes running at some time T. Before that it sat
//! in `starting` until its own `starting` event finished, which happens
//! when the last instance holding it (trace `Hold` records) reached its
//! goal; and it entered `starting` when an event set its goal to start
//! (the `Goal` record's cause), an event some other instance emitted when
//! it became running, stopped, ... At each step the chain follows the
//! *latest* of these, and recurses into the instance behind it.
//!
//! # The text
//!
//! ```text
//! tty1 @109ms +0ms
//! └─stopped rc @109ms +100ms
//!   └─runlevel RUNLEVEL=2 PREVLEVEL=N @9ms +1ms (emitted by rc-sysinit main process)
//!     └─failsafe @8ms +0ms (held starting rc-sysinit until stopped)
//!       └─starting rc-sysinit @8ms
//!         └─filesystem @8ms +8ms (emitted by mountall main process)
//!           └─startup @0ms
//! ```
//!
//! The top line is the instance the chain is about. Every line below
//! another is what that line waited for last:
//! - `NAME JOB @T +D`: JOB's job event NAME (`started`, `stopped`, ...)
//!   set the goal of the line above; D is how long JOB took from entering
//!   `starting` to emitting it (none for `starting` itself).
//! - `NAME ENV @T +D (emitted by JOB PROCESS process)`: an event JOB's
//!   script emitted (`initctl emit`, `telinit`); known only from the
//!   simulator's notes ([`Senders`]).
//! - `NAME ENV @T`: an event of init's (`startup`) or of the operator's;
//!   the chain ends there.
//! - `JOB @T +D (held EVENT until STATE)`: the line above waited for its
//!   EVENT (its `starting`, or its `stopping`), which JOB held until it
//!   reached STATE at T (`running`; `stopped` for a task, or for a job that
//!   `stop on` the event).
//! - `JOB start on @T (held EVENT until the event below completed it)`:
//!   JOB's `start on` matched EVENT partially and held it until the next
//!   line's event completed the match.
//! - `JOB @T +D (previous run, restarted after it stopped)`: a restart
//!   or respawn: the new run began when the old one had stopped.
//! - `control request N @T` (with `+D (sent by JOB PROCESS process)` when
//!   a job's script sent it), `goal set by init @T`, `(no record of what
//!   it waited for)`, `(the trace contradicts itself here; cut)`: the
//!   chain ends there.
//!
//! `@T` is the trace's time of the thing (running, finished, the event);
//! `+D` is measured from the instance entering `starting`. "(finished)"
//! marks a run counted when it stopped, because its main process ended by
//! itself (a task); every other run counts from becoming running.
//!
//! [`render`] prints the chain of the instance reached last, then one line
//! per run — latest first — with the first link of its chain: following
//! those lines from any instance gives its whole chain, in output that
//! grows linearly with the trace. [`render_jobs`] and
//! [`CriticalChain::chain_of`] give one instance's whole chain.
//! [`render_records`] takes the simulator's records rather than the bare
//! trace: only its notes say which process sent which request, so only
//! with them does a chain go on through a script's `initctl emit`.
//!
//! What the trace does not say is not guessed: a `stop on` partial match
//! leaves no record, so a wait on one cannot be shown; a goal the machine
//! set by itself ends the chain. (The machine records a class's partial
//! `start on` hold and a singleton's own hold alike, instance ""; the
//! records around them tell them apart, see `index`.) Finding the chains is a single pass over
//! the trace plus lookups; the walk is a loop (no recursion) and each step
//! must move to an earlier record, so any trace, however odd, ends it.

pub(crate) mod index;
mod walk;

use std::fmt;

use upc_machine::{Millis, State, TraceRecord};

use super::driver::Record;
pub(crate) use super::render::label;
use index::TraceIndex;
pub use index::{Sender, Senders};

/// How many levels the text indents; deeper links stay at this level so a
/// long chain does not make quadratic output.
const MAX_INDENT: usize = 24;

/// A job instance, named as the trace names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Who {
    pub job: String,
    /// Empty for a singleton.
    pub instance: String,
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&label(&self.job, &self.instance))
    }
}

/// A point in a run that a chain explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum End {
    /// It entered `starting`.
    Starting,
    /// It became running.
    Running,
    /// It entered `stopping`.
    Stopping,
    /// It came to rest (`waiting`), or, restarting, left `post-stop`.
    Stopped,
}

/// One line of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// When it happened.
    pub at: Millis,
    /// How long the instance took, from entering `starting` to `at`.
    pub took: Option<Millis>,
    pub kind: LinkKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// The chain's subject: a run that became running (or finished).
    Reached { who: Who, end: End },
    /// An event the line above waited for; `emitter` is the instance
    /// whose state change emitted it.
    Event { name: String, emitter: Option<Who> },
    /// An event a job's process emitted (`initctl emit`, `telinit`).
    Sent { name: String, sender: Sender },
    /// `who` held the line above's `event` until it reached `until`.
    Held {
        who: Who,
        event: String,
        until: State,
    },
    /// `job`'s partial `start on` match held `event` until the next
    /// line's event completed it.
    Partial { job: String, event: String },
    /// The line above is a restart: `who`'s previous run had to stop.
    Restart { who: Who },
    /// A control request set the goal; `sender`: the process that sent
    /// it, `None` for the operator.
    Request { id: u64, sender: Option<Sender> },
    /// The machine set the goal by itself (a failure, a reload).
    Machine,
    /// No record says what the line above waited for.
    Unknown,
    /// The records contradict each other (a cause after its effect); the
    /// chain is cut rather than followed.
    Contradiction,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = time(self.at);
        let took = self
            .took
            .map(|d| format!(" +{}", time(d)))
            .unwrap_or_default();
        match &self.kind {
            LinkKind::Reached { who, end } => {
                let finished = if *end == End::Stopped {
                    " (finished)"
                } else {
                    ""
                };
                write!(f, "{who} @{at}{took}{finished}")
            }
            LinkKind::Event {
                name,
                emitter: Some(who),
            } => write!(f, "{name} {who} @{at}{took}"),
            LinkKind::Event {
                name,
                emitter: None,
            } => write!(f, "{name} @{at}"),
            LinkKind::Held { who, event, until } => {
                let until = match until {
                    State::Waiting => "stopped",
                    state => state.name(),
                };
                write!(f, "{who} @{at}{took} (held {event} until {until})")
            }
            LinkKind::Partial { job, event } => write!(
                f,
                "{job} start on @{at} (held {event} until the event below completed it)"
            ),
            LinkKind::Restart { who } => {
                write!(
                    f,
                    "{who} @{at}{took} (previous run, restarted after it stopped)"
                )
            }
            LinkKind::Sent { name, sender } => write!(
                f,
                "{name} @{at}{took} (emitted by {} {} process)",
                label(&sender.job, &sender.instance),
                sender.process.name()
            ),
            LinkKind::Request { id, sender: None } => write!(f, "control request {id} @{at}"),
            LinkKind::Request {
                id,
                sender: Some(sender),
            } => write!(
                f,
                "control request {id} @{at}{took} (sent by {} {} process)",
                label(&sender.job, &sender.instance),
                sender.process.name()
            ),
            LinkKind::Machine => write!(f, "goal set by init @{at}"),
            LinkKind::Unknown => f.write_str("(no record of what it waited for)"),
            LinkKind::Contradiction => f.write_str("(the trace contradicts itself here; cut)"),
        }
    }
}

/// One instance's chain: `links[0]` is the instance, each next link what
/// the one before it waited for last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub links: Vec<Link>,
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (depth, link) in self.links.iter().enumerate() {
            match depth {
                0 => writeln!(f, "{link}")?,
                d => {
                    let indent = 2 * (d - 1).min(MAX_INDENT);
                    writeln!(f, "{:indent$}└─{link}", "")?;
                }
            }
        }
        Ok(())
    }
}

/// A run that became running (or finished), with the thing it waited for
/// last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The run itself (a [`LinkKind::Reached`] line).
    pub link: Link,
    /// The first link of its chain.
    pub waited: Option<Link>,
    run: usize,
    end: End,
}

impl Reached {
    pub fn who(&self) -> Option<&Who> {
        match &self.link.kind {
            LinkKind::Reached { who, .. } => Some(who),
            _ => None,
        }
    }
}

/// The critical chains of one trace.
pub struct CriticalChain<'a> {
    index: TraceIndex<'a>,
    /// (run, point it counts from, its record), latest first.
    reached: Vec<(usize, End, usize)>,
}

impl<'a> CriticalChain<'a> {
    pub fn new(trace: &'a [TraceRecord]) -> CriticalChain<'a> {
        CriticalChain::with_senders(trace, Senders::default())
    }

    /// With what the simulator knows about who sent which request, the
    /// chain goes on through events a job's script emitted.
    pub fn with_senders(trace: &'a [TraceRecord], senders: Senders) -> CriticalChain<'a> {
        let index = TraceIndex::new(trace, senders);
        let mut reached: Vec<(usize, End, usize)> = (0..index.runs.len())
            .filter_map(|r| {
                let end = index.reached(r)?;
                let run = index.run(r)?;
                Some((r, end, walk::end_record(run, end)))
            })
            .collect();
        reached.sort_by_key(|&(_, _, i)| (std::cmp::Reverse(index.t(i)), std::cmp::Reverse(i)));
        CriticalChain { index, reached }
    }

    /// Every run that became running (or finished), latest first, each with
    /// the first link of its chain.
    pub fn reached(&self) -> Vec<Reached> {
        self.reached
            .iter()
            .filter_map(|&(run, end, _)| {
                Some(Reached {
                    link: self.index.subject(run, end)?,
                    waited: self.index.walk(run, end, 1).into_iter().next(),
                    run,
                    end,
                })
            })
            .collect()
    }

    /// The whole chain of one reached run.
    pub fn chain(&self, reached: &Reached) -> Chain {
        self.chain_from(reached.run, reached.end)
    }

    fn chain_from(&self, run: usize, end: End) -> Chain {
        let mut links: Vec<Link> = self.index.subject(run, end).into_iter().collect();
        links.extend(self.index.walk(run, end, usize::MAX));
        Chain { links }
    }

    /// The chain of the run reached last.
    pub fn last(&self) -> Option<Chain> {
        let &(run, end, _) = self.reached.first()?;
        Some(self.chain_from(run, end))
    }

    /// The chain of the latest reached run of `job`'s instance `instance`.
    pub fn chain_of(&self, job: &str, instance: &str) -> Option<Chain> {
        let key = self.index.key_of((job, instance))?;
        let &(run, end, _) = self
            .reached
            .iter()
            .find(|&&(r, _, _)| self.index.run(r).is_some_and(|run| run.key == key))?;
        Some(self.chain_from(run, end))
    }
}

const LEGEND: &str = "\
The time an instance became running (\"finished\": stopped, its main process
having ended by itself) is printed after \"@\", the time it took since it
entered starting after \"+\". Each line is what the line above waited for last.
";

/// The critical chain as readable text: the chain of the instance reached
/// last, then every run with what it waited for last (see the module
/// documentation).
pub fn render(trace: &[TraceRecord]) -> String {
    render_chains(&CriticalChain::new(trace))
}

/// [`render`] over the simulator's records: its notes say which job's
/// script emitted which event, so the chain follows those too.
pub fn render_records(records: &[Record]) -> String {
    let (trace, senders) = split(records);
    render_chains(&CriticalChain::with_senders(&trace, senders))
}

/// The machine's trace out of the simulator's records, and who sent what.
pub fn split(records: &[Record]) -> (Vec<TraceRecord>, Senders) {
    let trace = records
        .iter()
        .filter_map(|r| match r {
            Record::Machine(m) => Some(m.clone()),
            Record::Note { .. } => None,
        })
        .collect();
    (trace, Senders::from_records(records))
}

fn render_chains(chains: &CriticalChain<'_>) -> String {
    let Some(last) = chains.last() else {
        return "No job instance became running.\n".to_owned();
    };
    let mut out = format!("{LEGEND}\n{last}");
    let reached = chains.reached();
    let rows: Vec<(String, String)> = reached
        .iter()
        .map(|r| {
            let waited = r
                .waited
                .as_ref()
                .map(|w| format!("<- {w}"))
                .unwrap_or_default();
            (r.link.to_string(), waited)
        })
        .collect();
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(72);
    out.push_str("\nEvery run, latest first, and what it waited for last:\n");
    for (left, right) in rows {
        let line = format!("  {left:width$}  {right}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The whole chain of each named job's latest run, in the order given; a
/// job that never became running says so.
pub fn render_jobs(trace: &[TraceRecord], jobs: &[&str]) -> String {
    let chains = CriticalChain::new(trace);
    let mut out = String::new();
    for job in jobs {
        let (name, instance) = match job.split_once(' ') {
            Some((name, instance)) => (name, instance.trim_matches(['(', ')'])),
            None => (*job, ""),
        };
        match chains.chain_of(name, instance) {
            Some(chain) => out.push_str(&chain.to_string()),
            None => out.push_str(&format!("{} never became running\n", label(name, instance))),
        }
    }
    out
}

/// A duration or time the way `systemd-analyze` prints them: `450ms`,
/// `1.250s`, `2min 3.000s`.
pub fn time(ms: Millis) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1000..=59_999 => format!("{}.{:03}s", ms / 1000, ms % 1000),
        _ => format!(
            "{}min {}.{:03}s",
            ms / 60_000,
            (ms % 60_000) / 1000,
            ms % 1000
        ),
    }
}
