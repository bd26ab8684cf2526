"""`aigw keys ...` and `aigw usage`: clients of the running gateway's admin HTTP API.

AIGW_URL (default http://127.0.0.1:8080) says where the gateway is, and
AIGW_ADMIN_KEY authenticates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx


def _fail(message: str) -> int:
    print(f"aigw: {message}", file=sys.stderr)
    return 1


def _request(
    method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, str] | None = None
) -> tuple[int, Any]:
    url = os.environ.get("AIGW_URL", "http://127.0.0.1:8080").rstrip("/")
    key = os.environ.get("AIGW_ADMIN_KEY")
    if not key:
        raise SystemExit(_fail("set AIGW_ADMIN_KEY to the gateway's admin key"))
    try:
        response = httpx.request(
            method,
            url + path,
            json=body,
            params=params,
            headers={"authorization": f"Bearer {key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise SystemExit(_fail(f"cannot reach the gateway at {url}: {exc}")) from None
    try:
        payload = response.json()
    except ValueError:
        payload = {"error": {"message": response.text}}
    if response.status_code >= 400:
        message = (payload.get("error") or {}).get("message") if isinstance(payload, dict) else None
        raise SystemExit(_fail(f"{response.status_code}: {message or response.text}"))
    return response.status_code, payload


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    lines += [
        "  ".join(str(r.get(c, "") if r.get(c) is not None else "-").ljust(widths[c]) for c in columns)
        for r in rows
    ]
    return "\n".join(lines)


def keys_command(args: argparse.Namespace) -> int:
    if args.keys_command == "create":
        models = [m.strip() for m in (args.models or "").split(",") if m.strip()]
        _, key = _request(
            "POST", "/admin/v1/keys", {"name": args.name, "models": models, "rpm_limit": args.rpm}
        )
        if args.json:
            print(json.dumps(key))
        else:
            print(f"created key {key['id']} ({key['name']})")
            print(f"secret (shown once): {key['key']}")
        return 0
    if args.keys_command == "list":
        _, listed = _request(
            "GET", "/admin/v1/keys", params={"include_revoked": "true" if args.all else "false"}
        )
        if args.json:
            print(json.dumps(listed["data"]))
        else:
            print(
                _table(
                    listed["data"],
                    ["id", "name", "prefix", "models", "rpm_limit", "created_at", "revoked_at"],
                )
            )
        return 0
    _, revoked = _request("DELETE", f"/admin/v1/keys/{args.id}")
    print(f"revoked key {revoked['id']} ({revoked['name']})")
    return 0


def usage_command(args: argparse.Namespace) -> int:
    _, usage = _request("GET", "/admin/v1/usage", params={"key_id": args.key} if args.key else None)
    if args.json:
        print(json.dumps(usage["data"]))
    else:
        columns = [
            "key_id",
            "model",
            "requests",
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "errors",
            "cache_hits",
        ]
        print(_table(usage["data"], columns))
    return 0
