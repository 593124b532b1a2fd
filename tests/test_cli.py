"""The operator command line: register import, police API clients and LA configuration."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from service.cli import main
from service.police.models import ApiKey
from service.register.models import Setting, SettingLinkRow

HEADER = ("URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),"
          "EstablishmentStatus (name),OpenDate,CloseDate,PhaseOfEducation (name),StatutoryLowAge,StatutoryHighAge,"
          "Street,Locality,Town,Postcode,SomeOtherColumn\r\n")


def _write_register(tmp_path, first_name: str):
    establishments = tmp_path / "establishments.csv"
    establishments.write_text(
        HEADER
        + f"990001,830,Derbyshire,,{first_name},Community school,Open,01-09-2001,,Primary,4,11,,,Testtown,DE1 1AA,x\r\n"
        + "990002,830,Derbyshire,,Old Testington School,Community school,Closed,01-09-1990,31-08-2015,Primary,4,11,,,Testtown,DE1 1AB,x\r\n"
        + "990003,830,Derbyshire,,Broken Ages School,Community school,Open,,,Primary,four,11,,,Testtown,DE1 1AC,x\r\n",
        encoding="utf-8",
    )
    links = tmp_path / "links.csv"
    links.write_text("URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\r\n990002,990001,Testington,Successor,01-09-2015\r\n", encoding="utf-8")
    return establishments, links


def _remove_test_settings(db):
    db.exec(sa.delete(SettingLinkRow).where(SettingLinkRow.urn.like("99000%")))
    db.exec(sa.delete(Setting).where(Setting.urn.like("99000%")))
    db.commit()


def test_register_import_reports_bad_rows_shows_progress_and_updates_in_place(db, tmp_path, capsys):
    establishments, links = _write_register(tmp_path, "Testington Primary School")
    try:
        assert main(["register", "import", "--establishments", str(establishments), "--links", str(links),
                     "--report", str(tmp_path / "problems.csv")]) == 0
        out, err = capsys.readouterr()
        assert "saved 2 settings; 1 rows rejected" in out
        assert "990003" in out and "StatutoryLowAge" in out
        assert "Importing register" in err  # the progress bar
        assert "990003" in (tmp_path / "problems.csv").read_text()
        assert db.get(Setting, "990001").name == "Testington Primary School"
        assert db.get(SettingLinkRow, ("990002", "990001", "Successor")) is not None

        establishments, links = _write_register(tmp_path, "Testington Church of England Primary School")
        assert main(["register", "import", "--establishments", str(establishments), "--links", str(links)]) == 0
        db.expire_all()
        assert db.get(Setting, "990001").name == "Testington Church of England Primary School"
        assert db.exec(select(sa.func.count()).select_from(Setting).where(Setting.urn.like("99000%"))).one() == 2
    finally:
        _remove_test_settings(db)


def test_a_link_gias_withdrew_is_gone_after_the_links_file_is_imported_again(db, tmp_path, capsys):
    """Found in review: links were only ever added, so a successor link GIAS corrected away kept sending children
    given the closed URN to the school it pointed at. The links file is a whole snapshot: what it no longer has goes,
    except for settings whose rows in it were rejected (their old links stay until a good row replaces them)."""
    from service.register.service import index_cache

    establishments, links = _write_register(tmp_path, "Testington Primary School")
    try:
        assert main(["register", "import", "--establishments", str(establishments), "--links", str(links)]) == 0
        assert index_cache.get(db).open_successor("990002").urn == "990001"
        links.write_text("URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\r\n", encoding="utf-8")
        capsys.readouterr()

        assert main(["register", "import", "--establishments", str(establishments), "--links", str(links)]) == 0

        assert "removed 1 link no longer in the links file" in capsys.readouterr().out
        db.expire_all()
        assert db.get(SettingLinkRow, ("990002", "990001", "Successor")) is None
        assert index_cache.get(db).open_successor("990002") is None
    finally:
        _remove_test_settings(db)


def test_api_client_lifecycle_shows_the_key_once_and_stores_only_its_hash(db, capsys):
    assert main(["police", "add-force", "--id", "testforce", "--name", "Test Police", "--default-la", "830"]) == 0
    assert main(["police", "create-client", "--force", "testforce", "--name", "Test system"]) == 0
    key = next(line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("oe_"))
    stored = db.exec(select(ApiKey)).all()
    assert all(key not in (k.key_hash, k.prefix) for k in stored)

    assert main(["police", "list-clients"]) == 0
    assert "testforce" in capsys.readouterr().out

    assert main(["police", "rotate-key", "--client", "1", "--overlap-hours", "0"]) == 0
    new_key = next(line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("oe_"))
    assert new_key != key

    from service.police.service import authenticate

    db.expire_all()
    assert authenticate(db, key) is None
    assert authenticate(db, new_key).force_id == "testforce"
    assert main(["police", "revoke", "--client", "1"]) == 0
    db.expire_all()
    assert authenticate(db, new_key) is None


def test_a_negative_overlap_is_refused_and_the_old_key_keeps_working(db, capsys):
    """--overlap-hours -5 used to be taken: the old key's expiry went 5 hours into the past, cutting the force off
    at once, the opposite of what the overlap is for."""
    from service.police.service import authenticate

    assert main(["police", "add-force", "--id", "testforce", "--name", "Test Police", "--default-la", "830"]) == 0
    assert main(["police", "create-client", "--force", "testforce", "--name", "Test system"]) == 0
    key = next(line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("oe_"))
    with pytest.raises(SystemExit) as refused:
        main(["police", "rotate-key", "--client", "1", "--overlap-hours", "-5"])
    assert refused.value.code == 2
    assert "0 or more" in capsys.readouterr().err
    from datetime import timedelta

    from service.police.service import rotate_key

    with pytest.raises(ValueError, match="0 or more"):  # and the service refuses it whoever asks
        rotate_key(db, client_id=1, overlap=timedelta(hours=-5))
    db.rollback()
    assert authenticate(db, key).force_id == "testforce"
    assert len(db.exec(select(ApiKey)).all()) == 1


def test_a_missing_register_file_is_a_one_line_error(db, tmp_path, capsys):
    missing = tmp_path / "no-such-establishments.csv"
    assert main(["register", "import", "--establishments", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {missing}: No such file or directory"
    assert main(["la", "load", str(tmp_path / "no-such.toml")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'no-such.toml'}: No such file or directory"


def test_a_report_file_that_cannot_be_written_stops_the_import_before_anything_is_saved(db, tmp_path, capsys):
    """Before, the register was saved and only then the report failed: exit 2 for an import that had happened."""
    establishments, links = _write_register(tmp_path, "Testington Primary")
    unwritable = tmp_path / "no-such-folder" / "report.csv"
    try:
        assert main(["register", "import", "--establishments", str(establishments), "--report", str(unwritable)]) == 2
        assert str(unwritable) in capsys.readouterr().err
        db.expire_all()
        assert db.get(Setting, "990001") is None
    finally:
        _remove_test_settings(db)


@pytest.mark.parametrize("overlap", ["721", "100000000000"])
def test_an_overlap_longer_than_30_days_is_refused(db, capsys, overlap):
    """A key kept working for years is not a rotation (and a huge number crashed the date arithmetic)."""
    with pytest.raises(SystemExit) as refused:
        main(["police", "rotate-key", "--client", "1", "--overlap-hours", overlap])
    assert refused.value.code == 2 and "720 or fewer" in capsys.readouterr().err


def test_client_for_unknown_force_is_a_clear_error(db, capsys):
    assert main(["police", "create-client", "--force", "nope", "--name", "x"]) == 2
    assert "No police force with id 'nope'" in capsys.readouterr().err


def test_la_configuration_loads_from_the_shipped_file(db, capsys):
    from service.config import REPO_ROOT
    from service.localauthorities.models import LocalAuthority

    assert main(["la", "load", str(REPO_ROOT / "config" / "east_midlands.toml")]) == 0
    assert "830" in capsys.readouterr().out
    derbyshire = db.get(LocalAuthority, "830")
    assert derbyshire.social_care_front_door_name == "Starting Point"
    assert derbyshire.threshold_document_url.startswith("https://")
    assert any(h["name"] == "Christmas holiday" for h in derbyshire.holidays)


@pytest.mark.parametrize(("line", "reason"), [
    ('grace_minutes = "ninety"', "grace period"),
    ("grace_minutes = -600", "grace period"),
    ('school_day_start = "23:59"', "between 06:00 and 12:00"),
    ("school_day_start = 08:30:00", "school day start"),
    ('early_years_notifications = "false"', "under 5"),
    ('education_team_email = "not an address"', "email address"),
    ("code = 831", "3-digit"),
])
def test_an_la_file_the_portal_form_would_refuse_changes_nothing_and_says_why(db, tmp_path, capsys, line, reason):
    """Found in review: such files loaded (exit 0), and a text grace period then broke every police incident for the
    LA with a 500; an integer code saved the change, then crashed."""
    from service.localauthorities.models import LocalAuthority

    before = db.get(LocalAuthority, "831")
    before_name = before.name if before else None
    bad = tmp_path / "bad.toml"
    fields = {"code": '"831"', "name": '"Derby renamed"'}
    key = line.split(" = ")[0]
    fields[key] = line.split(" = ", 1)[1]
    bad.write_text("[[local_authority]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items()))

    assert main(["la", "load", str(bad)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err, err
    db.expire_all()
    after = db.get(LocalAuthority, "831")
    assert (after.name if after else None) == before_name


def test_bad_la_configuration_is_refused_with_the_reason(db, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[local_authority]]\ncode = "83"\nname = "Nowhere"\n')
    assert main(["la", "load", str(bad)]) == 2
    assert "3-digit" in capsys.readouterr().err
