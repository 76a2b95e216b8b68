import { test, expect, Browser } from "@playwright/test";
import { openChat, uniqueName } from "./support/chat";

async function user(browser: Browser, name: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await openChat(page, "/", name);
  return { context, page };
}

test("@name completes from the room's members: Down chooses, Enter takes, Esc closes", async ({ browser }) => {
  const stem = uniqueName("c").slice(0, 14).toLowerCase();
  const anna = await user(browser, `${stem}anna`);
  await user(browser, `${stem}bob`);
  const ann = await user(browser, `${stem}ann`);
  const members = ann.page.locator("#members li");
  await expect(members.filter({ hasText: `${stem}anna` })).toHaveCount(1);
  await expect(members.filter({ hasText: `${stem}bob` })).toHaveCount(1);

  const input = ann.page.locator("#input");
  const list = ann.page.locator("#mentions");
  await input.click();
  await ann.page.keyboard.type(`hi @${stem.toUpperCase()}`);
  // Oneself is never offered; case does not matter.
  await expect(list.locator("li")).toHaveText([`@${stem}anna`, `@${stem}bob`]);
  await expect(list.locator('li[aria-selected="true"]')).toHaveText(`@${stem}anna`);
  await ann.page.keyboard.press("ArrowDown");
  await expect(list.locator('li[aria-selected="true"]')).toHaveText(`@${stem}bob`);
  await ann.page.keyboard.press("Enter");
  await expect(input).toHaveValue(`hi @${stem}bob `);
  await expect(list).toBeHidden();

  await ann.page.keyboard.type(`and @${stem}a`);
  await expect(list.locator("li")).toHaveText([`@${stem}anna`]);
  await ann.page.keyboard.press("Escape");
  await expect(list).toBeHidden();
  await expect(input).toHaveValue(`hi @${stem}bob and @${stem}a`);
  // With the list closed, Enter sends as ever.
  await ann.page.keyboard.press("Enter");
  await expect(input).toHaveValue("");
  const line = anna.page.locator("#messages li.sent").filter({ hasText: `hi @${stem}bob and` });
  await expect(line.locator(".mention").first()).toHaveText(`@${stem}bob`);
});
