//! Upstart's repetition rules (job-language.md section 3) that need more
//! than "assign the field": which stanzas are single-valued, so that giving
//! one twice in a file is worth a warning, and how `cgroup` stanzas merge.

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{ProcessKind, StanzaKind};

use super::ir::{Cgroup, Resource};

/// A single-valued setting: given twice in one file, the first is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Slot {
    Process(ProcessKind),
    StartOn,
    StopOn,
    RespawnLimit,
    Instance,
    Expect,
    KillTimeout,
    KillSignal,
    ReloadSignal,
    Console,
    Umask,
    Nice,
    /// `oom` and `oom score` set the same value.
    Oom,
    Limit(Resource),
    Chroot,
    Chdir,
    Setuid,
    Setgid,
    ApparmorLoad,
    ApparmorSwitch,
    Description,
    Author,
    Version,
    Usage,
}

impl Slot {
    pub(super) fn of(kind: &StanzaKind) -> Option<Slot> {
        use StanzaKind as K;
        Some(match kind {
            K::Exec { process, .. } | K::Script { process, .. } => Slot::Process(*process),
            K::StartOn(_) => Slot::StartOn,
            K::StopOn(_) => Slot::StopOn,
            K::RespawnLimit { .. } | K::RespawnUnlimited(_) => Slot::RespawnLimit,
            K::Instance(_) => Slot::Instance,
            // `ready fd` says when the job is ready, as `expect` does: the
            // later of the two wins.
            K::Expect(_) | K::ReadyFd(_) => Slot::Expect,
            K::KillTimeout(_) => Slot::KillTimeout,
            K::KillSignal(_) => Slot::KillSignal,
            K::ReloadSignal(_) => Slot::ReloadSignal,
            K::Console(_) => Slot::Console,
            K::Umask(_) => Slot::Umask,
            K::Nice(_) => Slot::Nice,
            K::Oom(_) | K::OomScore(_) => Slot::Oom,
            K::Limit { resource, .. } => Slot::Limit(Resource::from_name(&resource.value)?),
            K::Chroot(_) => Slot::Chroot,
            K::Chdir(_) => Slot::Chdir,
            K::Setuid(_) => Slot::Setuid,
            K::Setgid(_) => Slot::Setgid,
            K::ApparmorLoad(_) => Slot::ApparmorLoad,
            K::ApparmorSwitch(_) => Slot::ApparmorSwitch,
            K::Description(_) => Slot::Description,
            K::Author(_) => Slot::Author,
            K::Version(_) => Slot::Version,
            K::Usage(_) => Slot::Usage,
            K::Manual
            | K::Debug
            | K::Emits(_)
            | K::Task
            | K::Respawn
            | K::NormalExit(_)
            | K::Env(_)
            | K::Export(_)
            | K::Cgroup(_)
            | K::Error => return None,
        })
    }

    fn describe(self) -> String {
        match self {
            Slot::Process(ProcessKind::Main) => "the main process".to_string(),
            Slot::Process(kind) => format!("the {} process", kind.name()),
            Slot::StartOn => "`start on`".to_string(),
            Slot::StopOn => "`stop on`".to_string(),
            Slot::RespawnLimit => "`respawn limit`".to_string(),
            Slot::Instance => "`instance`".to_string(),
            Slot::Expect => "`expect` (or `ready fd`)".to_string(),
            Slot::KillTimeout => "`kill timeout`".to_string(),
            Slot::KillSignal => "`kill signal`".to_string(),
            Slot::ReloadSignal => "`reload signal`".to_string(),
            Slot::Console => "`console`".to_string(),
            Slot::Umask => "`umask`".to_string(),
            Slot::Nice => "`nice`".to_string(),
            Slot::Oom => "the oom score (`oom`/`oom score`)".to_string(),
            Slot::Limit(r) => format!("`limit {}`", r.name()),
            Slot::Chroot => "`chroot`".to_string(),
            Slot::Chdir => "`chdir`".to_string(),
            Slot::Setuid => "`setuid`".to_string(),
            Slot::Setgid => "`setgid`".to_string(),
            Slot::ApparmorLoad => "`apparmor load`".to_string(),
            Slot::ApparmorSwitch => "`apparmor switch`".to_string(),
            Slot::Description => "`description`".to_string(),
            Slot::Author => "`author`".to_string(),
            Slot::Version => "`version`".to_string(),
            Slot::Usage => "`usage`".to_string(),
        }
    }
}

/// W0013 / W0019 for a setting given again in the same file: the later
/// stanza (`head`) is used, the `earlier` one is ignored.
pub(super) fn repeated(slot: Slot, file: FileId, head: Span, earlier: Span) -> Diagnostic {
    match slot {
        Slot::Process(_) => Diagnostic::new(
            Code::ScriptDefinedTwice,
            file,
            head,
            format!("{} is defined twice in this file", slot.describe()),
        )
        .with_label("this definition is used")
        .with_secondary(file, earlier, "this earlier definition is ignored")
        .with_note("`exec` and `script` replace each other: a job has one process of each kind")
        .with_help("remove the definition that should not run"),
        Slot::ApparmorLoad => Diagnostic::new(
            Code::OverriddenStanza,
            file,
            head,
            "`apparmor load` is given twice in this file",
        )
        .with_label("only this profile is loaded")
        .with_secondary(file, earlier, "this profile is never loaded")
        .with_note("a job has one security process: each `apparmor load` replaces the one before")
        .with_help("load the other profiles from a `pre-start` script"),
        _ => Diagnostic::new(
            Code::OverriddenStanza,
            file,
            head,
            format!("{} is set twice in this file", slot.describe()),
        )
        .with_label("this one is used")
        .with_secondary(file, earlier, "this earlier one is ignored")
        .with_help(
            "remove the earlier stanza (an `.override` file is the place to replace a setting)",
        ),
    }
}

/// Applies one `cgroup` stanza: one entry per controller, per controller one
/// entry per name (in first-seen order), per name one value per key (a
/// repeated key replaces its value in place). Repeating a stanza is a no-op.
pub(super) fn merge_cgroup(
    cgroups: &mut Vec<Cgroup>,
    controller: &str,
    name: &str,
    setting: Option<(&str, &str)>,
) {
    let group = match cgroups.iter().position(|c| c.controller == controller) {
        Some(i) => cgroups.get_mut(i),
        None => {
            cgroups.push(Cgroup {
                controller: controller.to_string(),
                names: Vec::new(),
            });
            cgroups.last_mut()
        }
    };
    let Some(group) = group else { return };
    let settings = match group.names.iter().position(|(n, _)| n == name) {
        Some(i) => group.names.get_mut(i),
        None => {
            group.names.push((name.to_string(), Vec::new()));
            group.names.last_mut()
        }
    };
    let (Some((_, settings)), Some((key, value))) = (settings, setting) else {
        return;
    };
    match settings.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value.to_string(),
        None => settings.push((key.to_string(), value.to_string())),
    }
}
