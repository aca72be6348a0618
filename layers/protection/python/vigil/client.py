"""The enforcer API over http.client (no third-party package in the layer)."""

import http.client
import json
import urllib.parse

MAX_ANSWER_BYTES = 8 * 1024 * 1024


class ControlPlaneError(Exception):
    def __init__(self, message, retryable, status=None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class ControlPlaneClient:
    def __init__(self, endpoint, token, timeout=5.0):
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("VIGIL_ENDPOINT must be an http(s) URL")
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.base = parsed.path.rstrip("/")
        self.token = token
        self.timeout = timeout

    @property
    def address(self):
        return (self.host, self.port)

    def request(self, method, path, body=None, headers=None, timeout=None):
        token = self.token()
        if token is None:
            raise ControlPlaneError("no enforcer-group token is known", True)
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        connection = cls(self.host, self.port, timeout=timeout or self.timeout)
        all_headers = {"authorization": "Bearer " + token, "accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            all_headers["content-type"] = "application/json"
        all_headers.update(headers or {})
        try:
            connection.request(method, self.base + path, body=data, headers=all_headers)
            response = connection.getresponse()
            raw = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as error:
            raise ControlPlaneError("%s %s: %s" % (method, path, error), True) from None
        finally:
            connection.close()
        if len(raw) > MAX_ANSWER_BYTES:
            raise ControlPlaneError("%s %s: the answer is larger than %d bytes" % (method, path, MAX_ANSWER_BYTES), False)
        if response.status == 304:
            return response.status, None, response.headers
        if response.status >= 400:
            message = "%s %s answered %d" % (method, path, response.status)
            try:
                message += ": " + json.loads(raw)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                pass
            retryable = response.status >= 500 or response.status in (401, 404, 408, 429)
            raise ControlPlaneError(message, retryable, response.status)
        try:
            return response.status, json.loads(raw) if raw else None, response.headers
        except ValueError:
            raise ControlPlaneError("%s %s: the answer is not JSON" % (method, path), True) from None

    def register(self, body):
        return self.request("POST", "/v1/enforcers/register", body)[1]

    def rules(self, enforcer_id, facts, etag):
        query = urllib.parse.urlencode({k: v for k, v in facts.items() if v})
        headers = {"x-enforcer-id": enforcer_id}
        if etag:
            headers["if-none-match"] = etag
        status, body, answer_headers = self.request("GET", "/v1/enforcers/rules?" + query, headers=headers)
        if status == 304:
            return None
        return body, answer_headers.get("etag")

    def events(self, events, enforcer_id):
        return self.request("POST", "/v1/enforcers/events", {"events": events}, {"x-enforcer-id": enforcer_id})[1]

    def heartbeat(self, enforcer_id):
        return self.request("POST", "/v1/enforcers/heartbeat", {}, {"x-enforcer-id": enforcer_id})[1]
