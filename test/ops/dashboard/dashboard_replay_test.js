// The dashboard's "Retention and replays" section in headless Chromium, against a server run
// with --retain-delivered-s 3600 --replay-account-window 4 --open-reads 1 and a null: sink.
//   node dashboard_replay_test.js URL TOKEN SCREENSHOT PROFILE_DIR CHROMIUM
// Delivers 13 events (retained); without a token the page shows them and says the jobs need
// it; with the token, pauses the drain, starts a replay job of acme's 10 with an event-name
// filter holding markup, checks the job row (running, 4 enqueued, 0% delivered) and that the
// markup is text, resumes, and checks the row reaches done at 100%.
"use strict";
const { check, server, waitFor, withPage, enterToken, run } = require("./harness");

const [url, token, screenshot, profile, executablePath] = process.argv.slice(2);
const { api, ingest } = server(url, token);
// An event name is any string a client sends; the page must show it as text.
const EVIL = "Order <script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
const PROBE = ["retained-events", "retained-oldest-at", "retention-state", "replays-error",
  "updated"];

// The job's row as the page shows it: its cells' text and its progress.
function rowOf(id) {
  const tr = document.querySelector("#replays tbody tr[data-key='" + id + "']");
  if (!tr) return null;
  return { cells: Array.from(tr.children, (td) => td.textContent), progress: tr.dataset.progress,
    delivered: tr.querySelector(".delivered").style.width,
    elements: tr.children[3].children.length };
}

async function deliverAndRetain() {
  const acme = (await api("POST", "/v1/admin/accounts", { name: "acme" })).write_key;
  const beta = (await api("POST", "/v1/admin/accounts", { name: "beta" })).write_key;
  await ingest(acme, 10, EVIL);
  await ingest(beta, 3, "Signed Up");
  for (let i = 0; i < 150; i++) {
    const b = await api("GET", "/v1/backlog");
    if (b.totals.events === 0 && b.retention.events === 13) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the 13 events were not delivered and retained in 15 s");
}

async function main() {
  const from = new Date(Date.now() - 1000).toISOString();
  await deliverAndRetain();
  await withPage(url, { profile, executablePath }, async (page) => {
    // --open-reads: the backlog (and its retention summary) needs no token, the jobs do.
    await waitFor(page, () => document.querySelector("#retained-events").dataset.value === "13",
      undefined, "the page shows 13 retained events without a token", PROBE);
    await waitFor(page, () => !document.querySelector("#replays-error").hidden, undefined,
      "and says the replay jobs need the token", PROBE);
    check((await page.textContent("#replays-error")).includes("admin token") &&
      await page.isHidden("#token-dialog"), "without asking for it (" +
      await page.textContent("#replays-error") + ")");
    await page.click("#token-button");
    await enterToken(page, token);
    await waitFor(page, () => document.querySelector("#replays-error").hidden, undefined,
      "with the token the jobs come", PROBE);
    check(await page.isHidden("#retention-off"), "retention is on: no 'retention off' line");
    check(await page.getAttribute("#retention-state", "data-state") === "on", "retention on");
    const reach = await page.textContent("#retained-oldest-at");
    check(/^delivered \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/.test(reach),
      "the oldest retained delivery time is shown (" + reach + ")");
    check(/^\d+s$/.test(await page.textContent("#retained-oldest")), "and its age");
    check(await page.isVisible("#no-replays"), "no jobs yet: one line");

    await api("POST", "/v1/drain/pause");
    const to = new Date(Date.now() + 1000).toISOString();
    const job = await api("POST", "/v1/replays",
      { from, to, accounts: ["acme"], types: ["track"], events: [EVIL] });
    // Draining is paused, so the job fills acme's queue to the window (4) and waits there.
    await waitFor(page, (id) => {
      const tr = document.querySelector("#replays tbody tr[data-key='" + id + "']");
      return tr && tr.children[6].textContent === "4";
    }, job.id, "the job row shows 4 enqueued", PROBE);
    let row = await page.evaluate(rowOf, job.id);
    check(row.cells[0] === String(job.id), "the row names the job");
    check(row.cells[1] === "running", "the job is running (" + row.cells[1] + ")");
    check(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d → /.test(row.cells[2]),
      "the range of delivery times (" + row.cells[2] + ")");
    check(row.cells[7] === "0" && row.progress === "0" && row.delivered === "0%" &&
      row.cells[4] === "0%", "nothing delivered: progress 0%");
    check(row.cells[3] === "accounts acme; types track; events " + JSON.stringify(EVIL),
      "the filters are shown as text (" + row.cells[3] + ")");
    check(row.elements === 0 && await page.evaluate(() =>
      document.querySelectorAll("#retention script, #retention img").length === 0 &&
      window.pwned === undefined), "the markup in the event name made no element and ran nothing");
    check(await page.isHidden("#no-replays"), "the 'no jobs' line is gone");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log("ok - screenshot saved to " + screenshot);

    await api("POST", "/v1/drain/resume");
    await waitFor(page, (id) => {
      const tr = document.querySelector("#replays tbody tr[data-key='" + id + "']");
      return tr && tr.dataset.progress === "100";
    }, job.id, "the job reaches 100% after the drain resumes", PROBE);
    row = await page.evaluate(rowOf, job.id);
    check(row.cells[1] === "done" && row.cells[5] === "10" && row.cells[6] === "10" &&
      row.cells[7] === "10", "done: 10 matched, enqueued and delivered (" + row.cells + ")");
    check(row.delivered === "100%" && row.cells[4] === "100%", "the bar is full");
    await waitFor(page, () => document.querySelector("#retained-events").dataset.value === "23",
      undefined, "the replayed events are retained again (23)", PROBE);
  });
}

run(main);
