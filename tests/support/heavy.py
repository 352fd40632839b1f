"""Upstreams for several tenants at once: a heavy one, a refusing one, and the ordinary workspace.

:class:`Tenants` answers each key from its own emulator. :class:`HeavyScope` is a scope of
``posts_per_status`` posts in each status, every page full, every post large (it fans out to
``deliveries`` accounts and its caption fills the page to ``page_bytes``), so a walk never runs out
of pages. Pages are built from bytes prepared once per status (only each post's id and creation
time vary), so serving an 8 MB page costs the stand-in a ``bytes.join``, not a ``json.dumps``: the
process that measures latency is not the one kept busy. :class:`Refusing` answers with a cycle of
HTTP statuses (a rate-limited key; a key whose every first attempt meets a 503).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from genviral_mcp.demo.emulator import EmulatedResponse, PostsEmulator, clamp_limit
from genviral_mcp.timestamps import parse_iso

STATUSES = ("failed", "partial", "retry", "pending", "scheduled", "posted")
#: One second between two posts' creation times, newest first.
_STEP = timedelta(seconds=1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _account_id(index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"heavy-account-{index}"))


def delivery(status: str, index: int, now: datetime) -> dict[str, object]:
    """One account's delivery of a post in ``status``: failures carry a long provider error."""
    account = _account_id(index)
    if status == "posted":
        return {
            "account_id": account,
            "status": "posted",
            "published_at": _iso(now - timedelta(hours=1)),
            "published_url": f"https://www.tiktok.com/@heavy{index}/video/{7_000_000_000 + index}",
        }
    if status in ("pending", "scheduled"):
        return {"account_id": account, "status": status}
    return {
        "account_id": account,
        "status": "failed" if status != "retry" else "retry",
        "error_message": f"(#36003) The aspect ratio {index}:1 is not supported by account {index}. "
        "Supported ratios are 4:5 to 1.91:1; see https://developers.example.com/docs/media for details.",
        "last_attempted_at": _iso(now - timedelta(minutes=index % 600)),
    }


@dataclass
class Tenants(PostsEmulator):
    """Each key in ``by_key`` is answered by its own emulator; any other key by this one."""

    by_key: dict[str, PostsEmulator] = field(default_factory=dict)

    def _tenant(self, authorization: str | None) -> PostsEmulator | None:
        return self.by_key.get((authorization or "").removeprefix("Bearer "))

    def handle(self, query: Mapping[str, str], authorization: str | None) -> EmulatedResponse:
        tenant = self._tenant(authorization)
        return tenant.handle(query, authorization) if tenant else super().handle(query, authorization)

    def handle_accounts(self, authorization: str | None) -> EmulatedResponse:
        tenant = self._tenant(authorization)
        return tenant.handle_accounts(authorization) if tenant else super().handle_accounts(authorization)


@dataclass
class Refusing(PostsEmulator):
    """Answers posts requests with ``statuses`` in turn, over and over; 200 is a normal answer."""

    statuses: tuple[int, ...] = (429,)
    _turns: Iterator[int] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._turns = itertools.cycle(self.statuses)

    def handle(self, query: Mapping[str, str], authorization: str | None) -> EmulatedResponse:
        with self._lock:
            status = next(self._turns)
        if status == 200:
            return super().handle(query, authorization)
        body = {"ok": False, "code": status, "message": f"refused with {status}"}
        return EmulatedResponse(status, json.dumps(body).encode())


@dataclass
class HeavyScope(PostsEmulator):
    """A synthetic scope: more full pages of large posts than any walk reads, in every status."""

    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    posts_per_status: int = 100_000
    #: Each post's deliveries fill a 100-post page to about this size (under the 8 MiB limit).
    page_bytes: int = 8_000_000
    #: At most this many deliveries per post; the caption pads the rest of the page.
    max_deliveries: int = 1_000
    _blocks: dict[str, bytes] = field(default_factory=dict)
    #: Pages served, and their bytes.
    heavy_requests: int = 0
    heavy_bytes: int = 0
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        per_post = self.page_bytes // 100 - 150  # the id and created_at
        for status in STATUSES:
            one = len(json.dumps(delivery(status, 999, self.now))) + 2
            states = [
                delivery(status, index, self.now)
                for index in range(min(self.max_deliveries, per_post // one))
            ]
            scheduled = self.now + (
                timedelta(hours=2) if status in ("pending", "scheduled") else -timedelta(hours=3)
            )
            tail = {
                "caption": "",
                "status": status,
                "scheduled_at": _iso(scheduled),
                "accounts": {"total": len(states), "states": states},
            }
            pad = max(0, per_post - len(json.dumps(tail)))
            tail["caption"] = ("Heavy tenant caption, padded to fill the page. " * (pad // 40 + 1))[:pad]
            # Each post is '{"id": ..., "created_at": ..., ' + this block.
            self._blocks[status] = json.dumps(tail)[1:].encode()

    def handle(self, query: Mapping[str, str], authorization: str | None) -> EmulatedResponse:
        refusal = self._authorize(authorization)
        if refusal is not None:
            return refusal
        status = query.get("status") or "failed"
        until = parse_iso(query.get("until"))
        first = 0 if until is None else max(0, -int((until - self.now) // _STEP))
        limit = clamp_limit(query.get("limit"))
        block = self._blocks.get(status, self._blocks["failed"])
        posts = [
            b'{"id": "%s", "created_at": "%s", '
            % (self._post_id(status, i).encode(), self._created(i).encode())
            + block
            for i in range(first, min(first + limit, self.posts_per_status))
        ]
        counts = {name: self.posts_per_status for name in STATUSES if name != "retry"}
        summary = {
            "total": self.posts_per_status * len(STATUSES),
            "pending": 2 * self.posts_per_status,
            "published": self.posts_per_status,
            "by_status": counts,
        }
        head = json.dumps(
            {"ok": True, "code": 200, "message": "Posts retrieved", "data": {"summary": summary}}
        )
        body = head[:-2].encode() + b', "posts": [' + b", ".join(posts) + b"]}}"
        with self._count_lock:
            self.heavy_requests += 1
            self.heavy_bytes += len(body)
        return EmulatedResponse(200, body)

    def _created(self, index: int) -> str:
        return _iso(self.now - index * _STEP)

    @staticmethod
    def _post_id(status: str, index: int) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"heavy-{status}-{index}"))


@dataclass
class Upstream:
    """A :class:`HeavyScope` stand-in running in a process of its own."""

    base_url: str
    process: subprocess.Popen[str]

    def stats(self) -> tuple[int, int]:
        """Stop it, and return the pages it served for the heavy key and their bytes."""
        out, _ = self.process.communicate("", timeout=30)
        pages, size = out.split()[-2:]
        return int(pages), int(size)


@contextmanager
def heavy_upstream(heavy_key: str, other_keys: list[str], page_bytes: int = 8_000_000) -> Iterator[Upstream]:
    """The heavy scope for ``heavy_key`` and the sample workspace for ``other_keys``, served over
    HTTP on 127.0.0.1 by another process: serving 8 MB pages must not take the GIL of the process
    that measures latency."""
    process = subprocess.Popen(
        [sys.executable, "-m", "support.heavy", heavy_key, str(page_bytes), *other_keys],
        cwd=Path(__file__).resolve().parents[1],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield Upstream(process.stdout.readline().strip(), process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def main(argv: list[str]) -> None:
    """``python -m support.heavy HEAVY_KEY PAGE_BYTES [KEY...]``: print the base URL, serve until
    stdin closes, then print the heavy pages served and their bytes."""
    from genviral_mcp.demo.emulator import PLAN_OK
    from genviral_mcp.demo.sample_data import sample_accounts, sample_posts

    from support.standin import running

    heavy_key, page_bytes, *others = argv
    now = datetime.now(timezone.utc)
    heavy = HeavyScope([], {heavy_key: PLAN_OK}, now=now, page_bytes=int(page_bytes))
    keys = {key: PLAN_OK for key in others}
    tenants = Tenants(sample_posts(now, 50), keys, accounts=sample_accounts(), by_key={heavy_key: heavy})
    with running(tenants) as api:
        print(api.base_url, flush=True)
        sys.stdin.read()
    print(heavy.heavy_requests, heavy.heavy_bytes, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
