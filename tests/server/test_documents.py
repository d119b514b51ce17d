"""The programme console's documents, on SQLite and on PostgreSQL: a write is whole or nothing,
versions guard concurrent changes, scopes list and delete together, and what was acknowledged
is there after the database is closed and opened again."""

from __future__ import annotations

import asyncio

import pytest

from server.documents import Conflict, Delete, Put
from tests.server.backends import Backend


async def test_writes_are_versioned_listed_by_scope_and_kept(backend: Backend) -> None:
    docs = await backend.documents()
    try:
        first = [Put("person", "p1", {"name": "Ana"}, scope="c1"),
                 Put("person", "p2", {"name": "Ben ✓"}, scope="c1"),
                 Put("person", "p3", {"name": "Cy"}, scope="c2")]
        assert await docs.write(first, 10.0) == [1, 1, 1]
        assert await docs.write([Put("person", "p1", {"name": "Ana R"}, scope="c1", expect=1)],
                                11.0) == [2]
        got = await docs.get("person", "p1")
        assert got is not None and got.version == 2 and got.body == {"name": "Ana R"}
        assert got.updated_at == 11.0 and got.scope == "c1"
        assert [d.key for d in await docs.find("person", "c1")] == ["p1", "p2"]
        assert [d.key for d in await docs.find("person")] == ["p1", "p2", "p3"]
        assert [d.key for d in await docs.find("person", after="p1", limit=1)] == ["p2"]
        assert await docs.get("person", "nobody") is None
    finally:
        await docs.database.close()
    again = await backend.documents()
    try:
        kept = await again.get("person", "p2")
        assert kept is not None and kept.body == {"name": "Ben ✓"}
    finally:
        await again.database.close()


async def test_a_refused_write_changes_nothing_and_others_in_its_commit_survive(
        backend: Backend) -> None:
    docs = await backend.documents()
    try:
        await docs.write([Put("match", "m1", {"v": 1})], 1.0)
        stale = docs.write([Put("match", "m2", {"v": 1}),
                            Put("match", "m1", {"v": 2}, expect=7)], 2.0)
        fresh = docs.write([Put("match", "m3", {"v": 1}, expect=0)], 2.0)
        results = await asyncio.gather(stale, fresh, return_exceptions=True)
        assert isinstance(results[0], Conflict) and results[0].code == "conflict"
        assert results[1] == [1]
        assert await docs.get("match", "m2") is None  # the refused write's first change too
        m1 = await docs.get("match", "m1")
        assert m1 is not None and m1.body == {"v": 1}
        with pytest.raises(Conflict):
            await docs.write([Put("match", "m3", {"v": 9}, expect=0)], 3.0)  # exists already
    finally:
        await docs.database.close()


async def test_deleting_a_scope_removes_only_that_scope(backend: Backend) -> None:
    docs = await backend.documents()
    try:
        await docs.write([Put("person", f"p{i}", {}, scope="c1" if i < 3 else "c2")
                          for i in range(5)], 1.0)
        assert await docs.write([Delete("person", scope="c1"), Delete("person", key="p4")],
                                2.0) == [0, 0]
        assert [d.key for d in await docs.find("person")] == ["p3"]
    finally:
        await docs.database.close()
