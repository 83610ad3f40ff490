// Small helpers shared by the console's views: element building, DynamoDB JSON values shown
// compactly, and the difference between two item images.

/** Builds an element: h('div', {class: 'x', onclick}, child, 'text', ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'value') el.value = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Shows an error (an ApiError names its type) or a success note in a message slot. */
export function showMessage(el, what, kind = 'error') {
  if (!what) {
    el.textContent = '';
    el.hidden = true;
    delete el.dataset.kind;
    return;
  }
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = String(what);
}

/** A DynamoDB JSON value as short text: strings and numbers bare, the rest as JSON. */
export function formatValue(av) {
  if (!av || typeof av !== 'object') return '';
  const [type, value] = Object.entries(av)[0] || [];
  switch (type) {
    case 'S':
      return value;
    case 'N':
      return value;
    case 'BOOL':
      return String(value);
    case 'NULL':
      return 'null';
    case 'B':
      return `<binary ${value.length} b64>`;
    case 'SS':
    case 'NS':
      return `{${value.join(', ')}}`;
    case 'BS':
      return `{${value.length} binaries}`;
    default:
      return JSON.stringify(av);
  }
}

// Sets compare equal whatever their order; maps whatever their key order.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) {
      const inner = canonical(value[key]);
      out[key] = ['SS', 'NS', 'BS'].includes(key) && Array.isArray(inner) ? [...inner].sort() : inner;
    }
    return out;
  }
  return value;
}

export function sameValue(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * What changed from one image to the other, attribute by attribute: 'added', 'removed',
 * 'changed' or, where only one image is known, 'new' / 'old'; unchanged attributes are left
 * out unless `keepSame`.
 */
export function diffImages(oldImage, newImage, { keepSame = false } = {}) {
  const rows = [];
  if (!oldImage && !newImage) return rows;
  if (!oldImage || !newImage) {
    const [image, change] = newImage ? [newImage, 'new'] : [oldImage, 'old'];
    for (const name of Object.keys(image).sort()) {
      rows.push({ name, change, old: change === 'old' ? image[name] : undefined,
        new: change === 'new' ? image[name] : undefined });
    }
    return rows;
  }
  const names = [...new Set([...Object.keys(oldImage), ...Object.keys(newImage)])].sort();
  for (const name of names) {
    const before = oldImage[name];
    const after = newImage[name];
    if (before === undefined) rows.push({ name, change: 'added', new: after });
    else if (after === undefined) rows.push({ name, change: 'removed', old: before });
    else if (!sameValue(before, after)) rows.push({ name, change: 'changed', old: before, new: after });
    else if (keepSame) rows.push({ name, change: 'same', old: before, new: after });
  }
  return rows;
}

/** The last part of a shard id (the stream's count of shards), which tells its shards apart. */
export function shardTail(shardId) {
  const id = String(shardId);
  return id.length > 12 ? `…${id.slice(-8)}` : id;
}

/** A long sequence number without the zeros that pad it. */
export function shortSeq(seq) {
  if (seq === undefined || seq === null) return '';
  const s = String(seq).replace(/^0+(?=\d)/, '');
  return s.length > 12 ? `${s.slice(0, 1)}…${s.slice(-6)}` : s;
}
