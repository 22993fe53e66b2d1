#!/usr/bin/python3
"""The seed's tar indexer, as a benchmark baseline: for each archive, boto3 get_object, stream the body through
tarfile.open(mode="r|*"), write one JSON line per member (archive, filename, size), put_object the index.
Archives are processed one after another, as the seed's per-archive Lambda did. The work is timed inside the
process (time.perf_counter), so interpreter start-up is not counted; it prints 'seconds=<t> entries=<n> bytes=<b>'.
Usage: tarfile_index_baseline.py ENDPOINT BUCKET INDEX_PREFIX KEY [KEY ...] (keys from AWS_* variables)."""
import json
import sys
import tarfile
import time

import boto3
from botocore.config import Config

endpoint, bucket, index_prefix, keys = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
start = time.perf_counter()
entries = 0
read = 0
for key in keys:
    response = s3.get_object(Bucket=bucket, Key=key)
    body = response["Body"]
    lines = []
    with tarfile.open(mode="r|*", fileobj=body) as archive:
        for member in archive:
            lines.append(json.dumps({"archive": f"s3://{bucket}/{key}", "filename": member.name, "size": member.size}))
    read += response["ContentLength"]  # r| streams the whole body
    entries += len(lines)
    s3.put_object(Bucket=bucket, Key=f"{index_prefix}{key}.jsonl", Body=("\n".join(lines) + "\n").encode())
print(f"seconds={time.perf_counter() - start:.3f} entries={entries} bytes={read}")
