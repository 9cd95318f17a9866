//! `dump_text` / `dump_json` on a small job set with an override, and the
//! refusal of a corrupt bundle.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use upc::build;
use upc::check::check_paths;
use upc::dump::{dump_json, dump_text};

fn bundle() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("net")).unwrap();
    fs::write(
        d.join("net/web.conf"),
        "description \"the web server\"\n\
         start on filesystem and (net-device-up IFACE!=lo or started networking)\n\
         stop on runlevel [!2345]\n\
         respawn\n\
         respawn limit 3 60\n\
         env PORT=80\n\
         limit nofile 4096 unlimited\n\
         pre-start script\n    mkdir -p /run/web\n    chown www /run/web\nend script\n\
         exec /usr/sbin/web --port $PORT\n",
    )
    .unwrap();
    fs::write(
        d.join("net/web.override"),
        "console log\nnormal exit 0 TERM\nstop on runlevel [016]\npost-stop exec /bin/web-cleanup\n",
    )
    .unwrap();
    fs::write(
        d.join("cleanup.conf"),
        "task\nstart on filesystem\nemits cleaned\nexec rm -rf /tmp/scratch\n",
    )
    .unwrap();
    let report = check_paths(&[d.to_path_buf()]);
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics);
    build::build(&report.jobs, &report.sources).unwrap()
}

#[test]
fn text_listing() {
    let bytes = bundle();
    let b = upc_bundle::validate(&bytes).unwrap();
    insta::assert_snapshot!(dump_text(&b));
}

#[test]
fn locations_name_the_override_where_it_wins() {
    let bytes = bundle();
    let b = upc_bundle::validate(&bytes).unwrap();
    let web = b.find_job("net/web").unwrap();
    let stop = web.stop_on().unwrap();
    assert_eq!(stop.program.canonical(), "runlevel [016]");
    assert_eq!(stop.location.origin, upc_bundle::Origin::Override);
    assert_eq!(
        (web.file_of(stop.location.origin), stop.location.line),
        ("net/web.override", 3)
    );
    let post = web.process(upc_bundle::ProcessKind::PostStop).unwrap();
    assert_eq!(post.text(), "/bin/web-cleanup");
    assert_eq!(post.location().line, 4);
    let start = web.start_on().unwrap();
    assert_eq!(
        (web.file_of(start.location.origin), start.location.line),
        ("net/web.conf", 2)
    );
}

#[test]
fn json_listing() {
    let bytes = bundle();
    let b = upc_bundle::validate(&bytes).unwrap();
    let json = dump_json(&b);
    assert_eq!(json["jobs"][1]["name"], "net/web");
    assert_eq!(
        json["jobs"][1]["start_on"]["text"],
        "(filesystem and (net-device-up IFACE!=lo or started networking))"
    );
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn a_corrupt_bundle_is_refused_with_the_check_and_offset() {
    let mut bytes = bundle();
    let n = bytes.len();
    bytes[n - 1] ^= 0x40;
    let e = upc_bundle::validate(&bytes).err().unwrap();
    assert!(
        e.to_string()
            .starts_with("bundle: bad checksum at byte 16: expected 0x"),
        "{e}"
    );
    let e = upc_bundle::validate(&bytes[..100]).err().unwrap();
    assert_eq!(
        e.to_string(),
        format!("bundle: length mismatch at byte 12: the header says {n} bytes, the file has 100 (truncated?)")
    );
}
