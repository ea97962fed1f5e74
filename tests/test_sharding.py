import pytest

from bot.sharding import MAX_SHARDS, ShardIdsError, ShardScope, parse_shard_ids, shard_of

# Server ids whose creation-time bits put them on known shards of 2: (1 << 22) * n lands on n % count.
ON_SHARD_0 = (1 << 22) * 10
ON_SHARD_1 = (1 << 22) * 11


def test_shard_of_uses_the_creation_time_bits():
    assert shard_of(ON_SHARD_0, 2) == 0
    assert shard_of(ON_SHARD_1, 2) == 1
    assert shard_of(ON_SHARD_1, 4) == 3
    # The low 22 bits (worker, process, increment) never move a server to another shard.
    assert shard_of(ON_SHARD_1 + (1 << 22) - 1, 2) == 1
    # One shard holds every server.
    assert shard_of(197038439483310086, 1) == 0


def test_shard_of_refuses_a_count_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        shard_of(ON_SHARD_0, 0)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("0", (0,)),
        ("0,1", (0, 1)),
        ("0-3", (0, 1, 2, 3)),
        (" 4 - 5 , 0 ", (0, 4, 5)),
        ("0-3,8", (0, 1, 2, 3, 8)),
        ("1,1,0-1", (0, 1)),
    ],
)
def test_shard_ids_are_ids_and_ranges(text, ids):
    assert parse_shard_ids(text) == ids


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "part 1 of 1 is empty"),
        ("0,,1", "part 2 of 3 is empty"),
        ("one", "part 1 of 1 is neither a shard id"),
        ("-1", "part 1 of 1 is neither a shard id"),
        ("0-", "part 1 of 1 is neither a shard id"),
        ("3-1", "ends (1) before it starts (3)"),
        (f"0-{MAX_SHARDS}", f"shard ids are below {MAX_SHARDS}"),
    ],
)
def test_bad_shard_ids_say_which_part_and_why(text, message):
    with pytest.raises(ShardIdsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_shard_ids(text)


def test_an_unsharded_process_owns_every_server():
    scope = ShardScope()
    assert scope.runs_every_shard
    assert scope.ids is None
    assert scope.owns(ON_SHARD_0) and scope.owns(ON_SHARD_1)
    assert scope.describe() == "every shard Discord recommends"


def test_a_count_without_ids_runs_all_of_them():
    scope = ShardScope(shard_count=2)
    assert scope.ids == (0, 1)
    assert scope.owns(ON_SHARD_0) and scope.owns(ON_SHARD_1)
    assert scope.describe() == "shards 0, 1 of 2"


def test_a_process_owns_only_the_servers_of_its_shards():
    first, second = ShardScope(2, (0,)), ShardScope(2, (1,))
    assert first.owns(ON_SHARD_0) and not first.owns(ON_SHARD_1)
    assert second.owns(ON_SHARD_1) and not second.owns(ON_SHARD_0)
    assert not first.runs_every_shard
    assert first.describe() == "shard 0 of 2"


@pytest.mark.parametrize(
    ("count", "ids", "message"),
    [
        (None, (0,), "need a shard count"),
        (0, None, "at least 1"),
        (2, (), "at least one shard"),
        (2, (0, 2), r"\[2\] are not below the shard count 2"),
    ],
)
def test_an_impossible_scope_is_refused(count, ids, message):
    with pytest.raises(ValueError, match=message):
        ShardScope(count, ids)
