// Shared by the dashboard tests: checks, the admin API, ingest, a headless Chromium page and a
// DOM wait that works under the page's Content-Security-Policy.
"use strict";
const { chromium } = require("playwright-core");

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  console.log("ok - " + what);
}

// The server at `url` as its admin sees it: api(method, path, body) and ingest(writeKey, n, tag).
function server(url, token) {
  const auth = { Authorization: "Bearer " + token, "Content-Type": "application/json" };
  async function api(method, path, body) {
    const res = await fetch(url + path, { method, headers: auth,
      body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(method + " " + path + ": HTTP " + res.status);
    return json;
  }
  // n track events named `tag` (properties.i = 0..n-1) for the account of `writeKey`.
  async function ingest(writeKey, n, tag) {
    const batch = [];
    for (let i = 0; i < n; i++) {
      batch.push({ type: "track", event: tag, userId: "u" + i, properties: { i } });
    }
    const res = await fetch(url + "/v1/batch", { method: "POST", body: JSON.stringify({ batch }),
      headers: { "Content-Type": "application/json",
        Authorization: "Basic " + Buffer.from(writeKey + ":").toString("base64") } });
    if (res.status !== 200) throw new Error("ingest: HTTP " + res.status);
  }
  return { api, ingest };
}

// What the page shows when a wait times out: the ids named in `probe`, by text.
async function shown(page, probe) {
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
    const el = document.getElementById(id);
    return [id, el ? el.textContent : null];
  })), probe).catch(() => ({}));
}

// Polls fn(arg) in the page every 100 ms for up to 15 s. A loop of page.evaluate rather than
// page.waitForFunction: Playwright 1.48 (the last for Debian 12's Node 18) evaluates the
// latter with eval, which the dashboard's Content-Security-Policy rightly refuses.
async function waitFor(page, fn, arg, what, probe = ["drain-state", "updated", "total-events"]) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const ok = await page.evaluate(fn, arg).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      throw new Error("timed out waiting for " + what + "; the page shows " +
        JSON.stringify(await shown(page, probe)));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log("ok - " + what);
}

// Opens `url` in headless Chromium with a fresh profile; `body(page)` runs the checks, then the
// browser closes. Requests leaving the origin and script errors fail the test.
async function withPage(url, { profile, executablePath }, body) {
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
    await body(page);
    check(foreign.length === 0, "no request leaves the server's origin (" + foreign.join(" ") + ")");
    check(errors.length === 0, "no script errors (" + errors.join("; ") + ")");
  } finally {
    await context.close();
  }
}

// The page asks for the admin token once; this gives it.
async function enterToken(page, token) {
  await page.waitForSelector("#token-dialog:not([hidden])", { timeout: 10000 });
  console.log("ok - the page asks for the admin token");
  await page.fill("#token-input", token);
  await page.click("#token-form button[type=submit]");
}

function run(main) {
  main().then(() => process.exit(0), (e) => {
    console.error("FAIL: " + e.message);
    process.exit(1);
  });
}

module.exports = { check, server, waitFor, withPage, enterToken, run };
