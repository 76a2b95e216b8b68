import { test, expect, Page } from "./support/test";
import AxeBuilder from "@axe-core/playwright";
import { send, uniqueName, user } from "./support/chat";

test("at 360 px the sidebar is a drawer: the menu opens it, Esc closes it, going to a room closes it", async ({ browser }) => {
  const { context, page } = await user(browser, { options: { viewport: { width: 360, height: 740 } } });
  const sidebar = page.locator("#sidebar");
  const menu = page.locator("#menu");
  await expect(sidebar).toBeHidden();
  await expect(menu).toBeVisible();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  // Nothing is wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  await menu.click();
  await expect(sidebar).toBeVisible();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(sidebar).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(sidebar).toBeHidden();
  await expect(menu).toBeFocused();

  // From the keyboard: open, go to the new room's form, make a room; the drawer closes.
  await page.keyboard.press("Enter");
  await expect(sidebar).toBeVisible();
  const room = `d${uniqueName("").toLowerCase().replace(/[^a-z0-9]/g, "")}`.slice(0, 30);
  await page.locator("#room-name").fill(room);
  await page.locator("#room-name").press("Enter");
  await expect(page).toHaveURL(new RegExp(`/r/${room}$`));
  await expect(sidebar).toBeHidden();
  await expect(page.locator("#room-title")).toHaveText(`#${room}`);
  await context.close();
});

test("without JavaScript, the 360 px drawer opens as a link target", async ({ browser }) => {
  const { context: signed } = await user(browser);
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 360, height: 740 },
    storageState: await signed.storageState(),
  });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.locator("#sidebar")).toBeHidden();
  await page.locator("#menu").click();
  await expect(page.locator("#sidebar")).toBeVisible();
  await context.close();
  await signed.close();
});

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
}

for (const colorScheme of ["light", "dark"] as const) {
  test(`axe finds no serious or critical violation in the ${colorScheme} theme`, async ({ browser }) => {
    const ann = await user(browser, { options: { colorScheme } });
    const bob = await user(browser, { options: { colorScheme } });
    // A page with every kind of line: Markdown, a mention, a system line, a day divider,
    // one's own messages (with their menu) and someone else's.
    await send(bob.page, `**hi** @${ann.name} see https://example.com and \`code\`\n> quoted\n- a\n- b`);
    const hello = uniqueName("hello");
    await send(ann.page, hello);
    await expect(ann.page.locator("#messages li.sent").filter({ hasText: hello })).toHaveCount(1);
    await expect(ann.page.locator("#messages .mention.me")).toHaveCount(1);
    expect(await seriousViolations(ann.page)).toEqual([]);
    // The join form, and the narrow layout with its drawer open.
    const stranger = await browser.newContext({ colorScheme });
    const join = await stranger.newPage();
    await join.goto("/");
    await expect(join.locator("#join-form")).toBeVisible();
    expect(await seriousViolations(join)).toEqual([]);
    await ann.page.setViewportSize({ width: 360, height: 740 });
    await ann.page.locator("#menu").click();
    await expect(ann.page.locator("#sidebar")).toBeVisible();
    expect(await seriousViolations(ann.page)).toEqual([]);
    await stranger.close();
    await ann.context.close();
    await bob.context.close();
  });
}
