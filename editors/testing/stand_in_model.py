#!/usr/bin/env python3
"""A stand-in for an OpenAI-compatible chat server (what llama-server speaks), for the editor tests.

It answers POST .../chat/completions, streamed (server-sent events) or whole, with a scripted reply,
so a test knows what the model "said". Point the daemon at it with
ASSIST_PROVIDERS_LOCAL_BASE_URL=http://127.0.0.1:PORT/v1.

    stand_in_model.py [--replies FILE] [--log FILE] [--gap SECONDS]

It prints `PORT <n>` on its first line of stdout once it listens on 127.0.0.1 (an ephemeral port).
FILE is a JSON list of rules, tried in order: {"match": "text in the prompt", "reply": "...",
"delay": seconds before the first byte, "status": HTTP status (an error answer)}; a rule without
"match" matches every prompt. The replies file is read again on each request, so a test may rewrite
it between requests. Each request is appended to the log as one JSON line.
"""
import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_REPLY = "/// Does the work.\n"


def load_rules(path):
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return []


def prompt_text(body):
    parts = []
    for message in body.get("messages", []):
        content = message.get("content", "")
        if isinstance(content, list):
            content = " ".join(piece.get("text", "") for piece in content if isinstance(piece, dict))
        parts.append(str(content))
    return "\n".join(parts)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.endswith("/health"):
            self.send_json(200, {"status": "ok"})
        elif self.path.endswith("/models"):
            self.send_json(200, {"object": "list", "data": [{"id": "stand-in", "object": "model"}]})
        else:
            self.send_json(404, {"error": {"message": "no such path", "code": 404}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except ValueError:
            self.send_json(400, {"error": {"message": "the body is not JSON", "code": 400}})
            return
        if not self.path.endswith("/chat/completions"):
            self.send_json(404, {"error": {"message": "no such path", "code": 404}})
            return
        prompt = prompt_text(body)
        rule = next((r for r in load_rules(self.server.replies) if r.get("match", "") in prompt), {})
        if self.server.log:
            with open(self.server.log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"path": self.path, "stream": bool(body.get("stream")), "prompt": prompt}) + "\n")
        time.sleep(float(rule.get("delay", 0)))
        status = int(rule.get("status", 200))
        if status != 200:
            self.send_json(status, {"error": {"message": rule.get("reply", "stand-in error"), "code": status}})
            return
        reply = rule.get("reply", DEFAULT_REPLY)
        usage = {"prompt_tokens": max(1, len(prompt) // 4), "completion_tokens": max(1, len(reply) // 4)}
        if not body.get("stream"):
            self.send_json(200, {
                "object": "chat.completion", "model": body.get("model", "stand-in"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                "usage": usage,
            })
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        gap = float(rule.get("gap", self.server.gap))
        try:
            pieces = [reply[i:i + 8] for i in range(0, len(reply), 8)] or [""]
            for piece in pieces:
                event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
                self.wfile.flush()
                if gap:
                    time.sleep(gap)
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(b"data: " + json.dumps(end).encode() + b"\n\n")
            self.wfile.write(b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away: a cancelled request
        self.close_connection = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", help="a JSON file of reply rules")
    parser.add_argument("--log", help="append each request here as a JSON line")
    parser.add_argument("--gap", type=float, default=0.0, help="seconds between streamed pieces")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.replies, server.log, server.gap = args.replies, args.log, args.gap
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
