"""`minyi model train`: the intake topic model (issue 18), trained here or against a stack.

    minyi model train [--seed data/intake/seed.jsonl] [--catalog data/catalog/shenzhen.yaml]
                      [--output FILE] [--packaged]
    minyi model train --table CASES_TABLE --bucket MODELS_BUCKET [--region R]

Without `--table`, it trains on the seed set alone with the catalogue file's topics and keywords, prints
the held-out numbers, and writes the model to `--output`. `--packaged` fixes the training date, so the
result is the packaged model byte for byte: `--packaged --output src/minyi/adapters/intake_data/model.json`
rebuilds the model the Lambda layer serves before a stack has one in force (a test checks it is).

With `--table` and `--bucket` (an operator's AWS credentials), it runs what the monthly function runs:
the closed cases of the stack plus the seed set, the candidate stored in the models bucket with its
held-out numbers, and put in force only when it beats the model in force on the newest fifth.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from minyi.cli import CliError
from minyi.cli.yaml_files import read_document
from minyi.services.intake_training import TrainingResult, load_seed, train

#: The packaged model's training date (its version's day): fixed, so training the seed set again gives it.
PACKAGED_TRAINED_AT = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_SEED = Path("data/intake/seed.jsonl")
DEFAULT_CATALOG = Path("data/catalog/shenzhen.yaml")


def train_seed(seed: Path, catalog: Path, trained_at: datetime) -> TrainingResult:
    """The seed set alone, with the catalogue file's topics and keywords (no model in force: the
    keyword model is the one to beat)."""
    from minyi.cli.catalog import check_document

    doc = check_document(read_document(catalog), str(catalog))
    try:
        examples = load_seed(seed)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the seed set {seed}: {exc}") from exc
    return train(examples, list(doc.topics), doc.topic_keywords(), trained_at)


def report(result: TrainingResult, out: TextIO) -> None:
    m, base = result.held_out, result.in_force
    print(
        f"model {result.model.version}: trained on {result.train_examples}, held out {result.held_out_examples}",
        file=out,
    )
    print(f"  held out: top-1 {m.top1:.3f}  top-3 {m.top3:.3f}  macro-F1 {m.macro_f1:.3f}  "
          f"auto-route threshold {m.auto_threshold} ({m.auto_share:.0%} routed)", file=out)  # fmt: skip
    print(f"  in force: top-1 {base.top1:.3f}  macro-F1 {base.macro_f1:.3f}", file=out)
    print(f"  {'promoted: it beats the model in force' if result.promoted else 'not promoted'}", file=out)


def train_command(seed: Path, catalog: Path, output: Path | None, packaged: bool, out: TextIO = sys.stdout) -> int:
    result = train_seed(seed, catalog, PACKAGED_TRAINED_AT if packaged else datetime.now(UTC))
    report(result, out)
    if output is not None:
        output.write_text(result.model.to_json(), encoding="utf-8")
        print(f"wrote {output} ({output.stat().st_size} bytes)", file=out)
    return 0


def train_stack(table: str, bucket: str, out: TextIO = sys.stdout) -> int:
    """The monthly function's run, from an operator's machine."""
    from minyi import bootstrap
    from minyi.config import TrainModelSettings

    outcome = bootstrap.model_training(TrainModelSettings(table_name=table, models_bucket=bucket)).train(by="cli")
    print(f"{outcome.cases} closed cases", file=out)
    report(outcome.result, out)
    print(f"in force: {outcome.in_force.version if outcome.in_force else 'the packaged model'}", file=out)
    return 0
