import { test, expect, Browser } from "./support/test";
import { join, send, messages, uniqueName, user } from "./support/chat";
import { Server } from "./support/server";

// `--registration open|invite|closed` (src/server/registration.rs), each on a server of its
// own with an empty store, so that the first account is the administrator.

/** A browser context at `url` showing the join form, not yet joined. */
async function stranger(browser: Browser, url: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.locator("#join-form")).toBeVisible();
  await page.waitForLoadState("networkidle");
  return { context, page };
}

test("open: anyone picks a name and chats, and nobody is offered invites", async ({ browser }) => {
  const ann = await user(browser);
  await expect(ann.page.locator("#make-invite")).toHaveCount(0);
  await ann.context.close();
});

test("invite: new names only through an administrator's link, each link once", async ({ browser }) => {
  const server = new Server(3493, { NATTER_REGISTRATION: "invite" });
  await server.start();
  try {
    const home = `${server.url}/`;
    // The first account is the administrator's, and is let in without a link.
    const admin = await user(browser, { url: home });
    await admin.page.locator("#make-invite").click();
    const link = admin.page.locator("#invite-link");
    await expect(link).toBeVisible();
    const path = (await link.getAttribute("href"))!;
    expect(path).toMatch(/^\/\?invite=[A-Za-z0-9_-]{40,}$/);

    const uninvited = await stranger(browser, home);
    await join(uninvited.page, uniqueName());
    await expect(uninvited.page.locator("#join-error")).toContainText("need an invite link");
    await uninvited.context.close();

    const invited = await stranger(browser, server.url + path);
    await expect(invited.page.locator("#invited")).toBeVisible();
    await join(invited.page, uniqueName("guest"));
    await expect(invited.page.locator("#status")).toHaveText("connected");
    const hello = uniqueName("invited-hello");
    await send(invited.page, hello);
    await expect(messages(admin.page).filter({ hasText: hello })).toHaveCount(1);
    await expect(invited.page.locator("#make-invite")).toHaveCount(0);

    const again = await stranger(browser, server.url + path);
    await join(again.page, uniqueName("late"));
    await expect(again.page.locator("#join-error")).toContainText("expired or was already used");
    for (const c of [admin.context, invited.context, again.context]) await c.close();
  } finally {
    await server.stop();
  }
});

test("closed: the named administrator gets in and signs in again; new names are refused", async ({ browser }) => {
  const boss = uniqueName("boss");
  const server = new Server(3494, { NATTER_REGISTRATION: "closed", NATTER_ADMINS: boss });
  await server.start();
  try {
    const home = `${server.url}/`;
    const newcomer = await stranger(browser, home);
    await join(newcomer.page, uniqueName());
    await expect(newcomer.page.locator("#join-error")).toContainText("admits no new names");
    await newcomer.context.close();

    const page = await (await browser.newContext()).newPage();
    await page.goto(home);
    await page.waitForLoadState("networkidle");
    await join(page, boss, "correct horse battery");
    await expect(page.locator("#status")).toHaveText("connected");
    await page.locator("#sign-out").click();
    await expect(page.locator("#join-form")).toBeVisible();
    await page.waitForLoadState("networkidle");
    await join(page, boss, "correct horse battery");
    await expect(page.locator("#status")).toHaveText("connected");
    await expect(page.locator("#me")).toHaveText(boss);
    await page.context().close();
  } finally {
    await server.stop();
  }
});
