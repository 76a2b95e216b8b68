#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    natter::server::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The binary is the server; the browser side is the `hydrate` lib built by cargo-leptos.
    eprintln!("build the server with `--features ssr` (cargo leptos build does)");
}
