//! HTTP comparison: hyper on aio, hyper on tokio (`current_thread`, the
//! one-runtime-per-core way tokio users shard), and aio's own plaintext
//! server, driven by `wrk` side by side in one run.
//!
//! ```text
//! cargo bench --bench http                         # every server, 5 rounds of 5 s
//! cargo bench --bench http -- --conns 256 --secs 10 --rounds 3
//! cargo bench --bench http -- --servers aio-hyper,tokio-hyper --pipeline 16
//! cargo bench --bench http -- --smoke              # CI: each server briefly, responses verified
//! ```
//!
//! `wrk` is installed through the system package manager when missing
//! (`benches/http/install-wrk.sh`: apt, dnf, apk or pacman; root or
//! password-less sudo). Without it the smoke run still verifies every
//! server with a built-in client; a measured run needs it.
//!
//! Method (as the echo comparison): each server runs in a child process
//! (this binary re-executed with `--server NAME`) pinned to CPU 0 and
//! serving on one core; wrk runs pinned to CPU 1 with one thread. Servers
//! run interleaved (A B C, B C A, ...) for several rounds and each figure
//! is the median over rounds. Reported: requests/s, wrk's latency
//! percentiles, and the server's CPU time per request (on-CPU time of all
//! its threads from `/proc/<pid>/task/*/schedstat`, over the wrk window).
//!
//! Servers: `aio-hyper` (hyper 1.x HTTP/1.1 through `aio::compat`),
//! `tokio-hyper` (hyper 1.x on tokio `current_thread` with
//! `hyper_util::rt::TokioIo`), `aio-plaintext` (the `plaintext` example:
//! rent I/O, `recv_multi`, pipelining). Every server answers any request
//! with a 13-byte `Hello, World!`. monoio's HTTP path is not included:
//! monoio-http is not maintained for current monoio and monoio's hyper
//! compatibility crate targets hyper 0.14.

#[allow(dead_code)]
#[path = "../echo/sys.rs"]
mod sys;

#[allow(dead_code)]
#[path = "../../aio/examples/plaintext.rs"]
mod plaintext;

mod servers;

use std::io::{self, BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const SERVERS: &[&str] = &["aio-hyper", "tokio-hyper", "aio-plaintext"];
const SERVER_CPU: usize = 0;
const CLIENT_CPU: usize = 1;

struct Options {
    servers: Vec<String>,
    conns: usize,
    secs: u64,
    rounds: usize,
    pipeline: usize,
    smoke: bool,
    /// Where to write an SVG bar chart of the medians, if anywhere.
    svg: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        servers: SERVERS.iter().map(|s| s.to_string()).collect(),
        conns: 64,
        secs: 5,
        rounds: 5,
        pipeline: 1,
        svg: None,
        smoke: args.is_empty() || args.iter().all(|a| a == "--bench"),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--smoke" => o.smoke = true,
            "--servers" => {
                o.servers = value("--servers")?.split(',').map(str::to_string).collect();
                if let Some(bad) = o.servers.iter().find(|s| !SERVERS.contains(&s.as_str())) {
                    return Err(format!(
                        "unknown server {bad}; known: {}",
                        SERVERS.join(",")
                    ));
                }
            }
            "--conns" => {
                o.conns = value("--conns")?
                    .parse()
                    .map_err(|e| format!("--conns: {e}"))?
            }
            "--secs" => {
                o.secs = value("--secs")?
                    .parse()
                    .map_err(|e| format!("--secs: {e}"))?
            }
            "--rounds" => {
                o.rounds = value("--rounds")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?
            }
            "--pipeline" => {
                o.pipeline = value("--pipeline")?
                    .parse()
                    .map_err(|e| format!("--pipeline: {e}"))?
            }
            "--svg" => o.svg = Some(value("--svg")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.smoke {
        o.secs = 1;
        o.rounds = 1;
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--server") {
        return match servers::child(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("http bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One measurement of one server.
#[derive(Debug, Clone, Default)]
struct Sample {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_req: f64,
}

fn run(opts: &Options) -> io::Result<()> {
    let have_wrk = ensure_wrk(opts.smoke)?;
    if let Err(e) = sys::pin_to_cpu(CLIENT_CPU) {
        eprintln!("note: could not pin the load generator to CPU {CLIENT_CPU}: {e}");
    }
    let machine = sys::MachineInfo::collect();
    println!(
        "http: {} ({} CPUs), kernel {}, {}; servers on CPU {SERVER_CPU}, wrk on CPU {CLIENT_CPU}",
        machine.cpu_model, machine.cores, machine.kernel, machine.date
    );
    println!(
        "{} connections, pipeline {}, {} s x {} rounds",
        opts.conns, opts.pipeline, opts.secs, opts.rounds
    );
    let n = opts.servers.len();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); n];
    for round in 0..opts.rounds {
        for k in 0..n {
            let i = (round + k) % n;
            let name = &opts.servers[i];
            let mut server = servers::Running::start(name, SERVER_CPU)?;
            servers::verify(server.port, 200)
                .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
            if have_wrk {
                let sample = measure(&mut server, opts)?;
                println!(
                    "  round {} {name:>14}: {:>9.0} req/s  p50 {:>9}  p99 {:>9}  {:>5.2} us CPU/req",
                    round + 1,
                    sample.rps,
                    us(sample.p50_us),
                    us(sample.p99_us),
                    sample.cpu_us_per_req
                );
                samples[i].push(sample);
            } else {
                println!("  {name}: verified (no wrk: not measured)");
            }
            server.stop();
        }
    }
    if have_wrk {
        report(opts, &samples);
        if let Some(path) = &opts.svg {
            let rows: Vec<(String, f64, f64)> = (0..n)
                .map(|i| {
                    let m = |f: fn(&Sample) -> f64| median(samples[i].iter().map(f).collect());
                    (
                        opts.servers[i].clone(),
                        m(|s| s.rps),
                        m(|s| s.cpu_us_per_req),
                    )
                })
                .collect();
            let title = format!(
                "{} conns, pipeline {}, {} | {}, kernel {}",
                opts.conns, opts.pipeline, machine.date, machine.cpu_model, machine.kernel
            );
            std::fs::write(path, chart(&title, &rows))?;
            println!("chart: {path}");
        }
    }
    Ok(())
}

/// Two bar panels (requests/s, server CPU per request), one bar per server.
fn chart(title: &str, rows: &[(String, f64, f64)]) -> String {
    let (w, bar_h, gap, label_w, panel_w) = (760.0, 22.0, 8.0, 130.0, 280.0);
    let h = 60.0 + rows.len() as f64 * (bar_h + gap) + 20.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"10\" y=\"18\" font-size=\"13\">{}</text>\n",
        title.replace('&', "&amp;").replace('<', "&lt;")
    );
    let panels = [
        ("requests/s (more is better)", 1usize),
        ("server CPU us/request (less is better)", 2),
    ];
    for (p, (name, col)) in panels.iter().enumerate() {
        let x0 = label_w + p as f64 * (panel_w + 40.0);
        out += &format!("<text x=\"{x0}\" y=\"42\">{name}</text>\n");
        let max = rows
            .iter()
            .map(|r| if *col == 1 { r.1 } else { r.2 })
            .fold(0.0, f64::max);
        for (i, r) in rows.iter().enumerate() {
            let v = if *col == 1 { r.1 } else { r.2 };
            let y = 52.0 + i as f64 * (bar_h + gap);
            let len = if max > 0.0 {
                v / max * (panel_w - 60.0)
            } else {
                0.0
            };
            if p == 0 {
                out += &format!("<text x=\"10\" y=\"{}\">{}</text>\n", y + 15.0, r.0);
            }
            let label = if *col == 1 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            };
            out += &format!(
                "<rect x=\"{x0}\" y=\"{y}\" width=\"{len:.1}\" height=\"{bar_h}\" fill=\"{}\"/>\n<text x=\"{:.1}\" y=\"{}\">{label}</text>\n",
                if r.0.starts_with("aio") { "#2b7bb9" } else { "#999" },
                x0 + len + 4.0,
                y + 15.0
            );
        }
    }
    out + "</svg>\n"
}

/// Runs wrk against `server` and reads its figures and the server's CPU.
fn measure(server: &mut servers::Running, opts: &Options) -> io::Result<Sample> {
    let url = format!("http://127.0.0.1:{}/plaintext", server.port);
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t1",
        &format!("-c{}", opts.conns),
        &format!("-d{}s", opts.secs),
        "--latency",
    ]);
    let script;
    if opts.pipeline > 1 {
        script = std::env::temp_dir().join(format!("aio-http-pipeline-{}.lua", std::process::id()));
        std::fs::write(&script, pipeline_script(opts.pipeline))?;
        cmd.arg("-s").arg(&script);
    }
    cmd.arg(&url);
    let cpu0 = sys::process_cpu_ns(server.pid())?;
    let start = Instant::now();
    let out = cmd.stderr(Stdio::inherit()).output()?;
    let cpu1 = sys::process_cpu_ns(server.pid())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(io::Error::other(format!("wrk failed: {text}")));
    }
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse::<f64>().ok())
        .ok_or_else(|| io::Error::other(format!("no request count in wrk output: {text}")))?;
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(requests / start.elapsed().as_secs_f64());
    let pct = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .map_or(f64::NAN, |v| parse_duration_us(v.trim()))
            // wrk records one latency per pipelined batch and prints 0 for
            // the upper percentiles it then lacks: not a measurement.
            .max(0.0)
    };
    let pct = |p: &str| match pct(p) {
        v if v > 0.0 => v,
        _ => f64::NAN,
    };
    Ok(Sample {
        rps,
        p50_us: pct("50%"),
        p99_us: pct("99%"),
        cpu_us_per_req: (cpu1 - cpu0) as f64 / 1000.0 / requests.max(1.0),
    })
}

/// wrk prints `812.00us`, `1.23ms`, `2.00s`.
fn parse_duration_us(v: &str) -> f64 {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        (v, f64::NAN)
    };
    num.parse::<f64>().map_or(f64::NAN, |n| n * scale)
}

/// A wrk script sending `depth` pipelined requests per round trip.
fn pipeline_script(depth: usize) -> String {
    format!(
        "init = function(args)\n  local r = {{}}\n  for i = 1, {depth} do\n    r[i] = wrk.format(nil)\n  end\n  req = table.concat(r)\nend\nrequest = function()\n  return req\nend\n"
    )
}

/// A latency for the tables; `-` where wrk gave none.
fn us(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.0} us")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn report(opts: &Options, samples: &[Vec<Sample>]) {
    println!("\nmedians over {} rounds:", opts.rounds);
    println!(
        "| server | req/s | p50 latency | p99 latency | server CPU per request | req/s vs tokio-hyper | CPU/req vs tokio-hyper |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let med = |i: usize, f: fn(&Sample) -> f64| median(samples[i].iter().map(f).collect());
    let tokio = opts.servers.iter().position(|s| s == "tokio-hyper");
    for (i, name) in opts.servers.iter().enumerate() {
        let (rps, cpu) = (med(i, |s| s.rps), med(i, |s| s.cpu_us_per_req));
        let (vs_rps, vs_cpu) = match tokio {
            Some(t) => (
                format!("{:.2}x", rps / med(t, |s| s.rps)),
                format!("{:.2}x", cpu / med(t, |s| s.cpu_us_per_req)),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "| {name} | {rps:.0} | {} | {} | {cpu:.2} us | {vs_rps} | {vs_cpu} |",
            us(med(i, |s| s.p50_us)),
            us(med(i, |s| s.p99_us))
        );
    }
    // Paired per-round ratios (same round, adjacent in time) against tokio.
    if let Some(t) = tokio {
        for (i, name) in opts.servers.iter().enumerate().filter(|(i, _)| *i != t) {
            let ratios: Vec<String> = samples[i]
                .iter()
                .zip(&samples[t])
                .map(|(a, b)| format!("{:.2}", a.cpu_us_per_req / b.cpu_us_per_req))
                .collect();
            println!(
                "paired CPU/req ratio {name} / tokio-hyper per round: {}",
                ratios.join(" ")
            );
        }
    }
}

/// Whether wrk can be used, installing it if missing. A smoke run goes on
/// without it; a measured run needs it.
fn ensure_wrk(smoke: bool) -> io::Result<bool> {
    let found = || {
        Command::new("wrk")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if found() {
        return Ok(true);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/http/install-wrk.sh");
    eprintln!("wrk not found: installing it with {script}");
    let _ = Command::new("sh").arg(script).status();
    if found() {
        return Ok(true);
    }
    if smoke {
        eprintln!(
            "note: wrk could not be installed; the smoke run verifies each server without it"
        );
        return Ok(false);
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        "wrk is needed: run benches/http/install-wrk.sh",
    ))
}

// Used by `servers`: read the child's READY line.
fn read_ready(child: &mut std::process::Child) -> io::Result<u16> {
    let out = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    line.trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| io::Error::other(format!("server did not start: {line:?}")))
}
