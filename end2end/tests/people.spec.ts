import { test, expect, Page } from "./support/test";
import { openChat, send, messages, join, uniqueName, user, createRoom, joinRoom } from "./support/chat";

function roomName() {
  return `r${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

async function roomLink(page: Page, list: "#rooms" | "#dms", text: string) {
  return page.locator(`${list} li`).filter({ hasText: text });
}

test("names are shown on messages, a reload keeps them, and taken or lookalike names are refused", async ({ browser }) => {
  const ann = await user(browser, { name: uniqueName("ann") });
  const tag = `hello ${Date.now()}`;
  await send(ann.page, tag);
  const line = ann.page.locator("#messages li.sent").filter({ hasText: tag });
  await expect(line.locator(".author")).toHaveText(ann.name);
  await ann.page.reload();
  await expect(ann.page.locator("#status")).toHaveText("connected");
  await expect(ann.page.locator("#me")).toHaveText(ann.name);

  const other = await (await browser.newContext()).newPage();
  await other.goto("/");
  await other.waitForLoadState("networkidle");
  await join(other, ann.name.toUpperCase());
  await expect(other.locator("#join-error")).toContainText("taken");
  // A Cyrillic "а" in place of the Latin "a": it looks the same, so it is taken too.
  await join(other, ann.name.replace("a", "\u0430"));
  await expect(other.locator("#join-error")).toContainText("taken");
  await join(other, "no spaces allowed");
  await expect(other.locator("#join-error")).toContainText("Names are");
});

test("names and room names are checked as they are typed, before any request", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/");
  await page.waitForLoadState("networkidle");
  await expect(page.locator("#join-form")).toBeVisible();
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  await page.locator("#join-name").pressSequentially("ann smith");
  await expect(page.locator("#join-error")).toHaveText("Names are 2–24 letters, digits, _ . or -.");
  await page.locator("#join-name").fill("ann_smith");
  await page.locator("#join-name").dispatchEvent("input");
  await expect(page.locator("#join-error")).toHaveText("");
  await page.locator("#join-password").fill("short");
  await page.locator("#join-form button").click();
  await expect(page.locator("#join-error")).toHaveText("Passwords are 8–128 characters.");
  expect(requests.filter((url) => url.includes("/api/"))).toEqual([]);

  const ann = await user(browser);
  await ann.page.locator("#room-name").fill("Not A Room Name");
  await ann.page.locator("#room-form button").click();
  await expect(ann.page.locator("#room-error")).toHaveText("Room names are 1–32 characters: a–z, 0–9 and -.");
  await expect(ann.page.locator("#room-title")).toHaveText("#general");
});

test("a room appears for those who join it, and only they get its messages", async ({ browser }) => {
  const a = await user(browser);
  const b = await user(browser);
  const c = await user(browser);
  const room = roomName();
  await a.page.locator("#room-name").fill(room);
  await a.page.locator("#room-topic").fill("about design");
  await a.page.locator("#room-form button").click();
  await expect(a.page.locator("#room-title")).toHaveText(`#${room}`);
  await expect(a.page.locator("#status")).toHaveText("connected");
  await send(a.page, "before anyone joined");
  await expect(messages(a.page).filter({ hasText: "before anyone joined" })).toHaveCount(1);

  await joinRoom(b.page, room);
  await expect(messages(b.page).filter({ hasText: "before anyone joined" })).toHaveCount(1);
  await expect(await roomLink(b.page, "#rooms", room)).toHaveCount(1);
  // Joining is a line in the room, live for A and in the history B loads.
  await expect(a.page.locator("#messages li.system")).toHaveText([`${b.name} joined`]);
  await expect(b.page.locator("#messages li.system")).toHaveText([`${b.name} joined`]);
  await send(b.page, "b is here");
  await expect(messages(a.page).filter({ hasText: "b is here" })).toHaveCount(1);

  // B leaves: the room goes from B's sidebar, and what follows does not reach B.
  await b.page.locator("#leave-room").click();
  await expect(await roomLink(b.page, "#rooms", room)).toHaveCount(0);
  await expect(a.page.locator("#messages li.system")).toHaveText([`${b.name} joined`, `${b.name} left`]);
  // A reload makes no line.
  await a.page.reload();
  await expect(a.page.locator("#status")).toHaveText("connected");
  await expect(a.page.locator("#messages li.system")).toHaveText([`${b.name} joined`, `${b.name} left`]);
  await send(a.page, "after b left");
  await expect(messages(a.page).filter({ hasText: "after b left" })).toHaveCount(1);
  await expect(b.page.getByText("after b left")).toHaveCount(0);

  // C is not in it: not in the sidebar, nothing received, and the room page offers to join.
  await expect(await roomLink(c.page, "#rooms", room)).toHaveCount(0);
  await c.page.goto(`/r/${room}`);
  await expect(c.page.locator("#join-room-form")).toBeVisible();
  await expect(c.page.locator("#messages")).toHaveCount(0);
});

test("a DM reaches every tab of both users, and nobody else", async ({ browser }) => {
  const a = await user(browser);
  const b = await user(browser);
  const b2 = await b.context.newPage();
  await openChat(b2, "/");
  const a2 = await a.context.newPage();
  await openChat(a2, "/");
  const c = await user(browser);

  await a.page.goto(`/dm/${b.name}`);
  await expect(a.page.locator("#status")).toHaveText("connected");
  await expect(a.page.locator("#room-title")).toHaveText(`@${b.name}`);
  const text = `psst ${Date.now()}`;
  await send(a.page, text);
  await expect(messages(a.page).filter({ hasText: text })).toHaveCount(1);
  // It appears in both of B's sidebars at once, and in A's other tab.
  for (const page of [b.page, b2, a2]) {
    await expect(page.locator("#dms li")).toHaveCount(1);
  }
  await b.page.locator("#dms li a").click();
  await expect(messages(b.page).filter({ hasText: text })).toHaveCount(1);

  // C: the conversation's URL is a 404, and C's page never received it.
  const key = await b.page.locator("#dms li").getAttribute("data-room");
  const response = await c.page.goto(`/r/${key}`);
  expect(response?.status()).toBe(404);
  await expect(c.page.getByText(text)).toHaveCount(0);
});

test("unread counts and the title follow, and clear in every tab when read in one", async ({ browser }) => {
  const a = await user(browser);
  const b = await user(browser);
  const room = roomName();
  await createRoom(a.page, room);
  await joinRoom(b.page, room);
  // B looks at #general in two tabs while A talks in the new room.
  await b.page.goto("/");
  await expect(b.page.locator("#status")).toHaveText("connected");
  const b2 = await b.context.newPage();
  await openChat(b2, "/");
  await expect(a.page.locator("#status")).toHaveText("connected");
  await send(a.page, "one");
  await send(a.page, "two");
  for (const page of [b.page, b2]) {
    await expect((await roomLink(page, "#rooms", room)).locator(".unread")).toHaveText("2");
    await expect(page).toHaveTitle(/^\(\d+\) Natter$/);
  }
  await b.page.bringToFront();
  await (await roomLink(b.page, "#rooms", room)).locator("a").click();
  await expect(b.page.locator("#room-title")).toHaveText(`#${room}`);
  await expect(b.page.locator("#messages li.divider")).toHaveText("New messages");
  for (const page of [b.page, b2]) {
    await expect((await roomLink(page, "#rooms", room)).locator(".unread")).toHaveCount(0);
  }
});

test("signing out disconnects the page; a password signs in elsewhere with the same history", async ({ browser }) => {
  const name = uniqueName("pw");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  await page.waitForLoadState("networkidle");
  await join(page, name, "correct horse battery");
  await expect(page.locator("#status")).toHaveText("connected");
  const text = `remember me ${Date.now()}`;
  await send(page, text);
  await expect(page.locator("#messages li.sent .body").filter({ hasText: text })).toHaveCount(1);
  await page.locator("#sign-out").click();
  await expect(page.locator("#join-form")).toBeVisible();

  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto("/");
  await fresh.waitForLoadState("networkidle");
  await join(fresh, name, "wrong password!");
  await expect(fresh.locator("#join-error")).toContainText("do not match");
  await join(fresh, name, "correct horse battery");
  await expect(fresh.locator("#status")).toHaveText("connected");
  await expect(fresh.locator("#me")).toHaveText(name);
  await expect(fresh.locator("#messages li.sent .body").filter({ hasText: text })).toHaveCount(1);
});
