"""Mermaid diagram of the case workflow, generated from the ASL so the README cannot drift.

`make diagram` rewrites the block between the markers in README.md; a test checks it is current.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ASL = ROOT / "infra" / "statemachine" / "case_workflow.asl.json"
BEGIN, END = "<!-- statemachine:begin -->", "<!-- statemachine:end -->"


def mermaid(definition: dict[str, Any]) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {definition['StartAt']}"]
    for name, state in definition["States"].items():
        if state["Type"] == "Choice":
            for choice in state.get("Choices", []):
                lines.append(f"    {name} --> {choice['Next']}: {choice.get('StringEquals', 'match')}")
            if "Default" in state:
                lines.append(f"    {name} --> {state['Default']}: otherwise")
        for catch in state.get("Catch", []):
            lines.append(f"    {name} --> {catch['Next']}: {', '.join(catch['ErrorEquals'])}")
        if "Next" in state:
            lines.append(f"    {name} --> {state['Next']}")
        if state.get("End") or state["Type"] in {"Succeed", "Fail"}:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines)


def block() -> str:
    diagram = mermaid(json.loads(ASL.read_text(encoding="utf-8")))
    return f"{BEGIN}\n```mermaid\n{diagram}\n```\n{END}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="README to update in place")
    args = parser.parse_args()
    if args.write is None:
        print(block())
        return
    text = args.write.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    args.write.write_text(pattern.sub(lambda _: block(), text), encoding="utf-8")


if __name__ == "__main__":
    main()
