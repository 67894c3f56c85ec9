"""``offline_env`` raises the engine's parallelism unless the user chose one;
``project_settings`` make this project's Pulumi.yaml usable from another folder."""

from __future__ import annotations

from pathlib import Path

from providers import engine


def _env(tmp_path: Path, **environ: str) -> dict[str, str]:
    return engine.offline_env(
        tmp_path,
        pulumi=tmp_path / "bin" / "pulumi",
        environ={"HOME": str(tmp_path), "PULUMI_CONFIG_PASSPHRASE": "", **environ},
    )


def test_parallel_defaults_to_the_provider_workers(tmp_path: Path) -> None:
    from providers.server import DEFAULT_WORKERS

    assert _env(tmp_path)["PULUMI_PARALLEL"] == str(engine.DEFAULT_PARALLEL)
    assert engine.DEFAULT_PARALLEL == DEFAULT_WORKERS


def test_a_parallel_the_user_set_is_kept(tmp_path: Path) -> None:
    assert "PULUMI_PARALLEL" not in _env(tmp_path, PULUMI_PARALLEL="3")


def test_project_settings_work_from_another_folder() -> None:
    settings = engine.project_settings()
    assert settings["runtime"]["options"]["virtualenv"] == str(engine.REPO_ROOT / ".venv")
    plugins = settings["plugins"]["providers"]
    assert [p["name"] for p in plugins] == ["pulumi-python"]
    plugin = Path(plugins[0]["path"]) / "pulumi-resource-pulumi-python"
    assert plugin.is_absolute() and plugin.is_file()
