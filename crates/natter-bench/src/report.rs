//! Medians over repetitions, Markdown tables and the p99 plot, from a [`Run`].

use std::{collections::BTreeMap, fmt::Write, path::Path};

use plotters::prelude::*;

use crate::{
    results::{Run, Step, StepsRun, median},
    wire::Flavour,
};

const FLAVOURS: [Flavour; 2] = [Flavour::Natter, Flavour::Node];

pub(crate) fn ms(us: f64) -> String {
    if us.is_nan() {
        "–".into()
    } else if us < 10_000.0 {
        format!("{:.2}", us / 1e3)
    } else {
        format!("{:.0}", us / 1e3)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b != 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

pub(crate) fn med<T>(items: &[T], f: impl Fn(&T) -> f64) -> f64 {
    median(items.iter().map(f).collect()).unwrap_or(f64::NAN)
}

/// Steps of one flavour grouped by target rate, across repetitions.
fn by_rate(runs: &[StepsRun], flavour: Flavour) -> BTreeMap<u64, Vec<Step>> {
    let mut map: BTreeMap<u64, Vec<Step>> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.flavour == flavour) {
        for step in &run.steps {
            map.entry(step.target_rate as u64)
                .or_default()
                .push(step.clone());
        }
    }
    map
}

pub fn markdown(run: &Run) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "### 1. Idle memory (server RSS, medians of {} runs)\n",
        run.reps
    );
    let _ = writeln!(
        w,
        "| server | RSS by clients connected | KB per connection | connect p50 / p99 ms | ready p50 / p99 ms | failed |\n|---|---|---|---|---|---|"
    );
    let mut kb = [f64::NAN; 2];
    for (i, flavour) in FLAVOURS.into_iter().enumerate() {
        let idle: Vec<_> = run.idle.iter().filter(|r| r.flavour == flavour).collect();
        if idle.is_empty() {
            continue;
        }
        let points = idle[0].points.len();
        let rss: Vec<String> = (0..points)
            .map(|p| {
                let clients = idle[0].points[p].clients;
                let kb = med(&idle, |r| {
                    r.points.get(p).map_or(f64::NAN, |x| x.server.rss_kb as f64)
                });
                format!("{clients}: {:.1} MB", kb / 1024.0)
            })
            .collect();
        kb[i] = med(&idle, |r| r.kb_per_conn);
        let _ = writeln!(
            w,
            "| {} | {} | {:.1} | {} / {} | {} / {} | {} |",
            flavour.name(),
            rss.join(", "),
            kb[i],
            ms(med(&idle, |r| r.connect.p50_us as f64)),
            ms(med(&idle, |r| r.connect.p99_us as f64)),
            ms(med(&idle, |r| r.ready.p50_us as f64)),
            ms(med(&idle, |r| r.ready.p99_us as f64)),
            idle.iter().map(|r| r.failed).sum::<usize>(),
        );
    }
    let _ = writeln!(
        w,
        "\nNatter/Node memory per connection: {}\n",
        ratio(kb[0], kb[1])
    );
    if !run.memory.is_empty() {
        let _ = writeln!(
            w,
            "#### Where the memory goes: server variants, idle clients\n"
        );
        let _ = writeln!(
            w,
            "| variant | clients | RSS before → after | KB per connection |\n|---|---|---|---|"
        );
        for r in &run.memory {
            let (Some(a), Some(b)) = (r.points.first(), r.points.last()) else {
                continue;
            };
            let _ = writeln!(
                w,
                "| {} | {} | {:.1} → {:.1} MB | {:.1} |",
                r.label,
                b.clients,
                a.server.rss_kb as f64 / 1024.0,
                b.server.rss_kb as f64 / 1024.0,
                r.kb_per_conn
            );
        }
        out_nl(w);
    }
    steps_table(w, "2. Fan-out", &run.fanout);
    steps_table(w, "3. Max sustained fan-out (ramp)", &run.max);
    let maxes: Vec<f64> = FLAVOURS
        .iter()
        .map(|&f| {
            med(
                &run.max
                    .iter()
                    .filter(|r| r.flavour == f)
                    .collect::<Vec<_>>(),
                |r| r.max_rate,
            )
        })
        .collect();
    if !run.max.is_empty() {
        let receivers = run.max[0].steps.first().map_or(0, |s| s.receivers);
        let _ = writeln!(
            w,
            "Max sustained rate (p99 < 100 ms, no loss, rate reached) with {receivers} receivers: Natter {:.0} msg/s ({:.0} deliveries/s), Node {:.0} msg/s ({:.0} deliveries/s): Natter/Node {}\n",
            maxes[0],
            maxes[0] * receivers as f64,
            maxes[1],
            maxes[1] * receivers as f64,
            ratio(maxes[0], maxes[1])
        );
    }
    steps_table(w, "4. Long-polling receivers", &run.polling);
    if let Some(page) = &run.page {
        let _ = writeln!(w, "### 5. Page weight (bytes)\n");
        let _ = writeln!(
            w,
            "| server | asset | raw | gzip served | br served (encoding) | gzip -9 here | brotli 11 here |\n|---|---|---|---|---|---|---|"
        );
        for (name, side) in [("natter", &page.natter), ("node", &page.node)] {
            for a in &side.assets {
                let _ = writeln!(
                    w,
                    "| {name} | `{}` | {} | {} | {} ({}) | {} | {} |",
                    a.path,
                    a.served.raw,
                    a.served.gzip,
                    a.served.brotli,
                    a.served_br_encoding,
                    a.compressed.gzip,
                    a.compressed.brotli
                );
            }
            let c: u64 = side.assets.iter().map(|a| a.compressed.brotli).sum();
            let _ = writeln!(
                w,
                "| {name} | **total** | {} | {} | {} | | {c} |",
                side.total.raw, side.total.gzip, side.total.brotli
            );
        }
        let _ = writeln!(
            w,
            "\n#### Headless Chromium (medians, ms since navigation start)\n"
        );
        let _ = writeln!(
            w,
            "| server | DOMContentLoaded | load | first message visible | connected | typed message round trip | transferred bytes |\n|---|---|---|---|---|---|---|"
        );
        for (name, side) in [("natter", &page.natter), ("node", &page.node)] {
            let runs = side.browser["runs"].as_array().cloned().unwrap_or_default();
            let m = |key: &str| {
                let v = median(runs.iter().filter_map(|r| r[key].as_f64()).collect());
                v.map_or("–".into(), |v| format!("{v:.0}"))
            };
            let _ = writeln!(
                w,
                "| {name} | {} | {} | {} | {} | {} | {} |",
                m("dcl_ms"),
                m("load_ms"),
                m("first_message_ms"),
                m("connected_ms"),
                m("round_trip_ms"),
                m("transfer_bytes")
            );
        }
        out.push('\n');
    }
    crate::storm::table(&mut out, &run.storm);
    crate::flood::table(&mut out, &run.flood);
    crate::cluster::table(&mut out, &run.cluster);
    out
}

fn steps_table(w: &mut String, title: &str, runs: &[StepsRun]) {
    if runs.is_empty() {
        return;
    }
    let receivers = runs[0].steps.first().map_or(0, |s| s.receivers);
    let _ = writeln!(
        w,
        "### {title}: {receivers} receivers, 1 sender (medians)\n"
    );
    let _ = writeln!(
        w,
        "| msg/s | server | achieved msg/s | p50 ms | p99 ms | max ms | deliveries/s | lost | refused msgs | server CPU % | server CPU µs per delivery | bench CPU % | load avg | p99 Natter/Node |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let natter = by_rate(runs, Flavour::Natter);
    let node = by_rate(runs, Flavour::Node);
    let mut rates: Vec<u64> = natter.keys().chain(node.keys()).copied().collect();
    rates.sort_unstable();
    rates.dedup();
    for rate in rates {
        for (flavour, map) in [(Flavour::Natter, &natter), (Flavour::Node, &node)] {
            let Some(steps) = map.get(&rate) else {
                continue;
            };
            let p99_ratio = match (natter.get(&rate), node.get(&rate)) {
                (Some(a), Some(b)) if flavour == Flavour::Natter => ratio(
                    med(a, |s| s.latency.p99_us as f64),
                    med(b, |s| s.latency.p99_us as f64),
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                w,
                "| {rate} | {} | {:.0} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} | {:.1} | {p99_ratio} |",
                flavour.name(),
                med(steps, |s| s.achieved_rate),
                ms(med(steps, |s| s.latency.p50_us as f64)),
                ms(med(steps, |s| s.latency.p99_us as f64)),
                ms(med(steps, |s| s.latency.max_us as f64)),
                med(steps, |s| s.deliveries_per_s),
                med(steps, |s| s.silent_lost() as f64),
                med(steps, |s| s.ack_errors as f64),
                med(steps, |s| s.server_cpu_pct),
                med(steps, cpu_per_delivery),
                med(steps, |s| s.bench_cpu_pct),
                med(steps, |s| s.load_avg),
            );
        }
    }
    let _ = writeln!(w, "\nConnect p50 / p99 ms: {}\n", connect_line(runs));
}

/// Server CPU time per delivery, in µs: the cost of a fan-out independent of how busy the
/// machine was.
fn cpu_per_delivery(step: &Step) -> f64 {
    if step.delivered == 0 {
        return f64::NAN;
    }
    step.server_cpu_pct / 100.0 * step.secs * 1e6 / step.delivered as f64
}

fn connect_line(runs: &[StepsRun]) -> String {
    FLAVOURS
        .iter()
        .map(|&f| {
            let r: Vec<_> = runs.iter().filter(|r| r.flavour == f).collect();
            format!(
                "{} {} / {} (ready {} / {})",
                f.name(),
                ms(med(&r, |x| x.connect.p50_us as f64)),
                ms(med(&r, |x| x.connect.p99_us as f64)),
                ms(med(&r, |x| x.ready.p50_us as f64)),
                ms(med(&r, |x| x.ready.p99_us as f64)),
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// p99 against the sender's rate: the ramp (100 receivers) and the fan-out (1,000), per server.
pub fn plot(run: &Run, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut series = Vec::new();
    for (runs, label) in [(&run.max, "ramp"), (&run.fanout, "fan-out")] {
        for flavour in FLAVOURS {
            let points: Vec<(f64, f64)> = by_rate(runs, flavour)
                .into_iter()
                .map(|(rate, steps)| {
                    (
                        rate.max(1) as f64,
                        med(&steps, |s| s.latency.p99_us as f64).max(1.0) / 1e3,
                    )
                })
                .collect();
            let receivers = runs
                .first()
                .and_then(|r| r.steps.first())
                .map_or(0, |s| s.receivers);
            if !points.is_empty() {
                series.push((
                    format!("{} ({label}, {receivers} receivers)", flavour.name()),
                    flavour,
                    label,
                    points,
                ));
            }
        }
    }
    let all = series.iter().flat_map(|s| s.3.iter());
    let (xmax, ymax) = all.fold((10.0_f64, 100.0_f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = SVGBackend::new(path, (860, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "p99 latency vs sender rate (lower is better)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d((5.0..xmax * 1.5).log_scale(), (0.1..ymax * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("messages per second from one sender")
        .y_desc("p99 send → receive, ms")
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            [(5.0, 100.0), (xmax * 1.5, 100.0)],
            RED.mix(0.4),
        ))?
        .label("100 ms: the ramp's limit")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.mix(0.4)));
    for (name, flavour, label, points) in series {
        let color = match flavour {
            Flavour::Natter => RGBColor(0xd9, 0x5f, 0x02),
            Flavour::Node => RGBColor(0x1b, 0x6f, 0xb5),
        };
        let style = if label == "ramp" {
            color.stroke_width(2)
        } else {
            color.mix(0.6).stroke_width(1)
        };
        chart
            .draw_series(LineSeries::new(points.clone(), style))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

fn out_nl(w: &mut String) {
    w.push('\n');
}
