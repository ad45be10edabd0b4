// Drives the dashboard in headless Chromium. usage:
//   node dashboard_test.js URL TOKEN SCREENSHOT PROFILE_DIR CHROMIUM
// Exits non-zero with a message on the first failed check.
"use strict";
const { check, server, waitFor, withPage, enterToken, run } = require("./harness");

const [url, token, screenshot, profile, executablePath] = process.argv.slice(2);
const { api, ingest } = server(url, token);

async function main() {
  const keys = {};
  for (const [name, n] of [["acme", 30], ["beta", 5], ["gamma", 1]]) {
    keys[name] = (await api("POST", "/v1/admin/accounts", { name })).write_key;
    await ingest(keys[name], n, "dash");
  }
  await withPage(url, { profile, executablePath }, async (page) => {
    // The API needs the token: the page asks for it once.
    await enterToken(page, token);
    await waitFor(page, () => document.querySelector("#total-events").dataset.value === "36",
      undefined, "total backlog shows 36 events");
    check((await page.textContent("#total-events")).includes("36 events"), "total is readable");
    check(await page.textContent("#accounts-behind") === "3", "3 accounts behind");
    const first = await page.getAttribute("#accounts tbody tr:first-child", "data-account");
    check(first === "acme", "the top account is acme (deepest; no ETA while the sink is down)");
    check((await page.textContent("#accounts tbody tr:first-child .depth")) === "30",
      "acme's depth is 30");
    check(await page.evaluate(() => sessionStorage.getItem("spillway.adminToken") !== null),
      "the token is kept in sessionStorage");

    // The trend: the backlog grows while the page polls; rows update in place (no flicker).
    const row = await page.$("#accounts tbody tr[data-account=acme]");
    for (let i = 0; i < 4; i++) {
      await ingest(keys.acme, 15, "grow");
      await page.waitForTimeout(2100);
    }
    await waitFor(page, () => document.querySelector("#total-events").dataset.value === "96",
      undefined, "total follows new events (96)");
    check(await row.evaluate((el) => el.isConnected), "the account row is updated in place");
    const points = await page.evaluate(() => document.querySelector("#trend").width > 0);
    check(points, "the trend canvas is drawn");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log("ok - screenshot saved to " + screenshot);

    await page.click("#pause-all");
    await waitFor(page, () => document.querySelector("#drain-state").dataset.state === "paused",
      undefined, "the page shows draining paused");
    check((await api("GET", "/v1/backlog")).drain.state === "paused",
      "the API says draining is paused");
    await page.click("#accounts tbody tr[data-account=beta] .toggle");
    await waitFor(page, () => {
      const tr = document.querySelector("#accounts tbody tr[data-account=beta]");
      return tr && tr.classList.contains("paused");
    }, undefined, "beta shows paused");
    check((await api("GET", "/v1/accounts/beta")).paused === true, "the API says beta is paused");
    await page.click("#resume-all");
    await waitFor(page, () => document.querySelector("#drain-state").dataset.state !== "paused",
      undefined, "resume all");
    check((await api("GET", "/v1/backlog")).drain.state !== "paused", "the API says resumed");

    const before = (await api("GET", "/v1/backlog")).drain.max_concurrency;
    await page.fill("#limit-rate", "100");
    await page.click("#limits-form button[type=submit]");
    await waitFor(page, () => document.querySelector("#d-rate").textContent === "100 events/s",
      undefined, "the page shows the new rate cap");
    const drain = (await api("GET", "/v1/backlog")).drain;
    check(drain.max_events_per_sec === 100 && drain.max_concurrency === before,
      "the API has the rate cap; the concurrency ceiling is unchanged");

    await page.reload({ waitUntil: "load" });
    await waitFor(page, () => document.querySelector("#total-events").dataset.value === "96",
      undefined, "after a reload the numbers come back without asking again");
    check(await page.isHidden("#token-dialog"), "no second token prompt");

    // Without --retain-delivered-s and with no job, the retention section is one line.
    await waitFor(page, () => !document.querySelector("#retention-off").hidden, undefined,
      "retention off is one line");
    check(await page.isHidden("#retention-body"), "no empty retention table");
  });
}

run(main);
