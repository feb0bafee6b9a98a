"""Checking the shape of the cloud's JSON answers, so a wrong one fails with a sentence."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from onboard_tui.cloud.errors import CloudBadResponse


class JsonObject:
    """One JSON object from the server; each getter names the missing or wrong field."""

    def __init__(self, data: dict[str, object], url: str) -> None:
        self.data = data
        self.url = url

    @classmethod
    def of(cls, response: httpx.Response, url: str) -> JsonObject:
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            body = json.loads(response.content)
        except ValueError:
            what = "a web page, not JSON" if kind == "text/html" else "not JSON"
            raise CloudBadResponse.shape(url, what, response.status_code) from None
        if not isinstance(body, dict):
            raise CloudBadResponse.shape(url, "JSON but not an object", response.status_code)
        return cls(body, url)

    def _wrong(self, key: str, expected: str) -> CloudBadResponse:
        return CloudBadResponse.shape(self.url, f'missing "{key}" ({expected})')

    def text(self, key: str, *, optional: bool = False) -> str:
        """A string field; an optional one may be absent or null (read as "")."""
        value = self.data.get(key)
        if optional and value is None:
            return ""
        if not isinstance(value, str) or (not optional and not value):
            raise self._wrong(key, "a text")
        return value

    def time(self, key: str) -> datetime:
        """An RFC 3339 timestamp; a naive one is taken as UTC."""
        text = self.text(key)
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise self._wrong(key, "an RFC 3339 time") from None
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    def optional_time(self, key: str) -> datetime | None:
        """A timestamp that may be "" or absent (None then)."""
        if not self.data.get(key):
            return None
        return self.time(key)

    def object(self, key: str) -> JsonObject:
        """A nested object; an absent one reads as empty (its fields then read as "")."""
        value = self.data.get(key)
        if value is None:
            return JsonObject({}, self.url)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object")
        return JsonObject(value, self.url)

    def objects(self, key: str) -> list[JsonObject]:
        value = self.data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._wrong(key, "a list of objects")
        return [JsonObject(v, self.url) for v in value]
