import type { Page } from "@playwright/test";
import { test, expect } from "./support/test";
import { openChat, send, messages, token, join, uniqueName } from "./support/chat";
import { Server } from "./support/server";

test("a sent message shows as pending at once, then as stored", async ({ page }) => {
  await openChat(page);
  const text = `optimistic ${Date.now()}`;
  await send(page, text);
  await expect(page.locator("#messages li.sent .body").filter({ hasText: text })).toHaveCount(1);
  await expect(page.locator("#messages li.pending")).toHaveCount(0);
});

test("a message typed while the server is down is delivered when it returns, even across a reload", async ({ browser }) => {
  const server = new Server(3103);
  await server.start();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openChat(page, server.url + "/");
    await server.stop();
    await expect(page.locator("#status")).toHaveText("reconnecting");
    const text = `typed offline ${Date.now()}`;
    await send(page, text);
    await expect(page.locator("#messages li.pending .body").filter({ hasText: text })).toHaveCount(1);
    // The tab reloads while the server is still down: the outbox lives in localStorage.
    await page.reload().catch(() => {});
    await leaveErrorPage(page);
    await server.start();
    await page.goto(server.url + "/");
    await expect(page.locator("#status")).toHaveText("connected");
    await expect(page.locator("#messages li.sent .body").filter({ hasText: text })).toHaveCount(1);
    // Exactly once, for this page and for a fresh one.
    const other = await (await browser.newContext()).newPage();
    await openChat(other, server.url + "/");
    await expect(messages(other).filter({ hasText: text })).toHaveCount(1);
    await page.waitForTimeout(1000);
    await expect(messages(page).filter({ hasText: text })).toHaveCount(1);
  } finally {
    await server.stop();
  }
});

test("after a restart the page says it is back online with the count of new messages", async ({ browser }) => {
  const server = new Server(3104);
  await server.start();
  try {
    const a = await (await browser.newContext()).newPage();
    await openChat(a, server.url + "/");
    await server.stop();
    await expect(a.locator("#status")).toHaveText("reconnecting");
    await server.start();
    // Another user posts two messages before this page is back.
    const b = await (await browser.newContext()).newPage();
    await openChat(b, server.url + "/");
    await send(b, "while you were away 1");
    await send(b, "while you were away 2");
    await expect(a.locator("#status")).toHaveText("connected");
    await expect(messages(a).filter({ hasText: "while you were away" })).toHaveCount(2);
    await expect(a.locator("#notice")).toContainText("back online");
  } finally {
    await server.stop();
  }
});

test("without JavaScript one can join, read and post", async ({ browser }) => {
  const server = new Server(3105);
  await server.start();
  try {
    const writer = await (await browser.newContext()).newPage();
    await openChat(writer, server.url + "/");
    const text = `<i>history</i> ${Date.now()}`;
    await send(writer, text);
    await expect(writer.locator("#messages li.sent .body").filter({ hasText: text })).toHaveCount(1);
    // Joining is a plain form post answered with a redirect back.
    const reader = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await reader.goto(server.url + "/");
    await join(reader, uniqueName("nojs"));
    await expect(reader.locator("#messages li.sent .body").filter({ hasText: text })).toHaveText([text]);
    await expect(reader.locator(".no-js")).toContainText("without live updates");
    // Posting is a plain form post too; the writer's live page receives it.
    const reply = `no script here ${Date.now()}`;
    await reader.locator("#input").fill(reply);
    await reader.locator("#chat-form button").click();
    await expect(reader.locator("#messages li.sent .body").filter({ hasText: reply })).toHaveCount(1);
    await expect(messages(writer).filter({ hasText: reply })).toHaveCount(1);
    expect(await reader.locator("#messages i").count()).toBe(0);
  } finally {
    await server.stop();
  }
});

test("a message over 4,000 characters is refused with a visible error", async ({ page }) => {
  await openChat(page);
  await send(page, "x".repeat(4001));
  await expect(page.locator("#error")).toContainText("too long");
});

/** A reload against the stopped server lands on Chromium's error page (chrome-error://),
 * whose navigation can commit after the test's next one has begun: it interrupted that one,
 * or left it waiting for a `load` that never came (in CI, twice). A navigation to
 * `about:blank` is interrupted the same way when the error page commits just then, so it is
 * tried until the page is there; the test's own navigation then starts from a settled page. */
async function leaveErrorPage(page: Page) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const left = await page.goto("about:blank").then(
      () => true,
      () => false,
    );
    await page.waitForTimeout(200);
    if (left && page.url() === "about:blank") return;
  }
  throw new Error(`still on ${page.url()} after 10 tries to leave the error page`);
}

/** Posts `count` messages through the official JS client, straight to the server. */
async function post(url: string, count: number, prefix: string) {
  const { io } = require("socket.io-client");
  const socket = io(url, { transports: ["websocket"], auth: { token: await token(url) } });
  try {
    await new Promise<void>((ok, fail) => {
      socket.once("connect", () => ok());
      socket.once("connect_error", fail);
    });
    for (let i = 1; i <= count; i++) {
      const ack = await socket.emitWithAck("chat message", {
        room: "general",
        client_id: crypto.randomUUID(),
        body: `${prefix} ${i}`,
      });
      expect(ack.ok).toBeTruthy();
    }
  } finally {
    socket.close();
  }
}

test("the hydrated page continues from the rendered history without refetching it", async ({ browser }) => {
  // Seeded by one bot, faster than a person may post.
  const server = new Server(3106, { NATTER_MESSAGE_RATE: "0" });
  await server.start();
  try {
    await post(server.url, 70, "seeded");
    const page = await (await browser.newContext()).newPage();
    await openChat(page, server.url + "/");
    // From here on, as the page loads again with its session.
    const sent: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/")) sent.push(`API ${r.url()}`);
      if (r.method() === "POST") sent.push(r.postData() ?? "");
    });
    page.on("websocket", (ws) => ws.on("framesent", (f) => sent.push(String(f.payload))));
    await page.reload();
    await expect(page.locator("#status")).toHaveText("connected");
    // 72 lines: "bot joined", the 70 seeded, "<page's user> joined". The first HTML holds the
    // newest 50: seq 23..=72.
    const lines = page.locator("#messages li[data-seq]");
    const seqs = await lines.evaluateAll((lis) => lis.map((li) => Number(li.getAttribute("data-seq"))));
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => 23 + i));
    await expect.poll(() => sent.some((s) => s.includes('"sync rooms"') && s.includes('"after_seq":72'))).toBe(true);
    expect(sent.filter((s) => s.startsWith("API "))).toEqual([]);

    // Older pages load on demand, without holes or repeats.
    await page.locator("#load-older").click();
    await expect(lines).toHaveCount(72);
    const all = await lines.evaluateAll((lis) => lis.map((li) => Number(li.getAttribute("data-seq"))));
    expect(all).toEqual(Array.from({ length: 72 }, (_, i) => i + 1));
    await expect(page.locator("#messages li.sent")).toHaveCount(70);
    await expect(page.locator("#load-older")).toHaveCount(0);
  } finally {
    await server.stop();
  }
});

test("two tabs typing offline: closing one loses neither message", async ({ browser }) => {
  const server = new Server(3107);
  await server.start();
  try {
    const context = await browser.newContext(); // one browser profile: shared localStorage
    const a = await context.newPage();
    const b = await context.newPage();
    await openChat(a, server.url + "/");
    await openChat(b, server.url + "/");
    await server.stop();
    await expect(a.locator("#status")).toHaveText("reconnecting");
    await send(a, "from tab a");
    await send(b, "from tab b");
    await expect(b.locator("#messages li.pending")).toHaveCount(1);
    await b.close();
    await a.reload().catch(() => {});
    await leaveErrorPage(a);
    await server.start();
    await a.goto(server.url + "/");
    for (const text of ["from tab a", "from tab b"]) {
      await expect(a.locator("#messages li.sent .body").filter({ hasText: text })).toHaveCount(1);
    }
  } finally {
    await server.stop();
  }
});

test("typing faster than the rate allows loses nothing: the outbox waits and resends", async ({ page }) => {
  await openChat(page);
  const tag = `burst ${Date.now()}`;
  // The default rate is 5/s with a burst of 10: the last four wait for the server's word.
  const bodies = Array.from({ length: 14 }, (_, i) => `${tag} ${i + 1}`);
  for (const body of bodies) {
    await send(page, body);
  }
  const stored = page.locator("#messages li.sent .body").filter({ hasText: tag });
  await expect(stored).toHaveCount(14);
  expect(await stored.allTextContents()).toEqual(bodies);
  await expect(page.locator("#messages li.pending")).toHaveCount(0);
});
