// The console's shell: server info and credentials, the table list and table creation, and a
// table's page with its items, queries and stream. The address's hash names the table and tab
// (#/tables/<name>/<tab>), so a reload or a shared link opens the same page.

import * as api from './api.js';
import { $, clear, h, showMessage } from './dom.js';
import { ItemsView, QueryView } from './items.js';
import { StreamView } from './stream.js';

const TABS = ['items', 'query', 'stream'];
let current = null; // { name, tab, views: [] }

function route() {
  const m = /^#\/tables\/([^/]+)(?:\/(\w+))?/.exec(location.hash);
  if (!m) return { name: null, tab: null };
  return { name: decodeURIComponent(m[1]), tab: TABS.includes(m[2]) ? m[2] : 'items' };
}

function go(name, tab = 'items') {
  location.hash = name ? `#/tables/${encodeURIComponent(name)}/${tab}` : '#/';
}

// Tables

let tablesNext = null;

async function loadTables(append = false) {
  const list = $('#tables');
  const errorEl = $('#tables-error');
  try {
    const payload = { Limit: 100 };
    if (append && tablesNext) payload.ExclusiveStartTableName = tablesNext;
    const out = await api.call('ListTables', payload);
    if (!append) list.replaceChildren();
    for (const name of out.TableNames || []) {
      list.append(h('li', {},
        h('a', { href: `#/tables/${encodeURIComponent(name)}/items`, 'data-table': name }, name)));
    }
    tablesNext = out.LastEvaluatedTableName || null;
    $('#tables-more').hidden = !tablesNext;
    if (!list.children.length) list.append(h('li', { class: 'muted empty' }, 'No tables yet.'));
    showMessage(errorEl, null);
    markSelected();
  } catch (err) {
    showMessage(errorEl, err);
  }
}

function markSelected() {
  const { name } = route();
  for (const a of document.querySelectorAll('#tables a')) {
    a.classList.toggle('selected', a.dataset.table === name);
  }
}

async function createTable(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const errorEl = $('#ct-error');
  const value = (id) => $(id).value.trim();
  const name = value('#ct-name');
  const keys = [[value('#ct-pk'), $('#ct-pk-type').value, 'HASH']];
  if (value('#ct-sk')) keys.push([value('#ct-sk'), $('#ct-sk-type').value, 'RANGE']);
  const payload = {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map(([n, t]) => ({ AttributeName: n, AttributeType: t })),
    KeySchema: keys.map(([n, , k]) => ({ AttributeName: n, KeyType: k })),
  };
  if ($('#ct-stream').checked) {
    payload.StreamSpecification = { StreamEnabled: true, StreamViewType: $('#ct-stream-view').value };
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api.call('CreateTable', payload);
    showMessage(errorEl, null);
    form.reset();
    await loadTables();
    go(name, 'items');
  } catch (err) {
    showMessage(errorEl, err);
  } finally {
    button.disabled = false;
  }
}

// A table's page

function keySchemaText(table) {
  const types = Object.fromEntries((table.AttributeDefinitions || []).map((d) => [d.AttributeName, d.AttributeType]));
  return (table.KeySchema || [])
    .map((k) => `${k.AttributeName} (${types[k.AttributeName] || '?'}, ${k.KeyType === 'HASH' ? 'partition' : 'sort'})`)
    .join(' · ');
}

async function showTable(name, tab) {
  const main = $('#main');
  if (current && current.name === name && current.tab === tab) return;
  stopViews();
  current = { name, tab, views: [] };
  let table;
  try {
    table = (await api.call('DescribeTable', { TableName: name })).Table;
  } catch (err) {
    clear(main, h('h2', {}, name), h('div', { class: 'message', 'data-kind': 'error', id: 'table-error' }, String(err)));
    return;
  }
  if (!current || current.name !== name || current.tab !== tab) return;
  const hasStream = Boolean(table.LatestStreamArn && table.StreamSpecification && table.StreamSpecification.StreamEnabled);
  const body = h('div', { id: 'tab-body' });
  clear(main,
    h('div', { class: 'table-head', 'data-table': name },
      h('div', {},
        h('h2', { id: 'table-name' }, name),
        h('div', { class: 'muted' }, `${keySchemaText(table)} · ${table.TableStatus}` +
          `${hasStream ? ` · stream ${table.StreamSpecification.StreamViewType}` : ''}`)),
      h('button', { id: 'delete-table', type: 'button', class: 'danger', onclick: () => deleteTable(name) }, 'Delete table')),
    h('div', { id: 'table-error', class: 'message', hidden: true }),
    h('nav', { class: 'tabs', role: 'tablist' }, TABS.map((t) => h('a', {
      href: `#/tables/${encodeURIComponent(name)}/${t}`, 'data-tab': t, role: 'tab',
      class: t === tab ? 'active' : null, 'aria-selected': String(t === tab),
    }, t === 'items' ? 'Items' : t === 'query' ? 'Query / Scan' : 'Stream'))),
    body);
  let view;
  if (tab === 'items') view = new ItemsView(body, table);
  else if (tab === 'query') view = new QueryView(body, table);
  else if (hasStream) view = new StreamView(body, table);
  else body.append(h('p', { class: 'muted', id: 'no-stream' }, 'This table has no stream.'));
  if (view) {
    current.views.push(view);
    view.start();
  }
}

async function deleteTable(name) {
  if (!confirm(`Delete table ${name} and all its items?`)) return;
  try {
    await api.call('DeleteTable', { TableName: name });
    go(null);
    await loadTables();
  } catch (err) {
    showMessage($('#table-error'), err);
  }
}

function stopViews() {
  if (current) current.views.forEach((v) => v.stop && v.stop());
  current = null;
}

function showHome() {
  stopViews();
  clear($('#main'), h('div', { class: 'home' },
    h('h2', {}, 'eddy console'),
    h('p', {}, 'Pick a table on the left, or create one.'),
    h('p', { class: 'muted' }, 'Every action here is a DynamoDB API call, signed with the credentials in Settings.')));
}

function onRoute() {
  const { name, tab } = route();
  markSelected();
  if (name) showTable(name, tab);
  else showHome();
}

// Settings

function setupSettings() {
  const settings = api.loadSettings();
  $('#set-access-key').value = settings.accessKey;
  $('#set-secret-key').value = settings.secretKey;
  $('#settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api.saveSettings({ accessKey: $('#set-access-key').value.trim(), secretKey: $('#set-secret-key').value });
    $('#settings').open = false;
    current = null;
    loadTables();
    onRoute();
  });
}

async function main() {
  try {
    const info = await api.loadInfo();
    $('#server-info').textContent = `${info.region} · account ${info.accountId} · eddy ${info.version}` +
      `${info.testControl ? ' · test control' : ''}`;
    document.body.dataset.testControl = String(Boolean(info.testControl));
  } catch (err) {
    $('#server-info').textContent = String(err);
  }
  setupSettings();
  $('#create-table').addEventListener('submit', createTable);
  $('#ct-stream').addEventListener('change', () => {
    $('#ct-stream-view').disabled = !$('#ct-stream').checked;
  });
  $('#tables-refresh').addEventListener('click', () => loadTables());
  $('#tables-more').addEventListener('click', () => loadTables(true));
  window.addEventListener('hashchange', onRoute);
  await loadTables();
  onRoute();
  document.body.dataset.ready = 'true';
}

main();
