"""The pure part of bot/ as an installable package (what the api image installs): it is
built from pyproject.toml, ships its data files but not the Rasa-bound bot/rasa, and an
installed copy finds the translation catalogs through FGA_LOCALES_DIR, or says loudly
that it cannot (English for everyone would be the wrong language for some parents)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot import i18n

ROOT = Path(__file__).resolve().parents[2]

# What the api imports from bot/ (grep -rn "from bot" api/): it must work installed.
API_IMPORTS = """
import bot, bot.events, bot.i18n, bot.meeting_time, bot.text
from bot.guide.model import load_guide
from bot.schools import load_directory
from pathlib import Path
import sys
assert Path(bot.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), bot.__file__
assert bot.i18n.supported_languages() == ("en", "es"), bot.i18n.supported_languages()
assert bot.i18n.translate("Let's start", "es") != "Let's start"
assert bot.text.without_accents("está") == "esta"
assert load_guide().pillars
assert load_directory().best_match("roosevelt high"), "the installed sample directory"
print("ok")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package built as the api image builds it (pip, in an isolated environment
    with pyproject.toml's pinned setuptools), from a copy of the sources: a build in the
    checkout would leave build/ and *.egg-info/ behind."""
    src = tmp_path_factory.mktemp("src")
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copytree(ROOT / "bot", src / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "-q", "-w", str(out), str(src)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel unpacked as site-packages would hold it, away from the checkout."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def run_installed(site: Path, env: dict) -> subprocess.CompletedProcess:
    """Python with only the installed copy importable: cwd and PYTHONPATH are the
    unpacked wheel, never the checkout."""
    clean = {key: value for key, value in os.environ.items() if key not in ("FGA_LOCALES_DIR", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-c", API_IMPORTS, str(site)],
        cwd=site, env={**clean, "PYTHONPATH": str(site), **env}, capture_output=True, text=True, timeout=120,
    )


def test_wheel_ships_the_pure_modules_and_their_data_but_not_bot_rasa(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("bot/i18n/__init__.py", "bot/meeting_time.py", "bot/text.py", "bot/events.py",
                   "bot/guide/content/guide.yml", "bot/guide/content/labels.yml", "bot/guide/content/personalized.yml",
                   "bot/guide/source/family_guide_2022-26.txt", "bot/nlu/lexicon/en.yml", "bot/nlu/lexicon/es.yml",
                   "bot/data/schools_sample.csv"):
        assert needed in names, needed
    assert not [name for name in names if name.startswith("bot/rasa/")]


def test_installed_package_finds_the_catalogs_through_fga_locales_dir(installed):
    result = run_installed(installed, {"FGA_LOCALES_DIR": str(ROOT / "locales")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_installed_package_without_catalogs_refuses_to_guess(installed):
    """No checkout around it and no FGA_LOCALES_DIR: an error that names the variable,
    not a silent English-only bot."""
    result = run_installed(installed, {})
    assert result.returncode != 0
    assert "FGA_LOCALES_DIR" in result.stderr


def test_locales_dir_is_fga_locales_dir_when_set(tmp_path):
    assert i18n.find_locales_dir({"FGA_LOCALES_DIR": str(tmp_path)}) == tmp_path


def test_locales_dir_defaults_to_the_checkouts_locales():
    assert i18n.find_locales_dir({}) == ROOT / "locales"
    assert i18n.supported_languages(ROOT / "locales") == ("en", "es")


def test_a_missing_catalog_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="FGA_LOCALES_DIR"):
        i18n.supported_languages(tmp_path / "nowhere")
