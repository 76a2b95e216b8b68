import { test, expect, Page } from "./support/test";
import { uniqueName } from "./support/chat";

/** Presses Tab until the focus is on `selector` (at most `max` times); every stop on the way
 * must show a focus ring. */
async function tabTo(page: Page, selector: string, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate((selector) => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return { here: false, ring: true, what: "body" };
      const style = getComputedStyle(el);
      const ring = style.outlineStyle !== "none" && style.outlineWidth !== "0px";
      return { here: el.matches(selector), ring, what: el.outerHTML.slice(0, 120) };
    }, selector);
    expect(stop.ring, `a visible focus ring on ${stop.what}`).toBe(true);
    if (stop.here) return;
  }
  throw new Error(`${selector} not reached in ${max} tabs`);
}

test("the whole flow from the keyboard alone: join, make and switch rooms, send, edit", async ({ page }) => {
  await page.goto("/");
  await page.waitForLoadState("networkidle");
  const name = uniqueName("kb");
  await tabTo(page, "#join-name");
  await page.keyboard.type(name);
  await page.keyboard.press("Enter");
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#me")).toHaveText(name);

  // A room of one's own, from the sidebar's form.
  const room = `k${uniqueName("").toLowerCase().replace(/[^a-z0-9]/g, "")}`.slice(0, 30);
  await tabTo(page, "#room-name");
  await page.keyboard.type(room);
  await page.keyboard.press("Enter");
  await expect(page.locator("#room-title")).toHaveText(`#${room}`);

  // Back to #general by its link, then say something there.
  await tabTo(page, '#rooms a[href="/r/general"]');
  await page.keyboard.press("Enter");
  await expect(page.locator("#room-title")).toHaveText("#general");
  await expect(page.locator("#status")).toHaveText("connected");
  await tabTo(page, "#input");
  const text = `${uniqueName("said")} from the keyboard`;
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
  const line = page.locator("#messages li.sent").filter({ hasText: text });
  await expect(line).toHaveCount(1);
  await expect(line).not.toHaveClass(/pending/);

  // Up edits it, Enter saves.
  await page.keyboard.press("ArrowUp");
  const edit = page.locator(".edit-input");
  await expect(edit).toBeFocused();
  await page.keyboard.press("End");
  await page.keyboard.type(", edited");
  await page.keyboard.press("Enter");
  await expect(line.locator(".body")).toHaveText(`${text}, edited`);
  await expect(line.locator(".edited")).toHaveText("(edited)");
  await expect(page.locator("#input")).toBeFocused();
});
