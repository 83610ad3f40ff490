// The AWS SDK for JavaScript v3 against eddy at $EDDY_ENDPOINT: the low-level client with a
// paginator, the document client with native values, the Streams client, and a modelled error.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";

const endpoint = process.env.EDDY_ENDPOINT;
if (!endpoint) {
  console.error("js_sdk: EDDY_ENDPOINT must be the URL of eddy");
  process.exit(2);
}
// The packages live outside this folder, in the ignored target/node that scripts/tools-setup fills.
const nodeModules =
  process.env.EDDY_NODE_MODULES ??
  join(dirname(fileURLToPath(import.meta.url)), "../../../../target/node/node_modules");
const require = createRequire(join(nodeModules, "..", "resolver.js"));

const ddb = require("@aws-sdk/client-dynamodb");
const lib = require("@aws-sdk/lib-dynamodb");
const streamsSdk = require("@aws-sdk/client-dynamodb-streams");
// Stream images arrive in wire form; the document client's own marshaller turns them native.
const { unmarshall } = createRequire(require.resolve("@aws-sdk/lib-dynamodb"))(
  "@aws-sdk/util-dynamodb",
);
const version = (pkg) => require(`${pkg}/package.json`).version;
console.log(
  `@aws-sdk/client-dynamodb ${version("@aws-sdk/client-dynamodb")} ` +
    `(@aws-sdk/lib-dynamodb ${version("@aws-sdk/lib-dynamodb")}, ` +
    `@aws-sdk/client-dynamodb-streams ${version("@aws-sdk/client-dynamodb-streams")})`,
);

// The SDK's notice about future Node versions is noise in a test's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const config = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  // One retry: an unreachable eddy should fail the script at once, not after back-off.
  maxAttempts: 2,
};
const client = new ddb.DynamoDBClient(config);
const doc = lib.DynamoDBDocumentClient.from(client, {
  marshallOptions: { removeUndefinedValues: true },
});
const streams = new streamsSdk.DynamoDBStreamsClient(config);

const check = (what, actual, expected) => {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch {
    const show = (value) => JSON.stringify(value, replacer);
    throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
};
function replacer(_key, value) {
  return value instanceof Set ? { Set: [...value] } : value;
}

const table = `js-${randomUUID().slice(0, 12)}`;

async function main() {
  const created = await client.send(
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
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  const streamArn = created.TableDescription.LatestStreamArn;
  await ddb.waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: table });

  for (let sk = 0; sk < 25; sk++) {
    await client.send(
      new ddb.PutItemCommand({
        TableName: table,
        Item: { pk: { S: `p${sk % 2}` }, sk: { N: String(sk) }, label: { S: `item ${sk}` } },
      }),
    );
  }
  const got = await client.send(
    new ddb.GetItemCommand({
      TableName: table,
      Key: { pk: { S: "p1" }, sk: { N: "7" } },
      ConsistentRead: true,
    }),
  );
  check("GetItem", got.Item, { pk: { S: "p1" }, sk: { N: "7" }, label: { S: "item 7" } });

  const queried = await client.send(
    new ddb.QueryCommand({
      TableName: table,
      KeyConditionExpression: "pk = :p AND sk BETWEEN :lo AND :hi",
      ExpressionAttributeValues: { ":p": { S: "p0" }, ":lo": { N: "4" }, ":hi": { N: "10" } },
      ScanIndexForward: false,
    }),
  );
  check("Query sort keys", queried.Items.map((i) => i.sk.N), ["10", "8", "6", "4"]);

  let pages = 0;
  const scanned = [];
  for await (const page of ddb.paginateScan({ client, pageSize: 4 }, { TableName: table })) {
    pages++;
    scanned.push(...page.Items.map((i) => Number(i.sk.N)));
  }
  check("paginateScan items", scanned.sort((a, b) => a - b), [...Array(25).keys()]);
  assert(pages >= 7, `paginateScan: expected at least 7 pages of 4, got ${pages}`);

  // The document client marshals native values: a Set of strings, numbers, nested maps.
  await doc.send(
    new lib.PutCommand({
      TableName: table,
      Item: {
        pk: "doc",
        sk: 1,
        colours: new Set(["red", "green"]),
        count: 41,
        ratio: 0.5,
        meta: { nested: [1, "two", null, true] },
        gone: undefined,
      },
    }),
  );
  const { Item: docItem } = await doc.send(
    new lib.GetCommand({ TableName: table, Key: { pk: "doc", sk: 1 } }),
  );
  check("document get", docItem, {
    pk: "doc",
    sk: 1,
    colours: new Set(["red", "green"]),
    count: 41,
    ratio: 0.5,
    meta: { nested: [1, "two", null, true] },
  });
  const updated = await doc.send(
    new lib.UpdateCommand({
      TableName: table,
      Key: { pk: "doc", sk: 1 },
      UpdateExpression: "ADD #c :one, colours :blue REMOVE ratio",
      ExpressionAttributeNames: { "#c": "count" },
      ExpressionAttributeValues: { ":one": 1, ":blue": new Set(["blue"]) },
      ReturnValues: "ALL_NEW",
    }),
  );
  check("document update", updated.Attributes, {
    pk: "doc",
    sk: 1,
    colours: new Set(["red", "green", "blue"]),
    count: 42,
    meta: { nested: [1, "two", null, true] },
  });

  try {
    await doc.send(
      new lib.PutCommand({
        TableName: table,
        Item: { pk: "doc", sk: 1 },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    throw new Error("a put over an existing item with attribute_not_exists succeeded");
  } catch (err) {
    check("conditional error name", err.name, "ConditionalCheckFailedException");
    check("conditional error message", err.message, "The conditional request failed");
    assert(err instanceof ddb.ConditionalCheckFailedException, "not the modelled error class");
    check("conditional error status", err.$metadata.httpStatusCode, 400);
  }

  const listed = await streams.send(new streamsSdk.ListStreamsCommand({ TableName: table }));
  check("ListStreams", listed.Streams.map((s) => s.StreamArn), [streamArn]);
  const described = (
    await streams.send(new streamsSdk.DescribeStreamCommand({ StreamArn: streamArn }))
  ).StreamDescription;
  check("DescribeStream view type", described.StreamViewType, "NEW_AND_OLD_IMAGES");
  check("DescribeStream table", described.TableName, table);
  const records = [];
  for (const shard of described.Shards) {
    let iterator = (
      await streams.send(
        new streamsSdk.GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      )
    ).ShardIterator;
    // An open shard always hands back a next iterator; an empty page means caught up.
    while (iterator) {
      const out = await streams.send(
        new streamsSdk.GetRecordsCommand({ ShardIterator: iterator }),
      );
      records.push(...out.Records);
      iterator = out.Records.length > 0 ? out.NextShardIterator : undefined;
    }
  }
  check("stream record count", records.length, 27);
  const docRecords = records
    .filter((r) => r.dynamodb.Keys.pk.S === "doc")
    .map((r) => ({
      event: r.eventName,
      old: r.dynamodb.OldImage && unmarshall(r.dynamodb.OldImage),
      new: r.dynamodb.NewImage && unmarshall(r.dynamodb.NewImage),
    }));
  check("stream images of the document item", docRecords, [
    { event: "INSERT", old: undefined, new: docItem },
    { event: "MODIFY", old: docItem, new: updated.Attributes },
  ]);

  await client.send(new ddb.DeleteTableCommand({ TableName: table }));
  console.log("js_sdk: ok");
}

main().catch((err) => {
  console.error(`js_sdk: ${err.stack ?? err}`);
  process.exit(1);
});
