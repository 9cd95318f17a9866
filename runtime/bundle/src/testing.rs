//! Test support shared by the crate's tests, the fuzz targets and the
//! benchmarks: a small job set that touches every field of the format,
//! resealing an edited bundle, the checks every validated bundle must
//! pass, the replay `main` of every fuzz target (bundle and machine), and
//! the format's internals that its own tests poke at (the byte layout,
//! the checksum, the LZ4 codec). Only with the `testing` feature; not part
//! of the format's API; it may panic (it asserts).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use crate::checksum::xxh64;
use crate::layout::{CHECKSUM_START, H_CHECKSUM, H_TOTAL_LEN};
pub use crate::lz4::{compress as lz4_compress, decompress as lz4_decompress};

/// The byte layout of the format (offsets, record sizes, codes), for tests
/// that corrupt a bundle one field at a time.
pub mod layout {
    pub use crate::layout::*;
}
use crate::model::*;
use crate::program::{EventRef, OperatorState, Program};
use crate::{validate, write_with, ValidatedBundle, WriteOptions};

/// Whether a read past the end of a validated bundle panics in this build
/// (it must in every test and fuzz build: see the `cursor` module).
pub fn missed_reads_panic() -> bool {
    crate::cursor::LOUD
}

/// `data` with its total length and checksum fields made correct, so that
/// an edited or mutated bundle reaches the checks behind the checksum.
pub fn reseal(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let len = (out.len() as u32).to_le_bytes();
    if let Some(slot) = out.get_mut(H_TOTAL_LEN..H_TOTAL_LEN + 4) {
        slot.copy_from_slice(&len);
    }
    if out.len() >= CHECKSUM_START {
        let sum = xxh64(out.get(CHECKSUM_START..).unwrap_or_default()).to_le_bytes();
        if let Some(slot) = out.get_mut(H_CHECKSUM..H_CHECKSUM + 8) {
            slot.copy_from_slice(&sum);
        }
    }
    out
}

/// Everything a validated bundle promises: every accessor works, lookups
/// find what iteration finds, and decoding then re-encoding gives a bundle
/// that validates and decodes the same.
pub fn exercise(b: &ValidatedBundle<'_>) {
    let spec = b.to_spec();
    for job in b.jobs() {
        for cond in [job.start_on(), job.stop_on()].into_iter().flatten() {
            let p = cond.program;
            assert_eq!(p.instructions().len(), p.len());
            let _ = p.canonical();
            assert_eq!(p.disassemble().len(), p.len());
            let st = p.new_state();
            assert!(!p.is_satisfied(&st));
            assert!(p.contributing(&st).is_empty());
        }
        for p in job.processes() {
            let _ = (p.kind(), p.body(), p.text(), p.location());
        }
        assert_eq!(b.find_job(job.name()).map(|f| f.index()), Some(job.index()));
    }
    for e in b.events() {
        assert_eq!(b.find_event(e.name()).map(|f| f.index()), Some(e.index()));
        assert!(e.jobs().all(|(j, _)| j < b.job_count()));
    }
    let options = WriteOptions {
        compress_strings: b.strings_compressed(),
    };
    match write_with(&spec, options) {
        Ok(again) => match validate(&again) {
            Ok(b2) => assert!(b2.to_spec() == spec, "re-encoding changed the bundle"),
            Err(e) => panic!("a re-encoded bundle does not validate: {e}"),
        },
        Err(e) => panic!("a validated bundle does not re-encode: {e}"),
    }
}

/// Validates `data` as given and resealed; exercises what is accepted.
pub fn replay_read(data: &[u8]) {
    if let Ok(b) = validate(data) {
        exercise(&b);
    }
    if let Ok(b) = validate(&reseal(data)) {
        exercise(&b);
    }
}

fn m(event: &str, args: &[(&str, &str)]) -> MatchSpec {
    MatchSpec {
        event: event.to_owned(),
        args: args
            .iter()
            .map(|&(k, p)| ArgSpec {
                kind: if k.is_empty() {
                    ArgKind::Positional
                } else if let Some(k) = k.strip_suffix('!') {
                    ArgKind::NotEquals(k.to_owned())
                } else {
                    ArgKind::Equals(k.to_owned())
                },
                pattern: p.to_owned(),
            })
            .collect(),
    }
}

fn cond(code: &[Instr], matches: Vec<MatchSpec>, line: u32) -> ConditionSpec {
    ConditionSpec {
        code: code.to_vec(),
        matches,
        location: Location {
            origin: Origin::Conf,
            line,
        },
    }
}

struct Script<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Script<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = self.data.get(self.pos).copied();
        self.pos += 1;
        b
    }

    fn word(&mut self) -> String {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(rest.len())
            .min(64);
        self.pos += end + 1;
        String::from_utf8_lossy(rest.get(..end).unwrap_or_default()).into_owned()
    }
}

/// The reference: evaluate the postfix code directly.
fn reference(p: &Program<'_>, st: &OperatorState) -> bool {
    let mut stack = Vec::new();
    let mut k = 0;
    for op in p.instructions() {
        match op {
            Instr::Match => {
                stack.push(st.values().get(k).copied().unwrap_or(false));
                k += 1;
            }
            Instr::And | Instr::Or => {
                let (Some(r), Some(l)) = (stack.pop(), stack.pop()) else {
                    panic!("stack underflow in a validated program");
                };
                stack.push(if op == Instr::And { l && r } else { l || r });
            }
        }
    }
    assert_eq!(stack.len(), 1);
    stack.first().copied().unwrap_or(false)
}

/// The evaluator's promises on a bundle and an event script (the `eval`
/// fuzz target's input, see its header): only false matches become true,
/// `satisfied` agrees with a plain postfix evaluation, a satisfied condition
/// has contributing matches, reset clears.
pub fn replay_eval(data: &[u8]) {
    let (Some(&[a, b, c, d]), Some(rest)) = (data.get(..4), data.get(4..)) else {
        return;
    };
    let n = (u32::from_le_bytes([a, b, c, d]) as usize).min(rest.len());
    let bundle = reseal(rest.get(..n).unwrap_or_default());
    let Ok(b) = validate(&bundle) else {
        return;
    };
    let mut script = Script {
        data: rest.get(n..).unwrap_or_default(),
        pos: 0,
    };
    let programs: Vec<Program<'_>> = b
        .jobs()
        .flat_map(|j| [j.start_on(), j.stop_on()])
        .flatten()
        .map(|c| c.program)
        .take(64)
        .collect();
    let mut states: Vec<OperatorState> = programs.iter().map(|p| p.new_state()).collect();
    let instance_env = ["RUNLEVEL=2", "JOB=x", "PORT=80"];
    let mut events = 0;
    while let Some(choice) = script.byte() {
        events += 1;
        if events > 64 {
            break;
        }
        let name = match b.event(usize::from(choice)) {
            Some(e) => e.name().to_owned(),
            None => script.word(),
        };
        let count = script.byte().unwrap_or(0) % 8;
        let env: Vec<String> = (0..count).map(|_| script.word()).collect();
        for (p, st) in programs.iter().zip(states.iter_mut()) {
            let before = st.values().to_vec();
            let h = p.handle(
                st,
                EventRef {
                    name: &name,
                    env: &env,
                },
                &instance_env,
            );
            for (k, (&was, &now)) in before.iter().zip(st.values()).enumerate() {
                assert_eq!(now, was || h.newly_true.contains(&k));
            }
            assert_eq!(h.satisfied, reference(p, st));
            let contributing = p.contributing(st);
            assert_eq!(h.satisfied, !contributing.is_empty());
            for &k in &contributing {
                assert_eq!(st.values().get(k), Some(&true));
            }
            if h.satisfied {
                p.reset(st);
                assert!(st.values().iter().all(|v| !v));
            }
        }
    }
}

/// Three jobs: a service with every setting, a task, and a bare job.
pub fn sample_spec() -> BundleSpec {
    use Instr::{And, Match, Or};
    let mut full = JobSpec::new("net/apache", "net/apache.conf");
    full.override_file = Some("net/apache.override".into());
    full.description = Some("the web server".into());
    full.author = Some("Ann Author <ann@example.org>".into());
    full.version = Some("2.4".into());
    full.usage = Some("start apache PORT=N".into());
    full.processes = vec![
        ProcessSpec {
            kind: ProcessKind::Main,
            body: BodyKind::Exec,
            text: "/usr/sbin/apache2 -DFOREGROUND".into(),
            location: Location {
                origin: Origin::Conf,
                line: 12,
            },
        },
        ProcessSpec {
            kind: ProcessKind::PreStart,
            body: BodyKind::Script,
            text: "mkdir -p /run/apache2\nchmod 0755 /run/apache2 # é\n".into(),
            location: Location {
                origin: Origin::Override,
                line: 3,
            },
        },
        ProcessSpec {
            kind: ProcessKind::Security,
            body: BodyKind::Exec,
            text: "/sbin/apparmor_parser -r -W /etc/apparmor.d/apache".into(),
            location: Location {
                origin: Origin::Conf,
                line: 9,
            },
        },
    ];
    full.start_on = Some(ConditionSpec {
        location: Location {
            origin: Origin::Override,
            line: 1,
        },
        ..cond(
            &[Match, Match, Match, Or, And],
            vec![
                m("filesystem", &[]),
                m("net-device-up", &[("IFACE!", "lo")]),
                m("started", &[("", "network*"), ("RUNLEVEL", "[2345]")]),
            ],
            0,
        )
    });
    full.stop_on = Some(cond(
        &[Match, Match, Or],
        vec![
            m("runlevel", &[("", "[!$RUNLEVEL]")]),
            m("deconfiguring-networking", &[]),
        ],
        7,
    ));
    full.emits = vec!["apache-ready".into(), "apache-*".into()];
    full.respawn = true;
    full.respawn_count = Some(3);
    full.respawn_interval = None;
    full.normal_exit = vec![0, 2, 15 << 8];
    full.instance = "$PORT".into();
    full.expect = Expect::Daemon;
    full.kill_timeout = 30;
    full.kill_signal = 3;
    full.reload_signal = 10;
    full.console = Some(Console::Log);
    full.umask = 0o027;
    full.nice = Some(-5);
    full.oom_score = Some(-300);
    full.limits = vec![
        LimitSpec {
            resource: Resource::Core,
            soft: Some(0),
            hard: None,
        },
        LimitSpec {
            resource: Resource::Nofile,
            soft: Some(4096),
            hard: Some(u64::MAX - 1),
        },
    ];
    full.chroot = Some("/srv/jail".into());
    full.chdir = Some("/var/www".into());
    full.setuid = Some("www-data".into());
    full.setgid = Some("www-data".into());
    full.apparmor_switch = Some("apache-${PORT}".into());
    full.env = vec!["PORT=80".into(), "LANG".into()];
    full.export = vec!["PORT".into()];
    full.cgroups = vec![CgroupSpec {
        controller: "memory".into(),
        names: vec![
            ("$UPSTART_CGROUP".into(), vec![]),
            (
                "web".into(),
                vec![("memory.limit_in_bytes".into(), "1G".into())],
            ),
        ],
    }];
    full.debug = true;

    let mut task = JobSpec::new("cleanup", "cleanup.conf");
    task.task = true;
    task.processes = vec![ProcessSpec {
        kind: ProcessKind::Main,
        body: BodyKind::Script,
        text: "rm -rf /tmp/*\n".into(),
        location: Location {
            origin: Origin::Conf,
            line: 4,
        },
    }];
    task.start_on = Some(cond(&[Match], vec![m("filesystem", &[])], 2));
    task.respawn_count = None;

    let bare = JobSpec::new("bare", "bare.conf");

    // upc's readiness extension: `ready fd 5`.
    let mut ready = JobSpec::new("ready", "ready.conf");
    ready.processes = vec![ProcessSpec {
        kind: ProcessKind::Main,
        body: BodyKind::Exec,
        text: "/usr/sbin/readyd --notify-fd 5".into(),
        location: Location {
            origin: Origin::Conf,
            line: 2,
        },
    }];
    ready.expect = Expect::Fd;
    ready.ready_fd = Some(5);

    BundleSpec {
        compiler_version: "upc 0.1.0".into(),
        source_digest: [0xab; 32],
        jobs: vec![full, task, bare, ready],
    }
}

/// A fuzz target's plain-binary `main` on the stable toolchain (shared by
/// the bundle and machine fuzz crates): runs `target` on every file under
/// the paths given as arguments, prints how many inputs ran.
pub fn replay(target: fn(&[u8])) -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mut files = Vec::new();
    for a in &args {
        collect(a, &mut files);
    }
    for f in &files {
        match fs::read(f) {
            Ok(data) => target(&data),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    println!("replayed {} inputs", files.len());
    ExitCode::SUCCESS
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else {
        out.push(path.to_path_buf());
    }
}
