import { test, expect } from "./support/test";
import { openChat, send, user } from "./support/chat";
import { Server } from "./support/server";

// A grace of 2 s instead of 10, so going offline is seen within a test's patience.
const GRACE_MS = 2_000;

test("the member list shows who is online, through several tabs and the grace period", async ({ browser }) => {
  const server = new Server(3108, { NATTER_PRESENCE_GRACE_MS: String(GRACE_MS) });
  await server.start();
  try {
    const ann = await user(browser, { url: server.url + "/" });
    const bob = await user(browser, { url: server.url + "/" });
    const annInBobs = bob.page.locator(`#members li[data-user="${ann.name}"]`);
    await expect(annInBobs).toHaveAttribute("data-online", "true");
    await expect(annInBobs.locator(".presence")).toHaveAttribute("aria-label", "online");

    // A second tab of Ann's: closing the first leaves her online, well past the grace.
    const second = await ann.context.newPage();
    await openChat(second, server.url + "/");
    await ann.page.close();
    await bob.page.waitForTimeout(GRACE_MS + 1_000);
    await expect(annInBobs).toHaveAttribute("data-online", "true");

    // Her last tab closes: offline, but only once the grace is over.
    const closed = Date.now();
    await second.close();
    await expect(annInBobs).toHaveAttribute("data-online", "false", { timeout: GRACE_MS + 5_000 });
    expect(Date.now() - closed).toBeGreaterThanOrEqual(GRACE_MS - 100);
    await expect(annInBobs.locator(".presence")).toHaveAttribute("aria-label", "offline");

    // She comes back: online again, without a reload on Bob's side.
    const again = await ann.context.newPage();
    await openChat(again, server.url + "/");
    await expect(annInBobs).toHaveAttribute("data-online", "true");
  } finally {
    await server.stop();
  }
});

test("a typing indicator appears for others, ends when the message is sent, and runs out", async ({ browser }) => {
  const server = new Server(3109);
  await server.start();
  try {
    const ann = await user(browser, { url: server.url + "/" });
    const bob = await user(browser, { url: server.url + "/" });
    await ann.page.locator("#input").pressSequentially("hel");
    await expect(bob.page.locator("#typing")).toHaveText(`${ann.name} is typing…`);
    await expect(ann.page.locator("#typing")).toHaveText("", { timeout: 1_000 });

    // Sent: gone at once, long before it would run out.
    await ann.page.locator("#input").pressSequentially("lo");
    await ann.page.locator("#chat-form button").click();
    await expect(bob.page.locator("#messages li.sent").last()).toContainText("hello");
    await expect(bob.page.locator("#typing")).toHaveText("", { timeout: 1_000 });

    // Typing again, then nothing: it runs out after 5 s.
    await ann.page.locator("#input").pressSequentially("still");
    await expect(bob.page.locator("#typing")).toHaveText(`${ann.name} is typing…`);
    const stopped = Date.now();
    await expect(bob.page.locator("#typing")).toHaveText("", { timeout: 10_000 });
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(3_000);

    // Two at once.
    await ann.page.locator("#input").pressSequentially("a");
    const cy = await user(browser, { url: server.url + "/" });
    await cy.page.locator("#input").pressSequentially("b");
    await ann.page.locator("#input").pressSequentially("c");
    await expect(bob.page.locator("#typing")).toHaveText(`${ann.name} and ${cy.name} are typing…`);
    await send(cy.page, "done");
  } finally {
    await server.stop();
  }
});
