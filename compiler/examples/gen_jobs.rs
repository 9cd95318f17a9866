//! Writes a tree of realistic Upstart job files: the input of the `upc check`
//! benchmark (`bench/check.sh`) and a source of fuzz seeds.
//!
//! ```text
//! cargo run --release -p upc --example gen_jobs -- OUT_DIR N [--seed S] [--plant-defects]
//! ```
//!
//! The same `N` and seed always give the same bytes. The tree is a closed,
//! valid job set: four base jobs (`mountall`, `networking`, `rc-sysinit`, `rc`)
//! emit the system events, and every other job starts on those or on the
//! `started`/`stopped`/`starting` events (or the declared `*-ready` events) of
//! jobs generated before it, so there is no cycle and every job can start
//! (but the few that an override sets to `manual`, which no job waits on).
//! About a quarter of the jobs live in subdirectories, a few percent have an
//! `.override`. Job sizes are close to the real corpus's: about 460 bytes
//! median and 850 at the 90th percentile (the corpus: 410 and 1,360).
//!
//! `--plant-defects` adds a `defects/` directory with jobs that are valid one
//! by one but wrong as a set: two blocking cycles (one that hangs boot in
//! `starting`, one that hangs shutdown in `stopping`) and three jobs that can
//! never start (one on an event nothing emits, two waiting on that one).
//! Nothing else changes, so the graph checks can be tested against a known
//! answer.
//!
//! The generated set itself stays free of blocking cycles: a `starting X`
//! operand only ever appears alone (a partial `and` match would hold X in
//! `starting`), and `stopping X` only as a whole `stop on`.
//!
//! This is a generator, not a checker: it never reads what it wrote.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: gen_jobs OUT_DIR N [--seed S] [--plant-defects]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_jobs: {e}");
            ExitCode::from(2)
        }
    }
}

struct Args {
    out: PathBuf,
    n: usize,
    seed: u64,
    plant_defects: bool,
}

fn parse_args(args: Vec<String>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut seed = 1;
    let mut plant_defects = false;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seed" => {
                let s = it.next().ok_or("--seed needs a value")?;
                seed = s.parse().map_err(|_| format!("bad seed `{s}`"))?;
            }
            "--plant-defects" => plant_defects = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if arg.starts_with("--") => return Err(format!("unknown option `{arg}`\n{USAGE}")),
            _ => positional.push(arg),
        }
    }
    let [out, n] = <[String; 2]>::try_from(positional).map_err(|_| USAGE.to_string())?;
    let n = n.parse().map_err(|_| format!("bad job count `{n}`"))?;
    Ok(Args {
        out: PathBuf::from(out),
        n,
        seed,
        plant_defects,
    })
}

fn run(args: Vec<String>) -> Result<(), String> {
    let args = parse_args(args)?;
    let mut rng = Rng::new(args.seed);
    let plans = plan(args.n, &mut rng);
    let mut written = 0usize;
    let mut overrides = 0usize;
    for (i, p) in plans.iter().enumerate() {
        let text = if i < BASE_JOBS.len() {
            base_job(i)
        } else {
            job_text(p, &plans, &mut rng)
        };
        write(&args.out, &p.name, "conf", &text)?;
        written += 1;
        if let Some(text) = override_text(p, &mut rng) {
            write(&args.out, &p.name, "override", &text)?;
            overrides += 1;
        }
    }
    let mut defects = 0usize;
    if args.plant_defects {
        for (name, text) in DEFECTS {
            write(&args.out, name, "conf", text)?;
            defects += 1;
        }
    }
    println!(
        "gen_jobs: wrote {written} jobs, {overrides} overrides, {defects} planted defect jobs to {} (seed {})",
        args.out.display(),
        args.seed
    );
    Ok(())
}

fn write(out: &Path, name: &str, ext: &str, text: &str) -> Result<(), String> {
    let path = out.join(format!("{name}.{ext}"));
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// splitmix64: tiny, good enough, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// true with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const STEMS: &[&str] = &[
    "nginx",
    "haproxy",
    "redis",
    "memcached",
    "postgresql",
    "mysql",
    "mongodb",
    "rabbitmq",
    "zookeeper",
    "kafka",
    "elasticsearch",
    "logstash",
    "collectd",
    "statsd",
    "carbon",
    "grafana",
    "node-exporter",
    "consul",
    "vault",
    "etcd",
    "containerd",
    "atd",
    "rsyslog",
    "sshd",
    "ntpd",
    "chronyd",
    "dnsmasq",
    "unbound",
    "named",
    "postfix",
    "dovecot",
    "apache2",
    "php-fpm",
    "uwsgi",
    "gunicorn",
    "celery",
    "sidekiq",
    "puma",
    "tomcat",
    "jetty",
    "solr",
    "cassandra",
    "couchdb",
    "influxdb",
    "telegraf",
    "fluentd",
    "filebeat",
    "haveged",
    "irqbalance",
    "acpid",
    "smartd",
    "mdadm",
    "iscsid",
    "multipathd",
    "rpcbind",
    "autofs",
    "cupsd",
    "avahi",
    "openvpn",
    "keepalived",
    "corosync",
    "snmpd",
    "zabbix-agent",
    "nrpe",
    "puppet",
    "chef-client",
    "salt-minion",
    "bird",
];

const DIRS: &[&str] = &["net", "db", "web", "mon", "app", "app/workers", "storage"];

/// The system events the base jobs emit, as `start on` operands.
const BASE_ATOMS: &[&str] = &[
    "filesystem",
    "local-filesystems",
    "runlevel [2345]",
    "static-network-up",
    "net-device-up IFACE=eth0",
    "net-device-up IFACE!=lo",
    "started networking",
    "stopped rc RUNLEVEL=[2345]",
    "startup",
];

const BASE_JOBS: &[&str] = &["mountall", "networking", "rc-sysinit", "rc"];

#[derive(Clone, Copy, PartialEq)]
enum Instance {
    None,
    /// `instance $IFACE`, started by `net-device-up`.
    Iface,
    /// `instance $JOB`, started by `started DIR/STEM-*`.
    Job,
    /// `instance $NAME` with an `env NAME=` default.
    Named,
}

struct Plan {
    /// Job name: path below OUT_DIR without extension (`db/redis-00042`).
    name: String,
    stem: &'static str,
    task: bool,
    /// Earlier jobs whose events this one waits on.
    deps: Vec<usize>,
    instance: Instance,
    /// Emits `<base name>-ready` from post-start.
    emits_ready: bool,
    /// Another job waits on this one (so `manual` would strand it).
    has_dependents: bool,
    respawn: bool,
}

impl Plan {
    fn base(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// A glob over this job's family in its directory: `db/redis-*` for
    /// `db/redis-00042` (JOB is the whole name, and `*` does not stop at `/`,
    /// so the directory must be part of it).
    fn family_glob(&self) -> String {
        match self.name.rsplit_once('-') {
            Some((family, _)) => format!("{family}-*"),
            None => self.name.clone(),
        }
    }
}

fn plan(n: usize, rng: &mut Rng) -> Vec<Plan> {
    let mut plans: Vec<Plan> = Vec::with_capacity(n);
    let width = n.to_string().len().max(4);
    for i in 0..n {
        if let Some(base) = BASE_JOBS.get(i) {
            plans.push(Plan {
                name: (*base).to_string(),
                stem: base,
                task: *base != "networking",
                deps: Vec::new(),
                instance: Instance::None,
                emits_ready: false,
                has_dependents: true,
                respawn: false,
            });
            continue;
        }
        let stem = *rng.pick(STEMS);
        let file = format!("{stem}-{i:0width$}");
        let name = if rng.chance(25) {
            format!("{}/{file}", rng.pick(DIRS))
        } else {
            file
        };
        let task = rng.chance(20);
        let generated = i - BASE_JOBS.len();
        let ndeps = match rng.below(100) {
            _ if generated == 0 => 0,
            0..=39 => 0,
            40..=79 => 1,
            80..=94 => 2,
            _ => 3,
        };
        let mut deps = Vec::new();
        for _ in 0..ndeps {
            // Mostly recent jobs, like a package and its plugins.
            let back = 1 + rng.below(generated.min(200));
            let d = i - back;
            if !deps.contains(&d) {
                deps.push(d);
            }
        }
        // `instance $JOB` follows a family of earlier jobs (`started STEM-*`),
        // which needs a first dependency that is not of its own family.
        let family_dep = deps
            .first()
            .is_some_and(|&d| d >= BASE_JOBS.len() && plans[d].stem != stem);
        let instance = match rng.below(100) {
            _ if task => Instance::None,
            0..=3 => Instance::Iface,
            4..=6 if family_dep => Instance::Job,
            4..=9 => Instance::Named,
            _ => Instance::None,
        };
        for &d in &deps {
            plans[d].has_dependents = true;
        }
        plans.push(Plan {
            name,
            stem,
            task,
            deps,
            instance,
            emits_ready: !task && rng.chance(10),
            has_dependents: false,
            respawn: !task && rng.chance(60),
        });
    }
    plans
}

/// The four jobs at the bottom of every tree: they emit the system events.
fn base_job(i: usize) -> String {
    match i {
        0 => "# mountall - mount filesystems on boot\n\ndescription \"Mount filesystems on boot\"\n\n\
              start on startup\n\ntask\nconsole output\n\nemits virtual-filesystems\nemits local-filesystems\n\
              emits remote-filesystems\nemits filesystem\n\nexec /sbin/mountall --daemon\n"
            .to_string(),
        1 => "# networking - configure the network\n\ndescription \"configure network interfaces\"\n\n\
              start on local-filesystems\nstop on deconfiguring-networking\n\n\
              emits net-device-up\nemits net-device-down\nemits static-network-up\n\n\
              pre-start script\n    mkdir -p /run/network\n    ifup -a\nend script\n\n\
              post-stop exec ifdown -a --exclude=lo\n"
            .to_string(),
        2 => "# rc-sysinit - System V initialisation compatibility\n\n\
              description \"System V initialisation compatibility\"\n\n\
              start on filesystem and static-network-up\nstop on runlevel\n\n\
              env DEFAULT_RUNLEVEL=2\nemits runlevel\n\ntask\nconsole output\n\n\
              script\n    /etc/init.d/rcS\n    telinit \"$DEFAULT_RUNLEVEL\"\nend script\n"
            .to_string(),
        _ => "# rc - System V runlevel compatibility\n\ndescription \"System V runlevel compatibility\"\n\n\
              start on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\n\n\
              export RUNLEVEL\nexport PREVLEVEL\nemits deconfiguring-networking\n\n\
              task\nconsole output\n\nexec /etc/init.d/rc $RUNLEVEL\n"
            .to_string(),
    }
}

/// One `start on` operand of a job with stem `own` that waits on job `d`.
fn dep_atom(d: usize, own: &str, plans: &[Plan], rng: &mut Rng) -> String {
    let p = &plans[d];
    if d < BASE_JOBS.len() {
        return rng.pick(BASE_ATOMS).to_string();
    }
    if p.emits_ready && rng.chance(50) {
        return format!("{}-ready", p.base());
    }
    match rng.below(100) {
        0..=59 => format!("started {}", p.name),
        60..=79 if p.task => format!("stopped {} RESULT=ok", p.name),
        60..=79 => format!("stopped {}", p.name),
        // A glob over a family of jobs; never one that includes the job itself.
        80..=89 if p.stem != own => format!("started {}", p.family_glob()),
        80..=89 => format!("started {}", p.name),
        _ => format!("starting {}", p.name),
    }
}

/// Joins operands with one operator; a mixed chain gets parentheses, as a
/// careful author writes it (and as `upc check` wants, W0008).
fn expression(atoms: Vec<String>, rng: &mut Rng) -> String {
    match atoms.len() {
        0 => String::new(),
        1 | 2 => {
            let op = if rng.chance(60) { " and " } else { " or " };
            atoms.join(op)
        }
        _ => {
            let (head, tail) = atoms.split_at(1);
            let inner = if rng.chance(50) {
                tail.join(" or ")
            } else {
                tail.join(" and ")
            };
            let op = if inner.contains(" or ") {
                " and "
            } else {
                " or "
            };
            if rng.chance(30) {
                // The multi-line form real jobs use (tty1.conf).
                format!(
                    "{}{op}(\n          {})",
                    head.join(""),
                    inner.replace(" or ", " or\n          ")
                )
            } else {
                format!("{}{op}({inner})", head.join(""))
            }
        }
    }
}

fn start_on(p: &Plan, plans: &[Plan], rng: &mut Rng) -> String {
    match p.instance {
        Instance::Iface => return "net-device-up IFACE!=lo".to_string(),
        Instance::Job => {
            let family = p
                .deps
                .first()
                .map_or("networking".to_string(), |&d| plans[d].family_glob());
            return format!("started {family}");
        }
        _ => {}
    }
    let mut atoms: Vec<String> = p
        .deps
        .iter()
        .map(|&d| dep_atom(d, p.stem, plans, rng))
        .collect();
    if atoms.is_empty() || rng.chance(20) {
        atoms.push(rng.pick(BASE_ATOMS).to_string());
    }
    atoms.dedup();
    if atoms.len() > 1 {
        // Under `and`, a `starting X` leaf would hold X in starting until the
        // other operands arrive, which may need X itself: a blocking cycle.
        for atom in &mut atoms {
            if let Some(job) = atom.strip_prefix("starting ") {
                *atom = format!("started {job}");
            }
        }
    }
    expression(atoms, rng)
}

fn stop_on(p: &Plan, plans: &[Plan], rng: &mut Rng) -> Option<String> {
    if p.instance == Instance::Iface {
        return Some("net-device-down IFACE=$IFACE".to_string());
    }
    if p.task {
        return rng.chance(10).then(|| "runlevel [!2345]".to_string());
    }
    let started_dep = p
        .deps
        .iter()
        .copied()
        .find(|&d| d >= BASE_JOBS.len() && !plans[d].task);
    match rng.below(100) {
        0..=24 => started_dep.map(|d| format!("stopping {}", plans[d].name)),
        25..=34 => Some("deconfiguring-networking".to_string()),
        35..=44 => None,
        45..=54 => Some("runlevel [016]".to_string()),
        _ => Some("runlevel [!2345]".to_string()),
    }
    .or_else(|| Some("runlevel [!2345]".to_string()))
}

fn upper(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

fn job_text(p: &Plan, plans: &[Plan], rng: &mut Rng) -> String {
    let mut t = String::with_capacity(1024);
    let stem = p.stem;
    let base = p.base();
    let what = if p.task { "one-shot setup for" } else { "the" };
    let _ = writeln!(t, "# {base} - {what} {stem} service");
    if rng.chance(50) {
        let _ = writeln!(
            t,
            "#\n# Managed by configuration management; local changes go in {base}.override."
        );
    }
    let _ = writeln!(t, "\ndescription \"{stem} ({base})\"");
    if rng.chance(30) {
        let _ = writeln!(t, "author \"Ops Team <ops@example.org>\"");
    }
    if rng.chance(10) {
        let _ = writeln!(
            t,
            "version \"{}.{}.{}\"",
            1 + rng.below(4),
            rng.below(20),
            rng.below(10)
        );
    }
    t.push('\n');
    let _ = writeln!(t, "start on {}", start_on(p, plans, rng));
    if let Some(stop) = stop_on(p, plans, rng) {
        let _ = writeln!(t, "stop on {stop}");
    }
    t.push('\n');

    match p.instance {
        Instance::Iface => t.push_str("instance $IFACE\nexport IFACE\n"),
        Instance::Job => t.push_str("instance $JOB\n"),
        Instance::Named => t.push_str("env NAME=default\ninstance $NAME\n"),
        Instance::None => {}
    }
    if p.emits_ready {
        let _ = writeln!(t, "emits {base}-ready");
    }
    if p.task {
        t.push_str("task\n");
    }
    if p.respawn {
        t.push_str("respawn\n");
        if rng.chance(35) {
            let _ = writeln!(
                t,
                "respawn limit {} {}",
                3 + rng.below(10),
                5 * (1 + rng.below(12))
            );
        }
    }
    // `expect` only with a plain exec (W0011, W0014), decided below.
    let plain_exec = !p.task && rng.chance(55);
    if plain_exec && rng.chance(40) {
        let _ = writeln!(
            t,
            "expect {}",
            if rng.chance(50) { "fork" } else { "daemon" }
        );
    }
    if rng.chance(10) {
        let _ = writeln!(
            t,
            "normal exit 0 {}",
            rng.pick(&["1", "2", "TERM", "HUP", "TERM 143"])
        );
    }
    if rng.chance(15) {
        let _ = writeln!(t, "kill timeout {}", rng.pick(&[10, 20, 30, 60, 120]));
    }
    if rng.chance(5) {
        let _ = writeln!(
            t,
            "kill signal {}",
            rng.pick(&["INT", "QUIT", "SIGTERM", "USR1"])
        );
    }
    if rng.chance(3) {
        let _ = writeln!(t, "reload signal {}", rng.pick(&["USR1", "USR2", "SIGHUP"]));
    }
    if rng.chance(30) {
        let _ = writeln!(t, "console {}", rng.pick(&["log", "output", "none", "log"]));
    }
    environment(&mut t, p, rng);
    t.push('\n');
    hooks_and_main(&mut t, p, plain_exec, rng);
    t
}

fn environment(t: &mut String, p: &Plan, rng: &mut Rng) {
    let stem = p.stem;
    let base = p.base();
    let up = upper(stem);
    let mut exports = Vec::new();
    if rng.chance(45) {
        let _ = writeln!(t, "env {up}_HOME=/var/lib/{stem}");
        exports.push(format!("{up}_HOME"));
    }
    if rng.chance(30) {
        let _ = writeln!(t, "env PIDFILE=/run/{stem}/{base}.pid");
    }
    if rng.chance(25) {
        let _ = writeln!(
            t,
            "env DAEMON_OPTS=\"--log-level {}\"",
            rng.pick(&["info", "warn", "debug"])
        );
    }
    if rng.chance(15) {
        t.push_str("env LANG=C.UTF-8\n");
    }
    if !exports.is_empty() && rng.chance(20) {
        let _ = writeln!(t, "export {}", exports.join(" "));
    }
    if rng.chance(20) {
        let user = stem.replace('-', "");
        let _ = writeln!(t, "setuid {user}\nsetgid {user}");
    }
    if rng.chance(20) {
        let _ = writeln!(t, "chdir /var/lib/{stem}");
    }
    if rng.chance(15) {
        let _ = writeln!(t, "umask {}", rng.pick(&["022", "027", "0077", "002"]));
    }
    if rng.chance(10) {
        let _ = writeln!(t, "nice {}", rng.pick(&[-5, 5, 10, 19]));
    }
    if rng.chance(5) {
        let _ = writeln!(t, "oom score {}", rng.pick(&["-500", "200", "never"]));
    }
    if rng.chance(20) {
        let soft = *rng.pick(&[1024u32, 4096, 8192, 65536]);
        let _ = writeln!(t, "limit nofile {soft} {}", soft * 2);
    }
    if rng.chance(8) {
        t.push_str("limit core unlimited unlimited\n");
    }
    if rng.chance(4) {
        t.push_str("limit memlock 65536 unlimited\n");
    }
}

fn hooks_and_main(t: &mut String, p: &Plan, plain_exec: bool, rng: &mut Rng) {
    let stem = p.stem;
    let base = p.base();
    let up = upper(stem);
    if rng.chance(10) {
        long_pre_start(t, p, rng);
    } else if rng.chance(35) {
        let _ = writeln!(
            t,
            "pre-start script\n    test -x /usr/sbin/{stem} || {{ stop; exit 0; }}\n    mkdir -p /run/{stem}"
        );
        if rng.chance(50) {
            let _ = writeln!(t, "    chown {0}:{0} /run/{stem}", stem.replace('-', ""));
        }
        if rng.chance(40) {
            let _ = writeln!(t, "    [ -r /etc/default/{stem} ] && . /etc/default/{stem}");
            let _ = writeln!(
                t,
                "    [ \"${{ENABLED:-yes}}\" = yes ] || {{ stop; exit 0; }}"
            );
        }
        t.push_str("end script\n\n");
    }
    match (p.task, plain_exec) {
        (false, true) => {
            let _ = writeln!(
                t,
                "exec /usr/sbin/{stem} --config /etc/{stem}/{base}.conf\n"
            );
        }
        (false, false) if rng.chance(40) => {
            let _ = writeln!(
                t,
                "exec /usr/bin/{stem} -c \"/etc/{stem}/{base}.conf\" >> /var/log/{stem}/{base}.log 2>&1\n"
            );
        }
        (false, false) => {
            let _ = writeln!(
                t,
                "script\n    [ -r /etc/default/{stem} ] && . /etc/default/{stem}"
            );
            if rng.chance(50) {
                let _ = writeln!(
                    t,
                    "    ulimit -n 65536\n    export {up}_OPTS=\"$DAEMON_OPTS\""
                );
            }
            let _ = writeln!(
                t,
                "    exec /usr/bin/{stem} --foreground $DAEMON_OPTS\nend script\n"
            );
        }
        (true, _) if rng.chance(50) => {
            let _ = writeln!(t, "exec /usr/lib/{stem}/{stem}-setup --once\n");
        }
        (true, _) => {
            let _ = writeln!(
                t,
                "script\n    for f in /etc/{stem}/conf.d/*.conf; do\n        [ -e \"$f\" ] || continue\n        \
                 /usr/lib/{stem}/apply \"$f\"\n    done\n    touch /run/{stem}.done\nend script\n"
            );
        }
    }
    if p.emits_ready {
        let _ = writeln!(t, "post-start exec initctl emit --no-wait {base}-ready\n");
    } else if !p.task && rng.chance(12) {
        let _ = writeln!(
            t,
            "post-start script\n    for i in 1 2 3 4 5 6 7 8 9 10; do\n        [ -S /run/{stem}/{base}.sock ] && exit 0\n        \
             sleep 0.5\n    done\n    echo \"{base}: socket not ready\" >&2\nend script\n"
        );
    }
    if !p.task && rng.chance(8) {
        let _ = writeln!(t, "pre-stop exec /usr/bin/{stem}ctl --graceful-stop\n");
    }
    if rng.chance(20) {
        let _ = writeln!(
            t,
            "post-stop script\n    rm -f /run/{stem}/{base}.pid\nend script"
        );
    }
}

/// The long tail of the corpus: a pre-start that validates and prepares.
fn long_pre_start(t: &mut String, p: &Plan, rng: &mut Rng) {
    let stem = p.stem;
    let base = p.base();
    let _ = writeln!(
        t,
        "pre-start script
    # Refuse to start with a broken configuration: a respawn loop helps nobody.
    CONF=/etc/{stem}/{base}.conf
    if [ ! -r \"$CONF\" ]; then
        logger -t {base} \"missing $CONF, not starting\"
        stop
        exit 0
    fi
    if ! /usr/sbin/{stem} --check-config \"$CONF\" >/dev/null 2>&1; then
        logger -t {base} -p daemon.err \"invalid $CONF\"
        exit 1
    fi
    for d in /run/{stem} /var/log/{stem} /var/lib/{stem}/{base}; do
        mkdir -p \"$d\"
        chmod 0750 \"$d\"
    done"
    );
    if rng.chance(50) {
        let _ = writeln!(
            t,
            "    # Kernel settings the daemon expects.
    sysctl -q -w net.core.somaxconn=4096 || true
    sysctl -q -w vm.overcommit_memory=1 || true"
        );
    }
    if rng.chance(50) {
        let _ = writeln!(
            t,
            "    case \"$(uname -m)\" in
        x86_64|amd64) ARCH_OPTS=\"--huge-pages\" ;;
        *) ARCH_OPTS= ;;
    esac
    echo \"ARCH_OPTS=$ARCH_OPTS\" > /run/{stem}/{base}.env"
        );
    }
    t.push_str("end script\n\n");
}

fn override_text(p: &Plan, rng: &mut Rng) -> Option<String> {
    if !rng.chance(3) || BASE_JOBS.contains(&p.name.as_str()) {
        return None;
    }
    let text = match rng.below(5) {
        0 if !p.has_dependents => "# disabled on this host\nmanual\n".to_string(),
        1 if p.respawn => "respawn limit 20 60\n".to_string(),
        2 => "nice 10\n".to_string(),
        3 => "console none\n".to_string(),
        _ => format!("env {}_HOME=/srv/{}\n", upper(p.stem), p.stem),
    };
    Some(text)
}

/// `--plant-defects`: job sets that each file accepts but the graph must not.
/// A blocking cycle needs a partial match: a leaf that holds a `starting` or
/// `stopping` event (runtime-semantics.md 6.4) until the rest of its tree is
/// true, where the rest can only become true after that event finishes.
const DEFECTS: &[(&str, &str)] = &[
    (
        "defects/hang-b",
        "# PLANTED DEFECT: blocking cycle hang-b -> hang-a -> hang-c -> hang-b.\n\
         # hang-a's partial match holds `starting defects/hang-b` until hang-c has\n\
         # started, and hang-c waits for hang-b to be started: boot hangs here.\n\
         description \"planted blocking cycle (b)\"\nstart on runlevel [2345]\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/hang-a",
        "# PLANTED DEFECT: blocking cycle, see hang-b.\ndescription \"planted blocking cycle (a)\"\n\
         start on starting defects/hang-b and started defects/hang-c\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/hang-c",
        "# PLANTED DEFECT: blocking cycle, see hang-b.\ndescription \"planted blocking cycle (c)\"\n\
         start on started defects/hang-b\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/down-y",
        "# PLANTED DEFECT: blocking cycle on the way down, down-y -> down-x -> down-z -> down-y.\n\
         # down-x's stop on holds `stopping defects/down-y` until down-z has stopped,\n\
         # and down-z stops only once down-y has: shutdown hangs here.\n\
         description \"planted stop cycle (y)\"\nstart on runlevel [2345]\nstop on runlevel [!2345]\n\
         exec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/down-x",
        "# PLANTED DEFECT: blocking cycle on the way down, see down-y.\n\
         description \"planted stop cycle (x)\"\nstart on runlevel [2345]\n\
         stop on stopping defects/down-y and stopped defects/down-z\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/down-z",
        "# PLANTED DEFECT: blocking cycle on the way down, see down-y.\n\
         description \"planted stop cycle (z)\"\nstart on runlevel [2345]\n\
         stop on stopped defects/down-y\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/orphan-1",
        "# PLANTED DEFECT: waits on an event that nothing emits.\ndescription \"planted unreachable job\"\n\
         start on planted-event-nobody-emits\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/orphan-2",
        "# PLANTED DEFECT: waits on a job that can never start.\ndescription \"planted unreachable job\"\n\
         start on started defects/orphan-1\nexec /usr/bin/sleep infinity\n",
    ),
    (
        "defects/orphan-3",
        "# PLANTED DEFECT: needs a job that can never start to have stopped.\n\
         description \"planted unreachable job\"\n\
         start on filesystem and stopped defects/orphan-1\ntask\nexec /bin/true\n",
    ),
];
