import { test, expect, Browser } from "./support/test";
import fs from "node:fs";
import path from "node:path";
import { openChat, send } from "./support/chat";
import { ROOT, Server } from "./support/server";

/** The README's screenshots: desktop and 360 px, light and dark, of one conversation on a
 * server of their own. Every run checks that each layout fits its screen; `make screenshots`
 * copies the pictures into docs/screenshots. */
const OUT = path.join(ROOT, "target/screenshots");

async function person(browser: Browser, url: string, name: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await openChat(page, url, name);
  return { context, page };
}

test("screenshots: desktop and 360 px, light and dark", async ({ browser }) => {
  test.setTimeout(120_000);
  const server = new Server(3130);
  await server.start();
  try {
    const ann = await person(browser, server.url + "/", "ann");
    const bob = await person(browser, server.url + "/", "bob");
    await send(bob.page, "Morning! The **release** is on Thursday, notes at https://example.com/notes");
    await send(ann.page, "Great. @bob can you check the build?\n- wasm under budget\n- e2e green");
    await send(bob.page, "Running it now:\n```sh\nmake test\n```");
    await send(ann.page, "> e2e green\n\nThanks :) _ship it_");
    await expect(ann.page.locator("#messages li.sent")).toHaveCount(4);
    await bob.context.close();
    fs.mkdirSync(OUT, { recursive: true });
    for (const colorScheme of ["light", "dark"] as const) {
      for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["mobile", { width: 360, height: 740 }]] as const) {
        const context = await browser.newContext({ viewport, colorScheme, storageState: await ann.context.storageState() });
        const page = await context.newPage();
        await openChat(page, server.url + "/");
        await expect(page.locator("#messages li.sent")).toHaveCount(4);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${label} ${colorScheme} fits`).toBeLessThanOrEqual(viewport.width);
        await page.screenshot({ path: path.join(OUT, `${label}-${colorScheme}.png`) });
        await context.close();
      }
    }
    await ann.context.close();
  } finally {
    await server.stop();
  }
});
