"""The image facts (facts/images.py) cover every image we run and say where each fact was read."""

from __future__ import annotations

import pytest

from facts.images import IMAGE_FACTS, image_facts
from facts.versions import MODULES


def test_every_module_we_deploy_has_image_facts() -> None:
    assert set(MODULES) | {"traffic-server"} <= set(IMAGE_FACTS)


@pytest.mark.parametrize("module", sorted(IMAGE_FACTS))
def test_each_record_cites_its_sources(module: str) -> None:
    facts = image_facts(module)
    assert facts.sources and all(s.repository and s.path and s.ref for s in facts.sources)
    assert facts.command
    if not facts.build_files_found:
        assert "No build files" in facts.notes  # says what it is inferred from instead


def test_a_fresh_volume_breaks_the_first_start_of_mysql_and_the_namenode_only() -> None:
    """ext4 puts lost+found at a new volume's root: the records say which images cannot start on it."""
    needs_empty = {m for m, f in IMAGE_FACTS.items() if f.data and f.data.first_start_needs_empty}
    assert needs_empty == {"mysql", "hadoop-namenode"}


def test_pulsar_writes_its_volume_as_uid_10000_in_the_root_group() -> None:
    pulsar = image_facts("pulsar")
    assert (pulsar.runs_as_user, pulsar.runs_as_group) == (10000, 0)
    assert pulsar.needs_volume_ownership and pulsar.data is not None and pulsar.data.path == "/pulsar/data"


def test_unknown_module_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="one of fateflow"):
        image_facts("fate-flow")
