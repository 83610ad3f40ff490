// The web console in headless Chromium against a running eddy (with test control): create a
// table with a stream through the page, write items through the page and through the API,
// see them on the table page, watch their records arrive live with their diffs, and watch the
// shard lineage change when the clock passes a shard's rollover and when a shard is split.
//
// Environment: EDDY_ENDPOINT (http://127.0.0.1:port), CHROMIUM (the browser binary),
// EDDY_NODE_MODULES (where playwright-core is installed), EDDY_ARTEFACTS (screenshot folder).

import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const endpoint = (process.env.EDDY_ENDPOINT || 'http://127.0.0.1:8000').replace(/\/$/, '');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const modules = path.resolve(process.env.EDDY_NODE_MODULES || 'target/node/node_modules');
const artefacts = process.env.EDDY_ARTEFACTS || path.resolve('target/artefacts/console');
const WAIT_MS = 10_000;

const require = createRequire(import.meta.url);
const { chromium } = require(path.join(modules, 'playwright-core'));
fs.mkdirSync(artefacts, { recursive: true });

// A real SigV4 signature, so the test also passes against a server that verifies them.
let clockOffsetMs = 0;
function hmac(key, text) {
  return crypto.createHmac('sha256', key).update(text).digest();
}
function sha256(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}
async function api(op, payload, { streams = false } = {}) {
  const target = `${streams ? 'DynamoDBStreams_20120810' : 'DynamoDB_20120810'}.${op}`;
  const body = JSON.stringify(payload);
  const url = new URL(endpoint);
  const date = new Date(Date.now() + clockOffsetMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = date.slice(0, 8);
  const names = 'content-type;host;x-amz-date;x-amz-target';
  const canonical = `POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:${url.host}\nx-amz-date:${date}\n` +
    `x-amz-target:${target}\n\n${names}\n${sha256(body)}`;
  const scope = `${day}/us-east-1/dynamodb/aws4_request`;
  let key = hmac('AWS4console', day);
  for (const part of ['us-east-1', 'dynamodb', 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, `AWS4-HMAC-SHA256\n${date}\n${scope}\n${sha256(canonical)}`).toString('hex');
  const resp = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-date': date,
      'x-amz-target': target,
      authorization: `AWS4-HMAC-SHA256 Credential=console/${scope}, SignedHeaders=${names}, Signature=${signature}`,
    },
    body,
  });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${op} failed: ${resp.status} ${JSON.stringify(json)}`);
  return json;
}

let step = 'start';
const pageLog = [];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shoot(page, name) {
  await page.screenshot({ path: path.join(artefacts, name), fullPage: true });
}

// Waits for `fn` (run in the page with `arg`) to be truthy; the failure names what was awaited.
async function until(page, what, fn, arg) {
  try {
    return await (await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 100 })).jsonValue();
  } catch (err) {
    throw new Error(`timed out after ${WAIT_MS / 1000} s waiting for ${what}`);
  }
}

async function lineage(page) {
  return page.$$eval('#lineage [data-shard-id]', (nodes) => nodes.map((n) => ({
    id: n.dataset.shardId, state: n.dataset.state, parent: n.dataset.parent,
  })));
}

async function run() {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    page.on('console', (msg) => pageLog.push(`console.${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (err) => pageLog.push(`page error: ${err.message}`));
    page.on('dialog', (dialog) => dialog.accept());
    const pageErrors = () => pageLog.filter((l) => l.startsWith('page error'));

    step = '1: create a table with a stream through the console';
    await page.goto(`${endpoint}/_eddy/console`, { timeout: WAIT_MS });
    await until(page, 'the console to load', () => document.body.dataset.ready === 'true');
    const table = `console_${Date.now()}`;
    await page.fill('#ct-name', table);
    await page.fill('#ct-pk', 'id');
    await page.selectOption('#ct-pk-type', 'S');
    await page.check('#ct-stream');
    await page.selectOption('#ct-stream-view', 'NEW_AND_OLD_IMAGES');
    await page.click('#ct-submit');
    await until(page, `the table page of ${table}`,
      (name) => document.querySelector('#table-name')?.textContent === name && document.querySelector('#items-box'), table);
    await until(page, `${table} in the table list`, (name) => [...document.querySelectorAll('#tables a')]
      .some((a) => a.dataset.table === name), table);
    const described = await api('DescribeTable', { TableName: table });
    check(described.Table.StreamSpecification?.StreamViewType === 'NEW_AND_OLD_IMAGES',
      `the table was created without a NEW_AND_OLD_IMAGES stream: ${JSON.stringify(described.Table.StreamSpecification)}`);
    await shoot(page, '1-table.png');

    step = '2: write items through the editor and the API; the server\'s validation messages show';
    const setItem = async (item) => page.fill('#item-json', typeof item === 'string' ? item : JSON.stringify(item, null, 2));
    const saveResult = async (what) => {
      await page.click('#item-save');
      return until(page, what, () => {
        const el = document.querySelector('#item-error');
        return !el.hidden && el.dataset.kind ? { kind: el.dataset.kind, text: el.textContent } : null;
      });
    };
    await page.click('#item-new');
    await setItem({ colour: { S: 'green' } });
    let result = await saveResult('the error of an item without its key');
    check(result.kind === 'error' && result.text.startsWith('ValidationException: ') && /key/i.test(result.text),
      `an item without its key should show the server's ValidationException, got ${JSON.stringify(result)}`);
    await shoot(page, '2-missing-key.png');
    await setItem({ id: { S: 'x' }, colour: 'green' });
    result = await saveResult('the error of an attribute value that is not DynamoDB JSON');
    check(result.kind === 'error' && /Exception: ./.test(result.text),
      `plain JSON values should show the server's error, got ${JSON.stringify(result)}`);
    await setItem({ id: { S: 'a' }, colour: { S: 'red' }, qty: { N: '1' } });
    result = await saveResult('the item saved through the editor');
    check(result.kind === 'ok', `saving item a failed: ${result.text}`);
    await api('PutItem', { TableName: table, Item: { id: { S: 'b' }, colour: { S: 'black' } } });
    await api('UpdateItem', {
      TableName: table, Key: { id: { S: 'a' } },
      UpdateExpression: 'SET colour = :c, tags = :t REMOVE qty',
      ExpressionAttributeValues: { ':c': { S: 'blue' }, ':t': { SS: ['x', 'y'] } },
    });

    step = '3: the items show on the table page';
    await page.click('#items-refresh');
    const rows = await until(page, 'items a and b in the items grid', () => {
      const keys = [...document.querySelectorAll('#items tbody tr')].map((tr) => tr.dataset.itemKey);
      return keys.length === 2 ? keys : null;
    });
    check(rows.includes(JSON.stringify([{ S: 'a' }])) && rows.includes(JSON.stringify([{ S: 'b' }])),
      `expected items a and b, saw ${rows.join(' ')}`);
    check(await page.$eval('#items', (t) => t.textContent.includes('blue')), 'item a should show its updated colour');
    await shoot(page, '3-items.png');

    step = '3b: Query with expressions, and the server\'s message for a bad one';
    await page.click('[data-tab=query]');
    await page.waitForSelector('#q-run', { timeout: WAIT_MS });
    await page.selectOption('#q-mode', 'Query');
    await page.fill('#q-key', '#k = :k');
    await page.fill('#q-filter', 'colour = :c');
    await page.fill('#q-names', '{"#k": "id"}');
    await page.fill('#q-values', '{":k": {"S": "a"}, ":c": {"S": "blue"}}');
    await page.click('#q-run');
    const found = await until(page, 'the query result', () => {
      const rows = [...document.querySelectorAll('#q-results tbody tr')];
      return rows.length ? rows.map((tr) => tr.dataset.itemKey) : null;
    });
    check(JSON.stringify(found) === JSON.stringify([JSON.stringify([{ S: 'a' }])]),
      `the query should find item a only, found ${found.join(' ')}`);
    await page.fill('#q-key', 'colour = :c');
    await page.fill('#q-names', '');
    await page.click('#q-run');
    const queryError = await until(page, 'the error of a key condition on a non-key attribute',
      () => { const el = document.querySelector('#q-error'); return el.hidden ? null : el.textContent; });
    check(queryError.startsWith('ValidationException: '), `expected the server's ValidationException, got ${queryError}`);
    await shoot(page, '3b-query-error.png');

    step = '4: the records arrive live in the stream view, with their diffs';
    await page.click('[data-tab=stream]');
    await until(page, 'the lineage graph', () => document.querySelector('#lineage svg [data-shard-id]'));
    await until(page, 'the records of the writes so far (INSERT a, INSERT b, MODIFY a)',
      () => document.querySelectorAll('#records li').length >= 3);
    await page.evaluate(() => { window.sameDocument = true; });
    await api('PutItem', { TableName: table, Item: { id: { S: 'c' }, colour: { S: 'white' } } });
    await api('DeleteItem', { TableName: table, Key: { id: { S: 'b' } } });
    const events = await until(page, 'the records of INSERT c and REMOVE b, live', () => {
      const list = [...document.querySelectorAll('#records li')];
      return list.length >= 5 ? list.map((li) => `${li.dataset.eventName} ${li.dataset.keys}`) : null;
    });
    check(await page.evaluate(() => window.sameDocument === true), 'the page reloaded');
    const expected = ['REMOVE {"id":{"S":"b"}}', 'INSERT {"id":{"S":"c"}}', 'MODIFY {"id":{"S":"a"}}',
      'INSERT {"id":{"S":"b"}}', 'INSERT {"id":{"S":"a"}}'];
    check(JSON.stringify(events) === JSON.stringify(expected),
      `records should be newest first:\n  expected ${expected.join(' | ')}\n  got      ${events.join(' | ')}`);
    const diff = await page.$$eval('#records li[data-event-name=MODIFY] table.diff tr', (trs) => trs.map((tr) => ({
      attr: tr.dataset.attr, change: tr.dataset.change, text: tr.textContent,
    })));
    const byAttr = Object.fromEntries(diff.map((d) => [d.attr, d]));
    check(byAttr.colour?.change === 'changed' && /red\s*→\s*blue/.test(byAttr.colour.text.replace('colour', '')),
      `the MODIFY should show colour red → blue: ${JSON.stringify(diff)}`);
    check(byAttr.qty?.change === 'removed', `the MODIFY should show qty removed: ${JSON.stringify(diff)}`);
    check(byAttr.tags?.change === 'added', `the MODIFY should show tags added: ${JSON.stringify(diff)}`);
    check(!byAttr.id, `an unchanged key should not be in the diff: ${JSON.stringify(diff)}`);
    await shoot(page, '4-records.png');

    step = '5: advancing the clock past the rollover closes the open shard and opens its child';
    check(await page.$('#time') !== null, 'the time controls should show under test control');
    const before = await lineage(page);
    const open = before.filter((s) => s.state === 'open');
    check(open.length === 1, `expected one open shard before the rollover: ${JSON.stringify(before)}`);
    await page.fill('#advance-seconds', '14400');
    await page.click('#advance-clock');
    await until(page, 'the clock advance to answer', () => /clock now/.test(document.querySelector('#time-status').textContent));
    const now = await page.$eval('#time-status', (el) => Date.parse(el.textContent.replace('clock now ', '')));
    if (Number.isFinite(now)) clockOffsetMs = now - Date.now();
    await api('PutItem', { TableName: table, Item: { id: { S: 'd' }, colour: { S: 'grey' } } });
    const child = await until(page, `a new open shard whose parent is ${open[0].id}, now closed`, (parentId) => {
      const nodes = [...document.querySelectorAll('#lineage [data-shard-id]')];
      const parent = nodes.find((n) => n.dataset.shardId === parentId);
      const kid = nodes.find((n) => n.dataset.parent === parentId && n.dataset.state === 'open');
      return parent?.dataset.state === 'closed' && kid ? kid.dataset.shardId : null;
    }, open[0].id);
    check(await page.$(`#lineage path.edge[data-parent="${open[0].id}"][data-child="${child}"]`) !== null,
      'the graph should draw an edge from the closed shard to its child');
    const dShard = await until(page, 'the record of INSERT d, read from the child shard', () => {
      const li = [...document.querySelectorAll('#records li')].find((l) => l.dataset.keys === '{"id":{"S":"d"}}');
      return li ? li.dataset.shardId : null;
    });
    check(dShard === child, `INSERT d should come from the child shard ${child}, came from ${dShard}`);
    await shoot(page, '5-rollover.png');

    step = '6: splitting the open shard gives it two open children';
    await page.selectOption('#split-shard', child);
    await page.click('#split-button');
    await until(page, `two open children of ${child}`, (parentId) => {
      const nodes = [...document.querySelectorAll('#lineage [data-shard-id]')];
      const parent = nodes.find((n) => n.dataset.shardId === parentId);
      return parent?.dataset.state === 'closed'
        && nodes.filter((n) => n.dataset.parent === parentId && n.dataset.state === 'open').length === 2;
    }, child);
    for (const id of ['e', 'f', 'g', 'h', 'i', 'j']) {
      await api('PutItem', { TableName: table, Item: { id: { S: id } } });
    }
    const seqs = await until(page, 'the records of the writes to the two children', () => {
      const list = [...document.querySelectorAll('#records li')];
      return list.length >= 12 ? list.map((li) => ({ seq: li.dataset.seq, shard: li.dataset.shardId })) : null;
    });
    check(new Set(seqs.slice(0, 6).map((r) => r.shard)).size === 2,
      `six writes after the split should land on both children: ${JSON.stringify(seqs.slice(0, 6))}`);
    const descending = seqs.every((r, i) => i === 0 || BigInt(seqs[i - 1].seq) > BigInt(r.seq));
    check(descending, `records across shards should be newest first: ${seqs.map((r) => r.seq).join(' ')}`);
    await shoot(page, '6-split.png');

    check(pageErrors().length === 0, `the page threw:\n${pageErrors().join('\n')}`);
    console.log(`console test passed; screenshots in ${artefacts}`);
  } catch (err) {
    await shoot(page, 'failure.png').catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
}

run().catch(async (err) => {
  console.error(`console test failed at step ${step}:\n  ${err.message}`);
  if (pageLog.length) console.error(`page log:\n  ${pageLog.slice(-30).join('\n  ')}`);
  console.error(`screenshots so far in ${artefacts}`);
  process.exit(1);
});
