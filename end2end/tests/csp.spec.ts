import { test, expect } from "./support/test";
import { openChat } from "./support/chat";

// The page's Content-Security-Policy (src/server/headers.rs). Every test in the suite fails
// on a violation (support/test.ts); this one shows that the policy is there, that the page
// runs under it, and that the check really catches what the policy blocks.

test("the page runs under a nonce policy that blocks injected script", async ({ page, cspViolations }) => {
  const response = await page.goto("/");
  const policy = response!.headers()["content-security-policy"];
  expect(policy).toContain("'wasm-unsafe-eval'");
  expect(policy).not.toContain("unsafe-inline");
  const nonce = /'nonce-([^']+)'/.exec(policy)![1];
  // Hydrated and connected under it: the loader carried the nonce, the WASM compiled.
  await openChat(page);
  expect(await page.locator(`script[nonce]`).count()).toBeGreaterThan(0);

  // What an XSS would try: a script element with no nonce, an inline event handler.
  const ran = await page.evaluate(() => {
    const w = window as any;
    w.injected = 0;
    const script = document.createElement("script");
    script.textContent = "window.injected += 1";
    document.body.append(script);
    const img = document.createElement("img");
    img.setAttribute("onerror", "window.injected += 1");
    img.src = "data:,not-an-image";
    document.body.append(img);
    return new Promise<number>((resolve) => setTimeout(() => resolve(w.injected), 500));
  });
  expect(ran).toBe(0);
  await expect.poll(() => cspViolations.map((v) => v.directive).sort()).toEqual(
    ["script-src-attr", "script-src-elem"],
  );
  expect(nonce.length).toBeGreaterThanOrEqual(22);
  // Seen and checked: the suite-wide check is for violations nobody expected.
  cspViolations.length = 0;
});
