// dynamodb-admin, the web UI, pointed at eddy at $EDDY_ENDPOINT: it lists the tables, pages
// through a table's items, shows one item, and saves edits through its own routes; each edit is
// then read back from eddy directly.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";

const endpoint = process.env.EDDY_ENDPOINT;
if (!endpoint) {
  console.error("dynamodb_admin: EDDY_ENDPOINT must be the URL of eddy");
  process.exit(2);
}
// The packages live outside this folder, in the ignored target/node that scripts/tools-setup fills.
const nodeModules =
  process.env.EDDY_NODE_MODULES ??
  join(dirname(fileURLToPath(import.meta.url)), "../../../../target/node/node_modules");
const require = createRequire(join(nodeModules, "..", "resolver.js"));
const ddb = require("@aws-sdk/client-dynamodb");
const adminPackage = require("dynamodb-admin/package.json");
console.log(`dynamodb-admin ${adminPackage.version}`);

const credentials = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_REGION: "us-east-1",
};
// The SDK's notice about future Node versions is noise in a test's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const client = new ddb.DynamoDBClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  // One retry: an unreachable eddy should fail the script at once, not after back-off.
  maxAttempts: 2,
});

const check = (what, actual, expected) => {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
};

const table = `admin-${randomUUID().slice(0, 12)}`;
let admin;
let adminOutput = "";

// Port 0 lets the system pick a free port; the admin prints the one it got.
function startAdmin() {
  const bin = join(nodeModules, "dynamodb-admin", adminPackage.bin["dynamodb-admin"]);
  admin = spawn(process.execPath, [bin, "--host", "127.0.0.1", "--port", "0"], {
    env: { ...process.env, ...credentials, DYNAMO_ENDPOINT: endpoint, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("dynamodb-admin did not start in 20 s")),
      20_000,
    );
    const onData = (chunk) => {
      adminOutput += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(adminOutput);
      if (url) {
        clearTimeout(timer);
        resolve(url[1]);
      }
    };
    admin.stdout.on("data", onData);
    admin.stderr.on("data", onData);
    admin.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dynamodb-admin exited with ${code} before listening`));
    });
  });
}

function stopAdmin() {
  if (admin && admin.exitCode === null) admin.kill("SIGTERM");
}
process.on("exit", stopAdmin);

async function http(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status >= 400) {
    const detail = text.slice(0, 500);
    throw new Error(`dynamodb-admin ${method} ${path}: HTTP ${response.status}: ${detail}`);
  }
  return { status: response.status, text, json: () => JSON.parse(text) };
}

async function getItem(pk, sk) {
  const out = await client.send(
    new ddb.GetItemCommand({
      TableName: table,
      Key: { pk: { S: pk }, sk: { N: String(sk) } },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

async function main() {
  await client.send(
    new ddb.CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await ddb.waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: table });
  // More items than the admin's 25-item page, so its paging through LastEvaluatedKey shows.
  for (let sk = 0; sk < 30; sk++) {
    await client.send(
      new ddb.PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: sk === 7 ? "edit-me" : `p${sk % 3}` },
          sk: { N: String(sk) },
          title: { S: `title ${sk}` },
          tags: { SS: ["a", "b"] },
        },
      }),
    );
  }

  const base = await startAdmin();

  const home = await http(base, "GET", "/");
  assert(home.text.includes(table), `GET / does not list the table ${table}`);
  const tables = (await http(base, "GET", "/api/tables")).json();
  const described = tables.find((t) => t.TableName === table);
  assert(described, `GET /api/tables does not describe ${table}`);
  check("key schema shown", described.KeySchema.map((k) => k.AttributeName), ["pk", "sk"]);

  const scanPage = await http(base, "GET", `/tables/${table}`);
  assert(scanPage.text.includes(table), `GET /tables/${table} does not name the table`);

  const first = (await http(base, "GET", `/tables/${table}/items?pageSize=25`)).json();
  check("first page size", first.Items.length, 25);
  assert(first.nextKey, "the first page of 30 items has no next key");
  const second = (
    await http(
      base,
      "GET",
      `/tables/${table}/items?pageSize=25&pageNum=2&startKey=${first.nextKey}`,
    )
  ).json();
  check("second page size", second.Items.length, 5);
  check("second page ends the table", second.nextKey, null);
  const seen = new Set([...first.Items, ...second.Items].map((i) => i.sk));
  check("distinct items over both pages", seen.size, 30);
  check("columns", first.uniqueKeys.sort(), ["pk", "sk", "tags", "title"]);

  const filters = encodeURIComponent(
    JSON.stringify({ pk: { value: "p1", type: "S", operator: "=" } }),
  );
  const queried = (
    await http(
      base,
      "GET",
      `/tables/${table}/items?operationType=query&queryableSelection=table&filters=${filters}`,
    )
  ).json();
  check(
    "query by partition key",
    queried.Items.map((i) => i.sk),
    [1, 4, 10, 13, 16, 19, 22, 25, 28],
  );

  const itemPage = await http(base, "GET", `/tables/${table}/items/edit-me,7`);
  assert(itemPage.text.includes("title 7"), "the item page does not show the item");

  // The item editor sends the whole edited item, in document form, to its save route.
  const edited = { pk: "edit-me", sk: 7, title: "edited in dynamodb-admin", count: 3, tags: ["a"] };
  const saved = (await http(base, "PUT", `/tables/${table}/items/edit-me,7`, edited)).json();
  check("saved item", saved, edited);
  check("edited item in eddy", await getItem("edit-me", 7), {
    pk: { S: "edit-me" },
    sk: { N: "7" },
    title: { S: "edited in dynamodb-admin" },
    count: { N: "3" },
    tags: { L: [{ S: "a" }] },
  });

  const added = (
    await http(base, "PUT", `/tables/${table}/add-item`, { pk: "new", sk: 100, title: "added" })
  ).json();
  check("added key", added, { pk: "new", sk: 100 });
  check("added item in eddy", await getItem("new", 100), {
    pk: { S: "new" },
    sk: { N: "100" },
    title: { S: "added" },
  });

  await http(base, "DELETE", `/tables/${table}/items/new,100`);
  check("deleted item in eddy", await getItem("new", 100), undefined);

  await http(base, "DELETE", `/tables/${table}`);
  const left = (await http(base, "GET", "/api/tables")).json();
  assert(!left.some((t) => t.TableName === table), "the table is still listed after its deletion");
  console.log("dynamodb_admin: ok");
}

main()
  .catch((err) => {
    console.error(`dynamodb_admin: ${err.stack ?? err}`);
    if (adminOutput) console.error(`dynamodb-admin output:\n${adminOutput}`);
    process.exitCode = 1;
  })
  .finally(stopAdmin);
