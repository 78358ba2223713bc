"""Small HTTP/1.1-over-TLS client pieces shared by the bench scripts (stdlib only).

Only 127.0.0.1 is ever contacted. The server's CA comes from <data-dir>/kubeconfig and is
verified; the bearer token from <data-dir>/admin.token.
"""
import asyncio
import base64
import json
import os
import re
import ssl


def load_credentials(data_dir):
    with open(os.path.join(data_dir, "admin.token")) as f:
        token = f.read().strip()
    with open(os.path.join(data_dir, "kubeconfig")) as f:
        text = f.read()
    ca = base64.b64decode(re.search(r"certificate-authority-data:\s*(\S+)", text).group(1)).decode()
    server = re.search(r"server:\s*(\S+)", text).group(1)
    port = int(server.rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cadata=ca)
    ctx.check_hostname = True
    return token, ctx, port


class Conn:
    """One keep-alive HTTP/1.1 connection: request() sends and reads the whole response."""

    def __init__(self, reader, writer, token):
        self.reader, self.writer, self.token = reader, writer, token

    @classmethod
    async def open(cls, port, ctx, token):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                       server_hostname="127.0.0.1", limit=1 << 22)
        return cls(reader, writer, token)

    def head(self, method, path, body=None, extra=""):
        h = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
             f"Accept: application/json\r\nUser-Agent: skiff-bench\r\n{extra}")
        if body is not None:
            h += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return (h + "\r\n").encode() + (body or b"")

    async def read_head(self):
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return status, headers

    async def read_body(self, headers):
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    return bytes(out)
                out += await self.reader.readexactly(size + 2)
                del out[-2:]
        return await self.reader.read()

    async def request(self, method, path, body=None):
        self.writer.write(self.head(method, path, body))
        status, headers = await self.read_head()
        return status, await self.read_body(headers)

    def close(self):
        self.writer.close()


def ensure_namespace_body(name):
    return json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}).encode()
