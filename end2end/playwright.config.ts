import { defineConfig } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LEPTOS_ENV } from "./tests/support/server";

// Debian's chromium; never `npx playwright install` (it downloads a browser and fails here).
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  // The release server on :3000, unless one is already running (`cargo leptos end-to-end`).
  webServer: {
    command: "target/release/natter",
    cwd: "..",
    url: "http://127.0.0.1:3000/",
    reuseExistingServer: true,
    timeout: 30_000,
    env: {
      ...LEPTOS_ENV,
      NATTER_ADDR: "127.0.0.1:3000",
      // A fresh store per run: the suite never reads or grows ./data.
      NATTER_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "natter-e2e-")),
    },
  },
  use: { baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000", trace: "off" },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: CHROMIUM,
          args: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
          ],
        },
      },
    },
  ],
});
