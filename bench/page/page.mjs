// Page timings in headless Chromium, for `natter-bench` (it passes the server's URL).
//
//   node bench/page/page.mjs <url> <natter|node> <runs> [session token]
//
// With a token (Natter), each run's fresh context carries it as the `natter_session` cookie:
// the page timed is the chat a signed-in user opens, not the join form.
//
// Prints one JSON object: per run, milliseconds since navigation start until DOMContentLoaded,
// load, the first chat message visible (Natter renders stored ones server-side; the tutorial
// keeps no history, so null there), the page being connected (Natter: `#status` says
// "connected"; the tutorial: its global `socket.connected`), and a typed message's round trip
// back into the list; plus the bytes the page transferred (Socket.IO traffic excluded).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../end2end/package.json"));
const { chromium } = require("@playwright/test");

const [url, kind, runsArg, token] = process.argv.slice(2);
const runs = Math.min(Math.max(Number(runsArg) || 3, 1), 10);
const STEP_TIMEOUT = 20_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

// Each test returns the page's own clock (ms since navigation start) once it holds; polled
// every 5 ms, which bounds the error.
async function when(page, test, arg) {
  const handle = await page.waitForFunction(test, arg, { polling: 5, timeout: STEP_TIMEOUT });
  return handle.jsonValue();
}

const results = [];
try {
  for (let i = 0; i < runs; i++) {
    // A fresh context per run: a cold cache, like a first visit.
    const context = await browser.newContext();
    if (token) {
      await context.addCookies([{ name: "natter_session", value: token, url }]);
    }
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: "commit", timeout: STEP_TIMEOUT });
    const first = kind === "natter"
      ? when(page, () => {
          const li = document.querySelector("#messages li");
          return li && li.offsetParent !== null && performance.now();
        })
      : Promise.resolve(null);
    const connected = kind === "natter"
      ? when(page, () => document.querySelector("#status")?.textContent === "connected" && performance.now())
      : when(page, () => typeof socket !== "undefined" && socket.connected && performance.now());
    const [firstMs, connectedMs] = await Promise.all([first, connected]);
    await page.waitForLoadState("load");
    const text = `bench round trip ${i} ${Date.now()}`;
    const typedAt = await page.evaluate(() => performance.now());
    await page.locator("#input").fill(text);
    await page.locator("#input").press("Enter");
    const shownAt = await when(page, (t) =>
      [...document.querySelectorAll("#messages li")].some((li) => li.textContent.includes(t)) && performance.now(), text);
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const resources = performance.getEntriesByType("resource")
        .filter((r) => !r.name.includes("/socket.io/?"));
      return {
        dcl_ms: nav.domContentLoadedEventEnd,
        load_ms: nav.loadEventEnd,
        transfer_bytes: nav.transferSize + resources.reduce((n, r) => n + r.transferSize, 0),
        decoded_bytes: nav.decodedBodySize + resources.reduce((n, r) => n + r.decodedBodySize, 0),
      };
    });
    results.push({
      ...timing,
      first_message_ms: firstMs,
      connected_ms: connectedMs,
      round_trip_ms: shownAt - typedAt,
      errors,
    });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ kind, url, runs: results }));
