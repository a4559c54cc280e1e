//! A dependency-free SVG chart of the echo results: two panels of grouped
//! bars (requests/s, higher is better; server CPU µs per request, lower is
//! better), one group per payload/connection combination, one bar per
//! server, each showing the median over rounds. A baseline's bar has its
//! server's colour, paler and outlined.

use std::fmt::{self, Write as _};

use crate::report::{Combo, Report, Summary, WRITE_TO_STRING};
use crate::servers::{Contender, Server};

const BAR_W: f64 = 16.0;
const GROUP_GAP: f64 = 22.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const PLOT_H: f64 = 240.0;
/// Vertical space of one panel: title, plot, x labels.
const PANEL_H: f64 = PLOT_H + 80.0;
const LEGEND_H: f64 = 66.0;
/// Legend width per character of a label (11 px sans-serif), roughly.
const CHAR_W: f64 = 6.5;

fn color(server: Server) -> &'static str {
    match server {
        Server::AioUring => "#d62728",
        Server::AioEpoll => "#ff9896",
        Server::AioPooled => "#9467bd",
        Server::Tokio => "#1f77b4",
        Server::Monoio => "#2ca02c",
        Server::RawUring => "#7f7f7f",
    }
}

/// The fill attributes of a server's bar and legend swatch.
fn paint(server: &Contender) -> String {
    let c = color(server.server);
    if server.is_baseline() {
        format!("fill=\"{c}\" fill-opacity=\"0.4\" stroke=\"{c}\"")
    } else {
        format!("fill=\"{c}\"")
    }
}

/// The x of each legend entry, and the legend's right edge.
fn legend_layout(servers: &[Contender]) -> (Vec<f64>, f64) {
    let mut x = LEFT;
    let xs = servers
        .iter()
        .map(|s| {
            let at = x;
            x += (16.0 + s.label.chars().count() as f64 * CHAR_W + 14.0).max(110.0);
            at
        })
        .collect();
    (xs, x)
}

/// Renders the report's medians as an SVG document.
pub fn chart(report: &Report) -> String {
    let mut svg = String::new();
    write_chart(&mut svg, report).expect(WRITE_TO_STRING);
    svg
}

fn write_chart(svg: &mut String, report: &Report) -> fmt::Result {
    let servers = &report.conditions.servers;
    let group_w = servers.len() as f64 * BAR_W + GROUP_GAP;
    let (legend_xs, legend_right) = legend_layout(servers);
    let width = (LEFT + report.combos.len() as f64 * group_w + RIGHT)
        .max(legend_right + RIGHT)
        .max(560.0);
    let height = LEGEND_H + 2.0 * PANEL_H;
    let groups: Vec<(Combo, Vec<Summary>)> = report
        .combos
        .iter()
        .map(|c| (c.combo, c.summaries(servers)))
        .collect();

    writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    )?;
    writeln!(svg, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")?;
    let m = &report.machine;
    writeln!(
        svg,
        "<text x=\"{LEFT}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">Echo server, one core: \
         median of {} round(s)</text>",
        report.conditions.rounds,
    )?;
    writeln!(
        svg,
        "<text x=\"{LEFT}\" y=\"32\" fill=\"#555\">{} ({} cores), Linux {}, {}</text>",
        escape(&m.cpu_model),
        m.cores,
        escape(&m.kernel),
        escape(&m.date),
    )?;
    for (server, x) in servers.iter().zip(legend_xs) {
        writeln!(
            svg,
            "<rect x=\"{x}\" y=\"44\" width=\"12\" height=\"12\" {}/>\
             <text x=\"{}\" y=\"54\">{}</text>",
            paint(server),
            x + 16.0,
            escape(&server.label)
        )?;
    }
    panel(
        svg,
        LEGEND_H,
        "Requests/s (higher is better)",
        &groups,
        servers,
        group_w,
        |s| s.req_per_sec,
    )?;
    panel(
        svg,
        LEGEND_H + PANEL_H,
        "Server CPU µs per request (lower is better)",
        &groups,
        servers,
        group_w,
        |s| s.cpu_us_per_req,
    )?;
    svg.push_str("</svg>\n");
    Ok(())
}

/// Draws one panel with its top edge at `top`.
fn panel(
    svg: &mut String,
    top: f64,
    title: &str,
    groups: &[(Combo, Vec<Summary>)],
    servers: &[Contender],
    group_w: f64,
    value: impl Fn(&Summary) -> f64,
) -> fmt::Result {
    let plot_top = top + 30.0;
    let base_y = plot_top + PLOT_H;
    let right = LEFT + groups.len() as f64 * group_w;
    let max = groups
        .iter()
        .flat_map(|(_, s)| s.iter().map(&value))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    // Headroom above the tallest bar for its value label.
    let (axis_max, step) = nice_axis(max * 1.2);
    let y_of = |v: f64| base_y - v / axis_max * PLOT_H;

    writeln!(
        svg,
        "<text x=\"{LEFT}\" y=\"{}\" font-size=\"12\" font-weight=\"bold\">{title}</text>",
        top + 18.0
    )?;
    let mut tick = 0.0;
    while tick <= axis_max * (1.0 + 1e-9) {
        let y = y_of(tick);
        writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            short(tick, step)
        )?;
        tick += step;
    }
    for (g, (combo, summaries)) in groups.iter().enumerate() {
        let x0 = LEFT + g as f64 * group_w + GROUP_GAP / 2.0;
        for (i, server) in servers.iter().enumerate() {
            let Some(s) = summaries.iter().find(|s| s.server == server.label) else {
                continue;
            };
            let v = value(s);
            if !v.is_finite() {
                continue;
            }
            let x = x0 + i as f64 * BAR_W;
            let y = y_of(v);
            writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" {}>\
                 <title>{} {}: {}</title></rect>\
                 <text transform=\"translate({:.1},{:.1}) rotate(-90)\" font-size=\"9\">{}</text>",
                BAR_W - 2.0,
                base_y - y,
                paint(server),
                escape(&server.label),
                combo,
                short(v, v / 100.0),
                x + BAR_W / 2.0 + 3.0,
                y - 3.0,
                short(v, v / 100.0),
            )?;
        }
        // Two lines under each group: payload, then connections.
        let center = x0 + servers.len() as f64 * BAR_W / 2.0;
        writeln!(
            svg,
            "<text x=\"{center:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{center:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} conns</text>",
            base_y + 15.0,
            combo.size_label(),
            base_y + 28.0,
            combo.conns,
        )?;
    }
    writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{base_y:.1}\" x2=\"{right:.1}\" y2=\"{base_y:.1}\" stroke=\"#333\"/>"
    )
}

/// An axis maximum at or above `max` and a tick step, both 1, 2 or 5 times a
/// power of ten, giving about five ticks.
fn nice_axis(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.2);
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// A compact label: `k`/`M` suffixes from 10 000 up, otherwise as many
/// decimals as `resolution` (the tick step, or a hundredth of a bar's value)
/// needs: 120k, 4.50M, 350, 12.5, 3.21, 0.
fn short(v: f64, resolution: f64) -> String {
    match v.abs() {
        0.0 => "0".to_string(),
        a if a >= 1e6 => format!("{:.2}M", v / 1e6),
        a if a >= 1e4 => format!("{:.0}k", v / 1e3),
        _ => {
            let decimals = match resolution.abs() {
                r if r >= 1.0 => 0,
                r if r >= 0.1 => 1,
                _ => 2,
            };
            format!("{v:.decimals$}")
        }
    }
}

/// Escapes text for SVG character data.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
