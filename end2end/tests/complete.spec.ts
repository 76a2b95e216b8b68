import { test, expect } from "./support/test";
import { createRoom, joinRoom, send, uniqueName, user } from "./support/chat";

test("@name completes from the room's members: Down chooses, Enter takes, Esc closes", async ({ browser }) => {
  const stem = uniqueName("c").slice(0, 14).toLowerCase();
  const anna = await user(browser, { name: `${stem}anna` });
  await user(browser, { name: `${stem}bob` });
  const ann = await user(browser, { name: `${stem}ann` });
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

test("a mention is counted apart in the sidebar, also after a reload; a mention of nobody here is told", async ({ browser }) => {
  const stem = uniqueName("m").slice(0, 14).toLowerCase();
  const ann = await user(browser, { name: `${stem}ann` });
  const bob = await user(browser, { name: `${stem}bob` });
  const room = `${stem}r`;
  await createRoom(ann.page, room);
  await joinRoom(bob.page, room);
  // Bob reads #general while Ann talks in the room: one of her two messages names him.
  await bob.page.goto("/");
  await expect(bob.page.locator("#status")).toHaveText("connected");
  await send(ann.page, `hey @${stem}bob`);
  await send(ann.page, "and the rest of you");
  const line = bob.page.locator("#rooms li").filter({ hasText: `#${room}` });
  await expect(line.locator(".unread")).toHaveText("2");
  await expect(line.locator(".mentions")).toHaveText("@1");
  await expect(line.locator(".mentions")).toHaveAttribute("aria-label", "1 mention of you");
  // The server counts it too: a reload shows the same.
  await bob.page.reload();
  await expect(bob.page.locator("#status")).toHaveText("connected");
  await expect(line.locator(".mentions")).toHaveText("@1");
  await line.locator("a").click();
  await expect(bob.page.locator("#room-title")).toHaveText(`#${room}`);
  await expect(line.locator(".unread, .mentions")).toHaveCount(0);

  // A name nobody in the room has: stored and shown, and Ann is told nobody was called.
  await send(ann.page, `ping @${stem}zed`);
  await expect(ann.page.locator("#error")).toHaveText(
    `Nobody in this room is called @${stem}zed, so no one by that name was notified.`,
  );
  await expect(bob.page.locator("#messages li.sent").filter({ hasText: `ping @${stem}zed` })).toHaveCount(1);
  await send(ann.page, "next");
  await expect(ann.page.locator("#error")).toHaveText("");
});
