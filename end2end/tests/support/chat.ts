import { expect, Page } from "@playwright/test";

/** Load the chat, fail on any page error (a broken wasm shows up only here), and wait until
 * the page says it is connected: input typed before hydration would be lost. */
export async function openChat(page: Page, url = "/") {
  const errors: string[] = [];
  const console_: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text().slice(0, 300)}`));
  await page.goto(url);
  await expect(page.locator("#chat-form")).toBeVisible();
  try {
    await expect(page.locator("#status")).toHaveText("connected");
  } catch (e) {
    // Say why: a page that never connects is usually a hydration failure.
    throw new Error(`${e}\npage errors: ${JSON.stringify(errors)}\nconsole: ${JSON.stringify(console_)}`);
  }
  return errors;
}

export async function send(page: Page, text: string) {
  await page.locator("#input").fill(text);
  await page.locator("#chat-form button").click();
}

export function messages(page: Page) {
  return page.locator("#messages li");
}
