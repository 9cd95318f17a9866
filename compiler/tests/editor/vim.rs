//! editors/vim: the syntax file checked headless in Vim (the syntax groups
//! at chosen places of a sample job), file type detection, and Neovim's
//! LSP set-up talking to the real `upc lsp`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn editors_vim() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/vim")
}

fn require(program: &str, package: &str) {
    let found = Command::new(program).arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "`{program}` is needed for this test: install it (apt-get install {package}); tests/run does"
    );
}

/// Runs Vim headless on `file` with editors/vim first on the runtimepath,
/// then `script` (Vim script that writes its findings to $OUT).
fn vim(file: &Path, script: &str) -> String {
    require("vim", "vim");
    let dir = tempfile::tempdir().expect("tempdir");
    let script_path = dir.path().join("probe.vim");
    let out = dir.path().join("out.txt");
    std::fs::write(&script_path, format!("{script}\nqa!\n")).expect("write the probe");
    let status = Command::new("vim")
        .args(["-es", "-N", "-u", "NONE", "-i", "NONE", "--cmd"])
        .arg(format!("set rtp^={}", editors_vim().display()))
        .args(["-c", "filetype plugin on", "-c", "syntax on", "-c"])
        .arg(format!("edit {}", file.display()))
        .arg("-c")
        .arg(format!("source {}", script_path.display()))
        .env("OUT", &out)
        .status()
        .expect("run vim");
    assert!(status.success(), "vim failed: {status}");
    std::fs::read_to_string(&out).expect("vim wrote its findings")
}

/// (line, text on that line, syntax group the first character of that
/// text must be in).
const EXPECTED: &[(usize, &str, &str)] = &[
    (1, "# A sample", "upstartComment"),
    (2, "description", "upstartStanza"),
    (2, "\"a sample", "upstartString"),
    (3, "start on", "upstartStanza"),
    (3, "started", "upstartJobEvent"),
    (3, "and", "upstartOperator"),
    (3, "IFACE!=lo", "upstartEventArg"),
    (4, "or", "upstartOperator"),
    (4, "stopping", "upstartJobEvent"),
    (5, "fork", "upstartExpectValue"),
    (6, "log", "upstartConsoleValue"),
    (7, "TERM", "upstartSignal"),
    (8, "nofile", "upstartResource"),
    (8, "unlimited", "upstartUnlimited"),
    (9, "\"/root\"", "upstartString"),
    (10, "pre-start script", "upstartStanza"),
    (11, "echo", "upstartScript"),
    (11, "echo", "shEcho"),
    (11, "$UPSTART_JOB", "shDerefSimple"),
    (12, "end script", "upstartStanza"),
    (13, "exec", "upstartStanza"),
    (13, "# trailing", "upstartComment"),
];

#[test]
fn vim_highlights_every_part_of_a_job_file() {
    let text = std::fs::read_to_string(editors_vim().join("test/sample.conf")).expect("the sample");
    // Where Upstart keeps jobs, so the file type is detected as a user's would be.
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = dir.path().join("etc/init/sample.conf");
    std::fs::create_dir_all(dir.path().join("etc/init")).expect("mkdir");
    std::fs::write(&sample, &text).expect("write the sample");
    let lines: Vec<&str> = text.lines().collect();
    let mut probes = Vec::new();
    for (line, needle, _) in EXPECTED {
        let col = lines
            .get(line - 1)
            .and_then(|l| l.find(needle))
            .unwrap_or_else(|| panic!("`{needle}` not on line {line} of the sample"));
        probes.push(format!("[{line},{}]", col + 1));
    }
    let script = format!(
        "let out = []\nfor [l, c] in [{}]\n  call add(out, join(map(synstack(l, c), 'synIDattr(v:val, \"name\")'), ','))\nendfor\ncall add(out, &filetype)\ncall writefile(out, $OUT)",
        probes.join(",")
    );
    let found = vim(&sample, &script);
    let found: Vec<&str> = found.lines().collect();
    for (i, (line, needle, group)) in EXPECTED.iter().enumerate() {
        let stack = found.get(i).copied().unwrap_or("");
        assert!(
            stack.split(',').any(|g| g == *group),
            "line {line}, `{needle}`: expected {group}, found [{stack}]"
        );
    }
}

#[test]
fn vim_detects_job_files_by_their_place_and_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let init = dir.path().join("etc/init");
    std::fs::create_dir_all(&init).expect("mkdir");
    let cases = [
        (init.join("tty1.conf"), "upstart"),
        (init.join("tty1.override"), "upstart"),
        (dir.path().join("debian/foo.upstart"), "upstart"),
        (dir.path().join("other/app.conf"), ""),
    ];
    for (path, expected) in &cases {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, "task\n").expect("write");
        let found = vim(path, "call writefile([&filetype], $OUT)");
        let found = found.trim();
        // Vim's own rules may call a stray `.conf` something else, never upstart.
        if expected.is_empty() {
            assert_ne!(found, "upstart", "{}", path.display());
        } else {
            assert_eq!(found, *expected, "{}", path.display());
        }
    }
}

#[test]
fn the_ftplugin_formats_with_upc_fmt_and_makes_with_upc_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let init = dir.path().join("etc/init");
    std::fs::create_dir_all(&init).expect("mkdir");
    let job = init.join("job.conf");
    std::fs::write(&job, "task\n").expect("write");
    let found = vim(
        &job,
        "call writefile([&formatprg, &makeprg, &commentstring], $OUT)",
    );
    assert_eq!(
        found.lines().collect::<Vec<_>>(),
        vec!["upc fmt -", "upc check --format short %", "# %s"]
    );
}

#[test]
fn neovim_starts_upc_lsp_and_shows_its_diagnostics_and_hover() {
    require("nvim", "neovim");
    let dir = tempfile::tempdir().expect("tempdir");
    let init = dir.path().join("etc/init");
    std::fs::create_dir_all(&init).expect("mkdir");
    let job = init.join("job.conf");
    std::fs::write(&job, "nice 99\nexec /bin/daemon\n").expect("write");
    let out = dir.path().join("out.txt");
    let probe = dir.path().join("probe.lua");
    std::fs::write(
        &probe,
        r#"
local out = {}
local ok = vim.wait(15000, function() return #vim.diagnostic.get(0) > 0 end, 50)
table.insert(out, 'diagnostics ' .. tostring(ok))
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, string.format('%d:%d %s', d.lnum, d.col, (d.message:gsub('\n.*', ''))))
end
local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = 1, character = 1 } }
local replies = vim.lsp.buf_request_sync(0, 'textDocument/hover', params, 5000) or {}
for _, reply in pairs(replies) do
  local value = reply.result and reply.result.contents and reply.result.contents.value or ''
  table.insert(out, 'hover ' .. (value:match('^```upstart\n([^\n]*)') or value))
end
vim.fn.writefile(out, os.getenv('OUT'))
vim.cmd('qa!')
"#,
    )
    .expect("write the probe");
    let setup = format!(
        "lua require('upc.lsp').setup({{ cmd = {{ '{}', 'lsp' }} }})",
        env!("CARGO_BIN_EXE_upc")
    );
    let status = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "--cmd"])
        .arg(format!("set rtp^={}", editors_vim().display()))
        .args(["--cmd", "filetype plugin on", "--cmd", &setup])
        .arg(&job)
        .arg("-c")
        .arg(format!("luafile {}", probe.display()))
        .env("OUT", &out)
        .status()
        .expect("run nvim");
    assert!(status.success(), "nvim failed: {status}");
    let found = std::fs::read_to_string(&out).expect("nvim wrote its findings");
    let lines: Vec<&str> = found.lines().collect();
    assert_eq!(lines.first(), Some(&"diagnostics true"), "{found}");
    assert!(
        lines.contains(&"0:5 illegal nice value, expected -20 to 19: `99` is outside -20..19"),
        "{found}"
    );
    assert!(lines.contains(&"hover exec COMMAND [ARG...]"), "{found}");
}

#[test]
fn the_ale_linter_reads_upc_check_short_output() {
    require("vim", "vim");
    let ale = Path::new("/usr/share/vim-ale");
    assert!(
        ale.join("autoload/ale.vim").is_file(),
        "ALE is needed for this test: install it (apt-get install vim-ale); tests/run does"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let job = dir.path().join("etc/init/job.conf");
    std::fs::create_dir_all(dir.path().join("etc/init")).expect("mkdir");
    let text = "nice 99\nkill signal term\nexec /bin/x\n";
    std::fs::write(&job, text).expect("write");
    // What ALE runs: the buffer on stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(["check", "--format", "short", "--no-graph", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run upc check");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("write");
    }
    let output = child.wait_with_output().expect("upc check");
    let short = dir.path().join("short.txt");
    std::fs::write(&short, &output.stdout).expect("write");
    let script = format!(
        "set rtp+={ale}\nruntime plugin/ale.vim\nruntime ale_linters/upstart/upc.vim\n\
         let names = map(ale#linter#Get('upstart'), 'v:val.name')\n\
         let found = ale_linters#upstart#upc#Handle(bufnr(''), readfile('{short}'))\n\
         call writefile(names + map(found, 'v:val.lnum . \":\" . v:val.col . \":\" . v:val.type . \":\" . v:val.code . \":\" . v:val.text') + [ale_linters#upstart#upc#GetCommand(bufnr(''))], $OUT)",
        ale = ale.display(),
        short = short.display()
    );
    let found = vim(&job, &script);
    let lines: Vec<&str> = found.lines().collect();
    assert_eq!(
        lines,
        vec![
            "upc",
            "1:6:E:E0011:illegal nice value, expected -20 to 19",
            "2:13:E:E0009:illegal signal, expected a signal name or number",
            "%e check --format short --no-graph -",
        ],
        "{found}"
    );
}
