import math

import pytest

from posenc.train.config import TrainConfig, lr_at


def test_lr_warms_up_linearly_then_decays_by_a_cosine_to_min_lr():
    cfg = TrainConfig(steps=110, lr=1e-3, min_lr=1e-4, warmup_steps=10)
    # warm-up: lr * (step + 1) / (warmup + 1)
    assert lr_at(0, cfg) == pytest.approx(1e-3 / 11)
    assert lr_at(9, cfg) == pytest.approx(1e-3 * 10 / 11)
    # cosine over the 100 steps after warm-up: peak at its start, midpoint halfway, floor at the end
    assert lr_at(10, cfg) == pytest.approx(1e-3)
    assert lr_at(60, cfg) == pytest.approx(1e-4 + 0.5 * (1e-3 - 1e-4))
    assert lr_at(35, cfg) == pytest.approx(1e-4 + 0.5 * (1 + math.cos(math.pi / 4)) * 9e-4)
    assert lr_at(110, cfg) == pytest.approx(1e-4)
    assert lr_at(500, cfg) == pytest.approx(1e-4)


def test_lr_without_warmup_starts_at_the_peak():
    cfg = TrainConfig(steps=10, lr=2e-3, min_lr=0.0, warmup_steps=0)
    assert lr_at(0, cfg) == pytest.approx(2e-3)
    assert lr_at(5, cfg) == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", 0),
        ("batch_size", -1),
        ("lr", 0.0),
        ("min_lr", 1.0),  # above lr
        ("beta2", 1.0),
        ("grad_clip", float("nan")),
        ("device", "tpu"),
        ("dtype", "float16"),
        ("heldout_fraction", 1.0),
        ("compile", "yes"),
    ],
)
def test_bad_train_config_field_is_named(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_train_config_round_trips_through_a_dict_and_rejects_unknown_keys():
    cfg = TrainConfig(steps=7, corpus="some/folder")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig.from_dict({"learning_rate": 1e-3})
