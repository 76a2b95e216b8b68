import { test, expect } from "./support/test";
import { send, messages, user, uniqueName } from "./support/chat";
import { ROOT } from "./support/server";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// `make dist`'s tarball, as an operator would use it: unpacked somewhere else, the binary
// started from there with the environment of the systemd unit (deploy/natter.env), only the
// machine-specific values moved (paths, ports, the public URL), and nothing of this checkout's
// environment. Two people chat through it.

const PORT = 3491;
const METRICS_PORT = 3492;

function tarball() {
  const dist = path.join(ROOT, "target/dist");
  const found = fs.existsSync(dist) ? fs.readdirSync(dist).filter((f) => f.endsWith("-linux.tar.gz")) : [];
  if (found.length !== 1) throw new Error(`expected one tarball in ${dist} (run make dist), found ${found}`);
  return path.join(dist, found[0]);
}

/** The unit's environment file, with /opt/natter and /var/lib/natter moved to `root`/`data`. */
function unitEnv(root: string, data: string) {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(root, "natter.env"), "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replaceAll("/opt/natter", root).replaceAll("/var/lib/natter", data);
  }
  return {
    ...env,
    NATTER_ADDR: `127.0.0.1:${PORT}`,
    NATTER_METRICS_ADDR: `127.0.0.1:${METRICS_PORT}`,
    NATTER_PUBLIC_URL: `http://127.0.0.1:${PORT}`,
  };
}

test("the release tarball runs from anywhere with the unit's environment, and chats", async ({ browser }) => {
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), "natter-dist-"));
  execFileSync("tar", ["-xzf", tarball(), "-C", unpacked]);
  const [dir] = fs.readdirSync(unpacked);
  const root = path.join(unpacked, dir);
  for (const file of ["bin/natter", "natter.service", "natter.env", "nginx-natter.conf", "README.md"]) {
    expect(fs.existsSync(path.join(root, file)), file).toBe(true);
  }
  const unit = fs.readFileSync(path.join(root, "natter.service"), "utf8");
  for (const line of ["DynamicUser=yes", "StateDirectory=natter", "ProtectSystem=strict", "NoNewPrivileges=yes"]) {
    expect(unit).toContain(line);
  }
  expect(fs.readFileSync(path.join(root, "nginx-natter.conf"), "utf8")).toContain("proxy_set_header Upgrade");
  // systemd's own check of the unit (Debian's systemd-analyze), pointed at the unpacked files.
  const checked = path.join(unpacked, "natter.service");
  fs.writeFileSync(
    checked,
    unit.replaceAll("/etc/natter/natter.env", path.join(root, "natter.env")).replaceAll("/opt/natter", root),
  );
  const verified = spawnSync("systemd-analyze", ["verify", checked], { encoding: "utf8" });
  expect(verified.error, "systemd-analyze must be installed").toBeUndefined();
  expect(verified.status, verified.stderr).toBe(0);
  expect(verified.stderr + verified.stdout, "warnings count too").toBe("");

  const data = fs.mkdtempSync(path.join(os.tmpdir(), "natter-dist-data-"));
  const env = unitEnv(root, data);
  expect(env.LEPTOS_SITE_ROOT).toBe(path.join(root, "site"));
  const proc = spawn(path.join(root, "bin/natter"), [], {
    cwd: data,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  proc.stderr!.on("data", (d) => (log += d));
  try {
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${PORT}/healthz`).catch(() => null))?.status, {
        timeout: 20_000,
      })
      .toBe(200);
    // JSON logs, as the unit asks, and metrics on their own port.
    await expect.poll(() => log.includes("\n")).toBe(true);
    const first = JSON.parse(log.split("\n")[0]);
    expect(first.level).toBe("INFO");
    const metrics = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
    expect(metrics).toContain("natter_connections");

    const url = `http://127.0.0.1:${PORT}/`;
    const ann = await user(browser, { url });
    const bob = await user(browser, { url });
    const hello = uniqueName("from-the-tarball");
    await send(ann.page, hello);
    await expect(messages(bob.page).filter({ hasText: hello })).toHaveCount(1);
    expect(fs.existsSync(path.join(data, "natter.db"))).toBe(true);
    await ann.context.close();
    await bob.context.close();
  } finally {
    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("hung"), 10_000))]);
    if (code === "hung") proc.kill("SIGKILL");
    expect(code, `exit after SIGTERM; log:\n${log.slice(-2000)}`).toBe(0);
  }
});
