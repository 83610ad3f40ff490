// A table's stream, live: the shard lineage as a graph, records as they arrive (over the
// server-sent events endpoint) with what each changed, the triggers reading the stream, and,
// under test control, the clock and shard splits that reshape the lineage.

import * as api from './api.js';
import { $, clear, diffImages, formatValue, h, shardTail, shortSeq, showMessage } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const LINEAGE_EVERY_MS = 2000;
const TRIGGERS_EVERY_MS = 3000;
// Enough to follow a burst of writes; older records drop off the page, not the stream.
const MAX_RECORDS = 500;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== undefined && child !== null) {
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return el;
}

const NODE_W = 200;
const NODE_H = 46;
const COL_GAP = 56;
const ROW_GAP = 16;
const PAD = 10;

/**
 * Places shards left to right by generation: a shard's children sit in the next column, and
 * a parent is centred on its children. A shard whose parent was trimmed away is a root.
 */
export function layoutLineage(shards) {
  const byId = new Map(shards.map((sh) => [sh.ShardId, sh]));
  const children = new Map();
  const roots = [];
  for (const shard of shards) {
    const parent = shard.ParentShardId;
    if (parent && byId.has(parent)) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(shard);
    } else {
      roots.push(shard);
    }
  }
  const pos = new Map();
  let nextRow = 0;
  let maxDepth = 0;
  const place = (shard, depth) => {
    maxDepth = Math.max(maxDepth, depth);
    const kids = (children.get(shard.ShardId) || []).sort((a, b) => (a.ShardId < b.ShardId ? -1 : 1));
    let row;
    if (kids.length === 0) {
      row = nextRow++;
    } else {
      const rows = kids.map((kid) => place(kid, depth + 1));
      row = (rows[0] + rows[rows.length - 1]) / 2;
    }
    pos.set(shard.ShardId, { depth, row });
    return row;
  };
  for (const root of roots.sort((a, b) => (a.ShardId < b.ShardId ? -1 : 1))) place(root, 0);
  return { pos, rows: Math.max(nextRow, 1), depth: maxDepth + 1 };
}

export function drawLineage(shards) {
  const { pos, rows, depth } = layoutLineage(shards);
  const width = PAD * 2 + depth * NODE_W + (depth - 1) * COL_GAP;
  const height = PAD * 2 + rows * NODE_H + (rows - 1) * ROW_GAP;
  const svg = s('svg', {
    width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `Shard lineage: ${shards.length} shards`,
  });
  svg.append(s('defs', {}, s('marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: 'auto-start-reverse',
  }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  const at = (id) => {
    const p = pos.get(id);
    return { x: PAD + p.depth * (NODE_W + COL_GAP), y: PAD + p.row * (NODE_H + ROW_GAP) };
  };
  for (const shard of shards) {
    if (!shard.ParentShardId || !pos.has(shard.ParentShardId)) continue;
    const from = at(shard.ParentShardId);
    const to = at(shard.ShardId);
    const x1 = from.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    svg.append(s('path', {
      class: 'edge', d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2 - 1} ${y2}`,
      'marker-end': 'url(#arrow)', 'data-parent': shard.ParentShardId, 'data-child': shard.ShardId,
    }));
  }
  for (const shard of shards) {
    const { x, y } = at(shard.ShardId);
    const range = shard.SequenceNumberRange || {};
    const open = !range.EndingSequenceNumber;
    if (open && svg.dataset.focusX === undefined) {
      svg.dataset.focusX = String(x + NODE_W / 2);
      svg.dataset.focusY = String(y + NODE_H / 2);
    }
    svg.append(s('g', {
      class: `shard ${open ? 'open' : 'closed'}`, 'data-shard-id': shard.ShardId,
      'data-state': open ? 'open' : 'closed', 'data-parent': shard.ParentShardId || '',
      transform: `translate(${x} ${y})`,
    },
    s('title', {}, `${shard.ShardId}\nparent: ${shard.ParentShardId || '(none)'}\n` +
      `start: ${range.StartingSequenceNumber || ''}\nend: ${range.EndingSequenceNumber || '(open)'}`),
    s('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
    s('text', { x: 10, y: 18, class: 'shard-id' }, shardTail(shard.ShardId)),
    s('text', { x: NODE_W - 10, y: 18, class: 'shard-state', 'text-anchor': 'end' }, open ? 'open' : 'closed'),
    s('text', { x: 10, y: 36, class: 'shard-range' },
      `${shortSeq(range.StartingSequenceNumber)} – ${open ? '…' : shortSeq(range.EndingSequenceNumber)}`)));
  }
  return svg;
}

function seqValue(seq) {
  try {
    return /^\d+$/.test(seq || '') ? BigInt(seq) : null;
  } catch {
    return null;
  }
}

function keyText(keys) {
  return Object.entries(keys || {}).map(([name, av]) => `${name}=${formatValue(av)}`).join(', ');
}

function valueCell(av) {
  return av === undefined ? h('td', { class: 'none' }, '—') : h('td', { class: 'value' }, formatValue(av));
}

export function renderRecord(shardId, record) {
  const data = record.dynamodb || {};
  const rows = diffImages(data.OldImage, data.NewImage);
  const when = data.ApproximateCreationDateTime
    ? new Date(Number(data.ApproximateCreationDateTime) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
    : '';
  return h('li', {
    class: `record ${String(record.eventName).toLowerCase()}`, 'data-event-name': record.eventName,
    'data-shard-id': shardId, 'data-seq': data.SequenceNumber, 'data-keys': JSON.stringify(data.Keys || {}),
  },
  h('div', { class: 'record-head' },
    h('span', { class: 'badge' }, record.eventName),
    h('span', { class: 'keys' }, keyText(data.Keys)),
    h('span', { class: 'meta', title: `${shardId}\n${data.SequenceNumber}` },
      `${shardTail(shardId)} · #${shortSeq(data.SequenceNumber)}${when ? ` · ${when}` : ''}`)),
  rows.length
    ? h('table', { class: 'diff' }, rows.map((row) => h('tr', { 'data-attr': row.name, 'data-change': row.change },
      h('td', { class: 'attr' }, row.name),
      valueCell(row.old),
      h('td', { class: 'arrow' }, '→'),
      valueCell(row.new))))
    : h('div', { class: 'muted' }, data.StreamViewType === 'KEYS_ONLY' ? 'keys only' : 'no image'));
}

function renderTriggers(list, streamArn) {
  if (!list.length) return h('p', { class: 'muted', 'data-testid': 'no-triggers' }, 'No triggers configured.');
  return list.map((t) => {
    const shards = Object.entries(t.shards || {});
    return h('div', {
      class: `trigger${t.streamArn === streamArn ? ' this-stream' : ''}`, 'data-trigger': t.name,
      'data-state': t.state,
    },
    h('div', { class: 'trigger-head' },
      h('strong', {}, t.name), h('span', { class: 'badge' }, t.state),
      h('span', { class: 'muted' }, `${t.source} → ${t.handler}`)),
    t.lastError ? h('div', { class: 'message', 'data-kind': 'error' }, t.lastError) : null,
    shards.length
      ? h('ul', { class: 'trigger-shards' }, shards.map(([id, sh]) => h('li', {
        'data-shard-id': id, 'data-position': sh.position || '',
      },
      h('div', {},
        h('strong', { title: id }, shardTail(id)), ' at ',
        h('code', { title: sh.position || '' }, sh.position ? `#${shortSeq(sh.position)}` : 'the start'),
        h('span', { class: 'muted' }, ` · iterator age ${sh.iteratorAgeMs} ms`)),
      h('div', { class: 'muted' },
        `batches: ${sh.batchesDelivered} ok, ${sh.batchesFailed} failed, ${sh.batchesRetried} retried, ` +
        `${sh.batchesDiscarded} discarded · records: ${sh.recordsDelivered} delivered, ` +
        `${sh.recordsFiltered} filtered${sh.gathering ? `, ${sh.gathering} gathering` : ''}`))))
      : h('div', { class: 'muted' }, 'no shard read yet'));
  });
}

/** The stream tab of one table; `stop()` closes its connection and timers. */
export class StreamView {
  constructor(root, table) {
    this.root = root;
    this.table = table;
    this.arn = table.LatestStreamArn;
    this.seen = new Set();
    this.timers = [];
    this.lineageKey = '';
    this.shards = [];
    this.build();
  }

  build() {
    const info = api.serverInfo();
    const spec = this.table.StreamSpecification || {};
    clear(this.root,
      h('div', { class: 'stream-head' },
        h('div', {}, h('span', { class: 'label' }, 'Stream '), h('code', { id: 'stream-arn' }, this.arn)),
        h('div', { class: 'muted' }, `view: ${spec.StreamViewType || '?'}`)),
      h('section', { class: 'panel' },
        h('div', { class: 'panel-head' }, h('h3', {}, 'Shard lineage'),
          h('span', { class: 'legend' }, h('i', { class: 'dot open' }), 'open ', h('i', { class: 'dot closed' }), 'closed')),
        h('div', { id: 'lineage', 'data-testid': 'lineage' }, h('p', { class: 'muted' }, 'Loading…')),
        h('div', { id: 'lineage-error', class: 'message', hidden: true }),
        info.testControl ? this.timePanel() : null),
      h('div', { class: 'columns' },
        h('section', { class: 'panel records-panel' },
          h('div', { class: 'panel-head' }, h('h3', {}, 'Records'),
            h('span', { id: 'records-count', class: 'muted' }, '0'),
            h('span', { id: 'records-status', class: 'status', 'data-state': 'connecting' }, 'connecting')),
          h('ol', { id: 'records', 'data-testid': 'records' })),
        h('section', { class: 'panel triggers-panel' },
          h('div', { class: 'panel-head' }, h('h3', {}, 'Triggers')),
          h('div', { id: 'triggers', 'data-testid': 'triggers' }, h('p', { class: 'muted' }, 'Loading…')))));
  }

  timePanel() {
    return h('div', { id: 'time', class: 'time', 'data-testid': 'time' },
      h('label', {}, 'Advance clock by ',
        h('input', { id: 'advance-seconds', type: 'number', min: 0, step: 1, value: '14400' }), ' s'),
      h('button', { id: 'advance-clock', type: 'button', onclick: () => this.advance() }, 'Advance clock'),
      h('span', { class: 'sep' }),
      h('label', {}, 'Open shard ', h('select', { id: 'split-shard' })),
      h('button', { id: 'split-button', type: 'button', onclick: () => this.split() }, 'Split shard'),
      h('span', { id: 'time-status', class: 'muted' }));
  }

  start() {
    this.connect();
    this.refreshLineage();
    this.refreshTriggers();
    this.timers.push(setInterval(() => this.refreshLineage(), LINEAGE_EVERY_MS));
    this.timers.push(setInterval(() => this.refreshTriggers(), TRIGGERS_EVERY_MS));
  }

  stop() {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    this.timers = [];
    if (this.events) this.events.close();
  }

  async connect() {
    const status = $('#records-status', this.root);
    const setStatus = (state, text) => {
      status.dataset.state = state;
      status.textContent = text;
    };
    this.events = new EventSource(await api.recordEventsUrl(this.arn));
    this.events.onopen = () => setStatus('live', 'live');
    // EventSource reconnects by itself; the replay that follows is deduplicated.
    this.events.onerror = () => {
      if (this.events.readyState === EventSource.CLOSED) setStatus('closed', 'not available');
      else setStatus('reconnecting', 'reconnecting…');
    };
    // The server ends the feed when the stream goes away (disabled, or its table deleted);
    // reconnecting would only be refused again.
    this.events.addEventListener('end', (event) => {
      this.events.close();
      let why = '';
      try {
        const data = JSON.parse(event.data);
        why = [data.error, data.message].filter(Boolean).join(': ');
      } catch {
        why = event.data;
      }
      setStatus('closed', why ? `ended (${why})` : 'ended');
    });
    this.events.addEventListener('record', (event) => {
      setStatus('live', 'live');
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      this.addRecord(data.ShardId, data.Record || {});
    });
  }

  addRecord(shardId, record) {
    const seq = record.dynamodb && record.dynamodb.SequenceNumber;
    const id = `${shardId}/${seq}/${record.eventID}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const list = $('#records', this.root);
    const item = renderRecord(shardId, record);
    // The feed reads shard after shard, so arrival order is not write order across shards;
    // a stream's sequence numbers grow with time, so they place each record.
    const order = seqValue(seq);
    let before = list.firstElementChild;
    while (before && order !== null && seqValue(before.dataset.seq) > order) before = before.nextElementSibling;
    list.insertBefore(item, before);
    while (list.children.length > MAX_RECORDS) list.lastElementChild.remove();
    $('#records-count', this.root).textContent = `${this.seen.size}`;
  }

  async refreshLineage() {
    const errorEl = $('#lineage-error', this.root);
    try {
      const description = await api.describeStream(this.arn);
      if (this.stopped) return;
      const shards = description.Shards;
      showMessage(errorEl, null);
      const key = JSON.stringify(shards);
      if (key === this.lineageKey) return;
      this.lineageKey = key;
      this.shards = shards;
      const box = $('#lineage', this.root);
      box.dataset.shards = String(shards.length);
      const first = !box.querySelector('svg');
      const { scrollLeft, scrollTop } = box;
      const svg = shards.length ? drawLineage(shards) : null;
      clear(box, svg || h('p', { class: 'muted' }, 'No shards.'));
      // A long-lived stream's graph outgrows the box: open on its first open shard, then
      // leave the view where the reader put it.
      if (first && svg && svg.dataset.focusX !== undefined) {
        box.scrollLeft = Number(svg.dataset.focusX) - box.clientWidth / 2;
        box.scrollTop = Number(svg.dataset.focusY) - box.clientHeight / 2;
      } else {
        box.scrollLeft = scrollLeft;
        box.scrollTop = scrollTop;
      }
      this.fillSplitChoices();
    } catch (err) {
      if (!this.stopped) showMessage(errorEl, err);
    }
  }

  fillSplitChoices() {
    const select = $('#split-shard', this.root);
    if (!select) return;
    const before = select.value;
    const open = this.shards.filter((sh) => !(sh.SequenceNumberRange || {}).EndingSequenceNumber);
    clear(select, open.map((sh) => h('option', { value: sh.ShardId }, shardTail(sh.ShardId))));
    if (open.some((sh) => sh.ShardId === before)) select.value = before;
    $('#split-button', this.root).disabled = open.length === 0;
  }

  async refreshTriggers() {
    const box = $('#triggers', this.root);
    try {
      const list = await api.triggers();
      if (!this.stopped) clear(box, renderTriggers(list, this.arn));
    } catch (err) {
      if (!this.stopped) clear(box, h('div', { class: 'message', 'data-kind': 'error' }, String(err)));
    }
  }

  async advance() {
    const status = $('#time-status', this.root);
    const seconds = Number($('#advance-seconds', this.root).value);
    try {
      const now = await api.advanceClock(seconds);
      status.textContent = `clock now ${new Date(now).toISOString()}`;
      status.dataset.kind = 'ok';
    } catch (err) {
      status.textContent = String(err);
      status.dataset.kind = 'error';
    }
    this.lineageKey = '';
    await this.refreshLineage();
  }

  async split() {
    const status = $('#time-status', this.root);
    const shardId = $('#split-shard', this.root).value;
    if (!shardId) return;
    try {
      await api.splitShard(this.arn, shardId);
      status.textContent = `split ${shardTail(shardId)}`;
      status.dataset.kind = 'ok';
    } catch (err) {
      status.textContent = String(err);
      status.dataset.kind = 'error';
    }
    this.lineageKey = '';
    await this.refreshLineage();
  }
}
