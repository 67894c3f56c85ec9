"""`servingops validate --policy` and `servingops init`: exit codes, file:line, the files
a new project gets, refusing to overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from servingops.cli import main
from servingops.init import project_files

REPO = Path(__file__).resolve().parents[2]
GENERATED = {
    ".github/workflows/drift.yml",
    ".github/workflows/main.yml",
    ".github/workflows/pr.yml",
    ".gitignore",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    "Pulumi.yaml",
    "Pulumi.prod.yaml",
    "__main__.py",
    "endpoints/chat.yaml",
    "policies/dev.yaml",
    "policies/prod.yaml",
    "requirements.txt",
    "schemas/endpoint.schema.json",
    "schemas/policy.schema.json",
}


# --- validate --policy -------------------------------------------------------------------


def test_validate_with_the_dev_policy_passes_on_the_demo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["validate", str(REPO / "endpoints"), "--policy", str(REPO / "policies" / "dev.yaml")]
    )
    assert code == 0, capsys.readouterr().out
    assert "0 error(s)" in capsys.readouterr().out


def test_validate_with_the_prod_policy_fails_with_file_and_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, policy = REPO / "endpoints", REPO / "policies" / "prod.yaml"
    assert main(["validate", str(folder), "--policy", str(policy)]) == 1
    out = capsys.readouterr().out
    cohere = f"{folder}/cohere-embeddings.yaml:9:17: error: policy 'prod': provider 'cohere'"
    assert cohere + " is not allowed [policy/allowed_providers]" in out
    assert (
        "  hint: allowed providers: openai, anthropic, amazon-bedrock, google-cloud-vertex-ai"
        in out
    )


def test_policy_findings_in_json_and_github_formats(capsys: pytest.CaptureFixture[str]) -> None:
    bad, policy = REPO / "endpoints" / "gte-embeddings.yaml", REPO / "policies" / "prod.yaml"
    assert main(["validate", str(bad), "--policy", str(policy), "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["errors"] == len(body["diagnostics"]) == 1
    assert body["diagnostics"][0]["rule"] == "policy/required_gateway"
    assert main(["validate", str(bad), "--policy", str(policy), "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"::error file={bad},line=")
    assert ",title=policy/required_gateway::policy 'prod'" in out


def test_broken_policy_file_fails_validate_at_the_policy_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "prod.yaml"
    policy.write_text("name: prod\nmax_model_units: many\n")
    assert main(["validate", str(REPO / "endpoints"), "--policy", str(policy)]) == 1
    out = capsys.readouterr().out
    assert f"{policy}:2:18: error: 'max_model_units' must be an integer, got 'many'" in out


# --- init --------------------------------------------------------------------------------


def test_project_files_are_the_documented_set() -> None:
    assert {f.path for f in project_files("demo")} == GENERATED


def test_init_writes_a_project_that_validates_under_both_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "my repo"
    assert main(["init", str(target)]) == 0
    assert {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()} == GENERATED
    assert yaml.safe_load((target / "Pulumi.yaml").read_text())["name"] == "my-repo"
    capsys.readouterr()
    for policy in ("dev", "prod"):
        code = main(
            [
                "validate",
                str(target / "endpoints"),
                "--policy",
                str(target / "policies" / f"{policy}.yaml"),
            ]
        )
        assert code == 0, capsys.readouterr().out


def test_init_modeline_points_at_a_schema_it_wrote(tmp_path: Path) -> None:
    main(["init", str(tmp_path)])
    first = (tmp_path / "endpoints" / "chat.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/endpoint.schema.json"
    schema = json.loads((tmp_path / "schemas" / "endpoint.schema.json").read_text())
    assert schema == json.loads((REPO / "schemas" / "endpoint.schema.json").read_text())


def test_init_program_is_the_packaged_one(tmp_path: Path) -> None:
    main(["init", str(tmp_path), "--name", "serving"])
    program = (tmp_path / "__main__.py").read_text()
    assert "from providers.program import declare_endpoints" in program
    settings = yaml.safe_load((tmp_path / "Pulumi.yaml").read_text())
    assert settings["name"] == "serving" and settings["runtime"]["name"] == "python"
    assert settings["config"]["servingops:policy"]["value"] == "policies/dev.yaml"


def test_ci_templates_are_yaml_and_run_the_documented_commands(tmp_path: Path) -> None:
    main(["init", str(tmp_path)])
    flows = {
        n: (tmp_path / ".github" / "workflows" / n).read_text()
        for n in ("pr.yml", "main.yml", "drift.yml")
    }
    for text in [*flows.values(), (tmp_path / ".gitlab-ci.yml").read_text()]:
        assert isinstance(yaml.safe_load(text), dict)
        assert "__" not in text.replace("__main__", "")  # every placeholder filled
    assert (
        "servingops validate endpoints --policy policies/prod.yaml --format github"
        in flows["pr.yml"]
    )
    assert "servingops diff endpoints --format markdown > review.md" in flows["pr.yml"]
    assert "pulumi up --yes --refresh --stack prod" in flows["main.yml"]
    assert "servingops drift endpoints" in flows["drift.yml"]
    assert "schedule" in yaml.safe_load(flows["drift.yml"])[True]  # YAML 1.1 reads `on` as True
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0]["hooks"][0]["id"] == "servingops-validate"


def test_init_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "endpoints").mkdir()
    (tmp_path / "endpoints" / "chat.yaml").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"servingops init: error: {tmp_path}: would overwrite endpoints/chat.yaml" in err
    assert "hint: move them away, or re-run with --force" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["chat.yaml", "endpoints"]
    assert (tmp_path / "endpoints" / "chat.yaml").read_text() == "mine\n"


def test_init_force_overwrites(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: old\n")
    assert main(["init", str(tmp_path), "--force"]) == 0
    assert "servingops" in (tmp_path / "Pulumi.yaml").read_text()


def test_init_into_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["init", str(target)]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_pre_commit_hooks_file_exposes_validate() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    [hook] = hooks
    assert hook["id"] == "servingops-validate"
    assert hook["entry"] == "servingops validate" and hook["language"] == "python"


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_forbidden_plaintext_is_reported_without_its_value(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """terraform-provider-databricks#5409: plaintext keys reached CI logs. The policy
    finding names the key, never the value, in every format."""
    folder = REPO / "tests" / "cases" / "valid-plaintext-allowed" / "endpoints"
    policy = REPO / "policies" / "dev.yaml"
    args = ["validate", str(folder), "--allow-plaintext", "--policy", str(policy)]
    assert main([*args, "--format", fmt]) == 1
    out = capsys.readouterr().out
    assert "policy/forbid_plaintext" in out and "openai_api_key_plaintext" in out
    assert "SENTINEL" not in out


def test_init_refuses_a_name_pulumi_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "x"), "--name", "team endpoints"]) == 1
    assert "'team endpoints' is not a Pulumi project name" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
