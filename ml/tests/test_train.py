"""ml/train.py on synthetic datasets: walk-forward folds, refusals, exported files and ONNX parity."""
from __future__ import annotations

import csv
import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import train  # noqa: E402

SCHEMA = json.load(open(train.DEFAULT_SCHEMA, encoding="utf-8"))
NAMES = SCHEMA["names"]


def synthetic(n: int, seed: int = 1, start: str = "2024-01-01T00:00:00Z") -> pd.DataFrame:
    """Signals every 30 minutes whose win depends on two features plus noise; some values missing."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({name: rng.normal(size=n) for name in NAMES})
    df["confidence_score"] = rng.integers(50, 100, size=n)
    df["is_long"] = rng.integers(0, 2, size=n)
    df["htf_alignment"] = rng.integers(-1, 2, size=n)
    df.loc[rng.random(n) < 0.1, "btc_correlation"] = np.nan
    logit = 1.5 * df["htf_alignment"] + 1.0 * df["volume_ratio"] + rng.normal(scale=0.8, size=n)
    win = (logit > 0).astype(int)
    times = pd.date_range(start, periods=n, freq="30min", tz="UTC")
    out = pd.DataFrame({
        "time": times.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "symbol": np.where(rng.random(n) < 0.5, "BTCUSDT", "ETHUSDT"),
        "direction": np.where(df["is_long"] == 1, "long", "short"),
    })
    out = pd.concat([out, df[NAMES]], axis=1)
    out["pnl"] = np.where(win == 1, 5.0, -3.0) + rng.normal(scale=0.1, size=n)
    out["win"] = win
    return out


def write(df: pd.DataFrame, path) -> str:
    df.to_csv(path, index=False)
    return str(path)


def test_walk_forward_folds_are_time_ordered_expanding_and_embargoed():
    times = pd.Series(pd.date_range("2024-01-01", periods=60, freq="1h", tz="UTC"))
    folds = train.walk_forward_folds(times, 5, pd.Timedelta(hours=3))
    assert len(folds) == 5
    prev_train = -1
    for tr, te in folds:
        assert len(te) == 10
        # every training row is older than the test block by more than the embargo
        assert times.iloc[tr].max() < times.iloc[te[0]] - pd.Timedelta(hours=3)
        assert tr.max() == te[0] - 4
        assert len(tr) > prev_train  # the window expands
        prev_train = len(tr)
    tests = np.concatenate([te for _, te in folds])
    assert np.array_equal(tests, np.arange(10, 60))  # each later row is tested exactly once


def test_trains_reports_and_exports(tmp_path, capsys):
    ds = write(synthetic(600), tmp_path / "ds.csv")
    out = tmp_path / "model"
    assert train.main(["--dataset", ds, "--out", str(out), "--min-samples", "100", "--folds", "4",
                       "--n-estimators", "60"]) == 0
    meta = json.load(open(out / "model.json"))
    assert meta["schema_version"] == SCHEMA["version"]
    assert meta["features"] == NAMES
    assert meta["n_samples"] == 600
    assert meta["training_window"] == {"from": "2024-01-01T00:00:00+00:00", "to": "2024-01-13T11:30:00+00:00"}
    oos = meta["metrics"]["oos"]
    assert oos["n"] == meta["walk_forward"]["oos_rows"] == 480
    # the label really depends on htf_alignment and volume_ratio, so out-of-sample AUC is high
    assert oos["auc"] > 0.8
    assert 0 <= oos["brier"] < meta["metrics"]["baseline"]["constant_brier"]
    assert sum(c["count"] for c in meta["metrics"]["calibration"]) == 480
    top = {r["feature"] for r in meta["feature_importance"]["oos_permutation_auc"][:2]}
    assert top == {"htf_alignment", "volume_ratio"}
    assert meta["onnx_max_abs_diff"] <= 1e-5
    assert (out / "model.onnx").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "AUC" in printed and "calibration" in printed

    rows = list(csv.DictReader(open(out / "oos_predictions.csv")))
    assert len(rows) == 480
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    assert rows[0]["time"] == "2024-01-03T12:00:00.000Z"  # the first test block starts after 120 rows
    assert all(0 < float(r["model_probability"]) < 1 for r in rows)
    assert any(r["btc_correlation"] == "" for r in rows)  # missing values stay missing


def test_onnx_reproduces_xgboost_on_the_exported_rows(tmp_path):
    ds = write(synthetic(300, seed=5), tmp_path / "ds.csv")
    out = tmp_path / "m"
    assert train.main(["--dataset", ds, "--out", str(out), "--min-samples", "50", "--n-estimators", "40"]) == 0
    pred = pd.read_csv(out / "oos_predictions.csv")
    X = pred[NAMES].to_numpy(dtype=np.float32)
    p = train.onnx_probabilities(open(out / "model.onnx", "rb").read(), X)
    assert np.max(np.abs(p - pred["model_probability"].to_numpy())) <= 1e-5


def test_refuses_too_few_samples(tmp_path, capsys):
    ds = write(synthetic(120), tmp_path / "ds.csv")
    assert train.main(["--dataset", ds, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "has 120 samples; training needs at least 500" in err
    assert not (tmp_path / "m" / "model.onnx").exists()


def test_refuses_a_dataset_of_another_schema(tmp_path, capsys):
    df = synthetic(100).rename(columns={"rsi_14": "rsi"})
    ds = write(df, tmp_path / "ds.csv")
    assert train.main(["--dataset", ds, "--out", str(tmp_path / "m"), "--min-samples", "10"]) == 2
    err = capsys.readouterr().err
    assert "does not match the feature schema: missing rsi_14; unexpected rsi" in err


def test_refuses_a_missing_file_and_a_single_class(tmp_path, capsys):
    assert train.main(["--dataset", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m")]) == 2
    assert "does not exist" in capsys.readouterr().err
    df = synthetic(100)
    df["win"] = 1
    ds = write(df, tmp_path / "ds.csv")
    assert train.main(["--dataset", ds, "--out", str(tmp_path / "m"), "--min-samples", "10"]) == 2
    assert "has only wins" in capsys.readouterr().err


def test_sorts_rows_by_time_before_splitting(tmp_path):
    df = synthetic(300, seed=3)
    shuffled = df.sample(frac=1.0, random_state=0)
    a, b = tmp_path / "a", tmp_path / "b"
    assert train.main(["--dataset", write(df, tmp_path / "a.csv"), "--out", str(a), "--min-samples", "50",
                       "--n-estimators", "30"]) == 0
    assert train.main(["--dataset", write(shuffled, tmp_path / "b.csv"), "--out", str(b), "--min-samples", "50",
                       "--n-estimators", "30"]) == 0
    ma, mb = json.load(open(a / "model.json")), json.load(open(b / "model.json"))
    assert ma["metrics"]["oos"] == mb["metrics"]["oos"]
    assert ma["training_window"] == mb["training_window"]
