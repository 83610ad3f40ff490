"""boto3 against eddy at $EDDY_ENDPOINT: the client and resource APIs, a waiter, paginators,
batch_writer, modelled exceptions, transactions, and the stream the writes produced."""

import os
import sys
import uuid
from decimal import Decimal

import boto3
import botocore
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config

print(f"boto3 {boto3.__version__} (botocore {botocore.__version__})", flush=True)

ENDPOINT = os.environ.get("EDDY_ENDPOINT") or sys.exit("EDDY_ENDPOINT must be the URL of eddy")


def check(what, expected, actual):
    if expected != actual:
        sys.exit(f"boto3_check: {what}: expected {expected!r}, got {actual!r}")


session = boto3.session.Session(
    aws_access_key_id="test",
    aws_secret_access_key="test",
    region_name="us-east-1",
)
# A failed connection must fail fast rather than retry for minutes.
config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2})
client = session.client("dynamodb", endpoint_url=ENDPOINT, config=config)
resource = session.resource("dynamodb", endpoint_url=ENDPOINT, config=config)
streams = session.client("dynamodbstreams", endpoint_url=ENDPOINT, config=config)

name = f"boto3-{uuid.uuid4().hex[:12]}"
created = client.create_table(
    TableName=name,
    AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "owner", "AttributeType": "S"},
    ],
    KeySchema=[
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    GlobalSecondaryIndexes=[
        {
            "IndexName": "by-owner",
            "KeySchema": [
                {"AttributeName": "owner", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
)
stream_arn = created["TableDescription"]["LatestStreamArn"]
client.get_waiter("table_exists").wait(
    TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
)
described = client.describe_table(TableName=name)["Table"]
check("table status", "ACTIVE", described["TableStatus"])
check(
    "index names",
    ["by-owner"],
    [i["IndexName"] for i in described["GlobalSecondaryIndexes"]],
)

table = resource.Table(name)
check("resource key schema", "pk", table.key_schema[0]["AttributeName"])

# Item reads and writes through the resource, with native Python values.
table.put_item(
    Item={
        "pk": "item",
        "sk": 1,
        "owner": "ann",
        "price": Decimal("12.50"),
        "tags": {"red", "blue"},
        "bin_data": b"\x00\x01\xff",
        "nested": {"list": [1, "two", None, True]},
    }
)
item = table.get_item(Key={"pk": "item", "sk": 1}, ConsistentRead=True)["Item"]
check("price", Decimal("12.5"), item["price"])
check("tags", {"red", "blue"}, item["tags"])
check("bin_data", b"\x00\x01\xff", item["bin_data"].value)
check("nested", {"list": [Decimal(1), "two", None, True]}, item["nested"])

updated = table.update_item(
    Key={"pk": "item", "sk": 1},
    UpdateExpression="SET price = price + :inc, #o = :o REMOVE bin_data",
    ExpressionAttributeNames={"#o": "owner"},
    ExpressionAttributeValues={":inc": Decimal("0.25"), ":o": "bob"},
    ReturnValues="ALL_NEW",
)["Attributes"]
check("updated price", Decimal("12.75"), updated["price"])
check("updated owner", "bob", updated["owner"])
check("removed bin_data", False, "bin_data" in updated)

# Client API: the same item in wire form.
got = client.get_item(TableName=name, Key={"pk": {"S": "item"}, "sk": {"N": "1"}})["Item"]
check("client price", {"N": "12.75"}, got["price"])

# A conditional write that fails surfaces as the modelled exception class.
try:
    client.put_item(
        TableName=name,
        Item={"pk": {"S": "item"}, "sk": {"N": "1"}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    sys.exit("boto3_check: a put over an existing item with attribute_not_exists succeeded")
except client.exceptions.ConditionalCheckFailedException as e:
    check("condition error code", "ConditionalCheckFailedException", e.response["Error"]["Code"])
    message = e.response["Error"]["Message"]
    check("condition error message", "The conditional request failed", message)
try:
    table.delete_item(Key={"pk": "item", "sk": 1}, ConditionExpression=Attr("owner").eq("ann"))
    sys.exit("boto3_check: a delete whose condition is false succeeded")
except resource.meta.client.exceptions.ConditionalCheckFailedException:
    pass

table.delete_item(Key={"pk": "item", "sk": 1}, ConditionExpression=Attr("owner").eq("bob"))
check("deleted", False, "Item" in table.get_item(Key={"pk": "item", "sk": 1}))

# batch_writer sends BatchWriteItem in groups of 25 and resends anything unprocessed.
with table.batch_writer() as batch:
    for i in range(60):
        batch.put_item(Item={"pk": f"group-{i % 3}", "sk": i, "owner": f"owner-{i % 2}"})

paginator = client.get_paginator("scan")
pages = list(paginator.paginate(TableName=name, PaginationConfig={"PageSize": 7}))
check("scan item count", 60, sum(p["Count"] for p in pages))
check("scan pages", True, len(pages) >= 60 // 7)
scanned = {(i["pk"]["S"], int(i["sk"]["N"])) for p in pages for i in p["Items"]}
check("scan distinct items", 60, len(scanned))

pages = list(
    client.get_paginator("query").paginate(
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "group-1"}},
        PaginationConfig={"PageSize": 4},
    )
)
sks = [int(i["sk"]["N"]) for p in pages for i in p["Items"]]
check("query sort keys in order", list(range(1, 60, 3)), sks)

by_owner = table.query(
    IndexName="by-owner",
    KeyConditionExpression=Key("owner").eq("owner-0") & Key("sk").between(10, 19),
)["Items"]
check("index query", [10, 12, 14, 16, 18], [int(i["sk"]) for i in by_owner])

client.transact_write_items(
    TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "tx"}, "sk": {"N": "1"}}}},
        {
            "Update": {
                "TableName": name,
                "Key": {"pk": {"S": "group-0"}, "sk": {"N": "0"}},
                "UpdateExpression": "SET done = :t",
                "ExpressionAttributeValues": {":t": {"BOOL": True}},
            }
        },
    ]
)
check("transaction put", True, "Item" in table.get_item(Key={"pk": "tx", "sk": 1}))
done = table.get_item(Key={"pk": "group-0", "sk": 0})["Item"]["done"]
check("transaction update", True, done)
try:
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "tx"}, "sk": {"N": "2"}}}},
            {
                "ConditionCheck": {
                    "TableName": name,
                    "Key": {"pk": {"S": "tx"}, "sk": {"N": "1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )
    sys.exit("boto3_check: a transaction whose condition check fails succeeded")
except client.exceptions.TransactionCanceledException as e:
    reasons = [r["Code"] for r in e.response["CancellationReasons"]]
    check("cancellation reasons", ["None", "ConditionalCheckFailed"], reasons)
check("cancelled put", False, "Item" in table.get_item(Key={"pk": "tx", "sk": 2}))

# The stream holds every write above, in order per item.
listed = streams.list_streams(TableName=name)["Streams"]
check("list streams", [stream_arn], [s["StreamArn"] for s in listed])
shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
records = []
for shard in shards:
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    # An open shard always hands back a next iterator; an empty page means caught up.
    while iterator:
        out = streams.get_records(ShardIterator=iterator)
        records += out["Records"]
        iterator = out.get("NextShardIterator") if out["Records"] else None

item_events = [
    (
        r["eventName"],
        r["dynamodb"].get("OldImage", {}).get("owner"),
        r["dynamodb"].get("NewImage", {}).get("owner"),
    )
    for r in records
    if r["dynamodb"]["Keys"] == {"pk": {"S": "item"}, "sk": {"N": "1"}}
]
check(
    "item stream events",
    [
        ("INSERT", None, {"S": "ann"}),
        ("MODIFY", {"S": "ann"}, {"S": "bob"}),
        ("REMOVE", {"S": "bob"}, None),
    ],
    item_events,
)
check("stream record count", 3 + 60 + 2, len(records))
check("event source", {"aws:dynamodb"}, {r["eventSource"] for r in records})

client.delete_table(TableName=name)
client.get_waiter("table_not_exists").wait(
    TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
)
try:
    table.load()
    sys.exit("boto3_check: a deleted table still loads")
except client.exceptions.ResourceNotFoundException:
    pass
print("boto3_check: ok")
