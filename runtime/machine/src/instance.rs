//! One job instance and the state table (runtime-semantics.md §1, §3.2).
//! Internal: callers see an instance through [`crate::InstanceInfo`].

use upc_bundle::OperatorState;

use crate::types::*;

/// Why a run failed: the first failure of a run wins (§8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `None`: the respawn limit was hit (`PROCESS=respawn`).
    pub process: Option<ProcessKind>,
    /// `None`: the process never ran (spawn failure) or respawn.
    pub status: Option<ExitStatus>,
}

/// Something waiting for an instance to reach its goal (§7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// An event that started or stopped it.
    Event(EventId),
    /// A start, stop or restart request made with wait.
    Request(RequestId, RequestKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    Start,
    Stop,
    Restart,
}

impl RequestKind {
    /// The `JobFailed` message for this request.
    pub fn failure(self) -> &'static str {
        match self {
            RequestKind::Start => "Job failed to start",
            RequestKind::Stop => "Job failed while stopping",
            RequestKind::Restart => "Job failed to restart",
        }
    }
}

/// A job instance: exists from the first start request until it is back
/// in `waiting`.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub id: InstanceId,
    pub class: ClassId,
    pub name: String,
    pub goal: Goal,
    pub state: State,
    /// The environment of the current run.
    pub env: Vec<String>,
    /// The environment for the next start, if one was supplied.
    pub start_env: Option<Vec<String>>,
    /// What whatever is stopping it supplied (pre-stop and post-stop see
    /// it).
    pub stop_env: Vec<String>,
    /// The instance's own copy of the class's `stop on` state, and the
    /// event each true match holds.
    pub stop_on: OperatorState,
    pub stop_held: Vec<Option<EventId>>,
    /// pid per process slot, in [`ProcessKind::ALL`] order.
    pub pids: [Option<u32>; 6],
    /// The job event it waits for in `starting`/`stopping`.
    pub blocker: Option<EventId>,
    /// What waits for it to reach its goal.
    pub blocking: Vec<Blocked>,
    pub kill_deadline: Option<Millis>,
    pub failure: Option<Failure>,
    /// Runaway detection, in whole seconds (§8.5).
    pub respawn_time: u64,
    pub respawn_count: u32,
    /// Forks followed so far (`expect fork`/`daemon`).
    pub forks: u32,
    /// When the main process was spawned (the status line says how long
    /// it has waited in `spawned`).
    pub spawned_at: Millis,
    /// `Config::spawn_timeout`: when waiting in `spawned` fails the job.
    pub ready_deadline: Option<Millis>,
    /// The last `STATUS=` of `expect notify`.
    pub notify_status: Option<String>,
    /// The main process sent `STOPPING=1`.
    pub notify_stopping: bool,
}

impl Instance {
    pub fn new(id: InstanceId, class: ClassId, name: String, stop_on: OperatorState) -> Instance {
        let matches = stop_on.values().len();
        Instance {
            id,
            class,
            name,
            goal: Goal::Stop,
            state: State::Waiting,
            env: Vec::new(),
            start_env: None,
            stop_env: Vec::new(),
            stop_on,
            stop_held: vec![None; matches],
            pids: [None; 6],
            blocker: None,
            blocking: Vec::new(),
            kill_deadline: None,
            failure: None,
            respawn_time: 0,
            respawn_count: 0,
            forks: 0,
            spawned_at: 0,
            ready_deadline: None,
            notify_status: None,
            notify_stopping: false,
        }
    }

    pub fn pid(&self, kind: ProcessKind) -> Option<u32> {
        self.pids.get(usize::from(kind.code())).copied().flatten()
    }

    pub fn set_pid(&mut self, kind: ProcessKind, pid: Option<u32>) {
        if let Some(slot) = self.pids.get_mut(usize::from(kind.code())) {
            *slot = pid;
        }
    }

    /// Every slot with a pid, in slot order.
    pub fn processes(&self) -> Vec<(ProcessKind, u32)> {
        ProcessKind::ALL
            .into_iter()
            .filter_map(|k| self.pid(k).map(|p| (k, p)))
            .collect()
    }
}

/// The state after `state` given `goal` (§3.2), and the goal to adopt: a
/// `respawn` goal becomes `start` as it is acted on. `main_alive` is
/// whether a main process is defined and running (only `running` asks).
///
/// `None` where the table says "must not happen"; the caller then stays
/// put rather than assert.
pub(crate) fn next_state(state: State, goal: Goal, main_alive: bool) -> Option<(State, Goal)> {
    use Goal::*;
    use State::*;
    let to = match (state, goal) {
        (Waiting, Start) => Starting,
        (Waiting, Stop | Respawn) => return None,
        (Starting, Start) => SecuritySpawning,
        (SecuritySpawning, Start) => Security,
        (Security, Start) => PreStarting,
        (PreStarting, Start) => PreStart,
        (PreStart, Start) => Spawning,
        (Spawning, Start) => Spawned,
        (Spawned, Start) => PostStarting,
        (PostStarting, Start) => PostStart,
        (
            Starting | SecuritySpawning | Security | PreStarting | PreStart | Spawning | Spawned
            | PostStarting | PostStart,
            Stop,
        ) => Stopping,
        (
            Starting | SecuritySpawning | Security | PreStarting | PreStart | Spawning | Spawned
            | PostStarting,
            Respawn,
        ) => return None,
        (PostStart, Start) => Running,
        (PostStart, Respawn) => return Some((Stopping, Start)),
        (Running, Start) => Stopping,
        (Running, Stop) if main_alive => PreStopping,
        (Running, Stop) => Stopping,
        (Running, Respawn) => return None,
        (PreStopping, Start | Stop) => PreStop,
        (PreStopping, Respawn) => return None,
        (PreStop, Start) => Running,
        (PreStop, Stop) => Stopping,
        (PreStop, Respawn) => return Some((Stopping, Start)),
        (Stopping, Start | Stop) => Killed,
        (Killed, Start | Stop) => PostStopping,
        (PostStopping, Start | Stop) => PostStop,
        (Stopping | Killed | PostStopping, Respawn) => return None,
        (PostStop, Start) => Starting,
        (PostStop, Stop) => Waiting,
        (PostStop, Respawn) => return None,
    };
    Some((to, goal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Goal::*;
    use State::*;

    /// The whole table of runtime-semantics.md §3.2, row by row.
    #[test]
    fn next_state_follows_the_table() {
        // (state, next with goal start, with goal stop, with goal respawn)
        type Row = (State, Option<State>, Option<State>, Option<State>);
        let rows: [Row; 17] = [
            (Waiting, Some(Starting), None, None),
            (Starting, Some(SecuritySpawning), Some(Stopping), None),
            (SecuritySpawning, Some(Security), Some(Stopping), None),
            (Security, Some(PreStarting), Some(Stopping), None),
            (PreStarting, Some(PreStart), Some(Stopping), None),
            (PreStart, Some(Spawning), Some(Stopping), None),
            (Spawning, Some(Spawned), Some(Stopping), None),
            (Spawned, Some(PostStarting), Some(Stopping), None),
            (PostStarting, Some(PostStart), Some(Stopping), None),
            (PostStart, Some(Running), Some(Stopping), Some(Stopping)),
            (Running, Some(Stopping), Some(PreStopping), None),
            (PreStopping, Some(PreStop), Some(PreStop), None),
            (PreStop, Some(Running), Some(Stopping), Some(Stopping)),
            (Stopping, Some(Killed), Some(Killed), None),
            (Killed, Some(PostStopping), Some(PostStopping), None),
            (PostStopping, Some(PostStop), Some(PostStop), None),
            (PostStop, Some(Starting), Some(Waiting), None),
        ];
        for (state, on_start, on_stop, on_respawn) in rows {
            assert_eq!(
                next_state(state, Start, true).map(|s| s.0),
                on_start,
                "{state} start"
            );
            assert_eq!(
                next_state(state, Stop, true).map(|s| s.0),
                on_stop,
                "{state} stop"
            );
            assert_eq!(
                next_state(state, Respawn, true).map(|s| s.0),
                on_respawn,
                "{state} respawn"
            );
        }
    }

    #[test]
    fn running_without_a_live_main_skips_pre_stop() {
        assert_eq!(next_state(Running, Stop, false), Some((Stopping, Stop)));
        assert_eq!(next_state(Running, Stop, true), Some((PreStopping, Stop)));
    }

    #[test]
    fn a_respawn_goal_becomes_start_when_acted_on() {
        assert_eq!(
            next_state(PostStart, Respawn, true),
            Some((Stopping, Start))
        );
        assert_eq!(next_state(PreStop, Respawn, false), Some((Stopping, Start)));
    }
}
