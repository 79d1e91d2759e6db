#!/usr/bin/env python3
"""A scripted language-model server for host's tests.

It listens on 127.0.0.1 (a free port, written to PORT_FILE) and speaks the
wire formats host uses: OpenAI chat completions, Anthropic Messages and
Gemini generateContent, chosen by the request path. Replies follow a script:

  {"rules": [{"match": "text in the prompts", "replies": [REPLY, ...]}],
   "default": REPLY}

Each rule hands out its replies in order and repeats the last one. A REPLY
is {"text": "...", "tokens_in": N, "tokens_out": N}, {"status": 429,
"retry_after": 1}, {"status": 500}, {"status": 401}, {"raw": "not json"},
{"truncate": true}, or {"hang": SECONDS}. The token counts may be any JSON
value (a hostile server reports -10**15 or "many"). {"status": 400, "body":
"..."} answers with that body; {"delay": SECONDS} waits before any reply,
as a real server's latency. In "text" and "body", @KEY@ becomes the API key
the request carried, as a malicious model or an echoing proxy would send it
back, and @HOSTPID@ the pid of the process that sent the request, as a
model that knows where the host runs. Every request is appended to LOG_FILE
as a JSON line with its path, headers, prompts, settings (max_tokens and
temperature, whatever the provider calls them) and the client's port, which
tells one connection from another, the time it arrived ("t") and how many
requests were open when it did, itself included ("open"; a request is
open from its arrival until its reply starts). {"max_open": N}
at the top of the script answers 429 with Retry-After 1 to a request that
finds more than N open, as a server with a concurrency limit does.

Given NOTIFY_FD, an inherited descriptor (a pipe), it writes there its
port and a newline once listening, then a byte for each request as soon
as it is logged: a test waits on that pipe for the server to be up and
for the requests it expects, instead of polling the files.

usage: llm_server.py SCRIPT PORT_FILE LOG_FILE [NOTIFY_FD]
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

script = json.load(open(sys.argv[1]))
notify = os.fdopen(int(sys.argv[4]), "wb", buffering=0) if len(sys.argv) > 4 else None
served = {}
lock = threading.Lock()
open_now = 0


def prompts(path, body):
    if path.endswith("/chat/completions"):
        msgs = body.get("messages", [])
        return ("openai", next((m["content"] for m in msgs if m["role"] == "system"), ""),
                next((m["content"] for m in msgs if m["role"] == "user"), ""))
    if path.endswith("/v1/messages"):
        return "anthropic", body.get("system", ""), body["messages"][0]["content"]
    if path.endswith(":generateContent"):
        return ("gemini", body["systemInstruction"]["parts"][0]["text"],
                body["contents"][0]["parts"][0]["text"])
    return None, "", ""


def settings(provider, body):
    """The reply's limits as the client asked for them, in one shape."""
    if provider == "gemini":
        config = body.get("generationConfig", {})
        return {"max_tokens": config.get("maxOutputTokens"),
                "temperature": config.get("temperature")}
    return {"max_tokens": body.get("max_tokens"), "temperature": body.get("temperature")}


def choose(system, user):
    with lock:
        for i, rule in enumerate(script.get("rules", [])):
            if rule["match"] in system or rule["match"] in user:
                n = served.get(i, 0)
                served[i] = n + 1
                replies = rule["replies"]
                return replies[min(n, len(replies) - 1)]
    return script.get("default", {"status": 500})


def tell(data):
    """Writes to NOTIFY_FD, if any; a test that stopped reading is no error."""
    try:
        if notify:
            notify.write(data)
    except OSError:
        pass


def request_key(headers):
    """The API key a request carried, whichever provider's header holds it."""
    auth = headers.get("Authorization", "")
    return (auth[len("Bearer "):] if auth.startswith("Bearer ")
            else headers.get("x-api-key") or headers.get("x-goog-api-key") or "")


def client_pid(port):
    """The pid of the process whose TCP socket has local port `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for line in open(table).readlines()[1:]:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == port:
                    inodes.add(fields[9])
        except OSError:
            pass
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes and int(pid) != os.getpid():
                    return pid
        except OSError:
            continue
    return "0"


def fill(text, key, pid):
    return text.replace("@KEY@", key).replace("@HOSTPID@", pid)


def wire(provider, reply, key="", pid="0"):
    text, t_in, t_out = reply.get("text", ""), reply.get("tokens_in", 10), reply.get("tokens_out", 5)
    text = fill(text, key, pid)
    if provider == "anthropic":
        return {"content": [{"type": "text", "text": text}],
                "usage": {"input_tokens": t_in, "output_tokens": t_out}}
    if provider == "gemini":
        return {"candidates": [{"content": {"parts": [{"text": text}]}}],
                "usageMetadata": {"promptTokenCount": t_in, "candidatesTokenCount": t_out}}
    return {"choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": t_in, "completion_tokens": t_out}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def closed(self):
        """The request is no longer open: counted before its reply is written,
        since the client may send its next request the moment it has read it."""
        global open_now
        with lock:
            if self.counted:
                open_now -= 1
                self.counted = False

    def send(self, status, body, headers=()):
        data = body.encode()
        self.closed()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        global open_now
        with lock:
            open_now += 1
            self.counted = True
        try:
            self.answer()
        finally:
            self.closed()

    def answer(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        provider, system, user = prompts(self.path, body)
        with lock, open(sys.argv[3], "a") as log:
            now_open = open_now
            log.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                  "system": system, "user": user,
                                  "port": self.client_address[1], "t": time.time(),
                                  "open": now_open,
                                  "settings": settings(provider, body)}) + "\n")
            log.flush()
            tell(b".")
        if "max_open" in script and now_open > script["max_open"]:
            return self.send(429, '{"error": {"message": "too many requests"}}',
                             [("Retry-After", "1")])
        reply = choose(system, user)
        key = request_key(self.headers)
        pid = client_pid(self.client_address[1]) if "@HOSTPID@" in json.dumps(reply) else "0"
        if provider is None:
            return self.send(404, '{"error": "unknown path"}')
        time.sleep(reply.get("delay", 0))
        if "hang" in reply:
            time.sleep(reply["hang"])
            return self.send(200, json.dumps(wire(provider, reply)))
        if "raw" in reply:
            return self.send(200, reply["raw"])
        if reply.get("truncate"):
            data = json.dumps(wire(provider, reply)).encode()
            self.closed()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) + 100))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        status = reply.get("status", 200)
        if status != 200:
            headers = [("Retry-After", str(reply["retry_after"]))] if "retry_after" in reply else []
            body = fill(reply.get("body", '{"error": {"message": "scripted"}}'), key, pid)
            return self.send(status, body, headers)
        self.send(200, json.dumps(wire(provider, reply, key, pid)))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
tell(b"%d\n" % server.server_address[1])
server.serve_forever()
