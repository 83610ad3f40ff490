// The console's only way to the server: eddy's public DynamoDB JSON API, signed with SigV4
// exactly as an SDK signs it, and the documented /_eddy/ endpoints.

const SETTINGS_KEY = 'eddy-console-settings';
const DEFAULTS = { accessKey: 'console', secretKey: 'console' };

export function loadSettings() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}') };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings) {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

let info = { region: 'us-east-1', accountId: '', testControl: false, version: '' };
// The server's clock may run ahead of the browser's (test control moves it), and a verifying
// server rejects signatures dated more than 15 minutes from its own now.
let clockOffsetMs = 0;

export async function loadInfo() {
  const resp = await fetch('/_eddy/info');
  if (!resp.ok) throw new Error(`/_eddy/info answered ${resp.status}`);
  info = { ...info, ...(await resp.json()) };
  return info;
}

export function serverInfo() {
  return info;
}

const encoder = new TextEncoder();

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(key, text) {
  const raw = typeof key === 'string' ? encoder.encode(key) : key;
  const k = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return crypto.subtle.sign('HMAC', k, encoder.encode(text));
}

function amzDate(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// The headers for one signed POST / (only host, x-amz-date, x-amz-target and content-type
// are signed: the browser adds others of its own that must stay out of the signature).
export async function signedHeaders(target, body, { host, region, accessKey, secretKey, nowMs }) {
  const date = amzDate(nowMs);
  const day = date.slice(0, 8);
  const contentType = 'application/x-amz-json-1.0';
  const names = 'content-type;host;x-amz-date;x-amz-target';
  const canonical = [
    'POST',
    '/',
    '',
    `content-type:${contentType}\nhost:${host}\nx-amz-date:${date}\nx-amz-target:${target}\n`,
    names,
    await sha256Hex(body),
  ].join('\n');
  const scope = `${day}/${region}/dynamodb/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${await sha256Hex(canonical)}`;
  let key = await hmac(`AWS4${secretKey}`, day);
  for (const part of [region, 'dynamodb', 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  return {
    'Content-Type': contentType,
    'X-Amz-Date': date,
    'X-Amz-Target': target,
    Authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names}, Signature=${signature}`,
  };
}

/** An error answer of the API: its type (after '#') and message. */
export class ApiError extends Error {
  constructor(type, message, status) {
    super(message);
    this.type = type;
    this.status = status;
  }
  toString() {
    return this.message ? `${this.type}: ${this.message}` : this.type;
  }
}

function serverNowFrom(message) {
  // "Signature expired: A is now earlier than B (NOW - 15 min.)" or
  // "Signature not yet current: A is still later than B (NOW + 15 min.)"
  const m = /\((\d{8}T\d{6}Z) [-+]/.exec(message || '');
  if (!m) return null;
  const s = m[1];
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11),
    +s.slice(11, 13), +s.slice(13, 15));
}

async function send(target, payload) {
  const body = JSON.stringify(payload);
  const settings = loadSettings();
  const headers = await signedHeaders(target, body, {
    host: location.host,
    region: info.region,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    nowMs: Date.now() + clockOffsetMs,
  });
  const resp = await fetch('/', { method: 'POST', headers, body });
  const text = await resp.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text };
  }
  if (resp.ok) return { ok: true, json };
  const type = String(json.__type || `HTTP ${resp.status}`).split('#').pop();
  return { ok: false, error: new ApiError(type, json.message ?? json.Message ?? '', resp.status) };
}

/** Calls a DynamoDB (or, with `streams`, DynamoDB Streams) operation. */
export async function call(op, payload = {}, { streams = false } = {}) {
  const target = `${streams ? 'DynamoDBStreams_20120810' : 'DynamoDB_20120810'}.${op}`;
  let result = await send(target, payload);
  if (!result.ok && result.error.type === 'InvalidSignatureException') {
    const serverNow = serverNowFrom(result.error.message);
    if (serverNow !== null) {
      clockOffsetMs = serverNow - Date.now();
      result = await send(target, payload);
    }
  }
  if (!result.ok) throw result.error;
  return result.json;
}

async function control(path, payload) {
  const resp = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const text = await resp.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text.trim() };
  }
  if (!resp.ok) {
    const type = String(json.__type || `HTTP ${resp.status}`).split('#').pop();
    throw new ApiError(type, json.message ?? json.Message ?? '', resp.status);
  }
  return json;
}

/** Moves the server's clock forward (test control); answers the new now in epoch ms. */
export async function advanceClock(seconds) {
  const json = await control('/_eddy/clock/advance', { seconds });
  if (typeof json.now === 'number') clockOffsetMs = json.now - Date.now();
  return json.now;
}

export function splitShard(streamArn, shardId) {
  return control('/_eddy/streams/split', { StreamArn: streamArn, ShardId: shardId });
}

export async function triggers() {
  const resp = await fetch('/_eddy/triggers');
  if (!resp.ok) throw new Error(`/_eddy/triggers answered ${resp.status}`);
  const json = await resp.json();
  return Array.isArray(json) ? json : json.triggers || [];
}

/** SigV4's encoding of a query key or value: everything but unreserved characters. */
function uriEncode(text) {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The live record feed's URL, presigned (an EventSource cannot send headers): a server that
 * verifies signatures serves the feed only to a valid signature.
 */
export async function recordEventsUrl(streamArn) {
  const settings = loadSettings();
  const date = amzDate(Date.now() + clockOffsetMs);
  const day = date.slice(0, 8);
  const scope = `${day}/${info.region}/dynamodb/aws4_request`;
  const params = {
    StreamArn: streamArn,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${settings.accessKey}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': '900',
    'X-Amz-SignedHeaders': 'host',
  };
  const query = Object.entries(params)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const path = '/_eddy/streams/events';
  const canonical = ['GET', path, query, `host:${location.host}\n`, 'host', await sha256Hex('')].join(
    '\n',
  );
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${await sha256Hex(canonical)}`;
  let key = await hmac(`AWS4${settings.secretKey}`, day);
  for (const part of [info.region, 'dynamodb', 'aws4_request']) key = await hmac(key, part);
  return `${path}?${query}&X-Amz-Signature=${hex(await hmac(key, toSign))}`;
}

/** Every shard of a stream, paging DescribeStream. */
export async function describeStream(streamArn) {
  const shards = [];
  let start;
  let description;
  do {
    const payload = { StreamArn: streamArn };
    if (start) payload.ExclusiveStartShardId = start;
    description = (await call('DescribeStream', payload, { streams: true })).StreamDescription;
    shards.push(...(description.Shards || []));
    start = description.LastEvaluatedShardId;
  } while (start);
  return { ...description, Shards: shards };
}
