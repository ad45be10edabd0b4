// Sends events through the real @segment/analytics-node SDK to spillway and writes one JSON
// line per event the SDK reports as delivered: {"account": name, "messageId": id}.
// usage: node send.js HOST ACCOUNTS_JSON EVENTS_PER_ACCOUNT OUT_FILE
'use strict';
const fs = require('fs');
const { Analytics } = require('@segment/analytics-node');

async function main() {
  const [host, accountsFile, perAccount, outFile] = process.argv.slice(2);
  const accounts = JSON.parse(fs.readFileSync(accountsFile, 'utf8'));
  const lines = [];
  let failures = 0;
  await Promise.all(accounts.map(async (acct) => {
    const analytics = new Analytics({
      writeKey: acct.write_key, host, maxEventsInBatch: 25, flushInterval: 50, maxRetries: 3,
    });
    const sends = [];
    for (let i = 0; i < Number(perAccount); i++) {
      sends.push(new Promise((resolve) => {
        const method = ['track', 'identify', 'page'][i % 3];
        const params = { userId: `user-${i % 7}`, properties: { i, account: acct.account } };
        if (method === 'track') params.event = 'SDK Event';
        if (method === 'identify') params.traits = { plan: 'pro' };
        analytics[method](params, (err, ctx) => {
          if (err) failures++;
          else lines.push(JSON.stringify({ account: acct.account, messageId: ctx.event.messageId }));
          resolve();
        });
      }));
    }
    await analytics.closeAndFlush({ timeout: 30000 });
    await Promise.all(sends);
  }));
  fs.writeFileSync(outFile, lines.join('\n') + '\n');
  console.log(`sent=${lines.length} failed=${failures}`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
