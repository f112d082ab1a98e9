#!/usr/bin/env python3
"""Train the SMC Ultra win-probability model (SPEC §5, issue 7).

Reads a dataset written by the bot (`smc backtest --dataset` or `smc ml export`):
    time,symbol,direction,<feature names in schema order>,pnl,win
evaluates XGBoost on time-ordered walk-forward folds (expanding window, never a random split),
fits the final model on every row, and writes to --out:
    model.onnx            float32 input "features" [N, F]; output "probabilities" [N, 2], column 1 = P(win)
    model.json            schema version, feature order, training window, sample counts, out-of-sample metrics
    oos_predictions.csv   every out-of-sample row: its features (as float32), the fold model's probability
                          (`oos_probability`, what the metrics use) and the final model's (`model_probability`,
                          what the ONNX export must reproduce; tests/ml/parity.test.ts checks it in Node)

Exit codes: 0 done, 2 bad input (missing file, wrong columns, too few samples), 1 internal failure.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import datetime, timezone

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "feature_schema.json")
PARITY_TOLERANCE = 1e-5


class InputError(Exception):
    """A problem with what the user gave us: reported as one line, exit code 2."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train the win-probability model on walk-forward folds and export ONNX.")
    p.add_argument("--dataset", required=True, help="dataset CSV (time,symbol,direction,<features>,pnl,win)")
    p.add_argument("--out", required=True, help="output directory for model.onnx, model.json, oos_predictions.csv")
    p.add_argument("--min-samples", type=int, default=500, help="refuse to train on fewer rows (default 500)")
    p.add_argument("--folds", type=int, default=5, help="walk-forward folds (default 5)")
    p.add_argument("--embargo-hours", type=float, default=6.0,
                   help="drop training rows this close before a test fold, whose trades may still be open in it (default 6)")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="feature schema JSON (default ml/feature_schema.json)")
    p.add_argument("--n-estimators", type=int, default=200)
    p.add_argument("--max-depth", type=int, default=3)
    p.add_argument("--learning-rate", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args(argv)
    if a.min_samples < 1:
        p.error("--min-samples must be at least 1")
    if a.folds < 1:
        p.error("--folds must be at least 1")
    if a.embargo_hours < 0:
        p.error("--embargo-hours must not be negative")
    return a


def load_schema(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except OSError as e:
        raise InputError(f"cannot read feature schema {path}: {e.strerror}") from None
    if not isinstance(schema.get("version"), int) or not isinstance(schema.get("names"), list):
        raise InputError(f"feature schema {path} needs an integer 'version' and a list 'names'")
    return schema


def parse_times(col: pd.Series) -> pd.Series:
    """ISO 8601 strings or epoch milliseconds → UTC timestamps."""
    if pd.api.types.is_numeric_dtype(col):
        t = pd.to_datetime(col, unit="ms", utc=True, errors="coerce")
    else:
        t = pd.to_datetime(col, utc=True, errors="coerce", format="ISO8601")
    bad = t.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"dataset row {i + 2}: time {col.iloc[i]!r} is not an ISO 8601 time or epoch milliseconds")
    return t


def load_dataset(path: str, names: list[str]) -> pd.DataFrame:
    if not os.path.isfile(path):
        raise InputError(f"dataset {path} does not exist")
    df = pd.read_csv(path, keep_default_na=True)
    expected = ["time", "symbol", "direction", *names, "pnl", "win"]
    if list(df.columns) != expected:
        missing = [c for c in expected if c not in df.columns]
        extra = [c for c in df.columns if c not in expected]
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing))
        if extra:
            detail.append("unexpected " + ", ".join(map(str, extra)))
        if not detail:
            detail.append("columns are out of order")
        raise InputError(f"dataset {path} does not match the feature schema: {'; '.join(detail)} "
                         f"(expected header: {','.join(expected)})")
    for c in [*names, "pnl", "win"]:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise InputError(f"dataset column {c} must be numeric")
    if not df["win"].isin([0, 1]).all():
        raise InputError("dataset column win must be 0 or 1")
    df["time"] = parse_times(df["time"])
    # Stable sort: rows of one instant keep the writer's order (symbol order), so folds are reproducible.
    return df.sort_values(["time"], kind="mergesort").reset_index(drop=True)


def walk_forward_folds(times: pd.Series, folds: int, embargo: pd.Timedelta) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window splits: the rows are cut into folds+1 time-ordered blocks; fold k tests block k
    and trains on every earlier row that is at least `embargo` older than the test block's first row."""
    n = len(times)
    blocks = np.array_split(np.arange(n), folds + 1)
    t = times.to_numpy()
    out = []
    for k in range(1, folds + 1):
        test = blocks[k]
        if len(test) == 0:
            continue
        start = t[test[0]]
        train = np.arange(test[0])
        train = train[t[train] < start - embargo.to_timedelta64()]
        out.append((train, test))
    return out


def make_model(a: argparse.Namespace):
    import xgboost as xgb

    return xgb.XGBClassifier(
        n_estimators=a.n_estimators,
        max_depth=a.max_depth,
        learning_rate=a.learning_rate,
        subsample=0.8,
        colsample_bytree=0.8,
        min_child_weight=5,
        reg_lambda=1.0,
        objective="binary:logistic",
        eval_metric="logloss",
        tree_method="hist",
        random_state=a.seed,
        n_jobs=1,
    )


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        rows.append({
            "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
            "count": n,
            "mean_predicted": round(float(p[m].mean()), 6) if n else None,
            "win_rate": round(float(y[m].mean()), 6) if n else None,
        })
    return rows


def scores(y: np.ndarray, p: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score

    both = len(np.unique(y)) == 2
    return {
        "n": int(len(y)),
        "win_rate": round(float(y.mean()), 6),
        "auc": round(float(roc_auc_score(y, p)), 6) if both else None,
        "accuracy": round(float(accuracy_score(y, (p >= 0.5).astype(int))), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "log_loss": round(float(log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])), 6),
    }


def permutation_importance_auc(model, X: np.ndarray, y: np.ndarray, names: list[str], seed: int) -> dict[str, float] | None:
    """Mean drop of out-of-sample AUC when one feature's column is shuffled (None when AUC is undefined)."""
    from sklearn.inspection import permutation_importance

    if len(np.unique(y)) < 2:
        return None
    r = permutation_importance(model, X, y, scoring="roc_auc", n_repeats=5, random_state=seed, n_jobs=1)
    return {n: float(v) for n, v in zip(names, r.importances_mean)}


def fmt_f32(x: float) -> str:
    """A float32 value as the shortest decimal that reads back to the same float32 ('' for missing)."""
    if math.isnan(x):
        return ""
    return repr(float(np.float32(x)))


def export_onnx(model, n_features: int):
    from onnxmltools.convert import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    return convert_xgboost(model, initial_types=[("features", FloatTensorType([None, n_features]))], target_opset=15)


def onnx_probabilities(onnx_bytes: bytes, X: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    out = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"features": X})))
    probs = out["probabilities"]
    if isinstance(probs, list):  # a ZipMap output: one {class: p} dict per row
        return np.array([row[1] for row in probs], dtype=np.float64)
    return np.asarray(probs, dtype=np.float64)[:, 1]


def train(a: argparse.Namespace) -> dict:
    import onnxmltools
    import onnxruntime
    import sklearn
    import xgboost

    schema = load_schema(a.schema)
    names: list[str] = schema["names"]
    df = load_dataset(a.dataset, names)
    n = len(df)
    if n < a.min_samples:
        raise InputError(f"dataset {a.dataset} has {n} samples; training needs at least {a.min_samples} "
                         f"(run a longer backtest, or lower --min-samples knowingly)")
    y = df["win"].to_numpy(dtype=np.int64)
    if len(np.unique(y)) < 2:
        raise InputError(f"dataset {a.dataset} has only {'wins' if y[0] == 1 else 'losses'}; a model needs both")
    X = df[names].to_numpy(dtype=np.float32)  # the dtype the ONNX model takes; XGBoost uses float32 too

    embargo = pd.Timedelta(hours=a.embargo_hours)
    oos_p = np.full(n, np.nan)
    oos_fold = np.full(n, -1, dtype=np.int64)
    fold_reports = []
    perm: list[dict[str, float]] = []
    for k, (tr, te) in enumerate(walk_forward_folds(df["time"], a.folds, embargo), start=1):
        report = {
            "fold": k,
            "train_rows": int(len(tr)),
            "test_from": df["time"].iloc[te[0]].isoformat(),
            "test_to": df["time"].iloc[te[-1]].isoformat(),
        }
        if len(tr) < 10 or len(np.unique(y[tr])) < 2:
            report["skipped"] = "too few training rows or only one class before this fold"
            fold_reports.append(report)
            continue
        m = make_model(a).fit(X[tr], y[tr])
        p = m.predict_proba(X[te])[:, 1]
        oos_p[te] = p
        oos_fold[te] = k
        report.update(scores(y[te], p))
        fold_reports.append(report)
        imp = permutation_importance_auc(m, X[te], y[te], names, a.seed)
        if imp:
            perm.append(imp)

    done = oos_fold > 0
    if not done.any():
        raise InputError("no walk-forward fold could be trained (too few rows per fold or a single class early on); "
                         "use fewer --folds or more data")
    oos = scores(y[done], oos_p[done])
    conf = df["confidence_score"].to_numpy(dtype=np.float64)[done]
    baseline = {
        # What the model must beat: the confluence score alone, and a constant win rate.
        "confidence_score_auc": scores(y[done], conf / 100.0)["auc"],
        "constant_brier": round(float(np.mean((y[done] - y[done].mean()) ** 2)), 6),
    }

    final = make_model(a).fit(X, y)
    gain = final.get_booster().get_score(importance_type="total_gain")
    total_gain = sum(gain.values()) or 1.0
    gain_by_name = {names[int(f[1:])]: v / total_gain for f, v in gain.items()}

    os.makedirs(a.out, exist_ok=True)
    onx = export_onnx(final, len(names))
    onnx_bytes = onx.SerializeToString()
    model_p = final.predict_proba(X)[:, 1].astype(np.float64)
    onnx_p = onnx_probabilities(onnx_bytes, X)
    parity = float(np.max(np.abs(onnx_p - model_p)))
    if not parity <= PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX export disagrees with XGBoost by {parity:g} (> {PARITY_TOLERANCE:g}); model not written")
    with open(os.path.join(a.out, "model.onnx"), "wb") as f:
        f.write(onnx_bytes)

    cols = ["time", "symbol", "direction", *names, "win", "pnl", "fold", "oos_probability", "model_probability"]
    with open(os.path.join(a.out, "oos_predictions.csv"), "w", encoding="utf-8") as f:
        f.write(",".join(cols) + "\n")
        times = df["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
        for i in np.flatnonzero(done):
            row = [times.iloc[i], str(df["symbol"].iloc[i]), str(df["direction"].iloc[i])]
            row += [fmt_f32(float(v)) for v in X[i]]
            row += [str(int(y[i])), repr(float(df["pnl"].iloc[i])), str(int(oos_fold[i])),
                    repr(float(oos_p[i])), repr(float(model_p[i]))]
            f.write(",".join(row) + "\n")

    def ranked(d: dict[str, float]) -> list[dict]:
        return [{"feature": k, "importance": round(v, 6)} for k, v in sorted(d.items(), key=lambda kv: -kv[1])]

    perm_mean = {n_: float(np.mean([p[n_] for p in perm])) for n_ in names} if perm else {}
    meta = {
        "schema_version": schema["version"],
        "features": names,
        "input": "features",
        "output": "probabilities",
        "positive_class_column": 1,
        "training_window": {"from": df["time"].iloc[0].isoformat(), "to": df["time"].iloc[-1].isoformat()},
        "n_samples": n,
        "n_wins": int(y.sum()),
        "walk_forward": {"folds": a.folds, "embargo_hours": a.embargo_hours, "oos_rows": int(done.sum())},
        "metrics": {"oos": oos, "baseline": baseline, "folds": fold_reports,
                    "calibration": calibration_table(y[done], oos_p[done])},
        "feature_importance": {"oos_permutation_auc": ranked(perm_mean), "final_total_gain": ranked(gain_by_name)},
        "params": {k: v for k, v in final.get_params().items() if k in
                   ("n_estimators", "max_depth", "learning_rate", "subsample", "colsample_bytree",
                    "min_child_weight", "reg_lambda", "random_state", "tree_method")},
        "onnx_max_abs_diff": parity,
        "versions": {"xgboost": xgboost.__version__, "onnxmltools": onnxmltools.__version__,
                     "onnxruntime": onnxruntime.__version__, "scikit-learn": sklearn.__version__},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with open(os.path.join(a.out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def print_report(meta: dict, out: str) -> None:
    m = meta["metrics"]
    o = m["oos"]
    w = meta["training_window"]
    print(f"trained on {meta['n_samples']} signals ({meta['n_wins']} wins) from {w['from']} to {w['to']}")
    print(f"walk-forward, {meta['walk_forward']['folds']} folds, {o['n']} out-of-sample rows:")
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    print(f"  AUC {fmt(o['auc'])}  accuracy {fmt(o['accuracy'])}  Brier {fmt(o['brier'])}  log loss {fmt(o['log_loss'])}"
          f"  win rate {fmt(o['win_rate'])}")
    b = m["baseline"]
    print(f"  baseline: confidence-score AUC {fmt(b['confidence_score_auc'])}, constant-rate Brier {fmt(b['constant_brier'])}")
    for f in m["folds"]:
        if "skipped" in f:
            print(f"  fold {f['fold']}: skipped ({f['skipped']})")
        else:
            print(f"  fold {f['fold']}: train {f['train_rows']:>6}  test {f['n']:>5} [{f['test_from'][:10]} .. {f['test_to'][:10]}]"
                  f"  AUC {fmt(f['auc'])}  acc {fmt(f['accuracy'])}  Brier {fmt(f['brier'])}")
    print("  calibration (predicted → observed):")
    for c in m["calibration"]:
        if c["count"]:
            print(f"    {c['bin']}: {c['count']:>5} rows  predicted {c['mean_predicted']:.3f}  won {c['win_rate']:.3f}")
    imp = meta["feature_importance"]["oos_permutation_auc"] or meta["feature_importance"]["final_total_gain"]
    print("  top features (out-of-sample AUC drop when shuffled):" if meta["feature_importance"]["oos_permutation_auc"]
          else "  top features (gain of the final model):")
    for r in imp[:8]:
        print(f"    {r['feature']:<28} {r['importance']:+.4f}")
    print(f"wrote {os.path.join(out, 'model.onnx')}, model.json, oos_predictions.csv "
          f"(ONNX vs XGBoost max diff {meta['onnx_max_abs_diff']:.2e})")


def missing_packages() -> list[str]:
    import importlib.util

    wanted = {"xgboost": "xgboost-cpu", "sklearn": "scikit-learn", "onnx": "onnx", "onnxmltools": "onnxmltools",
              "onnxruntime": "onnxruntime"}
    return [pkg for mod, pkg in wanted.items() if importlib.util.find_spec(mod) is None]


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    missing = missing_packages()
    if missing:
        print(f"error: missing Python packages: {', '.join(missing)}; run python3 -m pip install -r ml/requirements.txt",
              file=sys.stderr)
        return 2
    try:
        meta = train(a)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print_report(meta, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
