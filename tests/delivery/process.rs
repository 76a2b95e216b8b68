//! The real server binary in a process of its own, for the tests that stop it.
#![allow(dead_code)] // each test binary uses its own subset

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::chat_client::eventually;

/// The real server binary, so that SIGKILL kills a process and not a task.
pub struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    pub async fn start(port: u16, data: &Path) -> ServerProcess {
        ServerProcess::start_logging(port, data, Stdio::inherit()).await
    }

    /// [`ServerProcess::start`] with its stderr going to `stderr` (a file to read back).
    pub async fn start_logging(port: u16, data: &Path, stderr: Stdio) -> ServerProcess {
        ServerProcess::start_with(port, data, &[], stderr).await
    }

    /// [`ServerProcess::start_logging`] with more environment (a cluster node's Redis and
    /// Postgres, say), set last so it wins.
    pub async fn start_with(
        port: u16,
        data: &Path,
        env: &[(&str, String)],
        stderr: Stdio,
    ) -> ServerProcess {
        let child = Command::new(env!("CARGO_BIN_EXE_natter"))
            .env("NATTER_ADDR", format!("127.0.0.1:{port}"))
            .env("NATTER_DATA_DIR", data)
            .env("LEPTOS_OUTPUT_NAME", "natter")
            .env("LEPTOS_SITE_ROOT", data.join("site"))
            .env("RUST_LOG", "warn")
            // Every client's account, socket and reconnection comes from 127.0.0.1, and the
            // network fuzzer's attackers share one session.
            .env("NATTER_ACCOUNTS_PER_HOUR", "0")
            .env("NATTER_SESSIONS_PER_IP", "0")
            .env("NATTER_SESSIONS_PER_USER", "0")
            .env("NATTER_HANDSHAKES_PER_MINUTE", "0")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start the natter binary");
        let up = eventually(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .await;
        assert!(up, "the server did not start listening on port {port}");
        ServerProcess { child }
    }

    /// How the process ended, if it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// SIGTERM, and wait for the graceful exit.
    pub fn terminate(self) {
        self.terminate_within(Duration::from_secs(30));
    }

    /// SIGTERM, and how long the process took to exit (successfully), failing past `limit`.
    pub fn terminate_within(mut self, limit: Duration) -> Duration {
        let began = Instant::now();
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                assert!(exit.success(), "graceful shutdown exited with {exit}");
                return began.elapsed();
            }
            assert!(
                began.elapsed() < limit,
                "still running {limit:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
