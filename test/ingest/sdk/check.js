// Compares what the SDK delivered (sent.jsonl) with the store dump (stored.jsonl): every
// messageId exactly once, under the account whose write key sent it, and nothing else.
'use strict';
const fs = require('fs');
const read = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const [sentFile, storedFile] = process.argv.slice(2);
const sent = read(sentFile);
const stored = read(storedFile);
const counts = new Map();
let errors = 0;
for (const row of stored) {
  if (row.dead) { console.error(`dead letter: ${JSON.stringify(row)}`); errors++; }
  const key = `${row.account}/${row.messageId}`;
  counts.set(key, (counts.get(key) || 0) + 1);
}
for (const s of sent) {
  const n = counts.get(`${s.account}/${s.messageId}`) || 0;
  if (n !== 1) { console.error(`${s.account}/${s.messageId} stored ${n} times`); errors++; }
}
if (stored.length !== sent.length) {
  console.error(`stored ${stored.length} events, SDK sent ${sent.length}`);
  errors++;
}
console.log(`sent=${sent.length} stored=${stored.length} errors=${errors}`);
process.exit(errors === 0 ? 0 : 1);
