#!/usr/bin/env bash
# The AWS CLI (v1) against eddy at $EDDY_ENDPOINT: a table with a stream, item reads and
# writes, and the stream's records. Half the calls find eddy through --endpoint-url, the other
# half only through the service-specific endpoint variables, as users configure either way.
set -euo pipefail
: "${EDDY_ENDPOINT:?EDDY_ENDPOINT must be the URL of eddy}"

here=$(cd "$(dirname "$0")" && pwd)
aws=$here/../../../../target/py/bin/aws
if [ ! -x "$aws" ]; then
    aws=$(command -v aws) || { echo "aws_cli: the AWS CLI is not installed" >&2; exit 2; }
fi

# Nothing from the machine's own AWS setup may steer the CLI away from eddy.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB \
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_PAGER=
# An unreachable eddy must fail the script in seconds, not after the CLI's legacy retries.
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=2
trap 'echo "aws_cli: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

version=$("$aws" --version 2>&1)
version=${version#aws-cli/}
echo "awscli ${version%% *} (${version##* })"

fail() {
    echo "aws_cli: $*" >&2
    exit 1
}
expect() {
    [ "$3" == "$2" ] || fail "$1: expected '$2', got '$3'"
}
# A stalled connection must fail fast rather than sit through the CLI's 60-second default.
ddb_flag() { "$aws" --cli-connect-timeout 5 --endpoint-url "$EDDY_ENDPOINT" dynamodb "$@"; }
ddb_env() { AWS_ENDPOINT_URL_DYNAMODB=$EDDY_ENDPOINT "$aws" --cli-connect-timeout 5 dynamodb "$@"; }
streams_flag() {
    "$aws" --cli-connect-timeout 5 --endpoint-url "$EDDY_ENDPOINT" dynamodbstreams "$@"
}
streams_env() {
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS=$EDDY_ENDPOINT "$aws" --cli-connect-timeout 5 \
        dynamodbstreams "$@"
}

table=cli-$$-$RANDOM

view=$(ddb_flag create-table --table-name "$table" \
    --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST \
    --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES \
    --query TableDescription.StreamSpecification.StreamViewType --output text)
expect "create-table stream view type" NEW_AND_OLD_IMAGES "$view"
ddb_env wait table-exists --table-name "$table"
# One-table pages make the CLI follow LastEvaluatedTableName.
listed=$(ddb_env list-tables --page-size 1 --query "contains(TableNames, '$table')" --output json)
expect "list-tables over one-table pages" true "$listed"

ddb_env put-item --table-name "$table" \
    --item '{"pk":{"S":"a"},"sk":{"N":"1"},"name":{"S":"first"},"tags":{"SS":["x","y"]}}'
ddb_env put-item --table-name "$table" --item '{"pk":{"S":"a"},"sk":{"N":"2"},"name":{"S":"other"}}'
ddb_env put-item --table-name "$table" --item '{"pk":{"S":"b"},"sk":{"N":"1"},"name":{"S":"third"}}'

name=$(ddb_flag get-item --table-name "$table" --key '{"pk":{"S":"a"},"sk":{"N":"1"}}' \
    --consistent-read --query Item.name.S --output text)
expect "get-item name" first "$name"
tags=$(ddb_flag get-item --table-name "$table" --key '{"pk":{"S":"a"},"sk":{"N":"1"}}' \
    --query 'sort(Item.tags.SS) | join(`,`, @)' --output text)
expect "get-item string set" x,y "$tags"

sks=$(ddb_env query --table-name "$table" \
    --key-condition-expression 'pk = :p AND sk >= :low' \
    --expression-attribute-values '{":p":{"S":"a"},":low":{"N":"1"}}' \
    --query 'Items[*].sk.N' --output text)
expect "query sort keys" "$(printf '1\t2')" "$sks"
newest=$(ddb_env query --table-name "$table" --key-condition-expression 'pk = :p' \
    --expression-attribute-values '{":p":{"S":"a"}}' --no-scan-index-forward --limit 1 --no-paginate \
    --query 'Items[0].name.S' --output text)
expect "query newest first" other "$newest"

updated=$(ddb_flag update-item --table-name "$table" --key '{"pk":{"S":"a"},"sk":{"N":"1"}}' \
    --update-expression 'SET #n = :n ADD visits :one' \
    --expression-attribute-names '{"#n":"name"}' \
    --expression-attribute-values '{":n":{"S":"second"},":one":{"N":"1"}}' \
    --return-values UPDATED_NEW --query '[Attributes.name.S, Attributes.visits.N]' --output text)
expect "update-item new values" "$(printf 'second\t1')" "$updated"

# A page size of one makes the CLI follow LastEvaluatedKey across every item; JSON output,
# since text output would print each page's Count instead of their sum.
count=$(ddb_env scan --table-name "$table" --page-size 1 --query Count --output json)
expect "scan count over one-item pages" 3 "$count"
filtered=$(ddb_env scan --table-name "$table" --filter-expression 'attribute_exists(visits)' \
    --query 'Items[*].name.S' --output text)
expect "scan filter" second "$filtered"

described=$(ddb_flag describe-table --table-name "$table" \
    --query '[Table.TableStatus, Table.KeySchema[1].AttributeName, Table.StreamSpecification.StreamEnabled]' \
    --output text)
expect "describe-table" "$(printf 'ACTIVE\tsk\tTrue')" "$described"
stream_arn=$(ddb_flag describe-table --table-name "$table" --query Table.LatestStreamArn \
    --output text)
[[ $stream_arn == arn:aws:dynamodb:*:table/$table/stream/* ]] \
    || fail "describe-table LatestStreamArn: unexpected '$stream_arn'"

listed=$(streams_env list-streams --table-name "$table" --query 'Streams[*].StreamArn' \
    --output text)
expect "list-streams" "$stream_arn" "$listed"

stream=$(streams_flag describe-stream --stream-arn "$stream_arn" \
    --query '[StreamDescription.StreamStatus, StreamDescription.StreamViewType, StreamDescription.TableName]' \
    --output text)
expect "describe-stream" "$(printf 'ENABLED\tNEW_AND_OLD_IMAGES\t%s' "$table")" "$stream"
shards=$(streams_flag describe-stream --stream-arn "$stream_arn" \
    --query 'StreamDescription.Shards[*].ShardId' --output text)
[ -n "$shards" ] || fail "describe-stream: no shards"

# Records of one item stay in order within a shard; each item's events are gathered by key.
events=""
for shard in $shards; do
    iterator=$(streams_env get-shard-iterator --stream-arn "$stream_arn" --shard-id "$shard" \
        --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
    events+=$(streams_flag get-records --shard-iterator "$iterator" \
        --query 'Records[*].[dynamodb.Keys.pk.S, dynamodb.Keys.sk.N, eventName, dynamodb.OldImage.name.S, dynamodb.NewImage.name.S]' \
        --output text)
    events+=$'\n'
done
events=$(printf '%s' "$events" | sed '/^$/d' | sort -s -k1,2)
want=$(printf '%s\t%s\t%s\t%s\t%s\n' \
    a 1 INSERT None first \
    a 1 MODIFY first second \
    a 2 INSERT None other \
    b 1 INSERT None third)
expect "get-records events (key, event, old name, new name)" "$want" "$events"

ddb_flag delete-table --table-name "$table" --query TableDescription.TableName --output text \
    >/dev/null
ddb_env wait table-not-exists --table-name "$table"
echo "aws_cli: ok"
