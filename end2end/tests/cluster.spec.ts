import { Page } from "@playwright/test";
import { test, expect } from "./support/test";
import { send, user } from "./support/chat";
import { Cluster } from "./support/cluster";

/** Which node nginx sends this page's session to. */
async function nodeOf(page: Page, url: string) {
  const response = await page.request.get(url + "/healthz");
  return response.headers()["x-natter-upstream"];
}

test("two pages on different nodes, through nginx, chat and see each other's presence and typing", async ({ browser }) => {
  const cluster = new Cluster();
  await cluster.start();
  try {
    const ann = await user(browser, { url: cluster.url + "/" });
    const annNode = await nodeOf(ann.page, cluster.url);
    expect(annNode).toBeTruthy();
    // Sessions hash to nodes: new users until one lands on another node than Ann's.
    let bob = await user(browser, { url: cluster.url + "/" });
    for (let tries = 0; (await nodeOf(bob.page, cluster.url)) === annNode; tries++) {
      expect(tries, "every session hashed to one node").toBeLessThan(20);
      await bob.context.close();
      bob = await user(browser, { url: cluster.url + "/" });
    }
    const bobNode = await nodeOf(bob.page, cluster.url);
    expect(bobNode).not.toEqual(annNode);

    // Presence: each sees the other online in the member list (Ann learns of Bob live).
    await expect(ann.page.locator(`#members li[data-user="${bob.name}"]`)).toHaveAttribute("data-online", "true");
    await bob.page.reload();
    await expect(bob.page.locator("#status")).toHaveText("connected");
    await expect(bob.page.locator(`#members li[data-user="${ann.name}"]`)).toHaveAttribute("data-online", "true");

    // Typing crosses the nodes, and so do messages, both ways.
    await ann.page.locator("#input").pressSequentially("hel");
    await expect(bob.page.locator("#typing")).toHaveText(`${ann.name} is typing…`);
    await send(ann.page, `hello from ${annNode}`);
    await expect(bob.page.locator("#messages li.sent .body").filter({ hasText: `hello from ${annNode}` })).toHaveCount(1);
    await expect(bob.page.locator("#typing")).toHaveText("");
    await send(bob.page, `and back from ${bobNode}`);
    await expect(ann.page.locator("#messages li.sent .body").filter({ hasText: `and back from ${bobNode}` })).toHaveCount(1);
  } finally {
    await cluster.stop();
  }
});
