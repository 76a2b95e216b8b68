import { test, expect } from "./support/test";
import { send, uniqueName, user } from "./support/chat";
import { Server } from "./support/server";

test("one author's messages go under one name and avatar; 'Jump to latest' shows while scrolled up", async ({ browser }) => {
  const server = new Server(3112, { NATTER_MESSAGE_RATE: "0" });
  await server.start();
  try {
    const annName = uniqueName("ann");
    const ann = (await user(browser, { url: server.url + "/", name: annName })).page;
    const bob = (await user(browser, { url: server.url + "/", name: uniqueName("bob") })).page;
    await send(ann, "one");
    await send(ann, "two");
    await send(bob, "three");
    const line = (text: string) => ann.locator("#messages li.sent").filter({ hasText: text });
    await expect(line("three")).toHaveCount(1);
    await expect(line("one")).not.toHaveClass(/grouped/);
    await expect(line("one").locator(".avatar")).toHaveText(annName[0].toUpperCase());
    await expect(line("two")).toHaveClass(/grouped/);
    await expect(line("two").locator(".avatar")).toBeHidden();
    // The name stays in the line for screen readers.
    await expect(line("two").locator(".author")).toHaveText(annName);
    await expect(line("three")).not.toHaveClass(/grouped/);

    for (let i = 0; i < 40; i++) await send(bob, `filler ${i}`);
    await expect(line("filler 39")).toHaveCount(1);
    const jump = ann.locator("#jump-latest");
    await expect(jump).toBeHidden();
    await ann.locator("#messages").evaluate((ul) => ul.scrollTo(0, 0));
    await expect(jump).toBeVisible();
    await jump.click();
    await expect(jump).toBeHidden();
    await expect(line("filler 39")).toBeInViewport();
  } finally {
    await server.stop();
  }
});
