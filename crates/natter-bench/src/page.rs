//! Page weight (as served, and as compressed here) and browser timings through Playwright.

use std::{io::Write, path::Path, time::Duration};

use serde::{Deserialize, Serialize};

use crate::{
    server::{Server, Servers},
    wire::{self, Flavour, Probe},
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageReport {
    pub natter: PageSide,
    pub node: PageSide,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageSide {
    pub assets: Vec<Asset>,
    /// Everything a first visit needs, summed per encoding.
    pub total: Sizes,
    /// The output of bench/page/page.mjs, or why it did not run.
    pub browser: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asset {
    pub path: String,
    /// Bytes on the wire with `Accept-Encoding: identity`, `gzip`, `br`.
    pub served: Sizes,
    /// What the server answered `br` with (`identity` if it does not compress).
    pub served_br_encoding: String,
    /// The raw body compressed here: gzip -9 and brotli quality 11.
    pub compressed: Sizes,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Sizes {
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl Sizes {
    fn add(&mut self, other: Sizes) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

pub async fn measure(servers: &Servers, runs: usize, script: &Path) -> PageReport {
    let mut sides = Vec::new();
    for flavour in [Flavour::Natter, Flavour::Node] {
        let server = servers.start(flavour).await.expect("server starts");
        sides.push(side(&server, runs, script).await);
        server.stop().await;
    }
    let node = sides.pop().expect("two sides");
    let natter = sides.pop().expect("two sides");
    PageReport { natter, node }
}

async fn side(server: &Server, runs: usize, script: &Path) -> PageSide {
    // Natter's page is weighed and timed as a signed-in user sees it (the chat, not the join
    // form), with the session the server started with.
    let cookie = server
        .token
        .as_deref()
        .map(|token| format!("natter_session={token}"));
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(value) = cookie
        .as_deref()
        .and_then(|c| reqwest::header::HeaderValue::from_str(c).ok())
    {
        headers.insert(reqwest::header::COOKIE, value);
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap_or_default();
    let paths = match server.flavour {
        Flavour::Natter => {
            // Asset names may carry a content hash: take them from the page itself.
            let (html, _) = fetch(&http, &format!("{}/", server.url()), "identity").await;
            let mut paths = vec!["/".to_owned()];
            paths.extend(pkg_paths(&String::from_utf8_lossy(&html)));
            paths
        }
        Flavour::Node => vec!["/".to_owned(), "/socket.io/socket.io.js".to_owned()],
    };
    if server.flavour == Flavour::Natter {
        // A stored message, so the first visit shows one from the server-rendered HTML.
        let token = server.token.as_deref();
        if let Ok((mut conn, _)) = wire::connect(Flavour::Natter, server.port, token).await {
            let probe = Probe {
                s: 0,
                q: 1,
                t: wire::now_us(),
                r: 0,
            };
            let _ = conn.send_probe(&probe).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let mut assets = Vec::new();
    let mut total = Sizes::default();
    for path in &paths {
        let url = format!("{}{path}", server.url());
        let (raw, _) = fetch(&http, &url, "identity").await;
        let (gzip, _) = fetch(&http, &url, "gzip").await;
        let (br, encoding) = fetch(&http, &url, "br").await;
        let served = Sizes {
            raw: raw.len() as u64,
            gzip: gzip.len() as u64,
            brotli: br.len() as u64,
        };
        total.add(served);
        assets.push(Asset {
            path: path.clone(),
            served,
            served_br_encoding: encoding,
            compressed: compress(&raw),
        });
    }
    let browser = browser_timings(
        script,
        &server.url(),
        server.flavour,
        runs,
        server.token.as_deref(),
    )
    .await;
    PageSide {
        assets,
        total,
        browser,
    }
}

async fn fetch(http: &reqwest::Client, url: &str, encoding: &str) -> (Vec<u8>, String) {
    let Ok(response) = http
        .get(url)
        .header("accept-encoding", encoding)
        .send()
        .await
    else {
        return (Vec::new(), String::new());
    };
    let used = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .to_owned();
    let body = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (body, used)
}

/// Every distinct `/pkg/…` URL the HTML names: the stylesheet, the JS glue, and the wasm the
/// hydration script loads.
fn pkg_paths(html: &str) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("/pkg/") {
        let rest = &html[at..];
        let end = rest
            .find(['"', '\'', ' ', ')', '>', '`'])
            .unwrap_or(rest.len());
        let path = rest[..end].to_owned();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

pub fn compress(raw: &[u8]) -> Sizes {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let gzip = gz
        .write_all(raw)
        .and_then(|()| gz.finish())
        .map_or(0, |v| v.len() as u64);
    let mut br = Vec::new();
    {
        // Quality 11, 4 MB window: what a build step would precompress with.
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        let _ = writer.write_all(raw);
    }
    Sizes {
        raw: raw.len() as u64,
        gzip,
        brotli: br.len() as u64,
    }
}

async fn browser_timings(
    script: &Path,
    url: &str,
    flavour: Flavour,
    runs: usize,
    token: Option<&str>,
) -> serde_json::Value {
    let run = tokio::process::Command::new("node")
        .arg(script)
        .arg(format!("{url}/"))
        .arg(flavour.name())
        .arg(runs.to_string())
        .arg(token.unwrap_or(""))
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(180), run).await {
        Ok(Ok(out)) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            serde_json::from_str(text.lines().last().unwrap_or(""))
                .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }))
        }
        Ok(Ok(out)) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: String = stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            serde_json::json!({ "error": format!("{}: {tail}", out.status) })
        }
        Ok(Err(e)) => serde_json::json!({ "error": e.to_string() }),
        Err(_) => serde_json::json!({ "error": "timed out" }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_assets() {
        let html = r#"<link rel="stylesheet" href="/pkg/natter.a1.css"><script>import('/pkg/natter.b2.js').then(m => m.default({module_or_path: '/pkg/natter.c3.wasm'}))</script><link href="/pkg/natter.a1.css">"#;
        assert_eq!(
            super::pkg_paths(html),
            [
                "/pkg/natter.a1.css",
                "/pkg/natter.b2.js",
                "/pkg/natter.c3.wasm"
            ]
        );
    }

    #[test]
    fn compresses() {
        let sizes = super::compress(&b"natter ".repeat(1000));
        assert_eq!(sizes.raw, 7000);
        assert!(sizes.gzip < 200 && sizes.brotli < 200 && sizes.brotli > 0);
    }
}
