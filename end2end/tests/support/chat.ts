import { Browser, expect, Page } from "@playwright/test";

let counter = 0;

/** A name nobody on a test server has yet (2–24 characters). */
export function uniqueName(prefix = "u") {
  counter += 1;
  return `${prefix}${Date.now().toString(36).slice(-5)}${counter}${Math.floor(Math.random() * 1000)}`.slice(0, 24);
}

/** Fills the join form (name, optional password) and submits it. */
export async function join(page: Page, name: string, password = "") {
  await page.locator("#join-name").fill(name);
  await page.locator("#join-password").fill(password);
  await page.locator("#join-form button[type=submit]").click();
}

/** Load the chat (joining under a fresh name when the page asks for one), fail on any page
 * error (a broken wasm shows up only here), and wait until the page says it is connected:
 * input typed before hydration would be lost. */
export async function openChat(page: Page, url = "/", name?: string) {
  const errors: string[] = [];
  const console_: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text().slice(0, 300)}`));
  await page.goto(url);
  const form = page.locator("#join-form, #chat-form").first();
  await expect(form).toBeVisible();
  if ((await form.getAttribute("id")) === "join-form") {
    // Hydrated first, or the submit would be a plain form post (which also works, slower).
    await page.waitForLoadState("networkidle");
    await join(page, name ?? uniqueName());
  }
  await expect(page.locator("#chat-form")).toBeVisible();
  try {
    await expect(page.locator("#status")).toHaveText("connected");
  } catch (e) {
    // Say why: a page that never connects is usually a hydration failure.
    throw new Error(`${e}\npage errors: ${JSON.stringify(errors)}\nconsole: ${JSON.stringify(console_)}`);
  }
  return errors;
}

/** A new user in a fresh browser context (cookies and storage of their own) with the chat at
 * `url` open and connected; `options` for the context (viewport, colour scheme, time zone). */
export async function user(
  browser: Browser,
  { name = uniqueName(), url = "/", options = {} }: { name?: string; url?: string; options?: Parameters<Browser["newContext"]>[0] } = {},
) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await openChat(page, url, name);
  return { name, context, page };
}

/** Creates the public room `room` from the sidebar's form and waits until it is shown. */
export async function createRoom(page: Page, room: string) {
  await page.locator("#room-name").fill(room);
  await page.locator("#room-form button").click();
  await expect(page.locator("#room-title")).toHaveText(`#${room}`);
}

/** Joins `room` through its page's form. The form reloads the page once joined: this waits
 * for the reloaded page to connect, not the old one. */
export async function joinRoom(page: Page, room: string) {
  await page.goto(`/r/${room}`);
  await page.locator("#join-room-form button").click();
  await expect(page.locator("#chat-form")).toBeVisible();
  await expect(page.locator("#status")).toHaveText("connected");
}

export async function send(page: Page, text: string) {
  await page.locator("#input").fill(text);
  await page.locator("#chat-form button").click();
}

/** The message bodies shown, stored or pending. */
export function messages(page: Page) {
  return page.locator("#messages li .body");
}

/** A session token for a new user, straight from the server (for the official JS client). */
export async function token(url: string, name = uniqueName("bot")) {
  const response = await fetch(`${url}/api/join`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `name=${encodeURIComponent(name)}`,
  });
  const cookie = response.headers.get("set-cookie") ?? "";
  const match = /natter_session=([^;]+)/.exec(cookie);
  if (!match) throw new Error(`no session from /api/join (${response.status}): ${await response.text()}`);
  return match[1];
}
