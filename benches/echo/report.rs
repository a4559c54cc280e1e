//! Results of the echo comparison: per-round figures, medians per server,
//! and their rendering as a markdown table and as JSON.

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::loadgen::Measurement;
use crate::servers::{Contender, Server};
use crate::sys::MachineInfo;

/// One cell of the matrix: payload size and connection count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Combo {
    /// Bytes per request.
    pub size: usize,
    /// Concurrent connections.
    pub conns: usize,
}

impl Combo {
    /// The payload size, `64 B` or `4 KiB`.
    pub fn size_label(&self) -> String {
        match self.size {
            s if s >= 1024 && s % 1024 == 0 => format!("{} KiB", s / 1024),
            s => format!("{s} B"),
        }
    }
}

impl fmt::Display for Combo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} × {} conns", self.size_label(), self.conns)
    }
}

/// The figures of one server in one round.
#[derive(Debug, Clone)]
pub struct RoundResult {
    /// The server's label.
    pub server: String,
    pub round: usize,
    pub requests: u64,
    pub req_per_sec: f64,
    /// Server CPU time per request, µs.
    pub cpu_us_per_req: f64,
    /// Server CPU time over wall time (1.0 = one core fully busy).
    pub cpu_busy: f64,
    /// Load generator CPU time over wall time.
    pub client_busy: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl RoundResult {
    /// Derives the per-round figures from a load generator measurement.
    pub fn from_measurement(server: &Contender, round: usize, m: &Measurement) -> RoundResult {
        let secs = m.elapsed.as_secs_f64();
        let us = |ns: u64| ns as f64 / 1000.0;
        let busy = |ns: u64| {
            if secs > 0.0 {
                ns as f64 / 1e9 / secs
            } else {
                0.0
            }
        };
        let per_req = |total: f64| {
            if m.requests == 0 {
                f64::NAN
            } else {
                total / m.requests as f64
            }
        };
        RoundResult {
            server: server.label.clone(),
            round,
            requests: m.requests,
            req_per_sec: if secs > 0.0 {
                m.requests as f64 / secs
            } else {
                0.0
            },
            cpu_us_per_req: per_req(us(m.server_cpu_ns)),
            cpu_busy: busy(m.server_cpu_ns),
            client_busy: busy(m.client_cpu_ns),
            p50_us: us(m.latency.quantile(0.50)),
            p99_us: us(m.latency.quantile(0.99)),
            p999_us: us(m.latency.quantile(0.999)),
            errors: m.errors,
            first_error: m.first_error.clone(),
        }
    }

    /// A round in which the server could not be measured at all.
    pub fn failed(server: &Contender, round: usize, error: String) -> RoundResult {
        RoundResult {
            server: server.label.clone(),
            round,
            requests: 0,
            req_per_sec: 0.0,
            cpu_us_per_req: f64::NAN,
            cpu_busy: 0.0,
            client_busy: 0.0,
            p50_us: f64::NAN,
            p99_us: f64::NAN,
            p999_us: f64::NAN,
            errors: 1,
            first_error: Some(error),
        }
    }

    /// Whether something outside the benchmark took CPU time from it.
    ///
    /// The load is a closed loop between two processes on two CPUs of their
    /// own: whichever side is slower runs flat out, so in an undisturbed
    /// round one of them is close to 100% busy. When neither reached
    /// [`DISTURBED_BELOW`], both were waiting for a CPU that other work was
    /// using, and the round measured the machine's load, not the server.
    pub fn disturbed(&self) -> bool {
        self.requests > 0 && self.cpu_busy.max(self.client_busy) < DISTURBED_BELOW
    }

    /// One line for the progress log.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "{:<18} {:>9.0} req/s  {:>6.2} µs CPU/req  CPU {:>3.0}% (client {:>3.0}%)  p50 {:.1} p99 {:.1} p99.9 {:.1} µs  errors {}",
            self.server,
            self.req_per_sec,
            self.cpu_us_per_req,
            self.cpu_busy * 100.0,
            self.client_busy * 100.0,
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.errors,
        );
        if let Some(e) = &self.first_error {
            line.push_str(&format!(" ({e})"));
        }
        if self.disturbed() {
            line.push_str(&format!(
                "  [disturbed: neither side reached {:.0}% CPU]",
                DISTURBED_BELOW * 100.0
            ));
        }
        line
    }
}

/// CPU busy fraction below which, on both sides, a round counts as
/// disturbed (see [`RoundResult::disturbed`]).
pub const DISTURBED_BELOW: f64 = 0.8;

/// Medians over rounds of one server in one combination (each figure is the
/// median of that figure; errors and requests are totals).
#[derive(Debug, Clone)]
pub struct Summary {
    /// The server's label.
    pub server: String,
    pub req_per_sec: f64,
    pub cpu_us_per_req: f64,
    /// Half the range over rounds, relative to the median (0.03 = ±3 %):
    /// how far apart the rounds were, to read differences against.
    pub req_per_sec_spread: f64,
    pub cpu_spread: f64,
    pub cpu_busy: f64,
    pub client_busy: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub requests: u64,
    pub errors: u64,
    /// Rounds measured, and how many of them were disturbed.
    pub rounds: usize,
    pub disturbed: usize,
}

/// Every round of one combination.
#[derive(Debug, Clone)]
pub struct ComboResults {
    pub combo: Combo,
    pub rounds: Vec<RoundResult>,
}

impl ComboResults {
    /// Medians per server, in the order servers ran.
    pub fn summaries(&self, servers: &[Contender]) -> Vec<Summary> {
        servers
            .iter()
            .filter_map(|server| {
                let runs: Vec<&RoundResult> = self
                    .rounds
                    .iter()
                    .filter(|r| r.server == server.label)
                    .collect();
                if runs.is_empty() {
                    return None;
                }
                let values =
                    |f: fn(&RoundResult) -> f64| runs.iter().map(|r| f(r)).collect::<Vec<_>>();
                let med = |f: fn(&RoundResult) -> f64| median(values(f));
                Some(Summary {
                    server: server.label.clone(),
                    req_per_sec: med(|r| r.req_per_sec),
                    cpu_us_per_req: med(|r| r.cpu_us_per_req),
                    req_per_sec_spread: spread(values(|r| r.req_per_sec)),
                    cpu_spread: spread(values(|r| r.cpu_us_per_req)),
                    cpu_busy: med(|r| r.cpu_busy),
                    client_busy: med(|r| r.client_busy),
                    p50_us: med(|r| r.p50_us),
                    p99_us: med(|r| r.p99_us),
                    p999_us: med(|r| r.p999_us),
                    requests: runs.iter().map(|r| r.requests).sum(),
                    errors: runs.iter().map(|r| r.errors).sum(),
                    rounds: runs.len(),
                    disturbed: runs.iter().filter(|r| r.disturbed()).count(),
                })
            })
            .collect()
    }
}

/// The median of the finite values (NaN marks a round that measured
/// nothing); NaN if there are none. Even counts average the middle two.
fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// How the run was set up, echoed in every output.
#[derive(Debug, Clone)]
pub struct Conditions {
    pub warmup: Duration,
    pub measure: Duration,
    pub rounds: usize,
    /// Attempts allowed to a disturbed round beyond the first.
    pub retries: usize,
    /// Every server, baselines included, in running order.
    pub servers: Vec<Contender>,
    pub server_cpu: usize,
    pub client_cpu: usize,
    /// Nice value of both sides, when changed.
    pub nice: Option<i32>,
}

/// Half the range of the finite values relative to their median; NaN if
/// there are none.
fn spread(values: Vec<f64>) -> f64 {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    (max - min) / 2.0 / median(values)
}

/// The whole run: conditions and every result.
#[derive(Debug, Clone)]
pub struct Report {
    pub machine: MachineInfo,
    pub conditions: Conditions,
    pub combos: Vec<ComboResults>,
}

impl Report {
    /// An empty report for a run under `conditions`.
    pub fn new(machine: MachineInfo, conditions: Conditions) -> Report {
        Report {
            machine,
            conditions,
            combos: Vec::new(),
        }
    }

    /// Adds one round's result.
    pub fn push(&mut self, combo: Combo, result: RoundResult) {
        match self.combos.iter_mut().find(|c| c.combo == combo) {
            Some(c) => c.rounds.push(result),
            None => self.combos.push(ComboResults {
                combo,
                rounds: vec![result],
            }),
        }
    }

    /// What makes the run fail: any error, any server that served nothing.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for combo in &self.combos {
            for r in &combo.rounds {
                if r.errors > 0 || r.requests == 0 {
                    failures.push(format!(
                        "{} {} round {}: {} requests, {} errors{}",
                        r.server,
                        combo.combo,
                        r.round,
                        r.requests,
                        r.errors,
                        r.first_error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default(),
                    ));
                }
            }
        }
        failures
    }

    /// The conditions, one markdown list.
    fn conditions(&self) -> String {
        let (m, c) = (&self.machine, &self.conditions);
        let nice = c
            .nice
            .map(|n| format!(", both at nice {n}"))
            .unwrap_or_default();
        let baselines: String = c
            .servers
            .iter()
            .filter(|s| s.is_baseline())
            .map(|s| {
                format!(
                    "- baseline: {} is `{} --server {}`\n",
                    s.label,
                    s.exe.display(),
                    s.server.name()
                )
            })
            .collect();
        let mut out = format!(
            "- machine: {} ({} cores)\n- kernel: {}\n- date: {}\n\
             - method: each server in its own process pinned to CPU {}, the load \
             generator pinned to CPU {}{nice}; {} round(s) interleaved across servers, \
             each {:.1} s measured after {:.1} s of warm-up; figures are medians over \
             rounds, ±x% is half the range over rounds; CPU/req is the server's on-CPU time (user + kernel, all threads) \
             per request; \"server busy\" is that time over wall time (100% = one core), \
             \"client busy\" the same for the load generator (near 100%: the client \
             limited req/s, so compare CPU/req); \
             latency is per request, first byte sent to last byte received; a run in \
             which neither side reached {:.0}% CPU (other work on the machine) was {}.\n",
            m.cpu_model,
            m.cores,
            m.kernel,
            m.date,
            c.server_cpu,
            c.client_cpu,
            c.rounds,
            c.measure.as_secs_f64(),
            c.warmup.as_secs_f64(),
            DISTURBED_BELOW * 100.0,
            match c.retries {
                0 => "kept as it was".to_string(),
                n => format!("measured again, up to {n} time(s)"),
            },
        );
        out.push_str(&baselines);
        out
    }

    /// The whole report as markdown: conditions, then one table per
    /// combination.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        self.write_markdown(&mut out).expect(WRITE_TO_STRING);
        out
    }

    fn write_markdown(&self, out: &mut String) -> fmt::Result {
        out.push_str("# Echo benchmark\n\n");
        out.push_str(&self.conditions());
        for combo in &self.combos {
            let summaries = combo.summaries(&self.conditions.servers);
            let base = |server: Server| summaries.iter().find(|s| s.server == server.name());
            let (tokio, monoio) = (base(Server::Tokio), base(Server::Monoio));
            write!(out, "\n## {}\n\n", combo.combo)?;
            out.push_str(
                "| server | req/s | req/s vs tokio | req/s vs monoio | CPU µs/req | CPU vs tokio \
                 | CPU vs monoio | server busy | client busy | p50 µs | p99 µs | p99.9 µs | errors |\n",
            );
            out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
            for s in &summaries {
                let rps = |b: Option<&Summary>| ratio(s.req_per_sec, b.map(|b| b.req_per_sec));
                let cpu =
                    |b: Option<&Summary>| ratio(s.cpu_us_per_req, b.map(|b| b.cpu_us_per_req));
                writeln!(
                    out,
                    "| {} | {:.0} ±{:.0}% | {} | {} | {:.2} ±{:.0}% | {} | {} | {:.0}% | {:.0}% | {:.1} | {:.1} | {:.1} | {} |",
                    s.server,
                    s.req_per_sec,
                    s.req_per_sec_spread * 100.0,
                    rps(tokio),
                    rps(monoio),
                    s.cpu_us_per_req,
                    s.cpu_spread * 100.0,
                    cpu(tokio),
                    cpu(monoio),
                    s.cpu_busy * 100.0,
                    s.client_busy * 100.0,
                    s.p50_us,
                    s.p99_us,
                    s.p999_us,
                    s.errors,
                )?;
            }
            let disturbed: usize = summaries.iter().map(|s| s.disturbed).sum();
            if disturbed > 0 {
                let rounds: usize = summaries.iter().map(|s| s.rounds).sum();
                writeln!(
                    out,
                    "\n> {disturbed} of these {rounds} runs were disturbed (neither the server nor \
                     the load generator reached {:.0}% CPU: other work was using these CPUs); \
                     treat this table with care.",
                    DISTURBED_BELOW * 100.0
                )?;
            }
        }
        Ok(())
    }

    /// Every figure, machine-readable: conditions, medians per server and
    /// the raw rounds.
    pub fn json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out).expect(WRITE_TO_STRING);
        out
    }

    fn write_json(&self, out: &mut String) -> fmt::Result {
        let m = &self.machine;
        out.push_str("{\n");
        writeln!(
            out,
            "  \"machine\": {{\"cpu_model\": {}, \"cores\": {}, \"kernel\": {}, \"date\": {}}},",
            json_str(&m.cpu_model),
            m.cores,
            json_str(&m.kernel),
            json_str(&m.date),
        )?;
        let c = &self.conditions;
        writeln!(
            out,
            "  \"config\": {{\"warmup_s\": {}, \"measure_s\": {}, \"rounds\": {}, \"retries\": {}, \"servers\": [{}], \
             \"server_cpu\": {}, \"client_cpu\": {}, \"nice\": {}, \"executables\": {{{}}}}},",
            c.warmup.as_secs_f64(),
            c.measure.as_secs_f64(),
            c.rounds,
            c.retries,
            c.servers.iter().map(|s| json_str(&s.label)).collect::<Vec<_>>().join(", "),
            c.server_cpu,
            c.client_cpu,
            c.nice.map_or_else(|| "null".to_string(), |n| n.to_string()),
            c.servers
                .iter()
                .map(|s| format!("{}: {}", json_str(&s.label), json_str(&s.exe.to_string_lossy())))
                .collect::<Vec<_>>()
                .join(", "),
        )?;
        out.push_str("  \"results\": [\n");
        for (i, combo) in self.combos.iter().enumerate() {
            writeln!(
                out,
                "    {{\"size\": {}, \"conns\": {},\n      \"median\": [",
                combo.combo.size, combo.combo.conns
            )?;
            let medians: Vec<String> = combo
                .summaries(&self.conditions.servers)
                .iter()
                .map(|s| {
                    format!(
                        "        {{\"server\": {}, \"req_per_sec\": {}, \"cpu_us_per_req\": {}, \
                         \"req_per_sec_spread\": {}, \"cpu_spread\": {}, \"cpu_busy\": {}, \"client_busy\": {}, \"p50_us\": {}, \"p99_us\": {}, \
                         \"p999_us\": {}, \"requests\": {}, \"errors\": {}}}",
                        json_str(&s.server),
                        json_num(s.req_per_sec),
                        json_num(s.cpu_us_per_req),
                        json_num(s.req_per_sec_spread),
                        json_num(s.cpu_spread),
                        json_num(s.cpu_busy),
                        json_num(s.client_busy),
                        json_num(s.p50_us),
                        json_num(s.p99_us),
                        json_num(s.p999_us),
                        s.requests,
                        s.errors,
                    )
                })
                .collect();
            out.push_str(&medians.join(",\n"));
            out.push_str("\n      ],\n      \"rounds\": [\n");
            let rounds: Vec<String> = combo
                .rounds
                .iter()
                .map(|r| {
                    format!(
                        "        {{\"server\": {}, \"round\": {}, \"requests\": {}, \"req_per_sec\": {}, \
                         \"cpu_us_per_req\": {}, \"cpu_busy\": {}, \"client_busy\": {}, \"p50_us\": {}, \
                         \"p99_us\": {}, \"p999_us\": {}, \"errors\": {}, \"disturbed\": {}, \"first_error\": {}}}",
                        json_str(&r.server),
                        r.round,
                        r.requests,
                        json_num(r.req_per_sec),
                        json_num(r.cpu_us_per_req),
                        json_num(r.cpu_busy),
                        json_num(r.client_busy),
                        json_num(r.p50_us),
                        json_num(r.p99_us),
                        json_num(r.p999_us),
                        r.errors,
                        r.disturbed(),
                        r.first_error.as_deref().map_or_else(|| "null".to_string(), json_str),
                    )
                })
                .collect();
            out.push_str(&rounds.join(",\n"));
            let comma = if i + 1 < self.combos.len() { "," } else { "" };
            writeln!(out, "\n      ]}}{comma}")?;
        }
        out.push_str("  ]\n}\n");
        Ok(())
    }
}

/// Why `write!` into a `String` is `expect`ed: `String`'s `fmt::Write`
/// never fails.
pub const WRITE_TO_STRING: &str = "writing to a String cannot fail";

/// `value / base` formatted as `1.23x`, or `-` without a base.
fn ratio(value: f64, base: Option<f64>) -> String {
    match base {
        Some(b) if b > 0.0 && b.is_finite() && value.is_finite() => format!("{:.2}x", value / b),
        _ => "-".to_string(),
    }
}

/// A JSON number; NaN and infinities (unmeasured figures) become null.
fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "null".to_string()
    }
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
