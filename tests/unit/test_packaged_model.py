"""The packaged topic model (issue 18): what the layer serves before a stack has a model in force is what
training the seed set gives, byte for byte; it is small; the layer's seed set is the repository's."""

from __future__ import annotations

import io
from pathlib import Path

from minyi.adapters.topic_models import PACKAGED_MODEL, PACKAGED_SEED, packaged_model
from minyi.cli import main
from minyi.cli.model import DEFAULT_CATALOG, DEFAULT_SEED, PACKAGED_TRAINED_AT, report, train_seed
from minyi.domain.intake_model import MAX_MODEL_BYTES

ROOT = Path(__file__).resolve().parents[2]


def test_the_packaged_model_is_what_training_the_seed_set_gives() -> None:
    # Given the seed set and the Shenzhen catalogue / When trained with the packaged model's date
    result = train_seed(ROOT / DEFAULT_SEED, ROOT / DEFAULT_CATALOG, PACKAGED_TRAINED_AT)
    # Then the model in the layer is exactly that model, and small
    assert PACKAGED_MODEL.read_text(encoding="utf-8") == result.model.to_json()
    assert PACKAGED_MODEL.stat().st_size <= MAX_MODEL_BYTES
    out = io.StringIO()
    report(result, out)
    assert "promoted" in out.getvalue()


def test_the_layer_seed_set_is_the_repository_seed_set() -> None:
    assert PACKAGED_SEED.read_bytes() == (ROOT / "data" / "intake" / "seed.jsonl").read_bytes()


def test_the_packaged_model_loads_and_suggests() -> None:
    served = packaged_model()
    assert served is not None
    assert served.suggest("彩田路口红绿灯坏了", 3)[0].topic == "traffic"


def test_minyi_model_train_writes_the_packaged_model(tmp_path: Path, monkeypatch: object) -> None:
    # Given the repository's seed set / When `minyi model train --packaged --output` runs
    target = tmp_path / "model.json"
    code = main(
        ["model", "train", "--packaged", "--seed", str(ROOT / DEFAULT_SEED), "--catalog",
         str(ROOT / DEFAULT_CATALOG), "--output", str(target)]
    )  # fmt: skip
    # Then it wrote the packaged model
    assert code == 0 and target.read_bytes() == PACKAGED_MODEL.read_bytes()
