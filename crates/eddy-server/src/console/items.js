// A table's items: browsing page by page with an editor for one item as DynamoDB JSON, and
// Query / Scan with expressions. Errors are the server's own words, next to the form.

import * as api from './api.js';
import { $, clear, formatValue, h, showMessage } from './dom.js';

const PAGE_SIZE = 25;
// Past this many columns a wide table stays readable; the editor still shows every attribute.
const MAX_COLUMNS = 12;

function keyNames(table, indexName) {
  let schema = table.KeySchema || [];
  const index = [...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])]
    .find((i) => i.IndexName === indexName);
  if (index) schema = index.KeySchema;
  const order = (k) => (k.KeyType === 'HASH' ? 0 : 1);
  return [...schema].sort((a, b) => order(a) - order(b)).map((k) => k.AttributeName);
}

function keyOf(table, item) {
  const key = {};
  for (const name of keyNames(table)) if (item && item[name] !== undefined) key[name] = item[name];
  return key;
}

/** Items as a grid: key attributes first, then the others by name. */
function itemGrid(items, keys, { onEdit, onDelete, id }) {
  if (!items.length) return h('p', { class: 'muted empty', id }, 'No items.');
  const others = [...new Set(items.flatMap((item) => Object.keys(item)))]
    .filter((n) => !keys.includes(n)).sort();
  const columns = [...keys, ...others.slice(0, MAX_COLUMNS - keys.length)];
  const hidden = others.length - (columns.length - keys.length);
  return h('table', { class: 'grid items', id },
    h('thead', {}, h('tr', {},
      columns.map((c) => h('th', { class: keys.includes(c) ? 'key' : null }, c)),
      hidden > 0 ? h('th', { class: 'muted' }, `+${hidden}`) : null,
      onEdit || onDelete ? h('th', {}) : null)),
    h('tbody', {}, items.map((item) => h('tr', { 'data-item-key': JSON.stringify(keys.map((k) => item[k])) },
      columns.map((c) => h('td', { class: keys.includes(c) ? 'key' : null, title: item[c] ? JSON.stringify(item[c]) : '' },
        item[c] === undefined ? '' : formatValue(item[c]))),
      hidden > 0 ? h('td', {}) : null,
      onEdit || onDelete ? h('td', { class: 'actions' },
        onEdit ? h('button', { type: 'button', class: 'small', 'data-action': 'edit', onclick: () => onEdit(item) }, 'Edit') : null,
        onDelete ? h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: () => onDelete(item) }, 'Delete') : null)
        : null))));
}

export class ItemsView {
  constructor(root, table) {
    this.root = root;
    this.table = table;
    this.name = table.TableName;
    // The start key of every page seen so far; the last one is the current page's.
    this.starts = [undefined];
    this.next = null;
    this.build();
  }

  build() {
    clear(this.root,
      h('div', { class: 'columns items-layout' },
        h('section', { class: 'panel' },
          h('div', { class: 'toolbar' },
            h('button', { id: 'items-refresh', type: 'button', onclick: () => this.load() }, 'Refresh'),
            h('button', { id: 'items-prev', type: 'button', onclick: () => this.prev() }, '← Previous'),
            h('span', { id: 'items-page', class: 'muted' }),
            h('button', { id: 'items-next', type: 'button', onclick: () => this.nextPage() }, 'Next →'),
            h('span', { class: 'grow' }),
            h('button', { id: 'item-new', type: 'button', onclick: () => this.edit(null) }, 'New item')),
          h('div', { id: 'items-error', class: 'message', hidden: true }),
          h('div', { id: 'items-box', class: 'scroll' })),
        h('section', { class: 'panel editor', id: 'item-editor' },
          h('h3', { id: 'item-editor-title' }, 'New item'),
          h('textarea', { id: 'item-json', spellcheck: 'false', rows: 14, 'aria-label': 'Item as DynamoDB JSON' }),
          h('div', { class: 'toolbar' },
            h('button', { id: 'item-save', type: 'button', class: 'primary', onclick: () => this.save() }, 'Save (PutItem)'),
            h('button', { id: 'item-delete', type: 'button', class: 'danger', onclick: () => this.removeFromEditor() }, 'Delete'),
            h('button', { id: 'item-clear', type: 'button', onclick: () => this.edit(null) }, 'Clear')),
          h('div', { id: 'item-error', class: 'message', hidden: true, role: 'alert' }))));
    this.edit(null);
  }

  start() {
    this.load();
  }

  async load() {
    const errorEl = $('#items-error', this.root);
    const payload = { TableName: this.name, Limit: PAGE_SIZE };
    const start = this.starts[this.starts.length - 1];
    if (start) payload.ExclusiveStartKey = start;
    try {
      const out = await api.call('Scan', payload);
      showMessage(errorEl, null);
      this.next = out.LastEvaluatedKey || null;
      clear($('#items-box', this.root), itemGrid(out.Items || [], keyNames(this.table), {
        id: 'items', onEdit: (item) => this.edit(item), onDelete: (item) => this.remove(item),
      }));
      $('#items-page', this.root).textContent = `page ${this.starts.length} · ${out.Count} items`;
      $('#items-prev', this.root).disabled = this.starts.length <= 1;
      $('#items-next', this.root).disabled = !this.next;
    } catch (err) {
      showMessage(errorEl, err);
    }
  }

  nextPage() {
    if (!this.next) return;
    this.starts.push(this.next);
    this.load();
  }

  prev() {
    if (this.starts.length <= 1) return;
    this.starts.pop();
    this.load();
  }

  edit(item) {
    const textarea = $('#item-json', this.root);
    showMessage($('#item-error', this.root), null);
    if (item) {
      textarea.value = JSON.stringify(item, null, 2);
      $('#item-editor-title', this.root).textContent = 'Edit item';
    } else {
      const types = Object.fromEntries((this.table.AttributeDefinitions || []).map((d) => [d.AttributeName, d.AttributeType]));
      const template = {};
      for (const name of keyNames(this.table)) template[name] = { [types[name] || 'S']: '' };
      textarea.value = JSON.stringify(template, null, 2);
      $('#item-editor-title', this.root).textContent = 'New item';
    }
  }

  editorItem() {
    const text = $('#item-json', this.root).value;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`Not JSON: ${err.message}`);
    }
  }

  async save() {
    const errorEl = $('#item-error', this.root);
    showMessage(errorEl, null);
    try {
      const item = this.editorItem();
      await api.call('PutItem', { TableName: this.name, Item: item });
      showMessage(errorEl, 'Saved.', 'ok');
      $('#item-editor-title', this.root).textContent = 'Edit item';
      this.load();
    } catch (err) {
      showMessage(errorEl, err);
    }
  }

  async removeFromEditor() {
    const errorEl = $('#item-error', this.root);
    showMessage(errorEl, null);
    try {
      const item = this.editorItem();
      if (await this.remove(item, errorEl)) this.edit(null);
    } catch (err) {
      showMessage(errorEl, err);
    }
  }

  async remove(item, errorEl = $('#item-error', this.root)) {
    const key = keyOf(this.table, item);
    if (!confirm(`Delete the item ${JSON.stringify(key)}?`)) return false;
    try {
      await api.call('DeleteItem', { TableName: this.name, Key: key });
      showMessage(errorEl, 'Deleted.', 'ok');
      this.load();
      return true;
    } catch (err) {
      showMessage(errorEl, err);
      return false;
    }
  }

  stop() {}
}

export class QueryView {
  constructor(root, table) {
    this.root = root;
    this.table = table;
    this.name = table.TableName;
    this.build();
  }

  build() {
    const indexes = [
      ...(this.table.GlobalSecondaryIndexes || []).map((i) => [i.IndexName, 'global']),
      ...(this.table.LocalSecondaryIndexes || []).map((i) => [i.IndexName, 'local']),
    ];
    const field = (label, control) => h('label', { class: 'field' }, h('span', {}, label), control);
    clear(this.root,
      h('section', { class: 'panel' },
        h('form', { id: 'query-form', class: 'query-form', onsubmit: (e) => { e.preventDefault(); this.run(false); } },
          h('div', { class: 'row' },
            field('Operation', h('select', { id: 'q-mode', onchange: () => this.modeChanged() },
              h('option', { value: 'Query' }, 'Query'), h('option', { value: 'Scan' }, 'Scan'))),
            field('Index', h('select', { id: 'q-index' }, h('option', { value: '' }, `(table) ${this.name}`),
              indexes.map(([n, kind]) => h('option', { value: n }, `${n} (${kind})`)))),
            field('Limit', h('input', { id: 'q-limit', type: 'number', min: 1, value: '25' }))),
          field('Key condition expression', h('input', { id: 'q-key', placeholder: '#pk = :pk', spellcheck: 'false' })),
          field('Filter expression', h('input', { id: 'q-filter', placeholder: 'optional', spellcheck: 'false' })),
          h('div', { class: 'row' },
            field('ExpressionAttributeNames (JSON)', h('textarea', { id: 'q-names', rows: 3, spellcheck: 'false', placeholder: '{"#pk": "id"}' })),
            field('ExpressionAttributeValues (DynamoDB JSON)', h('textarea', { id: 'q-values', rows: 3, spellcheck: 'false', placeholder: '{":pk": {"S": "a"}}' }))),
          h('div', { class: 'toolbar' },
            h('button', { id: 'q-run', type: 'submit', class: 'primary' }, 'Run'),
            h('button', { id: 'q-more', type: 'button', disabled: true, onclick: () => this.run(true) }, 'Next page →'),
            h('span', { id: 'q-summary', class: 'muted' })),
          h('div', { id: 'q-error', class: 'message', hidden: true, role: 'alert' })),
        h('div', { id: 'q-box', class: 'scroll' })));
  }

  start() {}

  stop() {}

  modeChanged() {
    $('#q-key', this.root).disabled = $('#q-mode', this.root).value === 'Scan';
  }

  parseJson(id, label) {
    const text = $(id, this.root).value.trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`${label} is not JSON: ${err.message}`);
    }
  }

  async run(more) {
    const errorEl = $('#q-error', this.root);
    showMessage(errorEl, null);
    try {
      const mode = $('#q-mode', this.root).value;
      const payload = more && this.lastPayload ? { ...this.lastPayload, ExclusiveStartKey: this.next } : { TableName: this.name };
      if (!more) {
        const index = $('#q-index', this.root).value;
        if (index) payload.IndexName = index;
        const limit = Number($('#q-limit', this.root).value);
        if (limit > 0) payload.Limit = limit;
        const keyExpr = $('#q-key', this.root).value.trim();
        if (mode === 'Query' && keyExpr) payload.KeyConditionExpression = keyExpr;
        const filter = $('#q-filter', this.root).value.trim();
        if (filter) payload.FilterExpression = filter;
        const names = this.parseJson('#q-names', 'ExpressionAttributeNames');
        if (names) payload.ExpressionAttributeNames = names;
        const values = this.parseJson('#q-values', 'ExpressionAttributeValues');
        if (values) payload.ExpressionAttributeValues = values;
        this.mode = mode;
        this.lastPayload = payload;
      }
      const out = await api.call(this.mode, payload);
      showMessage(errorEl, null);
      this.next = out.LastEvaluatedKey || null;
      $('#q-more', this.root).disabled = !this.next;
      $('#q-summary', this.root).textContent = `${this.mode}: ${out.Count} items (scanned ${out.ScannedCount})` +
        `${this.next ? ' · more available' : ''}`;
      clear($('#q-box', this.root), itemGrid(out.Items || [], keyNames(this.table, payload.IndexName), { id: 'q-results' }));
    } catch (err) {
      // Results of an earlier run would read as this run's.
      clear($('#q-box', this.root));
      $('#q-summary', this.root).textContent = '';
      $('#q-more', this.root).disabled = true;
      showMessage(errorEl, err);
    }
  }
}
