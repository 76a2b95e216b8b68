import { ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ROOT, Server } from "./server";

const POSTGRES = ["postgres://postgres@127.0.0.1:5432", "postgres://root@127.0.0.1:5432"];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const listener = net.createServer();
    listener.once("error", fail);
    listener.listen(0, "127.0.0.1", () => {
      const port = (listener.address() as net.AddressInfo).port;
      listener.close(() => ok(port));
    });
  });
}

async function listening(port: number, what: string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((ok) => {
      const socket = net.connect(port, "127.0.0.1", () => ok(socket.end() && true));
      socket.once("error", () => ok(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start on port ${port}`);
}

/** Three release nodes on a redis-server and a Postgres database of their own, behind
 * Debian's nginx (deploy/cluster/nginx.conf.in) kept sticky by the session cookie, so that a
 * test's pages, all from 127.0.0.1, can still be on different nodes. Redis, Postgres and
 * nginx are required: a missing one fails the test. */
export class Cluster {
  nodes: Server[] = [];
  private redis?: ChildProcess;
  private nginx?: ChildProcess;
  private admin?: string;
  private readonly db = `natter_e2e_${Math.random().toString(36).slice(2, 10)}`;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "natter-cluster-"));
  port = 0;

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(count = 3, env: Record<string, string> = {}) {
    const redisPort = await freePort();
    this.redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    await listening(redisPort, "redis-server");
    for (const admin of POSTGRES) {
      try {
        execFileSync("psql", [`${admin}/test`, "-qc", `CREATE DATABASE ${this.db}`], { stdio: "pipe" });
        this.admin = admin;
        break;
      } catch {
        /* the next role */
      }
    }
    if (!this.admin) throw new Error(`no Postgres at 127.0.0.1:5432 (tried ${POSTGRES})`);
    for (let n = 0; n < count; n++) {
      const node = new Server(await freePort(), {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        DATABASE_URL: `${this.admin}/${this.db}`,
        NATTER_TRUSTED_PROXIES: "127.0.0.1/32",
        ...env,
      });
      await node.start();
      this.nodes.push(node);
    }
    this.port = await freePort();
    const servers = this.nodes.map((n) => `server 127.0.0.1:${n.port} max_fails=1 fail_timeout=5s;`).join(" ");
    const conf = fs
      .readFileSync(path.join(ROOT, "deploy/cluster/nginx.conf.in"), "utf8")
      .replaceAll("@DIR@", this.dir)
      .replace("@LISTEN@", `127.0.0.1:${this.port}`)
      .replace("@BALANCE@", "hash $cookie_natter_session consistent;")
      .replace("@SERVERS@", servers)
      .replace("@USER@", process.getuid?.() === 0 ? "user root;" : "");
    fs.writeFileSync(path.join(this.dir, "nginx.conf"), conf);
    this.nginx = spawn("/usr/sbin/nginx", ["-c", path.join(this.dir, "nginx.conf"), "-p", this.dir], { stdio: "inherit" });
    await listening(this.port, "nginx");
  }

  async stop() {
    for (const node of this.nodes) await node.stop();
    const nginx = this.nginx;
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once("exit", r));
      nginx.kill("SIGTERM"); // the master stops its workers
      await exited;
    }
    this.redis?.kill("SIGKILL");
    if (this.admin) {
      execFileSync("psql", [`${this.admin}/test`, "-qc", `DROP DATABASE IF EXISTS ${this.db} WITH (FORCE)`], { stdio: "pipe" });
    }
  }
}
