"""The AWS regions this project deploys to: every `region` of a `[<env>.deploy.parameters]` table in
samconfig.toml. `make validate` lints the template for each (`cfn-lint --regions`), and
tests/unit/test_deploy_regions.py checks the user pools' SMS against each.

`python -m scripts.deploy_regions` prints them, separated by spaces."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

SAMCONFIG = Path(__file__).resolve().parents[1] / "samconfig.toml"


def deploy_regions(path: Path = SAMCONFIG) -> list[str]:
    """The deploy environments' regions, sorted, each once; an error when no environment names one."""
    with path.open("rb") as fh:
        config = tomllib.load(fh)
    regions = {
        str(env["deploy"]["parameters"]["region"])
        for env in config.values()
        if isinstance(env, dict) and "region" in env.get("deploy", {}).get("parameters", {})
    }
    if not regions:
        raise SystemExit(f"{path}: no [<env>.deploy.parameters] names a region")
    return sorted(regions)


if __name__ == "__main__":
    sys.stdout.write(" ".join(deploy_regions()) + "\n")
