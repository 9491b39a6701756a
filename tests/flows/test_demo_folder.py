"""``make demo``'s replay folder: symlinks into ../shared/data, the members' bars included."""

from __future__ import annotations

from pathlib import Path

from cli.demo import AS_OF, MEMBERS_AS_OF, build_replay_folder, demo_dates


def test_the_demo_links_the_member_bars_and_runs_their_last_session_first(
    tmp_path: Path, shared_data: Path
) -> None:
    folder = build_replay_folder(tmp_path / "demo", shared_data)
    stooq = folder / "stooq"
    assert stooq.is_symlink() and stooq.resolve() == (shared_data / "member-prices").resolve()
    names = sorted(p.name for p in stooq.iterdir())
    assert names == [
        "stooq-ticker-map.json",
        "stooq-us-daily.iwm-iwb-members.2024-01-02..2025-06-10.csv.gz",
    ]
    assert demo_dates(folder) == [MEMBERS_AS_OF, AS_OF]
    # built again (make demo twice): the links are replaced, nothing copied
    again = build_replay_folder(tmp_path / "demo", shared_data)
    assert (again / "stooq").is_symlink()
    assert not any(p.is_file() and not p.is_symlink() for p in again.rglob("*"))
