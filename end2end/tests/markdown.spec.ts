import { test, expect } from "./support/test";
import { openChat, send, uniqueName, user } from "./support/chat";

test("Markdown renders as specified, live, after a reload and in the server's HTML; anything else stays text", async ({ browser }) => {
  const ann = await user(browser);
  const bob = await user(browser);
  const tag = uniqueName("md");
  const body = [
    `${tag} **bold** _soft_ ~~gone~~ \`a <b> code\` @${bob.name}`,
    "> quoted",
    "",
    "- one",
    "- two",
    "",
    "3. three",
    "4. four",
    "",
    "```rust",
    "fn main() { println!(\"<i>\"); }",
    "```",
    "",
    "see https://example.com/a?b=c. and [docs](https://example.org/docs)",
    "[x](javascript:alert(1)) <script>window.__x = 1</script> <img src=x onerror=alert(1)>",
  ].join("\n");
  await send(ann.page, body);

  for (const [who, page] of [["live", bob.page], ["author", ann.page]] as const) {
    const li = page.locator("#messages li.sent").filter({ hasText: tag });
    await expect(li, who).toHaveCount(1);
    const md = li.locator(".body");
    await expect(md.locator("strong")).toHaveText("bold");
    await expect(md.locator("em")).toHaveText("soft");
    await expect(md.locator("del")).toHaveText("gone");
    await expect(md.locator("p code").first()).toHaveText("a <b> code");
    await expect(md.locator("blockquote")).toHaveText("quoted");
    await expect(md.locator("ul > li")).toHaveText(["one", "two"]);
    await expect(md.locator("ol")).toHaveAttribute("start", "3");
    await expect(md.locator("ol > li")).toHaveText(["three", "four"]);
    await expect(md.locator("pre code")).toHaveText('fn main() { println!("<i>"); }');
    await expect(md.locator("pre code")).toHaveAttribute("data-lang", "rust");
    const links = md.locator("a");
    await expect(links).toHaveCount(2);
    await expect(links.nth(0)).toHaveAttribute("href", "https://example.com/a?b=c");
    await expect(links.nth(1)).toHaveAttribute("href", "https://example.org/docs");
    await expect(links.nth(1)).toHaveText("docs");
    for (const i of [0, 1]) {
      await expect(links.nth(i)).toHaveAttribute("target", "_blank");
      await expect(links.nth(i)).toHaveAttribute("rel", "noopener noreferrer nofollow ugc");
    }
    // The unsafe link, the script and the image are the characters that were typed.
    await expect(md).toContainText("[x](javascript:alert(1)) <script>window.__x = 1</script> <img src=x onerror=alert(1)>");
    await expect(md.locator("script, img")).toHaveCount(0);
    // Highlighted for the person it names only.
    const mention = md.locator(".mention");
    await expect(mention).toHaveText(`@${bob.name}`);
    if (page === bob.page) await expect(mention).toHaveClass("mention me");
    else await expect(mention).toHaveClass("mention");
  }
  expect(await bob.page.evaluate(() => (window as any).__x)).toBeUndefined();

  // The server's first paint holds the same nodes, the script escaped (this message's line;
  // `<!>` are Leptos' hydration markers).
  const html = (await (await bob.page.request.get("/")).text()).replaceAll("<!>", "");
  const ours = html.slice(html.indexOf(tag), html.indexOf("</li>", html.indexOf("fn main()")));
  expect(ours).toContain("<strong>bold</strong>");
  expect(ours).toContain("&lt;script&gt;window.__x = 1&lt;/script&gt;");
  expect(ours).not.toContain("<script>window.__x");
  expect(ours).toContain('<a href="https://example.org/docs" target="_blank" rel="noopener noreferrer nofollow ugc">docs</a>');

  // After a reload (server-rendered, then hydrated) nothing changes.
  await openChat(bob.page, "/");
  const again = bob.page.locator("#messages li.sent").filter({ hasText: tag }).locator(".body");
  await expect(again.locator("strong")).toHaveText("bold");
  await expect(again.locator(".mention.me")).toHaveText(`@${bob.name}`);
  expect(await bob.page.evaluate(() => (window as any).__x)).toBeUndefined();
  await ann.context.close();
  await bob.context.close();
});

test("Enter sends, Shift+Enter starts a new line", async ({ browser }) => {
  const ann = await user(browser);
  const tag = uniqueName("ml");
  const input = ann.page.locator("#input");
  await input.click();
  await ann.page.keyboard.type(`${tag} first`);
  await ann.page.keyboard.press("Shift+Enter");
  await ann.page.keyboard.type("- item");
  await expect(input).toHaveValue(`${tag} first\n- item`);
  await ann.page.keyboard.press("Enter");
  await expect(input).toHaveValue("");
  const li = ann.page.locator("#messages li.sent").filter({ hasText: tag });
  await expect(li.locator(".body ul > li")).toHaveText("item");
  await ann.context.close();
});

test("times are the reader's local time with the full date on hover, under a day divider", async ({ browser }) => {
  // UTC+14: every local clock differs from the UTC one the server renders.
  const ann = await user(browser, { options: { timezoneId: "Pacific/Kiritimati", locale: "en-GB" } });
  const tag = uniqueName("tm");
  await send(ann.page, tag);
  const li = ann.page.locator("#messages li.sent").filter({ hasText: tag });
  const at = li.locator("time.at");
  const iso = (await at.getAttribute("datetime"))!;
  expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const local = new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Pacific/Kiritimati" });
  const utc = iso.slice(11, 16);
  expect(local).not.toBe(utc);
  await expect(at).toHaveText(local);
  // The hover title is the full local date, not the server's UTC one.
  const full = await ann.page.evaluate((iso) => new Date(iso).toLocaleString("default", { dateStyle: "full", timeStyle: "short" }), iso);
  await expect(at).toHaveAttribute("title", full);
  expect(full).not.toContain("UTC");
  await expect(ann.page.locator("#messages li.day").last()).toHaveText("Today");

  // Before hydration (the server's HTML) the same message says UTC.
  const html = (await (await ann.page.request.get("/")).text()).replaceAll("<!>", "");
  expect(html).toMatch(new RegExp(`datetime="${iso}"[^>]*>${utc}<`));
  await ann.context.close();
});
