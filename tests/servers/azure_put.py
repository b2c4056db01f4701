"""Creates a container on Azurite (the Azure Blob emulator) and uploads files.

    python3 azure_put.py URL CONTAINER NAME::FILE [NAME::FILE ...]

URL is Azurite's blob endpoint (http://127.0.0.1:PORT); the account is
Azurite's well-known development account, as logweave uses it with
AZURE_STORAGE_USE_EMULATOR=true.
"""

import sys

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

ACCOUNT = "devstoreaccount1"
# Azurite's published development key (not a secret).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

url, container = sys.argv[1], sys.argv[2]
connection = (
    f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
    f"BlobEndpoint={url}/{ACCOUNT};"
)
client = BlobServiceClient.from_connection_string(connection)
try:
    client.create_container(container)
except ResourceExistsError:
    pass
for pair in sys.argv[3:]:
    name, path = pair.split("::", 1)
    with open(path, "rb") as f:
        client.get_blob_client(container, name).upload_blob(
            f, overwrite=True, max_concurrency=4
        )
