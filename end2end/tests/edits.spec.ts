import { test, expect, Page } from "./support/test";
import { send, user } from "./support/chat";
import { Server } from "./support/server";

/** The stored line whose body (or former body) matched `text` when it was sent. */
function line(page: Page, seq: string) {
  return page.locator(`#messages li.sent[data-seq="${seq}"]`);
}

async function sent(page: Page, text: string) {
  await send(page, text);
  const li = page.locator("#messages li.sent").filter({ hasText: text }).last();
  await expect(li).toHaveCount(1);
  return (await li.getAttribute("data-seq"))!;
}

test("an edit and a delete are seen live, by a page that was offline once it is back, and after a reload", async ({ browser }) => {
  // Polling only, with a quick heartbeat: cutting a page's requests takes it offline at once.
  const server = new Server(3110, {
    NATTER_TRANSPORTS: "polling",
    NATTER_PING_INTERVAL_MS: "1000",
    NATTER_PING_TIMEOUT_MS: "1000",
  });
  await server.start();
  try {
    const ann = await user(browser, { url: server.url + "/" });
    const bob = await user(browser, { url: server.url + "/" });
    const cy = await user(browser, { url: server.url + "/" });
    const typo = await sent(ann.page, "helo wrold");
    const gone = await sent(ann.page, "a secret to delete");
    await expect(line(cy.page, gone)).toContainText("a secret to delete");

    await cy.page.route("**/socket.io/**", (route) => route.abort());
    await expect(cy.page.locator("#status")).toHaveText("reconnecting", { timeout: 10_000 });

    // Ann edits through her message's menu, and deletes the other.
    await line(ann.page, typo).hover();
    await line(ann.page, typo).locator("button.edit").click();
    const input = ann.page.locator(".edit-input");
    await expect(input).toBeFocused();
    await input.fill("hello world");
    await input.press("Enter");
    ann.page.once("dialog", (dialog) => dialog.accept());
    await line(ann.page, gone).locator("button.delete").click();

    for (const page of [ann.page, bob.page]) {
      await expect(line(page, typo).locator(".body")).toHaveText("hello world");
      await expect(line(page, typo).locator(".edited")).toHaveText("(edited)");
      await expect(line(page, gone).locator(".body")).toHaveText("message deleted");
    }
    await expect(line(bob.page, gone)).not.toContainText("secret");
    // Cy saw none of it yet; back online, the sync brings both changes.
    await expect(line(cy.page, typo).locator(".body")).toHaveText("helo wrold");
    await cy.page.unroute("**/socket.io/**");
    await expect(cy.page.locator("#status")).toHaveText("connected", { timeout: 15_000 });
    await expect(line(cy.page, typo).locator(".body")).toHaveText("hello world");
    await expect(line(cy.page, gone).locator(".body")).toHaveText("message deleted");

    // The server-rendered page holds the latest state too.
    await bob.page.reload();
    await expect(line(bob.page, typo).locator(".body")).toHaveText("hello world");
    await expect(line(bob.page, typo)).toHaveAttribute("data-edited", "true");
    await expect(line(bob.page, gone).locator(".body")).toHaveText("message deleted");
    await expect(bob.page.locator("#messages")).not.toContainText("secret");
    // Only one's own messages have the menu.
    await expect(line(bob.page, typo).locator(".actions")).toHaveCount(0);
  } finally {
    await server.stop();
  }
});

test("from the keyboard: Up edits the last message, Esc cancels, Enter saves; the menu opens on focus", async ({ browser }) => {
  const server = new Server(3111);
  await server.start();
  try {
    const ann = await user(browser, { url: server.url + "/" });
    const bob = await user(browser, { url: server.url + "/" });
    const first = await sent(ann.page, "first words");
    const last = await sent(ann.page, "last words");
    const composer = ann.page.locator("#input");
    await composer.focus();
    await composer.press("ArrowUp");
    const input = ann.page.locator(".edit-input");
    await expect(input).toBeFocused();
    await expect(input).toHaveValue("last words");
    await input.press("Escape");
    await expect(input).toHaveCount(0);
    await expect(composer).toBeFocused();
    await expect(line(ann.page, last).locator(".body")).toHaveText("last words");

    await composer.press("ArrowUp");
    await input.fill("last words, amended");
    await input.press("Enter");
    await expect(composer).toBeFocused();
    await expect(line(bob.page, last).locator(".body")).toHaveText("last words, amended");
    await expect(line(bob.page, last).locator(".edited")).toBeVisible();

    // Tabbing onto a message's Edit shows the menu; Enter opens the form.
    const edit = line(ann.page, first).locator("button.edit");
    await expect(line(ann.page, first).locator(".actions")).toHaveCSS("opacity", "0");
    await edit.focus();
    await expect(line(ann.page, first).locator(".actions")).toHaveCSS("opacity", "1");
    await ann.page.keyboard.press("Enter");
    await expect(input).toHaveValue("first words");
    await input.fill("");
    await input.press("Enter");
    // An empty edit is refused with the reason, and nothing changes.
    await expect(ann.page.locator("#error")).toHaveText("An empty message was not sent.");
    await expect(line(bob.page, first).locator(".body")).toHaveText("first words");
  } finally {
    await server.stop();
  }
});
