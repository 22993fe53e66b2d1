#!/usr/bin/python3
"""The seed-style prefix copy people write by hand: list with boto3's paginator, then copy_object each key on a
ThreadPoolExecutor with os.cpu_count() + 4 workers (the executor's default). Used only as a benchmark baseline.
Usage: boto3_copy_pool.py ENDPOINT SRC_BUCKET SRC_PREFIX DST_BUCKET DST_PREFIX (keys from AWS_* variables)."""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

endpoint, src_bucket, src_prefix, dst_bucket, dst_prefix = sys.argv[1:6]
workers = (os.cpu_count() or 1) + 4
s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=workers, s3={"addressing_style": "path"}))


def copy(key):
    s3.copy_object(Bucket=dst_bucket, Key=dst_prefix + key[len(src_prefix):], CopySource={"Bucket": src_bucket, "Key": key})


keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=src_bucket, Prefix=src_prefix) for o in page.get("Contents", [])]
with ThreadPoolExecutor(max_workers=workers) as pool:
    list(pool.map(copy, keys))
print(f"copied {len(keys)} objects with {workers} threads")
