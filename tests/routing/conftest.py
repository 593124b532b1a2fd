"""The real development register, loaded once per test run for the tests that route against it."""

import pytest

from service.register import register_dir
from service.register.gias import read_establishments, read_links
from service.register.records import SettingLink, SettingRecord
from service.routing import RegisterIndex


@pytest.fixture(scope="session")
def full_register() -> RegisterIndex:
    folder = register_dir()
    if not (folder / "establishments.csv").exists():
        pytest.skip(f"no register at {folder}; set REGISTER_DIR")
    settings = (s for s in read_establishments(folder / "establishments.csv") if isinstance(s, SettingRecord))
    links = (link for link in read_links(folder / "links.csv") if isinstance(link, SettingLink))
    return RegisterIndex.build(settings, links)
