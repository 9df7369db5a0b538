"""The README's state machine diagram is generated from the ASL: it cannot drift."""

from __future__ import annotations

import json

from infra.statemachine_diagram import ASL, ROOT, block, mermaid


def test_readme_diagram_matches_the_state_machine_definition() -> None:
    # Given the ASL definition deployed by template.yaml
    # When the diagram is generated from it
    expected = block()
    # Then the README carries exactly that diagram (run `make diagram` after changing the ASL)
    assert expected in (ROOT / "README.md").read_text(encoding="utf-8")


def test_diagram_has_every_state_and_transition() -> None:
    # Given the definition
    definition = json.loads(ASL.read_text(encoding="utf-8"))
    # When rendered
    text = mermaid(definition)
    # Then every state appears and the rollback loop (Outcome back to Route) and both timers are drawn
    for name in definition["States"]:
        assert f"    {name} -->" in text
    assert "Outcome --> Route: otherwise" in text
    assert "AwaitUnit --> MarkOverdue: States.Timeout" in text
    assert "AwaitRating --> CloseUnrated: States.Timeout" in text
