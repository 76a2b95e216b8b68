import { test, expect, Browser, BrowserContext, Page } from "./support/test";
import { join, openChat, send, uniqueName } from "./support/chat";
import { Server } from "./support/server";
import { NAME_PAYLOADS, PAYLOADS } from "./support/xss";

/** Every way a payload could run is counted in `window.xssHits`: the corpus's own trap,
 * and alert/confirm/prompt (none of which this page calls here). */
async function trapped(context: BrowserContext) {
  await context.addInitScript(() => {
    const w = window as any;
    w.xssHits = 0;
    w.xssTrap = () => (w.xssHits += 1);
    w.alert = w.confirm = w.prompt = () => (w.xssHits += 1);
  });
  return context;
}

async function user(browser: Browser, url: string) {
  const context = await trapped(await browser.newContext());
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await openChat(page, url, uniqueName());
  return { context, page, dialogs };
}

/** Elements a message body may become (src/app/markdown.rs) and the list's own. */
const MESSAGE_TAGS = new Set(["LI", "UL", "OL", "P", "SPAN", "DIV", "A", "EM", "STRONG", "DEL", "CODE", "PRE", "BLOCKQUOTE", "BR", "TIME", "BUTTON"]);

/** What must never be in the page's user-written parts, wherever they are shown. */
async function injected(page: Page) {
  return page.evaluate((allowed) => {
    const bad: string[] = [];
    const parts = document.querySelectorAll("#messages, .sidebar, .topbar, .members");
    for (const part of parts) {
      for (const el of part.querySelectorAll("*")) {
        if (part.id === "messages" && !allowed.includes(el.tagName)) bad.push(`<${el.tagName}> in #messages`);
        if (/^(SCRIPT|IMG|SVG|MATH|IFRAME|OBJECT|EMBED|STYLE|LINK|META|BASE|VIDEO|AUDIO|TEMPLATE|MARQUEE|DETAILS|X)$/i.test(el.tagName)) {
          bad.push(`<${el.tagName}>`);
        }
        for (const attr of el.getAttributeNames()) {
          if (attr.startsWith("on") || attr === "srcdoc" || attr === "style") bad.push(`${el.tagName}[${attr}]`);
        }
        const href = el.getAttribute("href");
        if (href !== null && !/^(https?:\/\/|mailto:|\/(?![\/\\]))/i.test(href)) bad.push(`href=${href}`);
      }
    }
    return bad;
  }, [...MESSAGE_TAGS]);
}

async function hits(page: Page) {
  return page.evaluate(() => (window as any).xssHits as number);
}

/** Payloads whose text Markdown leaves alone: they must show character for character. */
function plain(payload: string) {
  return !/[*_`\\&!~\[\]\n]/.test(payload) && !/^\s*([>#+-]|\d+[.)])/.test(payload);
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

test("the XSS corpus runs nowhere: message bodies, names, room names and topics; server-rendered, hydrated and live", async ({ browser }) => {
  test.setTimeout(300_000);
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(200);
  // The message rate is raised so the corpus goes in quickly; everything else as shipped.
  const server = new Server(3120, { NATTER_MESSAGE_RATE: "1000", NATTER_MESSAGE_BURST: "1000" });
  await server.start();
  try {
    const ann = await user(browser, server.url + "/");
    const bob = await user(browser, server.url + "/");
    // Bob's server-rendered page, with scripts off: what a first paint holds.
    const ssr = await browser.newContext({ javaScriptEnabled: false, storageState: await bob.context.storageState() });
    const ssrPage = await ssr.newPage();

    const bodies = PAYLOADS.filter((p) => !p.includes("\0"));
    const batch = 40; // within the 50 messages a first paint holds
    for (let from = 0; from < bodies.length; from += batch) {
      const part = bodies.slice(from, from + batch);
      const before = await bob.page.locator("#messages li.sent").count();
      for (const payload of part) await send(ann.page, payload);
      await expect(ann.page.locator("#messages li.pending")).toHaveCount(0, { timeout: 30_000 });
      // Live, in the other user's page.
      await expect(bob.page.locator("#messages li.sent")).toHaveCount(before + part.length);
      const checkLines = async (page: Page, where: string) => {
        const lines = page.locator("#messages li.sent .body");
        const texts = await lines.allTextContents();
        const newest = texts.slice(-part.length);
        expect(newest.length, where).toBe(part.length);
        part.forEach((payload, i) => {
          expect(newest[i].length, `${where}: payload ${from + i} shows as text`).toBeGreaterThan(0);
          if (plain(payload)) expect(squash(newest[i]), `${where}: payload ${from + i}`).toContain(squash(payload));
        });
        expect(await injected(page), where).toEqual([]);
      };
      await checkLines(bob.page, "live");
      await checkLines(ann.page, "sender");
      await ssrPage.goto(server.url + "/");
      await checkLines(ssrPage, "server-rendered");
      await openChat(bob.page, server.url + "/");
      await checkLines(bob.page, "hydrated");
      expect(await hits(bob.page)).toBe(0);
      expect(await hits(ann.page)).toBe(0);
    }
    // A NUL is refused before it is sent, with the reason; the text stays in the composer.
    for (const payload of PAYLOADS.filter((p) => p.includes("\0"))) {
      await send(ann.page, payload);
      await expect(ann.page.locator("#error")).not.toBeEmpty();
      await expect(ann.page.locator("#input")).toHaveValue(payload);
      await ann.page.locator("#input").fill("");
    }

    // Topics are free text: each a room's, shown in its header (server-rendered and hydrated)
    // and in the other user's directory.
    const topics = PAYLOADS.filter((p) => p.length <= 200 && !/[\x00-\x1f\x7f]/.test(p)).slice(0, 12);
    const rooms: string[] = [];
    for (const [i, topic] of topics.entries()) {
      const room = `x${uniqueName("").toLowerCase().replace(/[^a-z0-9]/g, "")}${i}`.slice(0, 30);
      rooms.push(room);
      await ann.page.locator("#room-name").fill(room);
      await ann.page.locator("#room-topic").fill(topic);
      await ann.page.locator("#room-form button").click();
      await expect(ann.page).toHaveURL(new RegExp(`/r/${room}$`));
      await expect(ann.page.locator("#room-title")).toHaveText(`#${room}`);
      await expect(ann.page.locator(".topbar .topic")).toHaveText(topic.trim());
    }
    expect(await injected(ann.page)).toEqual([]);
    for (const [i, room] of rooms.entries()) {
      const ssrAnn = await browser.newContext({ javaScriptEnabled: false, storageState: await ann.context.storageState() });
      const p = await ssrAnn.newPage();
      await p.goto(`${server.url}/r/${room}`);
      await expect(p.locator(".topbar .topic")).toHaveText(topics[i].trim());
      expect(await injected(p), `topic ${i} server-rendered`).toEqual([]);
      await ssrAnn.close();
    }
    await openChat(bob.page, server.url + "/");
    for (const [i, room] of rooms.entries()) {
      await expect(bob.page.locator(`#directory li[data-room="${room}"] .topic`)).toHaveText(topics[i].trim());
    }
    expect(await injected(bob.page)).toEqual([]);

    // Names and room names follow stricter rules: each payload is refused with the reason.
    const stranger = await trapped(await browser.newContext());
    const page = await stranger.newPage();
    for (const name of NAME_PAYLOADS) {
      await page.goto(server.url + "/");
      await page.waitForLoadState("networkidle");
      await join(page, name);
      await expect(page.locator("#join-error"), JSON.stringify(name)).toContainText(/Names are|taken/);
      expect(await hits(page)).toBe(0);
    }
    for (const name of NAME_PAYLOADS) {
      await ann.page.locator("#room-name").fill(name);
      await ann.page.locator("#room-form button").click();
      await expect(ann.page.locator("#room-error"), JSON.stringify(name)).not.toBeEmpty();
    }
    expect(await hits(ann.page)).toBe(0);
    expect(await hits(bob.page)).toBe(0);
    expect([...ann.dialogs, ...bob.dialogs]).toEqual([]);
    await stranger.close();
    await ssr.close();
  } finally {
    await server.stop();
  }
});
