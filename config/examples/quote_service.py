"""A REST quotes service for config/examples/soap.yaml's SOAP listener route: it
answers POST /v1/quotes {"symbol": ..., "days": ...} with a quote in JSON.

    python3 config/examples/quote_service.py      # listens on 127.0.0.1:9100
"""
import json
from http.server import BaseHTTPRequestHandler, HTTPServer


class Quotes(BaseHTTPRequestHandler):
    def do_POST(self):
        asked = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        quote = {
            "symbol": asked.get("symbol", ""),
            "price": {"#text": 12.5, "@currency": "EUR"},
            "history": [11.0, 12.25][: asked.get("days", 2)],
            "note": None,
        }
        body = json.dumps(quote).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 9100), Quotes).serve_forever()
