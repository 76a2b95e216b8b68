import { test, expect } from "./support/test";
import { openChat, send, messages } from "./support/chat";
import { Server } from "./support/server";

test("a message sent in one page appears in both, in order", async ({ browser }) => {
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  const errors = [...(await openChat(a)), ...(await openChat(b))];
  const tag = Date.now().toString(36);
  const sent = [`first ${tag}`, `second ${tag}`, `third ${tag}`];
  for (const text of sent) await send(a, text);
  for (const page of [a, b]) {
    await expect(messages(page).filter({ hasText: tag })).toHaveText(sent);
  }
  await expect(a.locator("#transport")).toHaveText("websocket");
  expect(errors).toEqual([]);
});

test("with WebSocket blocked, two pages chat over long-polling", async ({ browser }) => {
  const pages = [];
  for (let i = 0; i < 2; i++) {
    const page = await (await browser.newContext()).newPage();
    // Every WebSocket to the server is closed at once, as a proxy that refuses upgrades.
    await page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close());
    await openChat(page);
    pages.push(page);
  }
  const text = `over polling ${Date.now()}`;
  await send(pages[0], text);
  for (const page of pages) {
    await expect(messages(page).filter({ hasText: text })).toHaveCount(1);
    await expect(page.locator("#transport")).toHaveText("polling");
  }
});

test("a WebSocket-only server still chats", async ({ browser }) => {
  const server = new Server(3101, { NATTER_TRANSPORTS: "websocket" });
  await server.start();
  try {
    const page = await (await browser.newContext()).newPage();
    await openChat(page, server.url + "/");
    await expect(page.locator("#transport")).toHaveText("websocket");
    await send(page, "ws only");
    await expect(messages(page).filter({ hasText: "ws only" })).toHaveCount(1);
  } finally {
    await server.stop();
  }
});

test("after a server restart the page reconnects by itself and chat resumes", async ({ browser }) => {
  const server = new Server(3102);
  await server.start();
  try {
    const page = await (await browser.newContext()).newPage();
    await openChat(page, server.url + "/");
    await send(page, "before restart");
    await expect(messages(page).filter({ hasText: "before restart" })).toHaveCount(1);
    await server.stop();
    await expect(page.locator("#status")).toHaveText("reconnecting");
    await server.start();
    await expect(page.locator("#status")).toHaveText("connected");
    await send(page, "after restart");
    await expect(messages(page).filter({ hasText: "after restart" })).toHaveCount(1);
  } finally {
    await server.stop();
  }
});

test("markup in a message is shown as text and never runs", async ({ browser }) => {
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  await openChat(a);
  await openChat(b);
  let dialogs = 0;
  for (const p of [a, b]) p.on("dialog", (d) => { dialogs++; void d.dismiss(); });
  const payload = `<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script><b>bold</b>`;
  await send(a, payload);
  for (const page of [a, b]) {
    await expect(messages(page).filter({ hasText: "<b>bold</b>" })).toHaveText([payload]);
    expect(await page.locator("#messages img, #messages script, #messages b").count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  }
  expect(dialogs).toBe(0);
});

test("an empty message is refused with a visible error", async ({ page }) => {
  await openChat(page);
  const before = await messages(page).count();
  await send(page, "   ");
  await expect(page.locator("#error")).toContainText("empty");
  expect(await messages(page).count()).toBe(before);
});

test("assets are hashed, compressed and cached for good", async ({ request }) => {
  const html = await (await request.get("/")).text();
  const names = [...html.matchAll(/\/pkg\/natter\.[\w-]{8,}\.(js|wasm|css)/g)].map((m) => m[0]);
  expect(new Set(names.map((n) => n.split(".").pop()))).toEqual(new Set(["js", "wasm", "css"]));
  let brotliBytes = 0;
  for (const name of new Set(names)) {
    const res = await request.get(name, { headers: { "accept-encoding": "br, gzip" } });
    expect(res.status()).toBe(200);
    expect(res.headers()["cache-control"]).toContain("immutable");
    expect(res.headers()["content-encoding"]).toBe("br");
    // Precompressed files carry their length; Playwright hands back the decoded body.
    brotliBytes += Number(res.headers()["content-length"]);
  }
  // The page-weight budget of BENCHMARKS.md (368 KB brotli, wasm + JS + CSS): a size, not a
  // timing, so it can guard every build; the wasm is 97 % of it.
  expect(brotliBytes).toBeGreaterThan(100_000);
  expect(brotliBytes).toBeLessThanOrEqual(368_000);
});
