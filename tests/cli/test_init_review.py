"""Review findings on ``servingops init``: project names YAML or Pulumi would misread, and
the CI templates' runtimes against the package's own requirements."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from servingops.cli import main


@pytest.mark.parametrize("name", ["123", "true", "null", "1e3", "0x1F", "-", "yes"])
def test_init_name_stays_a_string_in_pulumi_yaml(tmp_path: Path, name: str) -> None:
    """Pulumi v3.259 refuses ``name: 123``, ``true``, ``null``, ``1e3`` and ``0x1F``
    ("project is missing a non-empty string 'name' attribute") and ``name: -`` (a YAML
    sequence): the name is written so YAML reads it back as the same string."""
    target = tmp_path / "p"
    assert main(["init", str(target), "--name", name]) == 0
    assert yaml.safe_load((target / "Pulumi.yaml").read_text())["name"] == name


def test_init_default_name_from_a_numeric_folder_is_a_string(tmp_path: Path) -> None:
    target = tmp_path / "2026"
    assert main(["init", str(target)]) == 0
    assert yaml.safe_load((target / "Pulumi.yaml").read_text())["name"] == "2026"


def test_init_refuses_a_name_over_pulumis_100_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pulumi: "project names are limited to 100 characters"."""
    assert main(["init", str(tmp_path / "p"), "--name", "x" * 101]) == 1
    assert "100 characters" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_init_default_name_from_a_long_folder_is_cut_to_100(tmp_path: Path) -> None:
    target = tmp_path / ("y" * 120)
    assert main(["init", str(target)]) == 0
    assert yaml.safe_load((target / "Pulumi.yaml").read_text())["name"] == "y" * 100


def test_gitlab_deploy_image_runs_a_python_the_package_supports(tmp_path: Path) -> None:
    """The unsuffixed ``pulumi/pulumi-python`` image runs Pulumi's *default* Python (3.9 in
    pulumi-docker-containers' README), below our ``requires-python``; the deploy job's
    ``before_script`` installs servingops there, so it takes a ``pulumi-python-3.X`` image."""
    assert main(["init", str(tmp_path / "p")]) == 0
    jobs = yaml.safe_load((tmp_path / "p" / ".gitlab-ci.yml").read_text())
    image, _, tag = jobs["deploy"]["image"].partition(":")
    assert tag == metadata.version("pulumi")
    prefix = "pulumi/pulumi-python-"
    assert image.startswith(prefix), image
    requires = SpecifierSet(metadata.metadata("servingops")["Requires-Python"])
    assert f"{image.removeprefix(prefix)}.0" in requires


def test_pr_workflow_comments_only_where_the_token_may(tmp_path: Path) -> None:
    """A fork's pull request gets a read-only GITHUB_TOKEN, so ``gh pr comment`` fails
    there (and with it the job the README says works for forks): the comment step runs
    for same-repository pull requests, and every run puts the review in the job summary."""
    assert main(["init", str(tmp_path / "p")]) == 0
    flow = yaml.safe_load((tmp_path / "p" / ".github" / "workflows" / "pr.yml").read_text())
    steps = flow["jobs"]["review"]["steps"]
    [comment] = [s for s in steps if "gh pr comment" in s.get("run", "")]
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    [summary] = [s for s in steps if 'review.md >> "$GITHUB_STEP_SUMMARY"' in s.get("run", "")]
    assert "if" not in summary
    assert steps.index(summary) < steps.index(comment)


@pytest.mark.parametrize("force", [False, True])
def test_init_refuses_a_file_where_it_needs_a_folder_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    """``endpoints`` is a file in the target: before, ``.github/`` and ``Pulumi.yaml`` were
    written, then an "internal error: FileExistsError" (exit 2) stopped half-way."""
    (tmp_path / "endpoints").write_text("not a folder\n")
    assert main(["init", str(tmp_path), *(["--force"] if force else [])]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert f"{tmp_path / 'endpoints'} is a file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["endpoints"]


def test_init_that_cannot_write_says_which_file_without_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only or full disk is the environment, not a bug: exit 1 naming the file."""

    def refuse(self: Path, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", refuse)
    assert main(["init", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "cannot write" in err and "Permission denied" in err


def test_the_stack_the_ci_templates_deploy_gets_the_prod_policy(tmp_path: Path) -> None:
    """main.yml and .gitlab-ci.yml run ``pulumi up --stack prod``; Pulumi.yaml's project
    default is the dev policy, so without a stack setting prod would be checked against
    dev (no provider, model or gateway rules). init writes ``Pulumi.prod.yaml``."""
    assert main(["init", str(tmp_path / "p")]) == 0
    project = tmp_path / "p"
    for ci in (".github/workflows/main.yml", ".gitlab-ci.yml"):
        assert "pulumi up --yes --refresh --stack prod" in (project / ci).read_text()
    stack = yaml.safe_load((project / "Pulumi.prod.yaml").read_text())
    assert stack == {"config": {"servingops:policy": "policies/prod.yaml"}}


def test_init_refuses_an_empty_folder_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``servingops init --force "$DIR"`` with DIR unset must not overwrite the current
    folder's .gitignore, CI files and Pulumi.yaml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("mine\n")
    assert main(["init", "--force", ""]) == 1
    assert "empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]
    assert (tmp_path / ".gitignore").read_text() == "mine\n"
