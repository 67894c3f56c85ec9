"""A switched-off endpoint (a rate limit of 0) is skipped by ``servingops smoke``; the
JUnit report (``--junit``) must say so too: CI shows the report, not the log, and an
endpoint that silently vanishes from it looks like one that was never checked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from plane_testing import RunningPlane, running_plane

from servingops.cli import main
from servingops.model.endpoint import EndpointSpec
from servingops.smoke import run_smoke_all
from servingops.smokereport import junit_xml

REPO = Path(__file__).resolve().parents[2]
PPT = "databricks-meta-llama-3-3-70b-instruct"


class _NeverQueried:
    """A client that fails the test if anything is sent."""

    def query_endpoint(self, *_args: object, **_kwargs: object) -> None:
        raise AssertionError("a switched-off endpoint must not be queried")


def _switched_off() -> dict[str, object]:
    raw = yaml.safe_load((REPO / "endpoints" / f"{PPT}.yaml").read_text())
    raw["ai_gateway"]["rate_limits"] = [
        {"key": "endpoint", "tokens": 0, "renewal_period": "minute"}
    ]
    return dict(raw)


def test_junit_has_a_skipped_testcase_per_switched_off_endpoint() -> None:
    spec = EndpointSpec.from_mapping(_switched_off(), "chat.yaml")
    [outcomes] = run_smoke_all(_NeverQueried(), [spec])
    root = ET.fromstring(junit_xml(outcomes, 0.1))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("skipped") == "1" and suite.get("tests") == "1"
    case = suite.find("testcase")
    assert case is not None and case.get("classname") == PPT
    skipped = case.find("skipped")
    assert skipped is not None and "switched off" in (skipped.get("message") or "")


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlane]:
    with running_plane(tmp_path / "plane", settle_seconds=0, pt_settle_seconds=0) as plane:
        monkeypatch.setenv("DATABRICKS_HOST", plane.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", plane.token)
        yield plane


def test_smoke_junit_lists_the_switched_off_endpoint(plane: RunningPlane, tmp_path: Path) -> None:
    raw = _switched_off()
    path = tmp_path / f"{PPT}.yaml"
    path.write_text(yaml.safe_dump(raw))
    report = tmp_path / "smoke.xml"
    assert main(["smoke", "--junit", str(report), str(path)]) == 0
    suite = ET.fromstring(report.read_bytes()).find("testsuite")
    assert suite is not None and suite.get("skipped") == "1"
    assert [c.get("classname") for c in suite.iter("testcase")] == [PPT]
