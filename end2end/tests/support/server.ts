import { spawn, ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../../..");
export const LEPTOS_ENV = {
  LEPTOS_OUTPUT_NAME: "natter",
  LEPTOS_SITE_ROOT: "target/site",
  LEPTOS_SITE_PKG_DIR: "pkg",
  LEPTOS_HASH_FILES: "true",
  RUST_LOG: "info",
  // Every page of the suite comes from 127.0.0.1 and it makes a hundred accounts in minutes:
  // the per-address limits are the cargo tests' to check (tests/server/limits.rs).
  NATTER_ACCOUNTS_PER_HOUR: "0",
  NATTER_SESSIONS_PER_IP: "0",
  NATTER_HANDSHAKES_PER_MINUTE: "0",
};

/** A Natter release server of the test's own, on `port`, with extra environment and its own
 * SQLite file, kept across `stop()` / `start()` like a real restart. */
export class Server {
  proc?: ChildProcess;
  log = "";
  readonly env: Record<string, string>;
  constructor(readonly port: number, env: Record<string, string> = {}) {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "natter-e2e-"));
    this.env = { NATTER_DATA_DIR: data, ...env };
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.proc = spawn(path.join(ROOT, "target/release/natter"), [], {
      cwd: ROOT,
      env: { ...process.env, ...LEPTOS_ENV, NATTER_ADDR: `127.0.0.1:${this.port}`, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc.stdout?.on("data", (d) => (this.log += d));
    this.proc.stderr?.on("data", (d) => (this.log += d));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`server exited: ${this.log}`);
      try {
        if ((await fetch(this.url + "/")).ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not start on ${this.url}: ${this.log}`);
  }

  /** Stop with `signal` and wait for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM") {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  }
}
