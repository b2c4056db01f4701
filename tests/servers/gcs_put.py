"""Creates a bucket on fake-gcs-server and uploads files through its JSON
API, replacing objects of the same name.

    python3 gcs_put.py URL BUCKET NAME::FILE [NAME::FILE ...]
"""

import sys
import urllib.error
import urllib.parse
import urllib.request


def post(url, data, content_type):
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


url, bucket = sys.argv[1], sys.argv[2]
try:
    post(f"{url}/storage/v1/b", f'{{"name": "{bucket}"}}'.encode(), "application/json")
except urllib.error.HTTPError as e:
    if e.code != 409:  # already there
        raise
for pair in sys.argv[3:]:
    name, path = pair.split("::", 1)
    with open(path, "rb") as f:
        data = f.read()
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    post(f"{url}/upload/storage/v1/b/{bucket}/o?{query}", data, "text/plain")
