"""Creates a bucket on the S3-compatible test server and uploads files.

    python3 s3_put.py BUCKET KEY::FILE [KEY::FILE ...]

Endpoint and credentials come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_REGION, as for logweave.
"""

import sys

import boto3

s3 = boto3.client("s3")
bucket = sys.argv[1]
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
for pair in sys.argv[2:]:
    key, path = pair.split("::", 1)
    s3.upload_file(path, bucket, key)
