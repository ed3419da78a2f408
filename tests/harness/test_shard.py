"""Sharding (harness/shard.py): shards are disjoint, cover everything, differ in size by at
most one, and do not depend on the order the tests were collected in."""

import random

import pytest

from harness import shard


def nodeids(n, seed=1):
    rng = random.Random(seed)
    return [f"cases/f{rng.randrange(5)}.toml::t{i}-{rng.random():.6f}" for i in range(n)]


@pytest.mark.parametrize("count", [0, 1, 7, 100, 1001])
@pytest.mark.parametrize("total", [1, 2, 3, 8])
def test_shards_partition_evenly(count, total):
    ids = nodeids(count)
    shards = [shard.select(ids, i, total) for i in range(1, total + 1)]
    assert set().union(*shards) == set(ids)
    assert sum(len(s) for s in shards) == len(ids)            # disjoint
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_shards_ignore_collection_order():
    ids = nodeids(50)
    shuffled = list(ids)
    random.Random(7).shuffle(shuffled)
    assert shard.select(ids, 2, 3) == shard.select(shuffled, 2, 3)


def test_shard_is_by_position_in_nodeid_order():
    assert shard.select(["c", "a", "b", "d"], 1, 2) == {"a", "c"}
    assert shard.select(["c", "a", "b", "d"], 2, 2) == {"b", "d"}


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1/0", "a/b", "1", "", "1/2/3", "-1/2"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(shard.ShardSpecError):
        shard.parse(spec)


def test_good_spec():
    assert shard.parse("2/5") == (2, 5) and shard.parse(" 1 / 1 ") == (1, 1)
