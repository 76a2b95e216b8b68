import { test, expect, Browser, BrowserContext } from "./support/test";
import { openChat, send, uniqueName } from "./support/chat";

/** Records every `new Notification(...)` in `window.shown`, and lets the test hide the page:
 * Playwright cannot put a tab in the background, so `document.hidden` follows `window.away`. */
async function watched(context: BrowserContext) {
  await context.addInitScript(() => {
    const w = window as any;
    w.shown = [];
    w.away = false;
    Object.defineProperty(document, "hidden", { get: () => w.away });
    const Real = w.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        w.shown.push({ title, body: options?.body, tag: options?.tag });
      }
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    w.Notification = Recorded;
  });
}

async function user(browser: Browser, granted: boolean) {
  const context = await browser.newContext(granted ? { permissions: ["notifications"] } : {});
  await watched(context);
  const page = await context.newPage();
  const name = uniqueName();
  await openChat(page, "/", name);
  return { context, page, name };
}

const shown = (page: import("@playwright/test").Page) => page.evaluate(() => (window as any).shown);

test("a mention or a DM raises a notification while the tab is hidden, and only then", async ({ browser }) => {
  const ann = await user(browser, false);
  const bob = await user(browser, true);
  // Permission granted: nothing to offer.
  await expect(bob.page.locator("#notify")).toBeHidden();

  // Visible: the page itself shows it, no notification.
  const seen = uniqueName("seen");
  await send(ann.page, `@${bob.name} ${seen}`);
  await expect(bob.page.locator("#messages li.sent").filter({ hasText: seen })).toHaveCount(1);

  await bob.page.evaluate(() => ((window as any).away = true));
  const plain = uniqueName("plain");
  await send(ann.page, `nobody named here ${plain}`);
  await expect(bob.page.locator("#messages li.sent").filter({ hasText: plain })).toHaveCount(1);
  const tag = uniqueName("ping");
  await send(ann.page, `**hey** @${bob.name} ${tag}`);
  await expect.poll(() => shown(bob.page)).toEqual([
    { title: `${ann.name} in #general`, body: `hey @${bob.name} ${tag}`, tag: "general" },
  ]);

  // A direct message calls for its reader without a mention.
  await ann.page.goto(`/dm/${bob.name}`);
  await expect(ann.page.locator("#status")).toHaveText("connected");
  const psst = uniqueName("psst");
  await send(ann.page, psst);
  await expect.poll(async () => (await shown(bob.page)).length).toBe(2);
  const dm = (await shown(bob.page))[1];
  expect(dm.title).toBe(ann.name);
  expect(dm.body).toBe(psst);

  // Without the permission, the page offers to ask (a gesture) instead.
  await openChat(ann.page, "/");
  await expect(ann.page.locator("#notify")).toBeVisible();
  await ann.page.evaluate(() => ((window as any).away = true));
  await send(bob.page, `@${ann.name} back to you`);
  await expect(ann.page.locator("#messages li.sent").filter({ hasText: "back to you" })).toHaveCount(1);
  expect(await shown(ann.page)).toEqual([]);
  await ann.context.close();
  await bob.context.close();
});
