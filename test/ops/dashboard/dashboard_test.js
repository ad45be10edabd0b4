// Drives the dashboard in headless Chromium. usage:
//   node dashboard_test.js URL TOKEN SCREENSHOT PROFILE_DIR CHROMIUM
// Exits non-zero with a message on the first failed check.
"use strict";
const { chromium } = require("playwright-core");

const [url, token, screenshot, profile, executablePath] = process.argv.slice(2);
const auth = { Authorization: "Bearer " + token, "Content-Type": "application/json" };

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  console.log("ok - " + what);
}

async function api(method, path, body) {
  const res = await fetch(url + path, { method, headers: auth,
    body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(method + " " + path + ": HTTP " + res.status);
  return json;
}

async function ingest(writeKey, n, tag) {
  const batch = [];
  for (let i = 0; i < n; i++) batch.push({ type: "track", event: tag, userId: "u" + i });
  const res = await fetch(url + "/v1/batch", { method: "POST", body: JSON.stringify({ batch }),
    headers: { "Content-Type": "application/json",
      Authorization: "Basic " + Buffer.from(writeKey + ":").toString("base64") } });
  if (res.status !== 200) throw new Error("ingest: HTTP " + res.status);
}

// Polls fn(arg) in the page every 100 ms for up to 15 s. A loop of page.evaluate rather than
// page.waitForFunction: Playwright 1.48 (the last for Debian 12's Node 18) evaluates the
// latter with eval, which the dashboard's Content-Security-Policy rightly refuses.
async function waitFor(page, fn, arg, what) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const ok = await page.evaluate(fn, arg).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      const seen = await page.evaluate(() => ({
        state: document.querySelector("#drain-state").textContent,
        updated: document.querySelector("#updated").textContent,
        total: document.querySelector("#total-events").textContent })).catch(() => ({}));
      throw new Error("timed out waiting for " + what + "; the page shows " + JSON.stringify(seen));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log("ok - " + what);
}

async function main() {
  const keys = {};
  for (const [name, n] of [["acme", 30], ["beta", 5], ["gamma", 1]]) {
    keys[name] = (await api("POST", "/v1/admin/accounts", { name })).write_key;
    await ingest(keys[name], n, "dash");
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, viewport: { width: 1400, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  const page = context.pages()[0] || await context.newPage();
  const foreign = [];
  page.on("request", (r) => { if (!r.url().startsWith(url)) foreign.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url + "/", { waitUntil: "load" });
    // The API needs the token: the page asks for it once.
    await page.waitForSelector("#token-dialog:not([hidden])", { timeout: 10000 });
    console.log("ok - the page asks for the admin token");
    await page.fill("#token-input", token);
    await page.click("#token-form button[type=submit]");
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
    check(foreign.length === 0, "no request leaves the server's origin (" + foreign.join(" ") + ")");
    check(errors.length === 0, "no script errors (" + errors.join("; ") + ")");
  } finally {
    await context.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error("FAIL: " + e.message);
  process.exit(1);
});
